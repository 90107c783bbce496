"""The question, analysed once: a typed `Query` record that every stage of the search reads.

`analyse` finds the question's language, its weighted search terms in its own language and in the other
(from the terminology and CC-CEDICT, either way), the field terms and proper names it names, the parties it
asks about, whether it asks to compare them, and its vector.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.embedding.encoder import Encoder
from qa.errors import QAError
from qa.parties.speakers import Speakers
from qa.parties.table import Mention
from qa.search.answer_type import expected_answer
from qa.search.units import Unit, topic_units
from qa.text.analyzers import (
    chinese_parts,
    han_runs,
    load_dictionaries,
    proper_names,
    tokenize,
)
from qa.text.cedict import cedict, dictionary_words, english_for, load_cedict, translate_phrase
from qa.text.english import STOPWORDS, WORD, is_acronym, stem
from qa.text.english import words as english_words
from qa.text.scripts import detect_language, has_han
from qa.text.terminology import (
    CONCEPT,
    Term,
    chinese_matches,
    concept,
    field_terms,
    match_terminology,
    synonyms,
)

# Words of questions about documents, not of their topic: never translated.
QUESTION_WORDS = frozenset({
    "according", "say", "says", "said", "saying", "tell", "tells", "told", "describe", "describes",
    "described", "explain", "explains", "explained", "mention", "mentions", "mentioned", "propose",
    "proposes", "proposed", "suggest", "suggests", "suggested", "recommend", "recommends",
    "recommended", "argue", "argues", "argued", "think", "thinks", "view", "views", "regard",
    "regarding", "concerning", "document", "documents", "paper", "papers", "text", "texts", "passage",
    "paragraph", "section", "please", "give", "list", "name", "names", "kind", "kinds", "sort", "type",
    "way", "ways", "thing", "things", "something", "anything", "mean", "means", "meant", "one", "two",
    "many", "much", "well", "like", "need", "needs", "get", "gets", "make", "makes", "made", "take",
    "takes", "put", "see", "seen", "use", "report", "reports", "reported",
})
# Chinese words of questions about documents, not of their topic: never translated into English.
ZH_QUESTION_WORDS = frozenset({
    "说", "说了", "谈", "谈到", "提到", "提及", "认为", "表示", "指出", "主张", "如何", "怎样", "怎么", "哪", "哪个",
    "哪些", "哪一", "哪国", "什么", "为何", "为什么", "是否", "文件", "这些", "有关", "关于", "方面", "内容",
})
FRAME = QUESTION_WORDS  # not a field term in a question ("report": not "reporting")
# Weights of the query terms by where they come from.
W_TERM = 1.0  # curated terminology
W_CEDICT_PHRASE = 0.8  # CEDICT entry whose gloss is a whole phrase of the question
W_CEDICT_WORD = 0.6  # CEDICT entry for a single word (best candidate; the others scaled down)
W_LATIN = 0.2  # the question's own English words (rare in Chinese text, so a match is strong)
W_ACRONYM = 0.6  # acronyms and numbers kept as they are (P5, 2020)
W_SUBTOKEN = 0.4  # share of a term's weight given to its dictionary sub-words (消极 of 消极安全保证)
W_SYNONYM = 0.5  # the other English names of a field term the question names
W_CONCEPT = 1.0  # a field concept the question names, matched in paragraphs of either language
CEDICT_STEMS = 4  # English stems kept per Chinese word

_COMPARE = re.compile(
    r"\b(each|both|compare[sd]?|comparison|differ(s|ence|ences|ent)?|versus|vs\.?|respectively|contrast)\b"
    r"|分别|各自|比较|对比|异同|区别|相比|有何不同",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Query:
    """A question as every channel, the fusion and the "not covered" policy see it."""

    text: str
    language: str  # 'zh' | 'en'
    terms: tuple[tuple[str, float], ...]  # weighted tokens for paragraphs in the question's language
    cross_terms: tuple[tuple[str, float], ...]  # weighted tokens for paragraphs in the other language
    field_terms: tuple[Term, ...]  # entries of the terminology the question names
    concepts: tuple[str, ...]  # their concept keys (`terminology.concept`), the same in either language
    names: tuple[tuple[str, str], ...]  # (proper name, its language) the corpus must mention to answer
    quoted: tuple[str, ...]  # terms the question puts in quotation marks, which the corpus must mention too
    parties: tuple[frozenset[str], ...]  # each party the question names as a speaker, by the corpus's names
    compare: bool  # "what do A and B each say": the named parties should take turns
    asked: tuple[frozenset[str], ...]  # the parties the question asks about as speakers ("What did X say about
    # Y?"): a condition on the answer, where `parties` (any party named as a speaker) is only a hint
    asked_as: tuple[str, ...]  # the name of each party in `asked` as the answer names it (a group as the group)
    units: tuple[Unit, ...]  # what the question is about, for the relevance judgement (`relevance.topic_units`)
    encoded: np.ndarray | Future[np.ndarray] = field(repr=False, compare=False)  # the embedding, or its encoding
    expects: str = ""  # the kind of answer a passage must state (`answer_type.MONEY`), '' when any passage may do

    @property
    def vector(self) -> np.ndarray:
        """The question's L2-normalised embedding. `Engine.analyse` encodes it on another thread while the words
        are analysed and the lexical channels run; the first channel that needs it waits for it here."""
        return self.encoded.result() if isinstance(self.encoded, Future) else self.encoded

    @property
    def speakers(self) -> frozenset[str]:
        """Every corpus name of every party the question names as a speaker."""
        return frozenset().union(*self.parties)


def prepare(cache_dir: Path, chinese_names: bool = True, one_shot: bool = False) -> None:
    """Load what analysing a question needs (CC-CEDICT's index and jieba's tables, read from `cache_dir` where an
    earlier process saved them, with `chinese_names` the tagger's tags, which only Chinese questions use) before
    the first question, so that a one-shot `qa ask` can do it while the model loads; `one_shot` reads CC-CEDICT
    key by key rather than whole. A failure here is left for the first question to meet."""
    with contextlib.suppress(QAError, OSError):
        load_cedict(cache_dir, lazy=one_shot)
        load_dictionaries(cache_dir, tags=chinese_names)


def encode(encoder: Encoder, question: str) -> np.ndarray:
    """The question's embedding, as every channel reads it."""
    return encoder.encode_queries([question])[0].astype(np.float32)


def analyse(question: str, encoder: Encoder, speakers: Speakers, translate: bool = True,
            known: Callable[[str], bool] = lambda token: False, encoding: Future[np.ndarray] | None = None) -> Query:
    """Everything the search needs to know about a question, computed once (`known`: whether the corpus has a
    token, so that a compound of the question also matches its two words; `encoding`: the question's `encode`
    already under way, else it is encoded here)."""
    language = detect_language(question)
    terms = field_terms(question, FRAME)
    concepts = tuple(dict.fromkeys(concept(t) for t in terms))
    concept_tokens = [(CONCEPT + c, W_CONCEPT) for c in concepts]
    parties = asked_parties(question, speakers)
    asked = tuple(names for names, _ in parties)
    spoken_of = spoken_about(question, speakers, asked)
    return Query(
        text=question,
        language=language,
        terms=(*own_terms(question, language), *concept_tokens, *(spoken_of if language == "en" else ())),
        cross_terms=(*cross_terms(question, language), *concept_tokens, *(spoken_of if language == "zh" else ()))
        if translate else (),
        field_terms=tuple(terms),
        concepts=concepts,
        names=names_in(question, language, speakers),
        quoted=tuple(quoted_terms(question)),
        parties=speakers.named_in(question),
        compare=asks_to_compare(question),
        asked=asked,
        asked_as=tuple(name for _, name in parties),
        units=units_of(question, language, speakers, asked, known),
        encoded=encode(encoder, question) if encoding is None else encoding,
        expects=expected_answer(question),
    )


_QUOTED = re.compile(r"“([^“”]+)”|「([^「」]+)」|『([^『』]+)』|\"([^\"]+)\"|‘([^‘’]+)’")
_CLAUSE = re.compile(r"[，。；：！？,;:!?]")


def quoted_terms(question: str) -> list[str]:
    """The terms a question puts in quotation marks (“核冬天”, "no first use"): it asks about them, so a corpus
    that never mentions them does not answer it; a quoted clause (punctuation inside) is a citation, not a term."""
    found = (next(g for g in m.groups() if g) for m in _QUOTED.finditer(question))
    return [t.strip() for t in found if t.strip() and not _CLAUSE.search(t) and len(t.split()) <= 6]


def names_in(question: str, language: str, speakers: Speakers) -> tuple[tuple[str, str], ...]:
    """Proper names the question names that the corpus would have to mention to answer it: capitalised words
    of an English question (not its first word, field terms or parties that speak in the corpus), place,
    person and organisation names of a Chinese one (jieba's tags)."""
    spoken = [(m.start, m.end) for m in speakers.parties.mentions(question) if speakers.names_for(m.party)]
    spans = [(m.start(), m.end()) for m in WORD.finditer(question)]
    in_terms = {i for s, e, _ in match_terminology([question[a:b] for a, b in spans], FRAME)
                for i in range(s, e)}
    out: dict[tuple[str, str], None] = {}
    for i, (a, b) in enumerate(spans):
        w = question[a:b]
        if (i and w[0].isupper() and not is_acronym(w) and i not in in_terms and w.lower() not in STOPWORDS
                and not any(s <= a < e for s, e in spoken)):
            out[(w, "en")] = None
    if language == "zh":
        for name in proper_names(question):
            party = speakers.parties.resolve(name)
            if not (party and speakers.names_for(party)):
                out[(name, "zh")] = None
    return tuple(out)


def spoken_about(question: str, speakers: Speakers, asked: tuple[frozenset[str], ...]) -> list[tuple[str, float]]:
    """English search terms for the parties a question speaks about (not those it asks to speak): their demonym,
    so a question about Palestine, in either language, also finds "the Palestinian people" by its words (the
    name itself the question's own words or their translation already search)."""
    out: dict[str, float] = {}
    for m, role in mention_roles(question, speakers, asked):
        if role == "speaker":
            continue
        for form in m.party.demonyms:
            if len(english_words(form)) == 1:
                out[stem(form)] = W_CEDICT_WORD
    return list(out.items())


def units_of(question: str, language: str, speakers: Speakers, asked: tuple[frozenset[str], ...],
             known: Callable[[str], bool] = lambda token: False) -> tuple[Unit, ...]:
    """The units of the question's topic (see `relevance.topic_units`): a party the question asks about as the
    speaker is a condition, not a topic; every other party it names ("Afghanistan", "各国如何谈论阿富汗局势")
    is part of what it is about, carried by a paragraph that names it or writes its demonym ("the Afghan
    people")."""
    mentions = [(m.start, m.end, role, (m.party.name, *m.party.aliases, *m.party.demonyms), m.party.name_zh)
                for m, role in mention_roles(question, speakers, asked)]
    return topic_units(question, language, mentions, QUESTION_WORDS, ZH_QUESTION_WORDS, known)


def mention_roles(question: str, speakers: Speakers, asked: tuple[frozenset[str], ...]
                  ) -> list[tuple[Mention, str]]:
    """Each party the question names, as "speaker" when it is one the question asks to speak (`asked`) and
    "topic" otherwise: what the question is about."""
    conditions = frozenset().union(*asked)
    return [(m, "speaker" if speakers.names_for(m.party) & conditions else "topic")
            for m in speakers.parties.mentions(question)]


_SPEECH_EN = re.compile(
    r"\b(?:say|says|said|saying|stated|propose[sd]?|proposing|think|thinks|thought|argue[sd]?|suggest(?:s|ed)?|"
    r"recommend(?:s|ed)?|call(?:s|ed)?\s+(?:for|on)|stress(?:es|ed)?|emphasi[sz]e[sd]?|want(?:s|ed)?|ask(?:s|ed)?|"
    r"urge[sd]?|express(?:es|ed)?|announce[sd]?|pledge[sd]?|believe[sd]?|mention(?:s|ed)?|declare[sd]?|"
    r"warn(?:s|ed)?|insist(?:s|ed)?|demand(?:s|ed)?|support(?:s|ed)?|oppose[sd]?|view|see|"
    # verbs of reporting and writing: what a national report or a working paper does ("What did Japan report
    # about disarmament education?")
    r"report(?:s|ed)?|write|writes|wrote|note[sd]?|describe[sd]?|explain(?:s|ed)?|highlight(?:s|ed)?|"
    r"welcome[sd]?|condemn(?:s|ed)?|raise[sd]?|"
    # and of judging: "What does Sweden regard as …", "How does Russia assess …"
    r"regard(?:s|ed)?|consider(?:s|ed)?|assess(?:es|ed)?|judge[sd]?|characteri[sz]e[sd]?|define[sd]?|"
    r"evaluate[sd]?|deem(?:s|ed)?)\b", re.IGNORECASE)
_POSSESSIVE_STANCE = re.compile(r"^(?:'s|’s|s'|’)\s+(?:\w+\s+){0,2}?(?:position|positions|view|views|stance|"
                                r"statement|statements|remarks|proposals?|policy|policies|comments?|thinking|"
                                r"approach|reports?)\b", re.IGNORECASE)
_ACCORDING_TO = re.compile(r"\b(?:according to|in the view of)\s+(?:the\s+)?$", re.IGNORECASE)
# A question that asks which party spoke ("Which country …", "Who …", "哪个国家……", "哪份文件……"), not one that asks
# which thing a named party said ("Which vital public facilities does Czechia say …")
_ASKS_WHO = re.compile(
    r"\b(?:who|whose|whom)\b|\bwhich\s+(?:of\s+(?:the|these|those)\s+)?(?:[\w-]+\s+)?(?:states?|country|countries|"
    r"nations?|documents?|papers?|delegations?|governments?|part(?:y|ies)|speakers?|groups?|bod(?:y|ies)|members?|"
    r"ones?|submitters?|reports?|statements?)\b|哪[^，。？！；]{0,3}?(?:国|份|文件|方(?!面)|代表团|组织|机构|小组|成员|发言)|谁",
    re.IGNORECASE)
_SPEECH_ZH = re.compile(r"说|表示|讲|谈|提出|主张|认为|立场|看法|态度|观点|意见|表态|发言|呼吁|建议|强调|承诺|"
                        r"宣布|声明|指出|警告|支持|反对|提议|希望|要求|报告|提到|提及|介绍|描述|阐述|看待|评价")


def asked_parties(question: str, speakers: Speakers) -> tuple[tuple[frozenset[str], str], ...]:
    """The parties a question asks about as the ones speaking ("What did Ireland say about the TPNW?",
    "Ireland's position on …", "according to Ireland", "爱尔兰对《禁核条约》说了什么？", "爱尔兰的立场"):
    named as a speaker, before the verb of saying (or with a possessive stance noun), in a question that does
    not ask which party spoke ("Which document says the five nuclear-weapon States …" names a topic). Each is
    (the corpus's names for it, a group's members' only when it has no documents of its own; the party's own
    name, which the answer uses)."""
    out: list[tuple[frozenset[str], str]] = []
    mentions = speakers.parties.mentions(question)
    asked = [False] * len(mentions)
    for i, m in enumerate(mentions):
        before, after = question[:m.start], question[m.end:]
        stance = bool(_POSSESSIVE_STANCE.match(after) or _ACCORDING_TO.search(before))
        if has_han(question):
            clause = re.split(r"[，。？?！!；;]", after, maxsplit=1)[0]
            stance = stance or after.startswith("的") and bool(_SPEECH_ZH.match(after[1:]))
            said = bool(_SPEECH_ZH.search(clause)) and not _SPEECH_ZH.search(before)
        else:
            said = bool(_SPEECH_EN.search(after.split("?")[0])) and not _SPEECH_EN.search(before)
        asked[i] = (stance or said) and not _ASKS_WHO.search(before)
    if asks_to_compare(question):
        asked = _coordinated(question, mentions, asked)
    for m, is_asked in zip(mentions, asked):
        # a group with documents of its own (the European Union) is asked in its own right: a member's statement
        # is not the group's; a group without (the Non-Aligned Movement here) speaks through its members'
        names = (speakers.own_names(m.party.name) or speakers.names_for(m.party)) if m.role == "speaker" else (
            frozenset())
        if is_asked and names and names not in (n for n, _ in out):
            out.append((names, m.party.name))
    return tuple(out)


# What joins two parties named side by side: a comma or a conjunction, after the first one's possessive and a
# noun or two ("Switzerland's report and the Netherlands'", "泰国、赞比亚和圣马力诺", "中国和法国")
_JOINED = re.compile(r"^(?:(?:'s|’s|s'|’|')\s*(?:[\w-]+\s+){0,3}?)?(?:,|、|，)?\s*(?:and|or|和|与|及|以及|同)?\s*"
                     r"(?:the\s+)?$", re.IGNORECASE)


def _coordinated(question: str, mentions: list[Mention], asked: list[bool]) -> list[bool]:
    """In a question that compares, parties named side by side share their role: "How do Switzerland and the
    Netherlands each fund …", "泰国、赞比亚和圣马力诺如何看待……": all asked when one is, or when none is (the
    side-by-side parties are then its subjects), unless the question asks which party spoke."""
    chains: list[list[int]] = []
    for i, m in enumerate(mentions):
        if chains and _JOINED.match(question[mentions[chains[-1][-1]].end:m.start]):
            chains[-1].append(i)
        else:
            chains.append([i])
    out = list(asked)
    for chain in chains:
        if len(chain) < 2 or _ASKS_WHO.search(question[:mentions[chain[0]].start]):
            continue
        if any(asked[i] for i in chain) or not any(asked):
            for i in chain:
                out[i] = True
    return out


def asks_to_compare(question: str) -> bool:
    """'What do A and B each say…', '…分别提出了什么': a question that wants several parties side by side."""
    return bool(_COMPARE.search(question))


def _add(terms: dict[str, float], chinese: str, weight: float) -> None:
    """Tokenise a Chinese term as documents are; the whole term gets the weight, its sub-words a share."""
    tokens = tokenize(chinese)
    whole = chinese in tokens
    for t in tokens:
        w = weight if (t == chinese or not whole and len(tokens) == 1) else weight * W_SUBTOKEN
        if w > terms.get(t, 0.0):
            terms[t] = w


def _add_english(terms: dict[str, float], english: str, weight: float) -> None:
    for w in english_words(english):
        if w.lower() not in STOPWORDS:
            t = stem(w)
            terms[t] = max(terms.get(t, 0.0), weight)


def _content(word: str) -> bool:
    return word.lower() not in STOPWORDS and word.lower() not in QUESTION_WORDS


def own_terms(question: str, language: str) -> list[tuple[str, float]]:
    """The question's own search terms, for paragraphs in its language, tokenised as those paragraphs are.

    Chinese: its tokens, weight 1, plus the Chinese of any terminology acronym it contains (NPT, P5).
    English: the stems of its content words, weight 1, plus the other English names of the field terms it
    names ('TPNW' also searches 'Treaty on the Prohibition of Nuclear Weapons') at a lower weight.
    """
    terms: dict[str, float] = {}
    words = english_words(question)
    if language == "zh":
        for t in tokenize(question):
            terms[t] = 1.0
        for _, _, term in match_terminology(words, FRAME):
            for zh in term.chinese:
                _add(terms, zh, W_TERM)
        return list(terms.items())
    for span in han_runs(question):
        for t in tokenize(span):
            terms[t] = 1.0
    for w in words:
        if _content(w):
            terms[stem(w)] = 1.0
    for _, _, term in match_terminology(words, FRAME):
        for synonym in synonyms(term):
            _add_english(terms, synonym.english, W_SYNONYM)
    return list(terms.items())


def cross_terms(question: str, language: str) -> list[tuple[str, float]]:
    """The question's terms in the other language, for paragraphs in that language.

    English questions: the terminology's Chinese for its field terms, CC-CEDICT for the other content words
    (phrases of two or three words before single words), and its own Latin words at a low weight (acronyms and
    names inside Chinese text). Chinese questions: the English names of its field terms, CC-CEDICT's English
    for its other words, and its own Latin words (acronyms, names) as they are.
    """
    return _english_to_chinese(question) if language == "en" else _chinese_to_english(question)


def _chinese_to_english(question: str) -> list[tuple[str, float]]:
    terms: dict[str, float] = {}
    for w in english_words(question):
        if _content(w):
            terms[stem(w)] = 1.0
    matched = chinese_matches(question)
    for _, _, term in matched:
        for synonym in synonyms(term):
            _add_english(terms, synonym.english, W_TERM)
    rest = question
    for start, end, _ in sorted(matched, reverse=True):
        rest = rest[:start] + "，" + rest[end:]
    index = cedict()
    for word in dictionary_words(rest, index):
        if word in ZH_QUESTION_WORDS:
            continue
        found = english_for(word, index) or [x for part in chinese_parts(word) for x in english_for(part, index)]
        for t, s in found[:CEDICT_STEMS]:
            terms[t] = max(terms.get(t, 0.0), W_CEDICT_WORD * s)
    return list(terms.items())


def _english_to_chinese(question: str) -> list[tuple[str, float]]:
    terms: dict[str, float] = {}
    words = english_words(question)
    for span in han_runs(question):
        for t in tokenize(span):
            terms[t] = 1.0
    covered = [False] * len(words)
    for start, end, term in match_terminology(words, FRAME):
        for i in range(start, end):
            covered[i] = True
        for zh in term.chinese:
            _add(terms, zh, W_TERM)
    content = [(i, w) for i, w in enumerate(words) if not covered[i] and _content(w) and not w.isdigit()]
    index = cedict()
    used: set[int] = set()
    # Phrases first: consecutive content words (no stopword between them) matching a whole gloss.
    for n in (3, 2):
        for k in range(len(content) - n + 1):
            run = content[k:k + n]
            if run[-1][0] - run[0][0] != n - 1 or any(i in used for i, _ in run):
                continue
            stems = tuple(stem(w) for _, w in run)
            hits = [(zh, s) for zh, s in translate_phrase(stems, index) if s >= 0.99]
            if index.exact.get(stems) and hits:
                used.update(i for i, _ in run)
                for zh, s in hits[:2]:
                    _add(terms, zh, W_CEDICT_PHRASE * s)
    for i, w in content:
        if i not in used:
            for zh, s in translate_phrase((stem(w),), index):
                _add(terms, zh, W_CEDICT_WORD * s)
    for w in words:
        if _content(w):
            weight = W_ACRONYM if (is_acronym(w) or any(c.isdigit() for c in w)) else W_LATIN
            t = stem(w)
            terms[t] = max(terms.get(t, 0.0), weight)
    return list(terms.items())
