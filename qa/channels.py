"""Retrieval channels: plain functions from an analysed question to a ranked list of paragraph ids.

Each channel sees the same `Query`, the store and the filter, and ranks by one kind of evidence; the fusion
combines their ranks (`fusion.fuse`). A new channel is one more function here and one more weight there.
"""

from __future__ import annotations

from collections.abc import Callable

from .query import Query
from .store import Filter, Ranked, Store

Channel = Callable[[Query, Store, Filter, int], Ranked]


def dense(query: Query, store: Store, where: Filter, n: int) -> Ranked:
    """Paragraphs by the cosine of their own vector (text with its section heading) to the question."""
    return store.search_paragraphs(query.vector, n, where)


def sentence(query: Query, store: Store, where: Filter, n: int) -> Ranked:
    """Paragraphs by their closest sentence: a long paragraph stays findable by the one sentence that answers."""
    return store.search_sentences(query.vector, n, where)


def lexical(query: Query, store: Store, where: Filter, n: int) -> Ranked:
    """Paragraphs by BM25 of the question's weighted terms (its own words and their translations)."""
    return store.search_lexical(query.terms, n, where)


def speaker(query: Query, store: Store, where: Filter, n: int) -> Ranked:
    """A question that names parties asks what *they* said: their paragraphs, by closest sentence."""
    if not query.parties:
        return []
    return store.search_sentences(query.vector, n, where.narrowed(query.speakers))


CHANNELS: dict[str, Channel] = {"dense": dense, "sentence": sentence, "lexical": lexical, "speaker": speaker}
