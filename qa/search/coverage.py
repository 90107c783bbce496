""""Not covered": deciding that no paragraph answers, so the closest passages are shown as such, not as answers.

Two kinds of question the documents do not answer, two checks, neither fitted to one corpus:
- a question about something else altogether: its best paragraph is no closer to it than everyday text in
  the corpus's languages is (`index.background`, embedded at index time). Relative, so it holds whatever the
  spread of a corpus's cosines: e5's run from 0.75 to 0.95 for everything, and cross-lingual lower;
- a question about a field term or a proper name the documents never mention in any language (the field
  terms by their concept token, the names in the language the corpus can check them in).
A pure policy over the analysed question and what the store says; the search reports its verdict beside the
ranking and never drops passages because of it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from qa.search.answer import Why
from qa.search.answer_type import states_answer
from qa.search.query import Query
from qa.store.base import Ranked, Store
from qa.text.analyzers import normalise, tokenize
from qa.text.cedict import STOP_STEMS, cedict, english_for, translate_phrase
from qa.text.english import STOPWORDS, WORD, stem
from qa.text.english import words as english_words
from qa.text.scripts import has_han
from qa.text.terminology import CONCEPT, Term, concept, nested_terms

NOT_COVERED = "The documents do not appear to cover this question; the closest passages follow."


def everyday(store: Store, vector: np.ndarray) -> float:
    """How close everyday text comes to the question: the corpus's own measure of an unrelated question."""
    return float((store.background @ vector).max()) if len(store.background) else -1.0


@dataclass(frozen=True)
class CoveragePolicy:
    """The rules of the decision (see `verdict`)."""

    # The best paragraph must be closer to the question than the closest everyday text by this much.
    margin: float = 0.0
    # Refused when most of the question's (IDF-weighted) words occur in no paragraph of its language.
    max_absent_share: float = 0.75


def verdict(query: Query, store: Store, policy: CoveragePolicy = CoveragePolicy(),
            best: Ranked | None = None, head: Sequence[str] = ()) -> str:
    """'' when some paragraph may answer the question; else why not, in a sentence for the reader.

    `best` is the unfiltered dense ranking when the caller has it (else it is searched for); `head` the ids of
    the passages at the top of the answer, one of which must state an answer of the kind the question asks for.
    """
    if store.size == 0:
        return Why("The collection is empty.", "资料库中没有文件。")
    best = best[:1] if best else store.search_paragraphs(query.vector, 1)
    if best and best[0][1] <= everyday(store, query.vector) + policy.margin:
        return Why("No passage is closer to the question than everyday text is.", "没有哪个段落比日常文本更接近这个问题。")
    for term, key in zip(query.field_terms, query.concepts):
        if store.document_frequency(CONCEPT + key) == 0 and not any(
                store.document_frequency(CONCEPT + part) for part in narrower_concepts(term)):
            return Why(f"No document mentions {term.english} ({term.chinese[0]}).",
                       f"没有文件提到{term.chinese[0]}（{term.english}）。")
    languages = store.manifest.get("languages", {})
    for name, language in query.names:
        if mentions(name, language, store, languages) is False:
            return Why(f"No document mentions {name}.", f"没有文件提到{name}。")
    for quoted in query.quoted:
        if mentions_term(quoted, store, languages) is False:
            return Why(f"No document mentions “{quoted}”.", f"没有文件提到“{quoted}”。")
    if languages.get(query.language) and absent_share(query.terms, store) >= policy.max_absent_share:
        return Why("Most of the question's words occur in no document.", "问题中的大部分词语在所有文件中都没有出现。")
    if query.expects and head and not any(states_answer(query.expects, p.text) for p in store.paragraphs(head)):
        return Why(f"The question asks for an amount of {query.expects}, and no passage near the top states one.",
                   "问题询问的是金额，但排名靠前的段落都没有给出金额。")
    return ""


def narrower_concepts(term: Term) -> list[str]:
    """The concepts of the terms of two words or more that a field term starts with ("step-by-step" in
    "step-by-step approach"): the modifier that makes the term what it is, before a generic head. A corpus that
    names it may speak of the term in words the terminology does not list (the Swedish paper's 循序渐进做法, not
    循序渐进办法), so the term's absence proves nothing. Not its head: "security assurances" is in "negative
    security assurances" and says nothing of the negative ones."""
    words = english_words(term.english)
    whole = concept(term)
    return sorted({concept(t) for t in nested_terms(term.english) if concept(t) != whole
                   and 1 < len(part := english_words(t.english)) < len(words) and words[:len(part)] == part})


def mentions(name: str, language: str, store: Store, languages: Mapping[str, int]) -> bool | None:
    """Whether the corpus mentions a proper name: in paragraphs of its language, or (a Chinese name in a corpus
    with English text) by its CC-CEDICT translation. None when the corpus cannot tell (no text to check)."""
    if language == "en":
        found = (any(store.count_matching(words) > 0 for words in (content_stems(name), *country_of(name)))
                 if languages.get("en") else None)
        if not found and languages.get("zh") and (chinese := chinese_name(name)):
            return any(mentioned(zh, store) for zh in chinese)
        return found
    found = mentioned(name, store) if languages.get("zh") else None
    if not found and languages.get("en"):
        english = [w for w, s in english_for(name, cedict()) if s >= 0.99]
        if english:
            return any(store.document_frequency(w) > 0 for w in english)
    return found


def chinese_name(name: str, senses: int = 3) -> list[str]:
    """How Chinese text writes an English proper name (Gorbachev: 戈尔巴乔夫, Nagasaki: 长崎): the CC-CEDICT
    entries whose whole gloss is the name, when the dictionary uses the word in at most `senses` senses. A
    capitalised common word ("Nuclear" in a title, 124 senses) is no name, and its translations prove nothing."""
    stems = tuple(content_stems(name))
    if len(stems) != 1 or len(cedict().by_word.get(stems[0], ())) > senses:
        return []
    return sorted({sense.simplified for sense in cedict().exact.get(stems, ())})


def country_of(word: str) -> list[list[str]]:
    """The country an English demonym names, as the English stems of each way of writing it ("Swiss" is
    Switzerland, "Dutch" Holland or the Netherlands): the word's CC-CEDICT translation is the country's Chinese
    name and 人, 语 or 族 (瑞士人, 荷兰语), and that name's first sense is the country. So a question about
    "Swiss law" is not refused for want of the word "Swiss" in Switzerland's report."""
    out = []
    for chinese, score in translate_phrase((stem(word),), cedict()):
        if score >= 0.5 and len(chinese) > 2 and chinese[-1] in "人语族":
            for sense in cedict().by_chinese.get(chinese[:-1], ()):
                words = [w for w in sense.stems if w not in STOP_STEMS]
                if sense.order == 0 and words and words not in out:
                    out.append(words)
    return out


def mentions_term(term: str, store: Store, languages: Mapping[str, int]) -> bool | None:
    """Whether the corpus mentions a term the question quotes: as written, or in the other language by one of
    CC-CEDICT's translations ("nuclear winter" is 核冬天). None when the corpus cannot tell: text in the other
    language that the dictionary cannot translate the term into, or no text at all."""
    chinese = has_han(term)
    own, other = ("zh", "en") if chinese else ("en", "zh")
    stems = [] if chinese else content_stems(term)
    if languages.get(own) and (mentioned(term, store) if chinese else store.count_matching(stems) > 0):
        return True
    if languages.get(other):
        if chinese:
            english = [w for w, s in english_for(term, cedict()) if s >= 0.99]
            return store.count_matching(english) > 0 if english else None
        translations = [zh for zh, s in translate_phrase(tuple(stems), cedict()) if s >= 0.5]
        return any(mentioned(zh, store) for zh in translations) if translations else None
    return False if languages.get(own) else None


def content_stems(text: str) -> list[str]:
    """The stems of an English name's or term's words, its stopwords left out ("Treaty of Tlatelolco")."""
    return [stem(w) for w in WORD.findall(text) if w.lower() not in STOPWORDS] or [stem(text)]


def mentioned(text: str, store: Store) -> bool:
    """Whether some paragraph mentions `text` (a term or name): it holds the whole as one token, or every part.

    Parts, because punctuation inside a term in the text ('“垫脚石”办法') keeps the whole from forming a token.
    """
    tokens = set(tokenize(text))
    whole = normalise(text)
    parts = tokens - {whole}
    return (whole in tokens and store.count_matching([whole]) > 0) or bool(parts) and store.count_matching(sorted(parts)) > 0


def absent_share(terms: Sequence[tuple[str, float]], store: Store) -> float:
    """IDF-weighted share of the question's words that no paragraph contains (0: all found somewhere)."""
    n = max(store.size, 1)
    total = absent = 0.0
    for t, w in terms:
        if t.startswith(CONCEPT):
            continue
        df = store.document_frequency(t)
        weight = w * math.log(1 + n / (1 + df))
        total += weight
        absent += weight if df == 0 else 0.0
    return absent / total if total else 1.0
