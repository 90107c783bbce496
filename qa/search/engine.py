"""The search: a question in Chinese or English to ranked, cited paragraphs.

The stages, in order: the question is analysed once (`query.analyse`); each channel ranks paragraphs
(`channels`); the ranks are fused (`fusion`); the "not covered" policy judges the best (`coverage`); the
answering sentence of each hit is marked. `Engine` holds the loaded model and store and runs the stages;
it is safe to call from many threads at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from qa.documents.corpus import Corpus, closest_ids, load_corpus
from qa.documents.document import Document
from qa.documents.paragraph import Paragraph
from qa.embedding.encoder import Encoder
from qa.embedding.factory import load_encoder
from qa.embedding.query_batcher import QueryBatcher
from qa.errors import IndexMissing, IndexOutdated, InputError, NotFound
from qa.parties.citation import speaker, speakers_of, speaks_for
from qa.parties.speakers import Speakers
from qa.search.answer import Answer, Hit, best_span
from qa.search.channels import CHANNELS, SECOND_PASS, WORDS_ONLY
from qa.search.compare import Comparison, compare
from qa.search.coverage import NOT_COVERED, CoveragePolicy, verdict
from qa.search.fusion import Ranking as RankingConfig
from qa.search.fusion import fuse, interleave_by_party, positions
from qa.search.query import Query, analyse, encode, prepare
from qa.search.relevance import (
    HEAD,
    RelevanceModel,
    asked_names,
    candidate_features,
    load_model,
    not_addressed,
    reorder,
    weigh,
)
from qa.search.shared_text import also_in
from qa.search.units import passage_tokens
from qa.settings import Settings
from qa.store.base import Filter, Ranked, Store
from qa.store.freshness import staleness
from qa.store.index import build_index, load_index, recorded_model
from qa.text.scripts import is_date


@dataclass(frozen=True)
class Filters:
    """Filters as a user gives them (any spelling of a state, document ids, dates); validated into a `Filter`."""

    states: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()
    date_from: str = ""
    date_to: str = ""

    def __post_init__(self) -> None:
        # A form or a link sends its empty fields as ``state=&doc=``: an empty value is no filter, not a name.
        object.__setattr__(self, "states", tuple(s for s in self.states if s.strip()))
        object.__setattr__(self, "docs", tuple(d for d in self.docs if d.strip()))

    def is_empty(self) -> bool:
        return not (self.states or self.docs or self.date_from or self.date_to)


@dataclass(frozen=True)
class Ranking:
    """One search's channel lists and their fusion, before the cut to k."""

    lists: dict[str, Ranked]
    fused: list[tuple[str, float]]


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
    if not any(c.isalnum() for c in q):
        raise InputError(f"The question has no words, only punctuation or symbols ({q[:40]!r}): ask in words, "
                         'e.g. "Which state proposed a stepping-stone approach?"')
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


MAX_PER_PAGE = 200


def validate_page(page: Any, per_page: Any, settings: Settings) -> tuple[int, int]:
    """The page of a comparison (from 1) and the parties it holds (1 to 200; None: QA_COMPARE_PAGE)."""
    values = []
    for name, value in (("page", page), ("per_page", settings.compare_page if per_page is None else per_page)):
        try:
            values.append(int(value))
        except (TypeError, ValueError):
            raise InputError(f"{name} = {value!r} is not a whole number.") from None
    page, per_page = values
    if page < 1:
        raise InputError(f"page = {page} is out of range: pages count from 1.")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InputError(f"per_page = {per_page} is out of range: a page holds 1 to {MAX_PER_PAGE} parties "
                         f"(leave it out for {settings.compare_page}).")
    return page, per_page


def corpus_speakers(documents: dict[str, Document]) -> Speakers:
    """Every party a corpus's documents speak for: submitters, authors and the authors of annexes."""
    aliases: dict[str, list[str]] = {}
    for d in documents.values():
        for name, forms in d.speaker_aliases:
            aliases.setdefault(name, []).extend(forms)
    return Speakers({s for d in documents.values() for s in speakers_of(d)}
                    | {author for d in documents.values() for _, author in d.part_authors}, aliases=aliases)


def validate_filters(filters: Filters, documents: dict[str, Document], speakers: Speakers) -> Filter:
    """The store predicate for the user's filters; an unknown state, document or a bad date is an InputError.

    A state or group may be named any way the parties table knows ('Iran', '伊朗', 'P5'); a group means its
    members and its own documents.
    """
    states: set[str] = set()
    for s in filters.states:
        states |= speakers.resolve(s)
    for d in filters.docs:
        if d not in documents:
            close = closest_ids(d[:200], documents)
            hint = f"the closest ids are {', '.join(close)}" if close else f"{len(documents)} documents, none close"
            raise InputError(f"Unknown document {d[:200]!r} ({hint}); see `qa documents` or /api/documents for the ids.")
    for name, value in (("date_from", filters.date_from), ("date_to", filters.date_to)):
        if value and not is_date(value):
            raise InputError(f"{name} = {value!r} is not a date; use YYYY, YYYY-MM or YYYY-MM-DD.")
    return Filter(frozenset(filters.docs) if filters.docs else None,
                  frozenset(states) if filters.states else None, filters.date_from, filters.date_to)


# --- the engine ----------------------------------------------------------------------------------------------


class Engine:
    """Loaded model + store; `ask` and `compare` are safe to call from many threads at once."""

    def __init__(self, settings: Settings, store: Store, encoder: Encoder, ranking: RankingConfig | None = None,
                 corpus: Corpus | None = None, coverage: CoveragePolicy | None = None,
                 judgement: RelevanceModel | None = None) -> None:
        self.settings = settings
        self.store = store
        self.corpus = corpus
        self.encoder = encoder
        self.ranking = ranking or RankingConfig(rrf_k=settings.rrf_k, candidates=settings.candidates)
        self.coverage = coverage or CoveragePolicy()
        self.judgement = judgement or load_model(settings.relevance_model)
        self.documents: dict[str, Document] = store.documents
        self.speakers = corpus_speakers(self.documents)
        # questions being encoded at once: as many as the model batches, so the batcher still sees them together
        self._encoding = ThreadPoolExecutor(max(4, settings.query_batch), thread_name_prefix="qa-encode")

    @classmethod
    def open(cls, settings: Settings, build_missing: bool = True, log: Callable[[str], None] = print,
             question_language: str = "", encoder: Encoder | None = None) -> Engine:
        """Load model and index; build the index first when it is missing or out of date (`build_missing`).

        Without `build_missing` the index is served as it is, and the corpus folder is needed only when it
        matches the index (a replica sharing a Milvus index needs none). `encoder`: a model already loaded (a
        test's, or one shared by several engines) instead of the one the settings name."""
        # The question analysers (dictionaries) load on a second thread while the model loads: most of the
        # model's loading lets go of the GIL, and a one-shot `qa ask` pays for both.
        # (`question_language`: a one-shot command that knows its question loads only what that language needs,
        # and a tokenizer for a question rather than the model's whole vocabulary)
        preparing = threading.Thread(target=prepare, args=(Path(settings.cache_dir), question_language in ("", "zh"),
                                                           bool(question_language)), daemon=True)
        preparing.start()
        # auto keeps the backend that built the index; a fallback or a first build is reported on the "qa" logger
        if encoder is None:
            encoder = load_encoder(settings, built_with=recorded_model(settings.index_dir, settings.store),
                                   latency=True, one_shot=bool(question_language))
        if settings.query_batch > 1:
            encoder = QueryBatcher(encoder, max_batch=settings.query_batch)
        preparing.join()
        identity = encoder.identity()
        # `qa verify` reads every file; here the corpus is trusted as the index recorded it
        corpus = (load_corpus(settings.corpus_dir, verify=False)
                  if build_missing or (settings.corpus_dir / "documents.json").is_file() else None)
        try:
            store = load_index(settings.index_dir, identity, settings.store)
            why = staleness(store.manifest, corpus, identity, settings.sentence_vectors) if corpus is not None else ""
            if build_missing and why and corpus is not None:
                log(f"The index is out of date ({why}): updating it…")
                store = build_index(settings.index_dir, corpus, encoder, batch_size=settings.batch_size, log=log,
                                    cache_dir=settings.cache_dir, store_kind=settings.store,
                                    sentences=settings.sentence_vectors)
            elif why:
                log(f"The index does not match the corpus folder ({why} since it was built): serving the index "
                    f"as it is.")
                corpus = None
        except IndexMissing as e:
            if not build_missing or corpus is None:
                raise
            log(e.message.replace("run `qa index` to update it", "updating it…")
                if isinstance(e, IndexOutdated) else f"No index in {settings.index_dir} yet: building it…")
            store = build_index(settings.index_dir, corpus, encoder, batch_size=settings.batch_size, log=log,
                                cache_dir=settings.cache_dir, store_kind=settings.store,
                                sentences=settings.sentence_vectors)
        return cls(settings, store, encoder, corpus=corpus)

    def all_paragraphs(self, doc_id: str) -> list[Paragraph]:
        """Every paragraph of a document in order, headings and boilerplate included (for reading it whole)."""
        if doc_id not in self.documents:
            raise NotFound(f"No document {doc_id!r}; see `qa documents` for the ids.")
        return list(self.store.document_paragraphs(doc_id))

    def analyse(self, question: str) -> Query:
        """The question analysed, its encoding started first, on another thread: the model's threads run while
        this one reads the words (and then the lexical channels, see `rank`)."""
        encoding = self._encoding.submit(encode, self.encoder, question)
        return analyse(question, self.encoder, self.speakers, self.ranking.translate,
                       lambda token: self.store.document_frequency(token) > 0, encoding)

    # -- public API --

    def ask(self, question: str, k: int | None = None, filters: Filters = Filters()) -> Answer:
        q = validate_question(question, self.settings)
        k = validate_k(k, self.settings)
        where = validate_filters(filters, self.documents, self.speakers)
        return self.search(self.analyse(q), k, where)

    def compare(self, question: str, per_party: int = 3, filters: Filters = Filters(), page: int = 1,
                per_page: int | None = None) -> Comparison:
        """What each party said on the question: one ranked search, grouped by voice (see `compare.compare`)."""
        q = validate_question(question, self.settings)
        per_party = validate_k(per_party, self.settings)
        where = validate_filters(filters, self.documents, self.speakers)
        page, per_page = validate_page(page, per_page, self.settings)
        absent = tuple(s for s in filters.states if not self.speakers.resolve(s))  # named, but no documents here
        comparison = compare(self, self.analyse(q), where, per_party, page, per_page, bool(filters.states), absent)
        return replace(comparison, message=why) if (why := backwards(where)) else comparison

    # -- the stages --

    def search(self, query: Query, k: int, where: Filter) -> Answer:
        """Channels, fusion, the relevance judgement over the head, the coverage verdict and answer sentences.

        A party the question names as the speaker ("What did Ireland say about …") is a condition: only its
        passages are searched, and when none of them answers, the answer says so and names who did."""
        scope = where.narrowed(frozenset().union(*query.asked)) if query.asked and self.ranking.judge else where
        whole = self.rank(query, where, self.ranking.candidates)
        ranking = self.rank_within(query, whole, scope) if scope is not where else whole
        if not ranking.fused:
            why = ("The collection has no documents yet: add some with `qa add`." if not self.documents
                   else backwards(where) or (f"{asked_names(query.asked_as, 'en')} has no passages under these "
                                             "filters." if scope is not where else "No paragraphs match the filters."))
            return Answer(query.text, (), False, query.language, why)
        fused, judged = self.judged_head(query, ranking)
        if self.ranking.interleave_named and len(query.parties) > 1 and query.compare:
            paragraphs = dict(zip((pid for pid, _ in fused), self.store.paragraphs([pid for pid, _ in fused])))
            fused = interleave_by_party(fused, [self._party_of(paragraphs[pid], query) for pid, _ in fused])
        why = verdict(query, self.store, self.coverage, ranking.lists.get("dense") if scope.is_empty() else None,
                      [pid for pid, _ in fused[:HEAD]])
        hits = self.hits(query, fused[:k], ranking, judged, covered=not why)
        others = self.addressed_instead(query, whole, judged) if scope is not where and not why else ()
        message = not_addressed(query.asked_as, others, query.language) if others else (
            f"{NOT_COVERED} {why}" if why else "")
        return Answer(query.text, tuple(hits), not (why or others), query.language, message, others, why)

    def rank_within(self, query: Query, whole: Ranking, scope: Filter) -> Ranking:
        """The ranking under `scope`, a narrowing to the parties the question asks about of the filter `whole`
        was ranked under: their passages in the order `whole` gives them (a party's own best passage is the one
        that ranks best against everyone's), then the rest as the narrowed search ranks them."""
        narrowed = self.rank(query, scope, self.ranking.candidates)
        if not narrowed.fused:
            return narrowed
        names = scope.speakers or frozenset()
        paragraphs = self.store.paragraphs([pid for pid, _ in whole.fused])
        own = [item for item, p in zip(whole.fused, paragraphs) if speaks_for(self.documents[p.doc], p) & names]
        seen = {pid for pid, _ in own}
        return Ranking(narrowed.lists, own + [item for item in narrowed.fused if item[0] not in seen])

    def judged_head(self, query: Query, ranking: Ranking) -> tuple[list[tuple[str, float]], dict[str, float]]:
        """The fused ranking with its head re-ordered by the judgement (answers first), and each head passage's
        probability."""
        if not self.ranking.judge:
            return ranking.fused, {}
        head = ranking.fused[:HEAD]
        probabilities = self.judgement.probability(
            candidate_features(self.store, query, head, ranking.lists))
        order = reorder(probabilities, self.judgement.threshold)
        return [head[i] for i in order] + ranking.fused[HEAD:], {
            pid: float(p) for (pid, _), p in zip(head, probabilities)}

    def addressed_instead(self, query: Query, whole: Ranking, judged: dict[str, float], limit: int = 10
                          ) -> tuple[str, ...]:
        """When the parties a question asks about have no passage judged to answer it, not even near the line
        (their best below half the threshold): who else does (best first), if any other party's passage is judged
        to answer among everyone's (their own, judged there, are not "others"); () otherwise, and the question is
        then judged as any other."""
        if max(judged.values(), default=1.0) >= self.judgement.threshold / 2:
            return ()
        _, everyone = self.judged_head(query, whole)
        asked, out = frozenset().union(*query.asked), dict[str, None]()
        for p in self.store.paragraphs([pid for pid, prob in everyone.items() if prob >= self.judgement.threshold]):
            if not speaks_for(self.documents[p.doc], p) & asked:
                out.setdefault(speaker(self.documents[p.doc], p, query.language), None)
        return tuple(out)[:limit]

    def rank(self, query: Query, where: Filter, candidates: int) -> Ranking:
        """Each channel's list (up to `candidates` paragraphs) and their fusion, best first."""
        first = [name for name in self.ranking.channels if name in CHANNELS]
        # the channels of words first: they need no vector, so they run while the question may still be encoded
        found = {name: CHANNELS[name](query, self.store, where, candidates)
                 for name in sorted(first, key=lambda name: name not in WORDS_ONLY)}
        lists = {name: found[name] for name in first}
        fused = fuse(lists, self.ranking)
        for name in (n for n in self.ranking.channels if n in SECOND_PASS):
            lists[name] = SECOND_PASS[name](query, self.store, where, candidates, fused)
        return Ranking(lists, fuse(lists, self.ranking) if len(lists) > len(first) else fused)

    def hits(self, query: Query, fused: list[tuple[str, float]], ranking: Ranking,
             judged: dict[str, float] | None = None, covered: bool = True) -> list[Hit]:
        """Cited hits for fused (paragraph id, score) pairs, with text others share; none answers if not `covered`."""
        paragraphs = self.store.paragraphs([pid for pid, _ in fused])
        cosines = self.store.paragraph_scores([pid for pid, _ in fused], query.vector)
        ranks, weights = positions(ranking.lists), unit_weights(self.store, query)
        out = []
        for rank, ((pid, score), p, cosine) in enumerate(zip(fused, paragraphs, cosines), start=1):
            channels = {**{name: float(pos.get(pid, 0)) for name, pos in ranks.items()}, "dense_score": round(cosine, 4)}
            relevance = judged.get(pid) if judged else None
            out.append(Hit(rank, score, p, self.documents[p.doc],
                           answer_span(self.store, p, query, self.documents[p.doc].language, weights), channels, relevance,
                           covered and (relevance is None or relevance >= self.judgement.threshold),
                           also_in(self.store, self.documents, p)))
        return out

    def _party_of(self, p: Paragraph, query: Query) -> str:
        """Which of the parties the question names a paragraph speaks for ('' for none)."""
        own = speaks_for(self.documents[p.doc], p)
        return "|".join(str(i) for i, names in enumerate(query.parties) if own & names)


def backwards(where: Filter) -> str:
    """Why no document can match a date range that runs backwards, '' when it does not. Not a 400: the request
    is valid by the API's schema, which cannot state a rule between two fields; the answer says what to fix."""
    start, end = where.date_from, where.date_to
    if start and end and start[:len(end)] > end[:len(start)]:  # '2014-05' to '2014' is May to December
        return f"date_from = {start!r} is after date_to = {end!r}: no date lies between them; swap them."
    return ""


# How much carrying the whole topic adds to a sentence's cosine when the answer sentence is chosen: 0.03–0.05
# mark the quote more often on the 2021 set (0.830 -> 0.851) and the fresh seed questions (0.871 -> 0.903) and
# lose nowhere; 0.08 loses on both dev sets (a sentence naming the topic beats the one answering the question)
UNIT_NUDGE = 0.04


def unit_weights(store: Store, query: Query) -> tuple[float, ...]:
    """The question's units weighed against the corpus, as the judgement weighs them."""
    languages = sorted(store.manifest.get("languages", {})) or ["zh", "en"]
    return weigh(query.units, languages, store.size, store.document_frequency).weights


def answer_span(store: Store, p: Paragraph, query: Query, language: str = "",
                weights: Sequence[float] = ()) -> tuple[int, int]:
    """The sentence (or two) of the paragraph closest to the question, nudged by shared query terms and by the
    share of the question's topic (its units, weighted as the judgement weighs them) that the sentence carries."""
    from qa.text.analyzers import token_set

    sentences = store.sentence_scores(p.id, query.vector)
    if not sentences:
        return (0, len(p.text))
    spans = [(s, e) for s, e, _ in sentences]
    if len(spans) == 1:
        return spans[0]
    term_set = {t for t, _ in query.terms}
    overlap = [len(term_set & token_set(p.text[s:e])) / (1 + len(term_set)) for s, e in spans]
    total = sum(weights)
    carried = ([sum(w for u, w in zip(query.units, weights) if u.found_in(tokens, language)) / total
                for tokens in (passage_tokens(p.text[s:e]) for s, e in spans)]
               if total and language else [0.0] * len(spans))
    scores = [sim + 0.15 * o + UNIT_NUDGE * c for (_, _, sim), o, c in zip(sentences, overlap, carried)]
    return best_span(spans, scores, len(p.text))
