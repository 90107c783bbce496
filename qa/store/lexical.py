"""The lexical index: Okapi BM25 over the tokens `analyzers.tokenize` makes, kept as plain postings arrays.

Postings are a term-by-paragraph CSR matrix (no pickle), saved beside the vectors, so loading needs no
tokenisation and scoring touches only the postings of the query's terms. BM25's constants and formula are
written here once (`K1`, `B`, `idf`, `length_norm`, `impact`, `tf_weight`) and every store scores with them: the
in-memory `BM25Index`, the FAISS store's memory-mapped segments (`bm25_top`) and Milvus's sparse vectors.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

K1, B = 1.2, 0.75  # Okapi BM25's term-frequency saturation and length normalisation


def idf(n: Any, df: Any) -> Any:
    """The non-negative idf log(1 + (N - df + 0.5) / (df + 0.5)), of numbers or of arrays."""
    return np.log1p((n - df + 0.5) / (df + 0.5))


def length_norm(doc_len: Any, avg_len: float, k1: float = K1, b: float = B) -> Any:
    """k1 (1 - b + b dl / avgdl): the document-length part of BM25's denominator."""
    return k1 * (1.0 - b + b * doc_len / avg_len)


def impact(tf: Any, norm: Any, k1: float = K1) -> Any:
    """tf (k1 + 1) / (tf + norm): BM25's term-frequency part, what a posting adds before its term's idf and weight
    (so a store can keep it per posting, see `Impacts`)."""
    return tf * (k1 + 1.0) / (tf + norm)


def tf_weight(scale: Any, tf: Any, norm: Any, k1: float = K1) -> Any:
    """scale · impact: BM25's term-frequency part, times the idf and query weight in `scale` (1.0 for Milvus's
    document side, whose idf goes on the query side)."""
    return scale * impact(tf, norm, k1)


def postings(docs: Sequence[list[str]]) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Term-by-document CSR of term frequencies: sorted terms, indptr (int64), the document of each posting
    (int32), its term frequency (float32), and the tokens per document (int32)."""
    counts = [Counter(d) for d in docs]
    terms = sorted({t for c in counts for t in c})
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
    return terms, indptr, doc_ids, tf, doc_len


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
        avg = float(self.doc_len.mean()) if n and self.doc_len.sum() else 1.0
        norm = length_norm(self.doc_len.astype(np.float64), avg, self.k1, self.b)
        tf = self.tf.astype(np.float64)
        per_posting = tf_weight(np.repeat(idf(n, df), np.diff(self.indptr)), tf, norm[self.doc_ids], self.k1)
        object.__setattr__(self, "_weights", per_posting.astype(np.float32))

    def has_term(self, term: str) -> bool:
        """Whether any indexed paragraph contains the token."""
        return term in self._ids

    def postings(self, term: str) -> np.ndarray:
        """Sorted rows of the paragraphs that contain the token (empty when none does)."""
        i = self._ids.get(term)
        return self.doc_ids[self.indptr[i]:self.indptr[i + 1]] if i is not None else self.doc_ids[:0]

    def count_matching(self, terms: Sequence[str]) -> int:
        """How many paragraphs contain every one of the tokens."""
        rows: np.ndarray | None = None
        for t in sorted(set(terms), key=self.document_frequency):
            found = self.postings(t)
            rows = found if rows is None else np.intersect1d(rows, found, assume_unique=True)
            if not len(rows):
                return 0
        return 0 if rows is None else len(rows)

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
    def build(cls, docs: Sequence[list[str]], k1: float = K1, b: float = B) -> BM25Index:
        terms, indptr, doc_ids, tf, doc_len = postings(docs)
        return cls(float(k1), float(b), tuple(terms), indptr, doc_ids, tf, doc_len)

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


# --- BM25 over memory-mapped postings (the FAISS store's segments) --------------------------------------------


def _term_slice(arrays: Mapping[str, np.ndarray], term: str) -> tuple[int, int] | None:
    terms = arrays["terms"]
    i = int(np.searchsorted(terms, term))
    if i >= len(terms) or terms[i] != term:
        return None
    return int(arrays["indptr"][i]), int(arrays["indptr"][i + 1])


def posting_count(arrays: Mapping[str, np.ndarray], term: str) -> int:
    """How many rows hold the term (tombstoned rows included)."""
    found = _term_slice(arrays, term)
    return found[1] - found[0] if found else 0


def matching_rows(arrays: Mapping[str, np.ndarray], terms: Sequence[str]) -> np.ndarray | None:
    """Rows holding every one of the terms (None when one of them occurs in no row at all)."""
    rows: np.ndarray | None = None
    for term in sorted(set(terms)):
        found = _term_slice(arrays, term)
        if found is None:
            return None
        posted = np.asarray(arrays["post_row"][found[0]:found[1]])
        rows = posted if rows is None else np.intersect1d(rows, posted, assume_unique=True)
    return rows


KEPT = 32_000_000  # postings whose impacts a segment keeps computed (8 bytes each; a million paragraphs hold 36M)


class Impacts:
    """Each posting's `impact`, computed for a term's postings when a question first reads them, and kept: a
    store's postings and average length never change, so the common terms that most questions read cost one
    multiplication instead of five passes and a gather (bm25s's eager scoring, kept lazily: a million paragraphs,
    the dev questions' 547 BM25 searches, 10.3-11.5 -> 7.4 ms each). Safe across threads: two that compute the
    same term keep either result."""

    def __init__(self, arrays: Mapping[str, np.ndarray], avg_len: float, kept: int | None = None) -> None:
        self.arrays = arrays
        self.norms = np.asarray(length_norm(np.asarray(arrays["doc_len"]), max(avg_len, 1e-9)), dtype=np.float64)
        self._kept: dict[int, np.ndarray] = {}
        self._room = KEPT if kept is None else kept

    def of(self, lo: int, hi: int) -> np.ndarray:
        """The impacts of postings lo:hi (one term's)."""
        found = self._kept.get(lo)
        if found is None:
            tf = np.asarray(self.arrays["post_tf"][lo:hi], dtype=np.float64)
            found = np.asarray(impact(tf, self.norms[self.arrays["post_row"][lo:hi]]), dtype=np.float64)
            if len(found) <= self._room:
                self._kept[lo] = found
                self._room -= len(found)
        return found


def bm25_top(arrays: Mapping[str, np.ndarray], query: Sequence[tuple[str, float]], idfs: Mapping[str, float],
             avg_len: float, k: int, mask: np.ndarray, impacts: Impacts | None = None) -> list[tuple[int, float]]:
    """The `k` best rows by weighted BM25, reading only the postings of the query's terms.

    MaxScore (Turtle and Flood, 1995) was tried here, exactly (the same rows and scores): at a million paragraphs it
    left half the postings of the dev questions' searches unread and still took 10.1 ms a search against 7.6 for
    this pass over kept impacts, as no term adds much less than (k1 + 1) x weight x idf to its best row (0.84 of
    it for the 30 commonest terms). bm25s scores every posting of the query's terms too (eager sparse scoring).

    `idfs` and `avg_len` are the whole index's (every segment's), so scores compare across segments. `impacts`:
    the segment's, which a store keeps (a new one computes everything again).
    """
    impacts = Impacts(arrays, avg_len, kept=0) if impacts is None else impacts
    admitted = int(np.count_nonzero(mask))
    if not admitted:  # e.g. the other language's channel over a corpus in one language
        return []
    entries: list[tuple[int, int, float]] = []  # each term's postings, and its weight x idf
    for term, weight in query:
        found = _term_slice(arrays, term)
        if found is not None and idfs.get(term):
            entries.append((found[0], found[1], weight * idfs[term]))
    if not entries:
        return []
    # a filter keeping few rows: the others' postings are dropped before scoring
    narrow = Admitted(mask, np.flatnonzero(mask).astype(arrays["post_row"].dtype)) if admitted * 4 < len(mask) else None
    rows, contributions = [], []
    for lo, hi, scale in entries:
        posted, shares = _postings(impacts, lo, hi, narrow)
        rows.append(posted)
        contributions.append(shares * scale)
    posted, weights = np.concatenate(rows), np.concatenate(contributions)
    if len(posted) * 16 >= len(mask):  # common terms: one pass over a row-sized array beats sorting the postings
        every = np.bincount(posted, weights=weights, minlength=len(mask))
        unique = np.flatnonzero((every > 0) & mask)
        scores = every[unique]
    else:
        unique, inverse = np.unique(posted, return_inverse=True)
        scores = np.bincount(inverse, weights=weights)
        keep = mask[unique] & (scores > 0)
        unique, scores = unique[keep], scores[keep]
    return [(int(unique[i]), float(scores[i])) for i in top_k(scores, unique, k)]


@dataclass(frozen=True)
class Admitted:
    """A filter that keeps few rows: as a mask over every row, and as the rows themselves (ascending)."""

    mask: np.ndarray
    rows: np.ndarray  # of the postings' dtype: searchsorted would otherwise cast a whole posting list per call


def _postings(impacts: Impacts, lo: int, hi: int, only: Admitted | None) -> tuple[np.ndarray, np.ndarray]:
    """One term's rows (ascending) and their impacts; only of the `only` rows if given, found by binary search
    when they are far fewer than the postings (a party's paragraphs among a million), else through the mask."""
    post_row = impacts.arrays["post_row"]
    if only is not None and len(only.rows) * 8 < hi - lo:
        at = np.searchsorted(post_row[lo:hi], only.rows)
        inside = at < hi - lo
        hit = np.zeros(len(only.rows), dtype=bool)
        hit[inside] = post_row[lo + at[inside]] == only.rows[inside]
        return only.rows[hit], impacts.of(lo, hi)[at[hit]]
    posted, shares = np.asarray(post_row[lo:hi]), impacts.of(lo, hi)
    if only is not None:
        kept = only.mask[posted]
        posted, shares = posted[kept], shares[kept]
    return posted, shares


def top_k(scores: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """Positions of the `k` best scores, ties by row: the order of a full stable sort, at the cost of a partition."""
    if len(scores) > k:
        kth = scores[np.argpartition(-scores, k - 1)[k - 1]]
        chosen = np.flatnonzero(scores >= kth)  # with every tie of the k-th score, so the cut below is exact
    else:
        chosen = np.arange(len(scores))
    return chosen[np.lexsort((rows[chosen], -scores[chosen]))][:k]
