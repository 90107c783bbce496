""""Not covered": deciding that no paragraph answers, so the closest passages are shown as such, not as answers.

A pure policy over the analysed question and statistics the store provides; the search reports its verdict
beside the ranking and never drops passages because of it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from .analyzers import normalise, tokenize
from .query import Query
from .store import Store


@dataclass(frozen=True)
class CoveragePolicy:
    """The thresholds of the decision (see `covered`)."""

    # The best paragraph must stand out from the corpus by this many standard deviations of the cosines
    # (per question language; calibrated on the seed dev set's negatives, see README).
    min_z: dict[str, float] = field(default_factory=lambda: {"zh": 1.8, "en": 1.95})
    # Chinese questions: refused when most of their (IDF-weighted) words are found nowhere.
    max_absent_share: float = 0.75


def covered(query: Query, store: Store, policy: CoveragePolicy = CoveragePolicy()) -> bool:
    """Whether any paragraph answers: the best one stands out, and every field term and name is in the corpus."""
    best, mean, std = store.similarity_stats(query.vector)
    if store.size == 0 or (best - mean) / (std + 1e-9) < policy.min_z.get(query.language, 2.0):
        return False
    if any(not any(mentioned(zh, store) for zh in term.chinese) for term in query.field_terms):
        return False
    if any(not mentioned(name, store) for name in query.names):
        return False
    return not (query.language == "zh" and absent_share(query.terms, store) >= policy.max_absent_share)


def mentioned(text: str, store: Store) -> bool:
    """Whether some paragraph mentions `text` (a term or name): it holds the whole as one token, or every part.

    Parts, because punctuation inside a term in the text ('“垫脚石”办法') keeps the whole from forming a token.
    """
    tokens = set(tokenize(text))
    whole = normalise(text)
    parts = tokens - {whole}
    return (whole in tokens and store.count_matching([whole]) > 0) or bool(parts) and store.count_matching(sorted(parts)) > 0


def absent_share(terms: Sequence[tuple[str, float]], store: Store) -> float:
    """IDF-weighted share of the question's words that no paragraph contains (0: all found somewhere)."""
    n = max(store.size, 1)
    total = absent = 0.0
    for t, w in terms:
        df = store.document_frequency(t)
        weight = w * math.log(1 + n / (1 + df))
        total += weight
        absent += weight if df == 0 else 0.0
    return absent / total if total else 1.0
