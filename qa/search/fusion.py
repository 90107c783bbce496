"""Rank fusion: combine ranked lists from retrieval channels whose raw scores are not comparable.

The ranking configuration is data (`Ranking`): which channels run and with what weight, so evaluation and
ablations switch a channel off by leaving it out, and nothing else changes.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

T = TypeVar("T", bound=Hashable)

DEFAULT_WEIGHTS = (("dense", 0.5), ("sentence", 1.0), ("lexical", 1.0), ("crosslingual", 1.0), ("speaker", 1.0),
                   ("feedback", 1.0))


@dataclass(frozen=True)
class Ranking:
    """Tunable parts of the ranking, kept together so evaluation and ablations can vary them."""

    weights: tuple[tuple[str, float], ...] = DEFAULT_WEIGHTS  # channel name -> weight, in fusion order
    rrf_k: float = 10.0  # smaller trusts the top ranks of each channel more
    candidates: int = 100  # taken from each channel before fusion
    translate: bool = True  # English questions also search with their Chinese terms (and back)
    interleave_named: bool = True  # "what do A and B each say": the named parties' passages take turns
    judge: bool = True  # the relevance judgement re-orders the head and decides "not covered" (`relevance`)

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(name for name, w in self.weights if w > 0)

    def only(self, channels: Sequence[str]) -> Ranking:
        """The same ranking with just these channels (an ablation); unknown names are a ValueError."""
        known = dict(self.weights)
        unknown = [c for c in channels if c not in known]
        if unknown:
            raise ValueError(f"unknown channel(s) {', '.join(unknown)}; known: {', '.join(known)}")
        return replace(self, weights=tuple((c, w) for c, w in self.weights if c in channels))


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[T]], k: float = 60.0, weights: Sequence[float] | None = None
) -> list[tuple[T, float]]:
    """Fuse ranked lists of ids: score(d) = sum over lists of w / (k + rank), rank counted from 1.

    Raw BM25 scores and cosines live on different scales, so only ranks are combined. A smaller `k`
    trusts each channel's top ranks more. Ties break by first appearance, so the result is deterministic.
    """
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[T, float] = {}
    order: dict[T, int] = {}
    for ranking, w in zip(rankings, weights):
        for rank, doc in enumerate(ranking, start=1):
            scores[doc] = scores.get(doc, 0.0) + w / (k + rank)
            order.setdefault(doc, len(order))
    return sorted(scores.items(), key=lambda item: (-item[1], order[item[0]]))


def fuse(lists: Mapping[str, Sequence[tuple[T, float]]], ranking: Ranking) -> list[tuple[T, float]]:
    """RRF of the channels' lists, each with its configured weight; channels with empty lists drop out."""
    names = [name for name, w in ranking.weights if w > 0 and lists.get(name)]
    weights = dict(ranking.weights)
    return reciprocal_rank_fusion([[i for i, _ in lists[n]] for n in names], ranking.rrf_k,
                                  [weights[n] for n in names])


def positions(lists: Mapping[str, Sequence[tuple[T, float]]]) -> dict[str, dict[T, int]]:
    """Each channel's 1-based rank of every id it lists."""
    return {name: {item: i + 1 for i, (item, _) in enumerate(listed)} for name, listed in lists.items()}


def interleave_by_party(ranked: list[tuple[T, float]], parties: list[str]) -> list[tuple[T, float]]:
    """When the ranking holds passages of two or more named parties, let them take turns, each in its own
    order (the party whose best passage ranks first goes first); passages of no named party follow.

    A question such as "What do the P5 and Sweden each propose…" wants each party's answer near the top,
    not five passages of whichever party the channels happen to favour.
    """
    order: list[str] = []
    queues: dict[str, list[tuple[T, float]]] = {}
    rest = []
    for item, party in zip(ranked, parties):
        if not party:
            rest.append(item)
            continue
        if party not in queues:
            order.append(party)
            queues[party] = []
        queues[party].append(item)
    if len(order) < 2:
        return ranked
    out: list[tuple[T, float]] = []
    while any(queues.values()):
        for party in order:
            if queues[party]:
                out.append(queues[party].pop(0))
    return out + rest
