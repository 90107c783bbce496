"""Rank fusion: combine ranked lists from retrieval channels whose raw scores are not comparable."""

from __future__ import annotations

from collections.abc import Sequence


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[int]], k: float = 60.0, weights: Sequence[float] | None = None
) -> list[tuple[int, float]]:
    """Fuse ranked lists of row ids: score(d) = sum over lists of w / (k + rank), rank counted from 1.

    Raw BM25 scores and cosines live on different scales, so only ranks are combined. A smaller `k`
    trusts each channel's top ranks more. Ties break by first appearance, so the result is deterministic.
    """
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[int, float] = {}
    order: dict[int, int] = {}
    for ranking, w in zip(rankings, weights):
        for rank, doc in enumerate(ranking, start=1):
            scores[doc] = scores.get(doc, 0.0) + w / (k + rank)
            order.setdefault(doc, len(order))
    return sorted(scores.items(), key=lambda item: (-item[1], order[item[0]]))
