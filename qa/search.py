"""The search: a question in Chinese or English to ranked, cited paragraphs (dense e5 + Chinese BM25, fused).

`Engine` holds the loaded model and index (shared, read-only, safe for concurrent queries); the ranking
steps it calls are plain functions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import faiss
import numpy as np

from .answer import Answer, Hit, best_span, paragraph_author
from .corpus import Corpus, load_corpus
from .document import Document
from .encoder import Encoder, load_encoder
from .errors import IndexMissing, InputError, NotFound
from .fusion import reciprocal_rank_fusion
from .index import BuiltIndex, build_index, is_fresh, load_index
from .lexical import proper_names, tokenize
from .paragraph import Paragraph
from .settings import Settings
from .speakers import mentioned_speakers
from .terminology import detect_language, field_terms, query_terms

_DATE = re.compile(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?")


@dataclass(frozen=True)
class Filters:
    """Exact filters, applied before ranking: a paragraph outside them is never a candidate."""

    states: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()
    date_from: str = ""
    date_to: str = ""

    def is_empty(self) -> bool:
        return not (self.states or self.docs or self.date_from or self.date_to)


@dataclass(frozen=True)
class Group:
    """What one submitter (or author) said on the question: for the side-by-side view."""

    submitted_by: tuple[str, ...]
    author: str
    speaker: str
    docs: tuple[str, ...]
    answer: Answer

    def to_json(self) -> dict[str, Any]:
        return {
            "submitted_by": list(self.submitted_by),
            "author": self.author,
            "speaker": self.speaker,
            "docs": list(self.docs),
            "covered": self.answer.covered,
            "results": [h.to_json() for h in self.answer.hits],
        }


@dataclass(frozen=True)
class Ranking:
    """Tunable parts of the ranking, kept together so evaluation and ablations can vary them."""

    rrf_k: float = 10.0
    candidates: int = 100
    dense_weight: float = 0.5
    lexical_weight: float = 1.0
    sentence_weight: float = 1.0
    use_dense: bool = True
    use_sentences: bool = True
    use_lexical: bool = True
    translate: bool = True
    speaker_weight: float = 1.0  # questions naming a submitter/author: that party's paragraphs as a channel
    interleave_named: bool = True  # "what do A and B each say": the named parties' passages take turns
    # "Not covered" when the best paragraph stands out from the corpus by fewer standard deviations than
    # this (per question language; calibrated on the dev set's negatives, see README), when the question
    # names a field term (treaty, body, place, concept) that appears nowhere in the corpus, or (Chinese
    # questions) a place, person or organisation name the corpus never mentions.
    min_z: dict[str, float] = field(default_factory=lambda: {"zh": 1.8, "en": 1.95})
    max_absent_share: float = 0.75  # Chinese questions: most of their (IDF-weighted) words found nowhere


# --- input checks (pure) -------------------------------------------------------------------------------------


def validate_question(q: Any, settings: Settings) -> str:
    if not isinstance(q, str):
        raise InputError("The question must be text.")
    if "\x00" in q:
        raise InputError("The question contains a NUL byte; remove it and ask again.")
    if any(0xD800 <= ord(c) <= 0xDFFF for c in q):
        raise InputError("The question contains an invalid character (a lone surrogate); retype it.")
    q = q.strip()
    if not q:
        raise InputError('The question is empty: ask something, e.g. "Which state proposed a stepping-stone approach?"')
    if len(q) > settings.max_question_chars:
        raise InputError(
            f"The question is {len(q)} characters long; the limit is {settings.max_question_chars}. Shorten it."
        )
    return q


def validate_k(k: Any, settings: Settings) -> int:
    if k is None:
        return settings.k
    try:
        k = int(k)
    except (TypeError, ValueError):
        raise InputError(f"k = {k!r} is not a whole number; use 1 to {settings.max_k}.") from None
    if not 1 <= k <= settings.max_k:
        raise InputError(f"k = {k} is out of range; use 1 to {settings.max_k}.")
    return k


def speakers_of(doc: Document) -> set[str]:
    """Every name a state filter may match for a document: its submitters and its author."""
    return {*doc.submitted_by, *([doc.author] if doc.author else [])}


def validate_filters(filters: Filters, documents: dict[str, Document]) -> Filters:
    known_states = sorted({s for d in documents.values() for s in speakers_of(d)})
    by_lower = {s.lower(): s for s in known_states}
    states = []
    for s in filters.states:
        canon = by_lower.get(s.strip().lower())
        if canon is None:
            raise InputError(f"Unknown state or body {s!r}; known: {', '.join(known_states)}.")
        states.append(canon)
    for d in filters.docs:
        if d not in documents:
            raise InputError(f"Unknown document {d!r}; known: {', '.join(sorted(documents))}. See `qa documents`.")
    for name, value in (("date_from", filters.date_from), ("date_to", filters.date_to)):
        if value and not _DATE.fullmatch(value):
            raise InputError(f"{name} = {value!r} is not a date; use YYYY, YYYY-MM or YYYY-MM-DD.")
    return Filters(tuple(states), tuple(filters.docs), filters.date_from, filters.date_to)


def allowed_docs(filters: Filters, documents: dict[str, Document]) -> set[str]:
    out = set()
    for d in documents.values():
        if filters.states and not (speakers_of(d) & set(filters.states)):
            continue
        if filters.docs and d.id not in filters.docs:
            continue
        if filters.date_from and (d.date or "")[: len(filters.date_from)] < filters.date_from:
            continue
        if filters.date_to and (d.date or "9999")[: len(filters.date_to)] > filters.date_to:
            continue
        out.add(d.id)
    return out


# --- the engine ----------------------------------------------------------------------------------------------


class Engine:
    """Loaded model + index; `ask` and `compare` are safe to call from many threads at once."""

    def __init__(self, settings: Settings, index: BuiltIndex, encoder: Encoder, ranking: Ranking | None = None,
                 corpus: Corpus | None = None):
        self.settings = settings
        self.corpus = corpus
        self.index = index
        self.encoder = encoder
        self.ranking = ranking or Ranking(rrf_k=settings.rrf_k, candidates=settings.candidates)
        self.documents: dict[str, Document] = index.documents
        self._rows_by_doc: dict[str, np.ndarray] = {}
        for i, p in enumerate(index.paragraphs):
            self._rows_by_doc.setdefault(p.doc, [])  # type: ignore[arg-type]
            self._rows_by_doc[p.doc].append(i)  # type: ignore[attr-defined]
        self._rows_by_doc = {d: np.asarray(r, dtype=np.int64) for d, r in self._rows_by_doc.items()}
        self._row_speakers = [
            frozenset({*index.documents[p.doc].submitted_by, paragraph_author(index.documents[p.doc], p)} - {""})
            for p in index.paragraphs
        ]
        self._speaker_names = tuple(sorted(set().union(*self._row_speakers))) if self._row_speakers else ()
        self._text = _plain("".join(p.text for p in index.paragraphs))  # for "is this name mentioned at all"
        self._vectors: np.ndarray = (index.dense.reconstruct_n(0, index.dense.ntotal) if index.dense.ntotal
                                     else np.zeros((0, index.dense.d), dtype=np.float32))
        sent = index.sentences
        self._sentences_of: dict[int, np.ndarray] = {}
        order = np.argsort(sent.row, kind="stable")
        bounds = np.searchsorted(sent.row[order], np.arange(len(index.paragraphs) + 1))
        for row in range(len(index.paragraphs)):
            self._sentences_of[row] = order[bounds[row]:bounds[row + 1]]

    @classmethod
    def open(cls, settings: Settings, build_missing: bool = True, log: Callable[[str], None] = print) -> Engine:
        """Load model and index; build the index first when it is missing or out of date (`build_missing`)."""
        encoder = load_encoder(settings)
        identity = encoder.identity()
        corpus = load_corpus(settings.corpus_dir)
        try:
            index = load_index(settings.index_dir, identity)
            if build_missing and not is_fresh(index, corpus, identity):
                log("The corpus or model changed since the index was built: updating the index…")
                index = build_index(settings.index_dir, corpus, encoder, batch_size=settings.batch_size, log=log)
        except IndexMissing:
            if not build_missing:
                raise
            log(f"No index in {settings.index_dir} yet: building it (first run only)…")
            index = build_index(settings.index_dir, corpus, encoder, batch_size=settings.batch_size, log=log)
        return cls(settings, index, encoder, corpus=corpus)

    def all_paragraphs(self, doc_id: str) -> list[Paragraph]:
        """Every paragraph of a document in order, headings and boilerplate included (for reading it whole)."""
        if doc_id not in self.documents:
            raise NotFound(f"No document {doc_id!r}; see `qa documents` for the ids.")
        if self.corpus is not None:
            return list(self.corpus.paragraphs_of(doc_id))
        return [p for p in self.index.paragraphs if p.doc == doc_id]

    # -- public API --

    def ask(self, question: str, k: int | None = None, filters: Filters = Filters()) -> Answer:
        q = validate_question(question, self.settings)
        k = validate_k(k, self.settings)
        filters = validate_filters(filters, self.documents)
        return self._search(q, k, allowed_docs(filters, self.documents))

    def compare(self, question: str, per_group: int = 3, filters: Filters = Filters()) -> list[Group]:
        """Best passages of each submitter (or author) side by side; groups with nothing relevant say so."""
        q = validate_question(question, self.settings)
        per_group = validate_k(per_group, self.settings)
        filters = validate_filters(filters, self.documents)
        allowed = allowed_docs(filters, self.documents)
        groups: dict[tuple[tuple[str, ...], str], list[str]] = {}
        for d in self.documents.values():
            if d.id in allowed:
                groups.setdefault((d.submitted_by, d.author), []).append(d.id)
        out = []
        for (subs, author), doc_ids in groups.items():
            answer = self._search(q, per_group, set(doc_ids))
            doc = self.documents[doc_ids[0]]
            out.append(Group(subs, author, doc.speaker, tuple(doc_ids), answer))
        best = {id(g): (g.answer.covered, g.answer.hits[0].channels.get("dense_score", 0) if g.answer.hits else 0)
                for g in out}
        out.sort(key=lambda g: best[id(g)], reverse=True)
        return out

    # -- ranking --

    def _rows(self, allowed: set[str]) -> np.ndarray | None:
        """Rows of the allowed documents, or None for all rows (no filter)."""
        if set(self.documents) <= allowed:
            return None
        parts = [self._rows_by_doc[d] for d in allowed if d in self._rows_by_doc]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def _search(self, q: str, k: int, allowed: set[str]) -> Answer:
        r = self.ranking
        lang = detect_language(q)
        rows = self._rows(allowed)
        n = self.index.dense.ntotal
        if n == 0 or (rows is not None and len(rows) == 0):
            return Answer(q, (), False, lang, "No paragraphs match the filters.")
        terms = query_terms(q) if (r.translate or lang == "zh") else [(t, 1.0) for t in tokenize(q)]
        qvec = self.encoder.encode_queries([q])[0].astype(np.float32)
        dense_rank = self._dense(qvec, rows, r.candidates)
        sent_sims = self.index.sentences.vectors @ qvec
        sent_rank = self._by_best_sentence(sent_sims, rows, r.candidates)
        lex_rank = self._lexical(terms, rows, r.candidates)
        rankings, weights = [], []
        if r.use_dense:
            rankings.append(dense_rank)
            weights.append(r.dense_weight)
        if r.use_sentences and sent_rank:
            rankings.append(sent_rank)
            weights.append(r.sentence_weight)
        named = mentioned_speakers(q, self._speaker_names)
        if named and r.speaker_weight > 0:
            chosen = {i for i in range(n) if self._row_speakers[i] & named}
            speaker_rank = [row for row in sent_rank if row in chosen]
            if speaker_rank and len(chosen) < n:
                rankings.append(speaker_rank)
                weights.append(r.speaker_weight)
        if r.use_lexical and lex_rank:
            rankings.append(lex_rank)
            weights.append(r.lexical_weight)
        fused = reciprocal_rank_fusion(rankings, k=r.rrf_k, weights=weights)
        if r.interleave_named and len(named) > 1 and asks_to_compare(q):
            fused = interleave_by_party(fused, [self._party_of(row, named) for row, _ in fused])
        fused = fused[:k]
        dense_pos = {row: i + 1 for i, row in enumerate(dense_rank)}
        lex_pos = {row: i + 1 for i, row in enumerate(lex_rank)}
        sent_pos = {row: i + 1 for i, row in enumerate(sent_rank)}
        covered = self._covered(q, lang, qvec)
        hits = []
        for rank, (row, score) in enumerate(fused, start=1):
            p = self.index.paragraphs[row]
            channels = {"dense": dense_pos.get(row, 0), "sentence": sent_pos.get(row, 0),
                        "lexical": lex_pos.get(row, 0), "dense_score": round(float(self._vectors[row] @ qvec), 4)}
            span = self._answer_span(row, sent_sims, terms)
            hits.append(Hit(rank, score, p, self.index.documents[p.doc], span, channels))
        message = "" if covered else "The documents do not appear to cover this question; the closest passages follow."
        return Answer(q, tuple(hits), covered, lang, message)

    def _covered(self, q: str, lang: str, qvec: np.ndarray) -> bool:
        """Whether any paragraph answers: the best one must stand out, and every field term be in the corpus."""
        if not len(self._vectors):
            return False
        sims = self._vectors @ qvec
        z = float((sims.max() - sims.mean()) / (sims.std() + 1e-9))
        if z < self.ranking.min_z.get(lang, 2.0):
            return False
        for term in field_terms(q):
            if not any(_plain(zh) in self._text for zh in term.chinese):
                return False
        if lang == "zh":
            if any(_plain(name) not in self._text for name in proper_names(q)):
                return False
            if self._absent_share(query_terms(q)) >= self.ranking.max_absent_share:
                return False
        return True

    def _absent_share(self, terms: list[tuple[str, float]]) -> float:
        """IDF-weighted share of the question's words that no paragraph contains (0: all found somewhere)."""
        lex = self.index.lexical
        n = max(lex.n_docs, 1)
        total = absent = 0.0
        for t, w in terms:
            df = lex.document_frequency(t)
            weight = w * float(np.log(1 + n / (1 + df)))
            total += weight
            absent += weight if df == 0 else 0.0
        return absent / total if total else 1.0

    def _dense(self, qvec: np.ndarray, rows: np.ndarray | None, n: int) -> list[int]:
        limit = self.index.dense.ntotal if rows is None else len(rows)
        n = min(n, limit)
        params = None
        if rows is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(rows))  # type: ignore[call-arg]
        _, ids = self.index.dense.search(qvec.reshape(1, -1), n, params=params)
        return [int(i) for i in ids[0] if i >= 0]

    def _lexical(self, terms: list[tuple[str, float]], rows: np.ndarray | None, n: int) -> list[int]:
        if not terms:
            return []
        scores = self.index.lexical.scores(terms)
        if rows is not None:
            masked = np.full_like(scores, -np.inf)
            masked[rows] = scores[rows]
            scores = masked
        top = np.argsort(-scores, kind="stable")[:n]
        top = top[scores[top] > 0]
        return [int(i) for i in top]

    def _party_of(self, row: int, named: set[str]) -> str:
        """Which of the named parties a paragraph speaks for ('' for none)."""
        return "|".join(sorted(self._row_speakers[row] & named))

    def _by_best_sentence(self, sims: np.ndarray, rows: np.ndarray | None, n: int) -> list[int]:
        """Paragraph rows ranked by their closest sentence to the question."""
        para_of = self.index.sentences.row
        best = np.full(len(self.index.paragraphs), -np.inf, dtype=np.float32)
        np.maximum.at(best, para_of, sims)
        if rows is not None:
            masked = np.full_like(best, -np.inf)
            masked[rows] = best[rows]
            best = masked
        top = np.argsort(-best, kind="stable")[:n]
        return [int(i) for i in top if np.isfinite(best[i])]

    def _answer_span(self, row: int, sims: np.ndarray, terms: list[tuple[str, float]]) -> tuple[int, int]:
        """The sentence (or two) of the paragraph closest to the question, nudged by shared query terms."""
        ids = self._sentences_of.get(row)
        text = self.index.paragraphs[row].text
        if ids is None or len(ids) == 0:
            return (0, len(text))
        sent = self.index.sentences
        spans = [(int(sent.start[i]), int(sent.end[i])) for i in ids]
        if len(spans) == 1:
            return spans[0]
        term_set = {t for t, _ in terms}
        overlap = [len(term_set & set(tokenize(text[s:e]))) / (1 + len(term_set)) for s, e in spans]
        scores = [float(sims[i]) + 0.15 * o for i, o in zip(ids, overlap)]
        return best_span(spans, scores, len(text))


_COMPARE = re.compile(
    r"\b(each|both|compare[sd]?|comparison|differ(s|ence|ences|ent)?|versus|vs\.?|respectively|contrast)\b"
    r"|分别|各自|比较|对比|异同|区别|相比|有何不同",
    re.IGNORECASE,
)


def asks_to_compare(question: str) -> bool:
    """'What do A and B each say…', '…分别提出了什么': a question that wants several parties side by side."""
    return bool(_COMPARE.search(question))


def interleave_by_party(ranked: list[tuple[int, float]], parties: list[str]) -> list[tuple[int, float]]:
    """When the ranking holds passages of two or more named parties, let them take turns, each in its own
    order (the party whose best passage ranks first goes first); passages of no named party follow.

    A question such as "What do the P5 and Sweden each propose…" wants each party's answer near the top,
    not five passages of whichever party the channels happen to favour.
    """
    order: list[str] = []
    queues: dict[str, list[tuple[int, float]]] = {}
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
    out: list[tuple[int, float]] = []
    while any(queues.values()):
        for party in order:
            if queues[party]:
                out.append(queues[party].pop(0))
    return out + rest


def _plain(text: str) -> str:
    """Letters and digits only, lower-cased: '“垫脚石”办法' and '垫脚石办法' compare equal."""
    return re.sub(r"[\W_]+", "", text).lower()
