"""The store: what the search needs from wherever paragraphs, vectors and postings live.

`Store` is the one interface between the ranking and an engine (FAISS and numpy on one machine; Milvus on a
cluster). Results name paragraphs by id, never by a position another component must share; filters are a
`Filter` record each store turns into its own predicate. `Change` is what the indexer hands a store to commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from qa.documents.document import Document
from qa.documents.paragraph import Paragraph

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
class Segment:
    """The paragraphs of some documents as a store holds them: all of them in reading order (headings and
    boilerplate too, for reading a document whole), and for the searchable ones, in the same order, their
    vectors, sentences and lexical tokens."""

    paragraphs: tuple[Paragraph, ...]
    vectors: np.ndarray  # float32 [S, dim]: one per searchable paragraph, in order
    sentences: Sentences  # `row` counts searchable paragraphs of this segment, from 0
    tokens: Sequence[list[str]]  # lexical tokens of each searchable paragraph
    keys: Sequence[str] = ()  # embed key of each vector (`index.embed_key`), so a later build can reuse it
    sentence_keys: Sequence[str] = ()

    @property
    def searchable(self) -> tuple[Paragraph, ...]:
        return tuple(p for p in self.paragraphs if p.searchable)


@dataclass(frozen=True)
class Change:
    """What one `qa index` commits, atomically: readers see the index before it or after it, never between.

    `documents` is the whole document table afterwards (metadata may change without re-embedding);
    `added` holds the paragraphs of new or changed documents; `removed` the ids of documents whose
    paragraphs leave the index (deleted, or replaced by a new version in `added`). With `rebuild`, the
    store first drops everything it held (a new model, analyzer or format).
    """

    manifest: dict[str, Any]  # model identity, formats, fingerprints, counts (filled by `index.build_index`)
    documents: tuple[Document, ...]
    added: Segment
    removed: frozenset[str]
    background: np.ndarray  # float32 [B, dim]: everyday text, for the "not covered" policy
    rebuild: bool = False


class Store(Protocol):
    """A loaded, verified index. Safe to query from many threads at once."""

    path: Path
    manifest: dict[str, Any]
    documents: dict[str, Document]
    background: np.ndarray  # everyday text embedded as passages (`Change.background`)

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

    def document_paragraphs(self, doc_id: str) -> tuple[Paragraph, ...]:
        """Every paragraph of a document in reading order, headings and boilerplate included."""
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


class Backend(Protocol):
    """What a store module offers the indexer: open a committed index, commit a change, salvage vectors.

    `index_dir` is the local folder every backend keeps (writer lock, and for FAISS the index itself);
    `location` is where a remote engine keeps its part ('' for FAISS, a Milvus URI or .db path).
    """

    def load(self, index_dir: Path, location: str) -> Store: ...

    def commit(self, index_dir: Path, location: str, change: Change) -> None: ...

    def salvage_vectors(self, index_dir: Path, location: str, identity: dict[str, Any]) -> dict[str, np.ndarray]: ...
