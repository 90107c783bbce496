"""The store: what the search needs from wherever paragraphs, vectors and postings live.

`Store` is the one interface between the ranking and an engine (FAISS and numpy on one machine; Milvus on a
cluster). Results name paragraphs by id, never by a position another component must share; filters are a
`Filter` record each store turns into its own predicate. `Build` is what the indexer hands a store to write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .document import Document
from .paragraph import Paragraph

Ranked = list[tuple[str, float]]  # (paragraph id, score), best first


@dataclass(frozen=True)
class Filter:
    """Which paragraphs a search may return; `None` / '' means no restriction on that field.

    `speakers` matches a paragraph whose submitters or own author (see `citation.paragraph_author`) include
    one of the names, so the text a state transmitted for another body is not that state's.
    """

    docs: frozenset[str] | None = None
    speakers: frozenset[str] | None = None
    date_from: str = ""
    date_to: str = ""
    languages: frozenset[str] | None = None  # documents written in these languages

    def is_empty(self) -> bool:
        return (self.docs is None and self.speakers is None and not self.date_from and not self.date_to
                and self.languages is None)

    def admits_document(self, d: Document) -> bool:
        """The document-level part of the predicate (ids and dates); `speakers` is decided per paragraph."""
        if self.docs is not None and d.id not in self.docs:
            return False
        if self.languages is not None and d.language not in self.languages:
            return False
        if self.date_from and (d.date or "")[: len(self.date_from)] < self.date_from:
            return False
        return not (self.date_to and (d.date or "9999")[: len(self.date_to)] > self.date_to)

    def narrowed(self, speakers: frozenset[str]) -> Filter:
        """This filter, further restricted to paragraphs of `speakers`."""
        kept = speakers if self.speakers is None else self.speakers & speakers
        return replace(self, speakers=kept)

    def in_languages(self, languages: frozenset[str]) -> Filter:
        """This filter, further restricted to documents in `languages`."""
        kept = languages if self.languages is None else self.languages & languages
        return replace(self, languages=kept)


ALL = Filter()


@dataclass(frozen=True)
class Sentences:
    """Every sentence of every indexed paragraph: its vector, its paragraph row and its span in the text.

    They serve a second dense channel (a paragraph is as close as its closest sentence, which keeps a long
    paragraph findable by one sentence) and mark the answering sentence without encoding at query time.
    """

    vectors: np.ndarray  # float32 [S, dim], L2-normalised
    row: np.ndarray  # int32 [S], paragraph row
    start: np.ndarray  # int32 [S]
    end: np.ndarray  # int32 [S]

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"vectors": self.vectors, "row": self.row, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class Build:
    """Everything a store writes: the searchable paragraphs in row order with their vectors and tokens."""

    manifest: dict[str, Any]  # model identity, formats, fingerprints, counts (filled by `index.build_index`)
    documents: tuple[Document, ...]
    paragraphs: tuple[Paragraph, ...]
    vectors: np.ndarray  # float32 [P, dim]
    sentences: Sentences
    tokens: Sequence[list[str]]  # lexical tokens of each paragraph
    background: np.ndarray  # float32 [B, dim]: everyday text, for the "not covered" policy


class Store(Protocol):
    """A loaded, verified index. Safe to query from many threads at once."""

    path: Path
    manifest: dict[str, Any]
    documents: dict[str, Document]
    background: np.ndarray  # everyday text embedded as passages (`Build.background`)

    @property
    def size(self) -> int:
        """Number of searchable paragraphs."""
        ...

    def paragraphs(self, ids: Sequence[str]) -> list[Paragraph]:
        """The paragraphs with these ids, in that order (KeyError for an unknown id)."""
        ...

    def searchable(self, doc_id: str) -> tuple[Paragraph, ...]:
        """A document's indexed paragraphs in reading order."""
        ...

    def search_paragraphs(self, vector: np.ndarray, k: int, where: Filter = ALL) -> Ranked:
        """Paragraphs by cosine of their own vector to `vector`."""
        ...

    def search_sentences(self, vector: np.ndarray, k: int, where: Filter = ALL) -> Ranked:
        """Paragraphs by the cosine of their closest sentence to `vector`, each paragraph once."""
        ...

    def search_lexical(self, terms: Sequence[tuple[str, float]], k: int, where: Filter = ALL) -> Ranked:
        """Paragraphs by BM25 of the weighted terms; paragraphs matching no term are left out."""
        ...

    def sentence_scores(self, paragraph_id: str, vector: np.ndarray) -> list[tuple[int, int, float]]:
        """(start, end, cosine to `vector`) of each sentence of a paragraph, in text order."""
        ...

    def paragraph_scores(self, ids: Sequence[str], vector: np.ndarray) -> list[float]:
        """Cosine of each paragraph's own vector to `vector`."""
        ...

    def document_frequency(self, term: str) -> int:
        """How many indexed paragraphs contain the lexical token."""
        ...

    def count_matching(self, terms: Sequence[str]) -> int:
        """How many indexed paragraphs contain every one of the lexical tokens."""
        ...

    def similarity_stats(self, vector: np.ndarray) -> tuple[float, float, float]:
        """(max, mean, std) of the paragraph cosines to `vector`: how far the best stands out."""
        ...
