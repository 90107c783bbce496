"""Which rows and sentences of each segment a filter admits, as masks kept for the last filters asked.

A filter is decided per document (ids, languages, dates, submitters) from arrays built once per segment, then
spread over the rows; a question naming a party costs a few vector operations, not a loop over every document.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from qa.documents.document import Document
from qa.store.base import Filter
from qa.store.faiss.segments import OpenSegment, sentences_of

T = TypeVar("T")


def _kept(cache: dict[Filter, T], where: Filter, limit: int, make: Callable[[], T]) -> T:
    """`cache[where]`, made on first use; the oldest filters are forgotten beyond `limit`."""
    found = cache.get(where)
    if found is None:
        found = cache[where] = make()
        while len(cache) > limit:
            cache.pop(next(iter(cache)), None)
    return found


class Masks:
    """Per segment, the rows (and sentences) a `Filter` admits among the live ones."""

    def __init__(self, segments: Sequence[OpenSegment], live: list[np.ndarray], whole: list[bool],
                 documents: dict[str, Document]) -> None:
        self._segments = segments
        self._live = live
        self._whole = whole
        self.documents = documents
        self._mask_cache: dict[Filter, list[np.ndarray]] = {}
        self._sentence_mask_cache: dict[Filter, list[np.ndarray | None]] = {}
        self._doc_tables: dict[int, dict[str, Any]] = {}

    def rows(self, where: Filter) -> list[np.ndarray]:
        """Per segment, the rows `where` admits among the live ones (the last few filters' masks are kept)."""
        if where.is_empty():
            return self._live
        return _kept(self._mask_cache, where, 64, lambda: self._compute_masks(where))

    def sentences(self, where: Filter) -> list[np.ndarray | None]:
        """Per segment, the sentences of the rows `where` admits: None for every one (no filter, no tombstone),
        their ids when they are few in an approximate segment (searched exactly, sparing a pass over millions of
        sentences), else a mask over the sentences."""
        if where.is_empty() and all(self._whole):
            return [None] * len(self._segments)
        return _kept(self._sentence_mask_cache, where, 16, lambda: [
            None if where.is_empty() and whole else sentences_of(s, mask)
            for s, mask, whole in zip(self._segments, self.rows(where), self._whole)])

    def _compute_masks(self, where: Filter) -> list[np.ndarray]:
        out = []
        for si, (s, live) in enumerate(zip(self._segments, self._live)):
            if not s.size:
                out.append(live)
                continue
            ok = self._documents_admitted(si, where)
            rows = (ok if where.speakers is None else ok & self._spoken_by(si, where.speakers))[s.arrays["row_doc"]]
            if where.speakers is not None:
                by_author = np.asarray([a in where.speakers for a in s.meta["authors"]], dtype=bool)
                if by_author.any():  # a paragraph another body wrote, in a document of the segment
                    rows |= ok[s.arrays["row_doc"]] & by_author[s.arrays["row_author"]]
            out.append(live & rows)
        return out

    def _documents_admitted(self, si: int, where: Filter) -> np.ndarray:
        """Over segment `si`'s documents, those `where.admits_document` admits (a loop only for dates)."""
        table = self._doc_table(si)
        ok = table["present"].copy()
        if where.docs is not None:
            ok &= np.isin(table["ids"], sorted(where.docs))
        if where.languages is not None:
            ok &= np.isin(table["languages"], sorted(where.languages))
        if where.date_from or where.date_to:
            docs = [self.documents.get(d) for d in self._segments[si].docs]
            ok &= np.asarray([d is not None and where.admits_document(d) for d in docs], dtype=bool)
        return ok

    def _spoken_by(self, si: int, speakers: frozenset[str]) -> np.ndarray:
        """Over segment `si`'s documents, those a party of `speakers` submitted."""
        table = self._doc_table(si)
        out = np.zeros(len(table["ids"]), dtype=bool)
        for name in speakers:
            out[table["by_submitter"].get(name, [])] = True
        return out

    def _doc_table(self, si: int) -> dict[str, Any]:
        """Segment `si`'s documents as arrays (presence, ids, languages) and submitter -> document indices:
        built once, so a filter costs a few vector operations, not a loop over every document."""
        table = self._doc_tables.get(si)
        if table is None:
            docs = [self.documents.get(d) for d in self._segments[si].docs]
            by_submitter: dict[str, list[int]] = {}
            for i, d in enumerate(docs):
                for name in (d.submitted_by if d is not None else ()):
                    by_submitter.setdefault(name, []).append(i)
            table = self._doc_tables[si] = {
                "present": np.asarray([d is not None for d in docs], dtype=bool),
                "ids": np.asarray(self._segments[si].docs, dtype=str),
                "languages": np.asarray([d.language if d is not None else "" for d in docs], dtype=str),
                "by_submitter": {k: np.asarray(v, dtype=np.int64) for k, v in by_submitter.items()},
            }
        return table
