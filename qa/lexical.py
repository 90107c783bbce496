"""The lexical channel: Chinese word tokenisation (jieba plus the field's terminology) and a BM25 index.

Documents and queries go through the same `tokenize`, so a Chinese term translated from an English question
meets the same tokens as the paragraph that uses it. The index is plain arrays (no pickle), saved beside FAISS.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# CJK unified ideographs (basic, extension A, compatibility, extensions B-F): the text jieba segments.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_SEGMENT = re.compile(f"([{_HAN}]+)|((?:(?![{_HAN}])[^\\W_])+)")
# Invisible format characters that would otherwise split a word in two (zero-width space, soft hyphen, BOM…).
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]")

# Function words of Chinese that carry no topic; content words, even one character long (核, 钚), are kept.
ZH_STOPWORDS = frozenset({
    "的", "地", "得", "了", "着", "过", "和", "与", "及", "或", "在", "是", "为",
    "对", "以", "将", "把", "被", "于", "之", "其", "这", "那", "该", "此", "也",
    "并", "而", "等", "就", "都", "从", "由", "向", "但", "则", "所", "即", "又",
    "还", "已", "个", "上", "下", "一", "一个", "这些", "那些", "这一", "这种", "我们",
    "他们", "它们", "各", "有", "应", "可", "会", "能", "要", "到", "使", "中", "者",
    "如", "若", "因", "所有", "以及", "并且", "或者", "因为", "所以", "如果", "虽然",
    "但是", "而且", "关于", "对于", "根据", "通过", "包括", "方面", "什么", "哪些", "哪个",
    "如何", "怎样", "为什么", "是否", "吗", "呢", "吧", "啊",
})
EN_STOPWORDS = frozenset({
    "a", "an", "the", "and", "or", "but", "nor", "of", "to", "in", "on", "at", "by", "for", "with",
    "from", "as", "into", "onto", "upon", "about", "over", "under", "between", "among", "through",
    "during", "before", "after", "above", "below", "up", "down", "out", "off", "than", "then", "so",
    "such", "too", "very", "can", "could", "may", "might", "must", "shall", "should", "will", "would",
    "do", "does", "did", "done", "doing", "is", "are", "was", "were", "be", "been", "being", "am",
    "has", "have", "had", "having", "it", "its", "it's", "this", "that", "these", "those", "there",
    "here", "their", "theirs", "them", "they", "he", "she", "his", "her", "him", "we", "our", "ours",
    "us", "you", "your", "i", "me", "my", "mine", "what", "which", "who", "whom", "whose", "when",
    "where", "why", "how", "whether", "if", "not", "no", "yes", "all", "any", "both", "each", "few",
    "more", "most", "other", "some", "own", "same", "only", "also", "just", "s", "t",
})

_lock = threading.Lock()
_jieba: Any = None  # the project's own jieba.Tokenizer, built on first use
_user_words: frozenset[str] = frozenset()
_LONGEST_WORD = 24  # longer jieba "words" come from its HMM on unknown text; not searched for inner terms


def _normalise(text: str) -> str:
    """Valid, composed, case-folded text: lone surrogates replaced, full-width forms folded, invisibles removed."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    return text.lower()


def han_runs(text: str) -> list[str]:
    """The runs of Chinese characters in `text` (what jieba would see)."""
    return [m.group(1) for m in _SEGMENT.finditer(_normalise(text)) if m.group(1)]


def set_user_words(words: Iterable[str]) -> None:
    """Words jieba must keep whole, registered by `terminology.load_user_dictionary` before first use."""
    global _user_words
    with _lock:
        _user_words = _user_words | {w for w in words if len(w) >= 2}
        if _jieba is not None:
            for w in sorted(_user_words):
                _jieba.add_word(w)


def segmenter() -> Any:
    """The jieba tokenizer with the domain dictionary, initialised once per process (thread-safe)."""
    global _jieba
    if _jieba is None:
        from . import terminology

        terminology.load_user_dictionary()  # registers the terms via set_user_words
        with _lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tk = jieba.Tokenizer()
                tk.initialize()
                for w in sorted(_user_words):
                    tk.add_word(w)
                _jieba = tk
    return _jieba


def word_frequency(word: str) -> int:
    """How common a Chinese word is in jieba's general dictionary (0 when unknown): a prior for translation."""
    return int(segmenter().FREQ.get(word, 0) or 0)


def tokenize(text: str) -> list[str]:
    """Search tokens of `text`: jieba words and their dictionary sub-words for Chinese, lower-cased Latin
    words and numbers otherwise; punctuation and stopwords dropped. Deterministic; never raises on text."""
    tk = segmenter()
    out: list[str] = []
    for m in _SEGMENT.finditer(_normalise(text)):
        han, other = m.group(1), m.group(2)
        if han:
            for w in tk.cut_for_search(han):
                if w not in ZH_STOPWORDS:
                    out.append(w)
                    if 3 < len(w) <= _LONGEST_WORD:
                        out.extend(_inner_terms(w))
        elif other not in EN_STOPWORDS:
            out.append(other)
    return out


def _inner_terms(word: str) -> list[str]:
    """Domain terms of four or more characters inside a longer jieba word, which `cut_for_search` (2- and
    3-grams only) would miss: 审议大会 in jieba's 年审议大会, 核武器国家 in 五个核武器国家."""
    n = len(word)
    return [word[i:j] for i in range(n) for j in range(i + 4, n + 1)
            if (j - i) < n and word[i:j] in _user_words]


# --- BM25 ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class BM25Index:
    """Okapi BM25 over token lists; postings are a term-by-document CSR matrix of term frequencies.

    Scores use the non-negative idf log(1 + (N - df + 0.5) / (df + 0.5)). `scores` takes weighted query
    terms, so translated terms can count less than the question's own words.
    """

    k1: float
    b: float
    terms: tuple[str, ...]  # vocabulary, sorted; row i of the postings is terms[i]
    indptr: np.ndarray  # int64, len(terms) + 1
    doc_ids: np.ndarray  # int32, document of each posting
    tf: np.ndarray  # float32, term frequency of each posting
    doc_len: np.ndarray  # int32, tokens per document
    _ids: dict[str, int] = field(init=False, repr=False)
    _weights: np.ndarray = field(init=False, repr=False)  # BM25 contribution of each posting, float32

    def __post_init__(self) -> None:
        object.__setattr__(self, "_ids", {t: i for i, t in enumerate(self.terms)})
        n = len(self.doc_len)
        df = np.diff(self.indptr).astype(np.float64)
        idf = np.log1p((n - df + 0.5) / (df + 0.5))
        avg = float(self.doc_len.mean()) if n and self.doc_len.sum() else 1.0
        norm = self.k1 * (1.0 - self.b + self.b * self.doc_len.astype(np.float64) / avg)
        tf = self.tf.astype(np.float64)
        per_posting = np.repeat(idf, np.diff(self.indptr)) * tf * (self.k1 + 1.0) / (tf + norm[self.doc_ids])
        object.__setattr__(self, "_weights", per_posting.astype(np.float32))

    def has_term(self, term: str) -> bool:
        """Whether any indexed paragraph contains the token."""
        return term in self._ids

    def document_frequency(self, term: str) -> int:
        """How many indexed paragraphs contain the token."""
        i = self._ids.get(term)
        return 0 if i is None else int(self.indptr[i + 1] - self.indptr[i])

    @property
    def n_docs(self) -> int:
        return len(self.doc_len)

    @property
    def doc_freq(self) -> np.ndarray:
        return np.diff(self.indptr)

    @classmethod
    def build(cls, docs: Sequence[list[str]], k1: float = 1.2, b: float = 0.75) -> BM25Index:
        counts = [Counter(d) for d in docs]
        terms = tuple(sorted({t for c in counts for t in c}))
        ids = {t: i for i, t in enumerate(terms)}
        rows: list[list[tuple[int, int]]] = [[] for _ in terms]
        for d, c in enumerate(counts):
            for t, f in c.items():
                rows[ids[t]].append((d, f))
        indptr = np.zeros(len(terms) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(r) for r in rows])
        flat = [p for r in rows for p in r]
        doc_ids = np.array([d for d, _ in flat], dtype=np.int32)
        tf = np.array([f for _, f in flat], dtype=np.float32)
        doc_len = np.array([len(d) for d in docs], dtype=np.int32)
        return cls(float(k1), float(b), terms, indptr, doc_ids, tf, doc_len)

    def scores(self, query: Sequence[tuple[str, float]]) -> np.ndarray:
        """Sum over query terms of weight x BM25(term, doc); unknown terms add nothing; float32 per doc."""
        out = np.zeros(self.n_docs, dtype=np.float32)
        weights: dict[int, float] = {}
        for term, w in query:
            i = self._ids.get(term)
            if i is not None:
                weights[i] = weights.get(i, 0.0) + float(w)
        for i, w in weights.items():
            s, e = self.indptr[i], self.indptr[i + 1]
            out[self.doc_ids[s:e]] += np.float32(w) * self._weights[s:e]
        return out

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays for `np.savez` (loadable with allow_pickle=False)."""
        width = max((len(t) for t in self.terms), default=1)
        return {
            "params": np.array([self.k1, self.b], dtype=np.float64),
            "terms": np.array(self.terms, dtype=f"<U{width}"),
            "indptr": self.indptr,
            "doc_ids": self.doc_ids,
            "tf": self.tf,
            "doc_len": self.doc_len,
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> BM25Index:
        k1, b = (float(x) for x in arrays["params"])
        return cls(
            k1,
            b,
            tuple(str(t) for t in arrays["terms"]),
            np.asarray(arrays["indptr"], dtype=np.int64),
            np.asarray(arrays["doc_ids"], dtype=np.int32),
            np.asarray(arrays["tf"], dtype=np.float32),
            np.asarray(arrays["doc_len"], dtype=np.int32),
        )


_PROPER_NAME_TAGS = frozenset({"ns", "nr", "nt", "nz", "nrt"})


def proper_names(text: str) -> list[str]:
    """Place, person and organisation names in Chinese text (jieba's part-of-speech tags), two characters or more.

    Used to tell when a question names something the corpus never mentions. jieba's tagger loads on first use.
    """
    import jieba.posseg

    segment_logger = logging.getLogger("jieba")
    segment_logger.setLevel(logging.WARNING)
    with _lock:
        pairs = [(w.word, w.flag) for w in jieba.posseg.cut(_normalise(text))]
    return [w for w, flag in pairs if flag in _PROPER_NAME_TAGS and len(w) >= 2]
