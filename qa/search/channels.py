"""Retrieval channels: plain functions from an analysed question to a ranked list of paragraph ids.

Each channel sees the same `Query`, the store and the filter, and ranks by one kind of evidence; the fusion
combines their ranks (`fusion.fuse`). A new channel is one more function here and one more weight there.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from qa.documents.document import document_id
from qa.parties.citation import voice
from qa.search.query import Query
from qa.store.base import Filter, Ranked, Store
from qa.text.analyzers import token_counts
from qa.text.scripts import LANGUAGES

Channel = Callable[[Query, Store, Filter, int], Ranked]


def dense(query: Query, store: Store, where: Filter, n: int) -> Ranked:
    """Paragraphs by the cosine of their own vector (text with its section heading) to the question."""
    return store.search_paragraphs(query.vector, n, where)


def sentence(query: Query, store: Store, where: Filter, n: int) -> Ranked:
    """Paragraphs by their closest sentence: a long paragraph stays findable by the one sentence that answers."""
    return store.search_sentences(query.vector, n, where)


def lexical(query: Query, store: Store, where: Filter, n: int) -> Ranked:
    """Paragraphs in the question's language by BM25 of its own words."""
    return store.search_lexical(query.terms, n, where.in_languages(frozenset({query.language})))


def crosslingual(query: Query, store: Store, where: Filter, n: int) -> Ranked:
    """Paragraphs in the other language by BM25 of the question's words translated (terminology, CC-CEDICT).

    A ranking of its own, so English and Chinese paragraphs each get their best into the fusion whatever the
    mix of the corpus, and BM25 scores of the two languages are never compared."""
    other = frozenset(LANGUAGES) - {query.language}
    return store.search_lexical(query.cross_terms, n, where.in_languages(other))


def speaker(query: Query, store: Store, where: Filter, n: int) -> Ranked:
    """A question that names parties asks what *they* said: their paragraphs, by closest sentence, a party's
    own texts before those it submitted with others (Russia's paper before the five nuclear-weapon States')."""
    if not query.parties:
        return []
    ranked = store.search_sentences(query.vector, n, where.narrowed(query.speakers))
    own = [any(voice(store.documents[p.doc], p) <= names for names in query.parties)
           for p in store.paragraphs([pid for pid, _ in ranked])]
    return [r for r, mine in zip(ranked, own) if mine] + [r for r, mine in zip(ranked, own) if not mine]


def feedback(query: Query, store: Store, where: Filter, n: int, first: Ranked, docs: int = 5,
             terms: int = 15) -> Ranked:
    """Pseudo-relevance feedback across languages: the words of the best other-language paragraphs of a first
    ranking (found by meaning), searched again in that language.

    A question's own words cannot reach text in the other language, and dictionaries miss paraphrases ("the
    bomb", "the nuclear club"); the paragraphs the dense channels already found carry the words the other
    language actually uses. Same-language questions have their own words and get no feedback.
    """
    other = frozenset(LANGUAGES) - {query.language}
    top = store.paragraphs([pid for pid, _ in first[:50]
                            if store.documents[document_id(pid)].language in other][:docs])
    n_docs = max(store.size, 1)
    weight: dict[str, float] = {}
    for p in top:
        for token, tf in token_counts(p.text):
            df = store.document_frequency(token)
            if df:
                weight[token] = weight.get(token, 0.0) + math.log(1 + n_docs / df) * (1 + math.log(tf))
    chosen = [(t, 1.0) for t, _ in sorted(weight.items(), key=lambda kv: (-kv[1], kv[0]))[:terms]]
    return store.search_lexical(chosen, n, where.in_languages(other)) if chosen else []


CHANNELS: dict[str, Channel] = {"dense": dense, "sentence": sentence, "lexical": lexical,
                                "crosslingual": crosslingual, "speaker": speaker}
WORDS_ONLY = frozenset({"lexical", "crosslingual"})  # channels that never read the question's vector
SECOND_PASS = {"feedback": feedback}  # channels that read the first ranking
