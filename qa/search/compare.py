"""Who said what: one ranked search, grouped by the voice each passage speaks in, parties ranked by their best.

A voice is who said a passage: its document's submitters and the passage's own author, so Russia's own paper,
the P5's joint paper and the Group of Eminent Persons' annex transmitted by Japan are three voices. The cost
is one search whatever the number of parties; a party's "not covered" uses the same test as `/api/ask`: its
best passage must be closer to the question than everyday text is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qa.errors import InputError
from qa.parties.citation import paragraph_author, speaker
from qa.search.answer import Hit
from qa.search.coverage import verdict
from qa.search.query import Query
from qa.store.base import Filter

if TYPE_CHECKING:
    from qa.search.engine import Engine

NOT_COVERED = "The documents do not appear to cover this question; the closest passages follow."


@dataclass(frozen=True)
class PartyGroup:
    """One voice's passages on the question, best first."""

    submitted_by: tuple[str, ...]
    author: str
    speaker: str
    speaker_zh: str
    docs: tuple[str, ...]
    covered: bool
    best_rank: int  # rank of the voice's best passage in the whole search (1 = the best passage of all)
    hits: tuple[Hit, ...]

    def to_json(self) -> dict[str, Any]:
        return {"submitted_by": list(self.submitted_by), "author": self.author, "speaker": self.speaker,
                "speaker_zh": self.speaker_zh, "docs": list(self.docs), "covered": self.covered,
                "best_rank": self.best_rank, "results": [h.to_json() for h in self.hits]}


@dataclass(frozen=True)
class Comparison:
    """A page of voices, ranked; `total` voices have passages among the candidates, `covered_total` answer."""

    query: str
    language: str
    covered: bool
    message: str
    groups: tuple[PartyGroup, ...]
    total: int
    covered_total: int
    page: int
    per_page: int
    side_by_side: bool  # the question or the filter named the parties: show them as columns

    def to_json(self) -> dict[str, Any]:
        return {"query": self.query, "language": self.language, "covered": self.covered, "message": self.message,
                "total": self.total, "covered_total": self.covered_total, "page": self.page,
                "per_page": self.per_page, "pages": max(1, -(-self.total // self.per_page)),
                "side_by_side": self.side_by_side, "groups": [g.to_json() for g in self.groups]}


def compare(engine: Engine, query: Query, where: Filter, per_party: int, page: int, per_page: int,
            named_by_filter: bool = False) -> Comparison:
    """Group one ranked search by voice; a page of voices, each with its best `per_party` passages."""
    if page < 1 or not 1 <= per_page <= 200:
        raise InputError(f"page = {page}, per_page = {per_page}: pages count from 1 and hold 1 to 200 parties.")
    side_by_side = named_by_filter or bool(query.parties)
    if query.parties and not named_by_filter:
        where = where.narrowed(query.speakers)
    ranking = engine.rank(query, where, engine.settings.compare_candidates)
    paragraphs = engine.store.paragraphs([pid for pid, _ in ranking.fused])
    voices: dict[tuple[tuple[str, ...], str], list[int]] = {}
    for i, p in enumerate(paragraphs):
        d = engine.documents[p.doc]
        voices.setdefault((d.submitted_by, paragraph_author(d, p)), []).append(i)
    ordered = sorted(voices.items(), key=lambda item: item[1][0])
    why = verdict(query, engine.store, engine.coverage)
    everyday = float((engine.store.background @ query.vector).max()) if len(engine.store.background) else -1.0
    groups = []
    covered_total = 0
    for n, ((_subs, _author), rows) in enumerate(ordered):
        on_page = (page - 1) * per_page <= n < page * per_page
        best_cosine = engine.store.paragraph_scores([paragraphs[rows[0]].id], query.vector)[0]
        covered = not why and best_cosine > everyday + engine.coverage.margin
        covered_total += covered
        if on_page:
            docs = tuple(dict.fromkeys(paragraphs[i].doc for i in rows))
            groups.append(_group(engine, query, ranking, paragraphs, rows[:per_party], covered, docs))
    message = f"{NOT_COVERED} {why}" if why else ""
    return Comparison(query.text, query.language, not why, message, tuple(groups), len(ordered), covered_total,
                      page, per_page, side_by_side)


def _group(engine: Engine, query: Query, ranking: Any, paragraphs: list[Any], rows: list[int],
           covered: bool, docs: tuple[str, ...]) -> PartyGroup:
    p = paragraphs[rows[0]]
    d = engine.documents[p.doc]
    hits = engine.hits(query, [ranking.fused[i] for i in rows], ranking)
    hits = [Hit(r + 1, h.score, h.paragraph, h.document, h.answer_span, {**h.channels, "rank": float(i + 1)})
            for r, (h, i) in enumerate(zip(hits, rows))]
    return PartyGroup(d.submitted_by, paragraph_author(d, p), speaker(d, p), speaker(d, p, "zh"), docs, covered,
                      rows[0] + 1, tuple(hits))
