"""A synthetic corpus of any size made from the real paragraphs of ../shared, for bench/scale.py.

Repeating each real paragraph N/m times with a little noise (what this bench did first) makes clusters of
near-identical copies: an IVF cell lines up with each cluster and a question's exact top 10 are ten copies of
one paragraph, which flatters ANN recall. Here every synthetic paragraph is a recombination instead:

- it follows a real paragraph (its base) of a real document, but half of its sentences come from one of the
  base's 20 nearest paragraphs in the same language, so its words (and the postings) are a new mix;
- each sentence vector is a blend of its sentence's real vector and the vector of a sentence of a nearby
  paragraph, (1 - g) s + g s', with g uniform in [0.3, 0.7], plus noise shaped like the data (random
  combinations of real vectors minus their mean): a copy is a paraphrase, far more than a re-encoding;
- the paragraph vector blends its base with a nearby paragraph the same way, moves with its sentences' changes
  (each weighted by its share of the text) and gets the same shaped noise.

`copies_in_top` checks the result: how many of a question's exact top 10 share one source. Nothing here loads
the model; the vectors are those the real model gave the real texts.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.documents.document import Document
from qa.documents.paragraph import Paragraph

NEIGHBOURS = 20  # nearby paragraphs (same language) a synthetic paragraph borrows sentences and direction from
REPLACE = 0.5  # share of a paragraph's sentences taken from a nearby paragraph instead of its base
BLEND = (0.3, 0.7)  # weight of the nearby vector in each blend, uniform in this range
SENTENCE_NOISE = 0.3  # shaped noise, relative to the spread of real sentence vectors about their mean
PARAGRAPH_NOISE = 0.2
CHUNK = 250_000  # rows generated at a time (bounds the temporary arrays)


@dataclass(frozen=True)
class Pool:
    """The real paragraphs the synthetic corpus is made of, with their vectors, sentences and tokens."""

    paragraphs: list[Paragraph]  # searchable paragraphs of every source index, in reading order
    documents: list[tuple[Document, np.ndarray]]  # each source document and its rows in `paragraphs`
    language: np.ndarray  # str [m]: the language of each row's document
    vectors: np.ndarray  # float32 [m, dim]
    sentences: np.ndarray  # float32 [S, dim]
    sentence_row: np.ndarray  # int64 [S], sorted
    sentence_text: list[str]
    sentence_tokens: list[list[str]]  # lexical tokens of each sentence (as `index.lexical_tokens` makes them)
    background: np.ndarray
    manifest: dict[str, Any]

    @property
    def starts(self) -> np.ndarray:
        """First sentence of each row, and one past the last sentence."""
        return np.searchsorted(self.sentence_row, np.arange(len(self.paragraphs) + 1))


def load_pool(index_dirs: list[Path]) -> Pool:
    """The searchable paragraphs of the (FAISS) indexes in `index_dirs`, each read whole."""
    from qa.store.faiss.store import load
    from qa.text.analyzers import tokenize
    from qa.text.terminology import CONCEPT, concepts_in

    paragraphs: list[Paragraph] = []
    documents: list[tuple[Document, np.ndarray]] = []
    language: list[str] = []
    vectors, sentences, sentence_row, texts = [], [], [], []
    store: Any = None
    for index_dir in index_dirs:
        store = load(index_dir)
        for seg in store._segments:  # the bench reads a store's arrays whole, which serving never does
            a, first = seg.arrays, len(paragraphs)
            rows = [seg.row_paragraph(r) for r in range(seg.size)]
            row_doc = np.asarray(a["row_doc"])
            for di, doc_id in enumerate(seg.docs):
                documents.append((store.documents[doc_id], first + np.flatnonzero(row_doc == di)))
            language += [store.documents[p.doc].language for p in rows]
            paragraphs += rows
            vectors.append(np.asarray(a["vectors"], dtype=np.float32))
            sentences.append(np.asarray(a["sentences"], dtype=np.float32))
            sentence_row.append(np.asarray(a["sentence_row"], dtype=np.int64) + first)
            texts += [rows[int(r)].text[int(s):int(e)] for r, (s, e) in zip(a["sentence_row"], a["sentence_span"])]
    tokens = [tokenize(t) + [CONCEPT + c for c in concepts_in(t)] for t in texts]
    return Pool(paragraphs, documents, np.asarray(language), np.concatenate(vectors), np.concatenate(sentences),
                np.concatenate(sentence_row), texts, tokens, store.background, store.manifest)


def neighbours(vectors: np.ndarray, language: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray:
    """int [m, k]: each row's `k` nearest other rows in the same language (by cosine)."""
    out = np.zeros((len(vectors), k), dtype=np.int64)
    for lo in range(0, len(vectors), 2048):
        sims = vectors[lo:lo + 2048] @ vectors.T
        sims[language[lo:lo + 2048, None] != language[None, :]] = -np.inf
        sims[np.arange(len(sims)), np.arange(lo, lo + len(sims))] = -np.inf
        out[lo:lo + 2048] = np.argpartition(-sims, k, axis=1)[:, :k]
    return out


@dataclass(frozen=True)
class Synthetic:
    """A synthetic corpus as a store commits it, and where each of its rows and sentences came from."""

    paragraphs: tuple[Paragraph, ...]
    documents: tuple[Document, ...]
    vectors: np.ndarray  # float32 [n, dim]
    sentences: np.ndarray  # float32 [S, dim]
    sentence_row: np.ndarray  # int32 [S]
    sentence_span: np.ndarray  # int32 [S, 2]
    tokens: list[list[str]]
    base: np.ndarray  # int [n]: the pool row each paragraph follows
    sentence_source: np.ndarray  # int [S]: the pool sentence whose text each sentence has


def plan_rows(pool: Pool, n: int, rng: np.random.Generator) -> tuple[list[tuple[Document, np.ndarray]], np.ndarray]:
    """Real documents in random order, again and again, until `n` rows: each synthetic document follows one."""
    docs: list[tuple[Document, np.ndarray]] = []
    total = 0
    while total < n:
        for i in rng.permutation(len(pool.documents)):
            doc, rows = pool.documents[i]
            rows = rows[: n - total]
            if len(rows):
                docs.append((doc, rows))
                total += len(rows)
            if total >= n:
                break
    return docs, np.concatenate([rows for _, rows in docs])


def synthesize(pool: Pool, n: int, rng: np.random.Generator, near: np.ndarray | None = None) -> Synthetic:
    """`n` synthetic paragraphs (see the module's docstring); `near` is `neighbours(...)` of the pool."""
    near = neighbours(pool.vectors, pool.language) if near is None else near
    docs, base = plan_rows(pool, n, rng)
    starts = pool.starts
    count = np.diff(starts)[base]
    row = np.repeat(np.arange(n), count)  # the synthetic row of each synthetic sentence
    own = np.repeat(starts[base], count) + np.arange(len(row)) - np.repeat(np.cumsum(count) - count, count)

    def nearby_sentence(rows: np.ndarray) -> np.ndarray:
        pick = near[base[rows], rng.integers(0, near.shape[1], len(rows))]
        first, size = starts[pick], starts[pick + 1] - starts[pick]
        return first + (rng.random(len(rows)) * size).astype(np.int64)

    source = own.copy()
    swapped = rng.random(len(own)) < REPLACE
    source[swapped] = nearby_sentence(row[swapped])
    length = np.asarray([len(t) for t in pool.sentence_text], dtype=np.float32)
    weight = length[own] / np.maximum(np.bincount(row, weights=length[own], minlength=n)[row], 1.0)
    sentences = np.empty((len(source), pool.vectors.shape[1]), dtype=np.float32)
    shift = np.zeros((n, pool.vectors.shape[1]), dtype=np.float32)  # what the sentences' changes move the paragraph
    for lo in range(0, len(source), CHUNK):
        part = slice(lo, lo + CHUNK)
        g = rng.uniform(*BLEND, (len(source[part]), 1)).astype(np.float32)
        v = (1 - g) * pool.sentences[source[part]] + g * pool.sentences[nearby_sentence(row[part])]
        v += SENTENCE_NOISE * shaped_noise(pool.sentences, len(v), rng)
        sentences[part] = v / np.linalg.norm(v, axis=1, keepdims=True)
        rows, at = np.unique(row[part], return_index=True)  # `row` is sorted: one reduceat per chunk
        shift[rows] += np.add.reduceat(weight[part, None] * (sentences[part] - pool.sentences[own[part]]), at)
    vectors = np.empty((n, pool.vectors.shape[1]), dtype=np.float32)
    for lo in range(0, n, CHUNK):
        part = slice(lo, lo + CHUNK)
        g = rng.uniform(*BLEND, (len(base[part]), 1)).astype(np.float32)
        other = near[base[part], rng.integers(0, near.shape[1], len(base[part]))]
        v = (1 - g) * pool.vectors[base[part]] + g * pool.vectors[other] + shift[part]
        v += PARAGRAPH_NOISE * shaped_noise(pool.vectors, len(v), rng)
        vectors[part] = v / np.linalg.norm(v, axis=1, keepdims=True)
    paragraphs, documents, spans, tokens = _texts(pool, docs, source, np.searchsorted(row, np.arange(n + 1)))
    return Synthetic(tuple(paragraphs), tuple(documents), vectors, sentences, row.astype(np.int32), spans, tokens,
                     base, source)


def shaped_noise(pool: np.ndarray, n: int, rng: np.random.Generator, terms: int = 8) -> np.ndarray:
    """`n` random vectors in the data's own subspace: sums of `terms` centred pool vectors with Gaussian weights,
    scaled so their spread matches the pool's (isotropic noise would point where no real text lies)."""
    mean = pool.mean(axis=0)
    out = np.zeros((n, pool.shape[1]), dtype=np.float32)
    for _ in range(terms):
        out += rng.normal(0, 1, (n, 1)).astype(np.float32) * (pool[rng.integers(0, len(pool), n)] - mean)
    return out / np.sqrt(terms)


def _texts(pool: Pool, docs: list[tuple[Document, np.ndarray]], source: np.ndarray, first: np.ndarray
           ) -> tuple[list[Paragraph], list[Document], np.ndarray, list[list[str]]]:
    """Each synthetic paragraph's record, text (its sentences' texts joined), sentence spans and tokens."""
    paragraphs, documents, tokens = [], [], []
    spans = np.zeros((len(source), 2), dtype=np.int32)
    i = 0
    for d, (doc, rows) in enumerate(docs):
        doc_id = f"s{d:07d}"
        documents.append(dataclasses.replace(doc, id=doc_id, file=f"{doc_id}.txt", source="", sha256=""))
        gap = "" if doc.language == "zh" else " "
        for j, b in enumerate(rows):
            parts, at, words = [], 0, []
            for s in range(int(first[i]), int(first[i + 1])):
                text = pool.sentence_text[int(source[s])]
                spans[s] = (at, at + len(text))
                parts.append(text)
                at += len(text) + len(gap)
                words += pool.sentence_tokens[int(source[s])]
            paragraphs.append(dataclasses.replace(pool.paragraphs[int(b)], id=f"{doc_id}:{j + 1}", doc=doc_id,
                                                  label=str(j + 1), text=gap.join(parts), position=j, numbered=False,
                                                  ordinal=j + 1, line=0, page=0))
            tokens.append(words)
            i += 1
    return paragraphs, documents, spans, tokens


def copies_in_top(exact_top: np.ndarray, source: np.ndarray) -> dict[str, float]:
    """How far a question's exact top 10 are copies of one source: per question, the most items of the list that
    share a source (`source[i]` of item i); their mean, 90th percentile, and the share of questions where one
    source holds half the list or more."""
    most = np.asarray([np.unique(source[top], return_counts=True)[1].max() for top in exact_top])
    return {"mean": round(float(most.mean()), 2), "p90": float(np.percentile(most, 90)),
            "half_or_more": round(float(np.mean(most >= exact_top.shape[1] / 2)), 3)}
