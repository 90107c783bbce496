"""The question, analysed once: a typed `Query` record that every stage of the search reads.

`analyse` finds the question's language, its weighted search terms (its own words, and for English
questions their Chinese equivalents from the terminology and CC-CEDICT), the field terms and proper names
it names, the parties it asks about, whether it asks to compare them, and its vector.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .analyzers import EN_STOPWORDS, han_runs, proper_names, tokenize
from .cedict import cedict, translate_phrase
from .encoder import Encoder
from .speakers import Speakers
from .terminology import Term, english_words, field_terms, is_acronym, match_terminology, stem
from .text import detect_language

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
    "takes", "put", "see", "seen", "use",
})
# Weights of the query terms by where they come from.
W_TERM = 1.0  # curated terminology
W_CEDICT_PHRASE = 0.8  # CEDICT entry whose gloss is a whole phrase of the question
W_CEDICT_WORD = 0.6  # CEDICT entry for a single word (best candidate; the others scaled down)
W_LATIN = 0.2  # the question's own English words (rare in Chinese text, so a match is strong)
W_ACRONYM = 0.6  # acronyms and numbers kept as they are (P5, 2020)
W_SUBTOKEN = 0.4  # share of a term's weight given to its dictionary sub-words (消极 of 消极安全保证)

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
    terms: tuple[tuple[str, float], ...]  # weighted lexical tokens, as the documents are tokenised
    field_terms: tuple[Term, ...]  # entries of the terminology the question names
    names: tuple[str, ...]  # proper names (Chinese questions) the corpus must mention to answer
    parties: tuple[frozenset[str], ...]  # each party the question names as a speaker, by the corpus's names
    compare: bool  # "what do A and B each say": the named parties should take turns
    vector: np.ndarray = field(repr=False, compare=False)  # L2-normalised query embedding

    @property
    def speakers(self) -> frozenset[str]:
        """Every corpus name of every party the question names as a speaker."""
        return frozenset().union(*self.parties)


def analyse(question: str, encoder: Encoder, speakers: Speakers, translate: bool = True) -> Query:
    """Everything the search needs to know about a question, computed once."""
    language = detect_language(question)
    return Query(
        text=question,
        language=language,
        terms=tuple(query_terms(question, translate)),
        field_terms=tuple(field_terms(question)),
        names=tuple(proper_names(question)) if language == "zh" else (),
        parties=speakers.named_in(question),
        compare=asks_to_compare(question),
        vector=encoder.encode_queries([question])[0].astype(np.float32),
    )


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


def query_terms(question: str, translate: bool = True) -> list[tuple[str, float]]:
    """Weighted Chinese query terms for a question, tokenised like the documents.

    Chinese (or mostly Chinese) questions: their own tokens, weight 1, plus the Chinese of any terminology
    acronym they contain (NPT, P5). English: terminology phrases (longest match), then CC-CEDICT for the
    remaining content words (phrases of two or three words before single words), plus the question's own
    Latin tokens at a low weight. Chinese words inside an English question are kept with weight 1.
    Without `translate` (an ablation) an English question keeps only its own tokens.
    """
    if not translate and detect_language(question) == "en":
        return [(t, 1.0) for t in tokenize(question)]
    terms: dict[str, float] = {}
    words = english_words(question)
    for span in han_runs(question):
        for t in tokenize(span):
            terms[t] = 1.0
    if detect_language(question) == "zh":
        for t in tokenize(question):
            terms[t] = 1.0
        for _, _, term in match_terminology(words):
            for zh in term.chinese:
                _add(terms, zh, W_TERM)
        return list(terms.items())

    covered = [False] * len(words)
    for start, end, term in match_terminology(words):
        for i in range(start, end):
            covered[i] = True
        for zh in term.chinese:
            _add(terms, zh, W_TERM)

    content = [
        (i, w) for i, w in enumerate(words)
        if not covered[i] and w.lower() not in EN_STOPWORDS and w.lower() not in QUESTION_WORDS
        and not w.isdigit()
    ]
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
        if i in used:
            continue
        for zh, s in translate_phrase((stem(w),), index):
            _add(terms, zh, W_CEDICT_WORD * s)

    for w in words:
        token = w.lower()
        if token in EN_STOPWORDS or token in QUESTION_WORDS:
            continue
        weight = W_ACRONYM if (is_acronym(w) or w.isdigit() or any(c.isdigit() for c in w)) else W_LATIN
        for t in tokenize(token):
            terms[t] = max(terms.get(t, 0.0), weight)
    return list(terms.items())
