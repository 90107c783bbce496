"""Who said what: one ranked search, grouped by the voice each passage speaks in, parties ranked by their best.

A voice is who said a passage: its document's submitters and the passage's own author, so Russia's own paper,
the P5's joint paper and the Group of Eminent Persons' annex transmitted by Japan are three voices. The cost
is one search whatever the number of parties; a party addresses the question when the relevance judgement
(`relevance`) finds that one of its best passages answers it, and every other voice in scope is listed as not
addressing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qa.documents.document import Document
from qa.documents.paragraph import Paragraph
from qa.parties.citation import paragraph_author, speaker
from qa.search.answer import Hit, Why, reason_json
from qa.search.coverage import NOT_COVERED, verdict
from qa.search.query import Query
from qa.search.relevance import candidate_features
from qa.search.shared_text import also_in
from qa.store.base import Filter

if TYPE_CHECKING:
    from qa.search.engine import Engine

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
    """A page of voices, those that address the question first; `total` voices in scope, `covered_total` of them
    address it."""

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
    reason: str = ""  # why it is not covered (a `Why`, in English and Chinese), '' when it is
    without_documents: tuple[str, ...] = ()  # parties the filter names that have no document in this corpus

    def to_json(self) -> dict[str, Any]:
        return {"query": self.query, "language": self.language, "covered": self.covered, "message": self.message,
                "total": self.total, "covered_total": self.covered_total, "page": self.page,
                "per_page": self.per_page, "pages": max(1, -(-self.total // self.per_page)),
                "side_by_side": self.side_by_side, "reason": reason_json(self.reason),
                "without_documents": list(self.without_documents),
                "groups": [g.to_json() for g in self.groups]}


JUDGED_PER_PARTY = 3  # a party's best passages that the judgement reads (its verdict is the best of them)


def compare(engine: Engine, query: Query, where: Filter, per_party: int, page: int, per_page: int,
            named_by_filter: bool = False, without_documents: tuple[str, ...] = ()) -> Comparison:
    """Every party in scope, those whose passages are judged to answer first, each with its best passages.

    One search whatever the number of parties; a party's verdict is the relevance judgement's on its best
    passages, and a party none of whose passages reached the candidates is reported as not addressing it, so
    the answer accounts for every party of the corpus (or of the filter: one it names that has no document
    here is listed in `without_documents`)."""
    side_by_side = named_by_filter or bool(query.asked)
    if query.asked and not named_by_filter:
        where = where.narrowed(frozenset().union(*query.asked))
    ranking = engine.rank(query, where, engine.settings.compare_candidates)
    paragraphs = engine.store.paragraphs([pid for pid, _ in ranking.fused])
    voices: dict[tuple[tuple[str, ...], str], list[int]] = {key: [] for key in voices_in(engine.documents, where)}
    for i, p in enumerate(paragraphs):
        d = engine.documents[p.doc]
        voices.setdefault((d.submitted_by, paragraph_author(d, p)), []).append(i)
    judged = _judge(engine, query, ranking, [i for rows in voices.values() for i in rows[:JUDGED_PER_PARTY]])
    why = verdict(query, engine.store, engine.coverage)
    threshold = engine.judgement.threshold
    # (sort key, voice, its rows best first with the answering ones ahead, how many of them answer)
    order: list[tuple[tuple[int, int, str], tuple[tuple[str, ...], str], list[int], int]] = []
    for key, rows in voices.items():
        answering = [i for i in rows[:JUDGED_PER_PARTY] if judged.get(i, 0.0) >= threshold] if not why else []
        shown = sorted(answering, key=lambda i: -judged[i]) + [i for i in rows if i not in answering]
        best = rows[0] if rows else len(paragraphs)
        order.append(((0 if answering else 1 if rows else 2, best, " ".join(key[0]) + key[1]), key, shown,
                       len(answering)))
    order.sort(key=lambda item: item[0])
    groups = []
    for _sort, key, shown, answers in order[(page - 1) * per_page:page * per_page]:
        shown = own_words_first(engine, [paragraphs[i] for i in shown[:answers]], shown, answers)
        groups.append(_group(engine, query, ranking, paragraphs, key, shown[:per_party], answers > 0, judged))
    covered_total = sum(1 for *_, answers in order if answers)
    if not why and not covered_total:
        why = Why("No passage is judged to answer it.", "没有段落被判定为回答了这一问题。")
    message = f"{NOT_COVERED} {why}" if why else ""
    return Comparison(query.text, query.language, not why, message, tuple(groups), len(order), covered_total,
                      page, per_page, side_by_side, why, without_documents)


def own_words_first(engine: Engine, paragraphs: list[Paragraph], rows: list[int], answering: int) -> list[int]:
    """A party's answering passages (the first `answering` of `rows`) in its own words before those that
    another party's document also carries (`shared_text`: a quoted action plan is the Review Conference's
    text, not what the party said of it), each group in the order given; the rest after them."""
    head = rows[:answering]
    quoted = {i for i, p in zip(head, paragraphs) if also_in(engine.store, engine.documents, p)}
    return [i for i in head if i not in quoted] + [i for i in head if i in quoted] + rows[answering:]


def voices_in(documents: dict[str, Document], where: Filter) -> list[tuple[tuple[str, ...], str]]:
    """Every voice (submitters, author) of the documents a filter admits, keyed as `compare` groups passages:
    the parties an answer accounts for, whether or not their passages reached the candidates."""
    out: dict[tuple[tuple[str, ...], str], None] = {}
    for d in documents.values():
        if not where.admits_document(d):
            continue
        for author in dict.fromkeys((d.author, *(a for _, a in d.part_authors))):
            if where.speakers is None or ({*d.submitted_by, author} - {""}) & where.speakers:
                out.setdefault((d.submitted_by, author), None)
    return list(out)


def _judge(engine: Engine, query: Query, ranking: Any, rows: list[int]) -> dict[int, float]:
    """The judgement's probability for the fused ranking's passages at `rows` (0-based)."""
    if not rows or not engine.ranking.judge:
        return {i: 1.0 for i in rows}
    x = candidate_features(engine.store, query, [ranking.fused[i] for i in rows], ranking.lists, [i + 1 for i in rows])
    return dict(zip(rows, (float(p) for p in engine.judgement.probability(x))))


def _group(engine: Engine, query: Query, ranking: Any, paragraphs: list[Any], key: tuple[tuple[str, ...], str],
           rows: list[int], covered: bool, judged: dict[int, float]) -> PartyGroup:
    submitted_by, author = key
    if rows:
        p = paragraphs[rows[0]]
        d = engine.documents[p.doc]
        name, name_zh = speaker(d, p), speaker(d, p, "zh")
    else:
        d = Document(id="", file="", title="", title_en="", submitted_by=submitted_by, author=author)
        name, name_zh = speaker(d), speaker(d, None, "zh")
    docs = tuple(dict.fromkeys(paragraphs[i].doc for i in rows))
    hits = engine.hits(query, [ranking.fused[i] for i in rows], ranking, {ranking.fused[i][0]: judged[i]
                                                                          for i in rows if i in judged})
    hits = [Hit(r + 1, h.score, h.paragraph, h.document, h.answer_span, {**h.channels, "rank": float(i + 1)},
                h.relevance, h.answers and covered, h.also_in)
            for r, (h, i) in enumerate(zip(hits, rows))]
    return PartyGroup(submitted_by, author, name, name_zh, docs, covered, rows[0] + 1 if rows else 0, tuple(hits))
