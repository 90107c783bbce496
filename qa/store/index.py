"""Building the index: the corpus's paragraphs embedded and tokenised, handed to the store as a Change.

What the encoder and the lexical channel see of each paragraph is decided here, the same for every store.
An update adds a segment for new or changed documents and retires removed ones; anything else that shaped
the index (see `freshness`) rebuilds it whole. Either way only texts never embedded with this model are
encoded: vectors come from the embedding cache (`vectors.py`) or the live index.

Sentence vectors are made one of two ways (QA_SENTENCE_VECTORS): "late", from the paragraph's own pass
(`embedding.late`: one pass gives the paragraph's vector and its sentences'), or "independent", each sentence
embedded again on its own. Their cache keys differ, so the two kinds are never mixed.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from qa import __version__
from qa.documents.corpus import Corpus
from qa.documents.document import Document
from qa.documents.paragraph import Paragraph
from qa.embedding.encoder import Encoder, TokenEncoder
from qa.embedding.late import LATE_FORMAT, late_vectors
from qa.embedding.vectors import VectorCache
from qa.errors import IndexDamaged, IndexMissing
from qa.files import remove_stray_temps, writer_lock
from qa.store.base import Backend, Change, Segment, Sentences, Store
from qa.store.factory import backend
from qa.store.freshness import (
    DEFAULT_SENTENCES,
    PASSAGE_FORMAT,
    PROBES_PATH,
    check_model,
    rebuild_reason,
    sentence_vectors,
    shaping,
    staleness,
)
from qa.text.analyzers import tokenize
from qa.text.scripts import detect_language
from qa.text.sentences import sentence_spans
from qa.text.terminology import CONCEPT, concepts_in

EMBED_CHUNK = 512  # texts encoded (and saved to the cache) at a time
MAX_SEGMENTS = 8  # beyond this many segments, the next update rebuilds the index as one (vectors reused)


# --- what each channel sees of a paragraph (pure) ---------------------------------------------------------


def passage_text(p: Paragraph, doc: Document) -> str:
    """The text embedded for a paragraph: its section heading gives a short paragraph its topic."""
    section = p.section.split(" › ")[-1] if p.section else ""
    return f"{section}\n{p.text}" if section and section not in p.text else p.text


def lexical_text(p: Paragraph, doc: Document) -> str:
    """The text BM25 indexes: the paragraph alone.

    Not its section heading or document title: every paragraph under a heading would share its words, and
    the shortest (list items) would win on them. Headings reach the dense channel (`passage_text`), and
    questions that name a party are served by the speaker channel.
    """
    return p.text


def lexical_tokens(p: Paragraph, doc: Document) -> list[str]:
    """What the postings hold for a paragraph: its tokens, and one token per field concept it names."""
    return tokenize(lexical_text(p, doc)) + [CONCEPT + c for c in concepts_in(p.text)]


def embed_key(text: str, model_name: str) -> str:
    return hashlib.sha256(f"{model_name}\n{PASSAGE_FORMAT}\n{text}".encode()).hexdigest()[:32]


def sentence_key(passage: str, span: tuple[int, int], shift: int, method: str, model_name: str) -> str:
    """The cache key of one sentence's vector. Independent: its own text (the same sentence anywhere has one
    vector). Late: the whole passage, the sentence's place in it and the late format, since its vector comes
    from the passage's pass."""
    s, e = span
    if method == "late":
        return embed_key(f"{LATE_FORMAT}\n{shift + s}:{shift + e}\n{passage}", model_name)
    return embed_key("sentence\n" + passage[shift + s:shift + e], model_name)


def load_probes(path: Path = PROBES_PATH) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def background_texts(languages: set[str]) -> list[str]:
    """Everyday text in the corpus's languages, embedded as passages: the "not covered" policy asks whether a
    question is closer to the corpus than to this (see `coverage.verdict`)."""
    return [p for p in load_probes() if detect_language(p) in languages] or load_probes()


def recorded_model(index_dir: Path, store_kind: str = "faiss") -> str:
    """The model name a FAISS index in `index_dir` records ('' when there is none, or for another store), read
    without loading the index, so that the encoder can be chosen to match it."""
    from qa.store.faiss.store import read_commit

    if store_kind != "faiss" or not (index_dir / "CURRENT").is_file():
        return ""
    try:
        return str(read_commit(index_dir)["manifest"]["model"].get("name", ""))
    except (IndexMissing, IndexDamaged, KeyError, TypeError, AttributeError):
        return ""


def load_index(index_dir: Path, identity: dict[str, Any] | None = None, store_kind: str = "faiss") -> Store:
    """The live index, verified; with `identity`, also checked to be built by that model."""
    module, location = backend(store_kind)
    store = module.load(index_dir, location)
    if identity is not None:
        check_model(store.manifest, identity, index_dir)
    return store


@dataclass(frozen=True)
class Plan:
    """What an update does: the documents to (re)index, those whose paragraphs leave, or a whole rebuild."""

    add: tuple[Document, ...]
    removed: frozenset[str]
    rebuild: bool
    why: str


def plan(corpus: Corpus, live: Store | None, identity: dict[str, Any], sentences: str = DEFAULT_SENTENCES) -> Plan:
    """Compare the corpus with the live index: new and changed documents are added, removed ones retired."""
    if live is None:
        return Plan(corpus.documents, frozenset(), True, "no index yet")
    why = rebuild_reason(live.manifest, identity, sentences)
    if not why and getattr(live, "segment_count", 1) >= MAX_SEGMENTS:
        why = f"{MAX_SEGMENTS} segments are merged into one"
    if why:
        return Plan(corpus.documents, frozenset(), True, why)
    old = live.documents
    add = tuple(d for d in corpus.documents if d.id not in old or _content(d) != _content(old[d.id]))
    gone = (set(old) - {d.id for d in corpus.documents}) | {d.id for d in add if d.id in old}
    return Plan(add, frozenset(gone), False, "")


def _content(d: Document) -> tuple[Any, ...]:
    """What a document's paragraphs and tokens depend on (a new title or meeting needs no new segment)."""
    return d.sha256, d.file, d.author, d.part_authors, d.language


def _open_live(module: Backend, index_dir: Path, location: str, identity: dict[str, Any]) -> Store | None:
    try:
        return module.load(index_dir, location)
    except (IndexMissing, IndexDamaged):
        return None


def build_index(
    index_dir: Path,
    corpus: Corpus,
    encoder: Encoder,
    *,
    rebuild: bool = False,
    batch_size: int = 32,
    progress: bool = True,
    log: Callable[[str], None] = lambda s: None,
    cache_dir: Path | None = None,
    store_kind: str = "faiss",
    sentences: str = DEFAULT_SENTENCES,
) -> Store:
    """Bring the index up to date with the corpus and switch to it; returns it loaded and verified.

    New or changed documents become a new segment and removed ones leave; a change of model, formats,
    sentence-vector method (`sentences`: "late" or "independent"), segmenter or analyzer (or `rebuild`) rebuilds
    the index whole. Vectors come from the embedding cache in `cache_dir` and the live index (unless `rebuild`);
    only texts never embedded are encoded, saved as they come.
    """
    with writer_lock(index_dir, "building the index"):
        remove_stray_temps(index_dir)
        identity = encoder.identity()
        module, location = backend(store_kind)
        cache = VectorCache(cache_dir, str(identity["name"]), int(str(identity["dim"]))) if cache_dir else None
        live = None if rebuild else _open_live(module, index_dir, location, identity)
        if live is not None and not staleness(live.manifest, corpus, identity, sentences):
            log("The index is up to date: nothing to do.")
            return live
        method = sentence_vectors(sentences, identity)["method"]
        if method != sentences:
            log(f"The {identity['name']} encoder gives no token states: sentences are embedded on their own.")
        todo = (plan(corpus, live, identity, sentences) if not rebuild
                else Plan(corpus.documents, frozenset(), True, "--rebuild"))
        reuse: dict[str, np.ndarray] = {}
        if live is not None:  # the background of the live index, whatever the plan
            reuse.update(zip(live.manifest.get("background_keys", []), live.background))
        if todo.rebuild and not rebuild:
            reuse = module.salvage_vectors(index_dir, location, identity)
            if cache is not None and reuse:
                cache.put_many(reuse.items())  # the cache holds every vector from now on
        if todo.rebuild and live is not None:
            log(f"Rebuilding the index ({todo.why}); unchanged texts keep their vectors.")
        segment, background, counts = _segment(todo, corpus, encoder, method, reuse, cache, batch_size, progress, log)
        counts["documents"] = len(corpus.documents)
        languages = _languages(todo, live, segment, corpus)
        counts["paragraphs"] = sum(languages.values())
        manifest = {**_manifest(corpus, identity, counts, sentences), "languages": languages,
                    "background_keys": list(background)}
        module.commit(index_dir, location, Change(
            manifest=manifest, documents=corpus.documents, added=segment, removed=todo.removed,
            background=np.asarray(list(background.values()), dtype=np.float32).reshape(
                len(background), int(str(identity["dim"]))),
            rebuild=todo.rebuild))
    return load_index(index_dir, identity, store_kind)


def _segment(todo: Plan, corpus: Corpus, encoder: Encoder, method: str, reuse: dict[str, np.ndarray],
             cache: VectorCache | None, batch_size: int, progress: bool, log: Callable[[str], None]
             ) -> tuple[Segment, dict[str, np.ndarray], dict[str, Any]]:
    """The new segment (the plan's documents, embedded and tokenised), the background vectors, the counts."""
    name, dim = str(encoder.identity()["name"]), int(str(encoder.identity()["dim"]))
    docs = {d.id: d for d in corpus.documents}
    paragraphs = tuple(p for d in todo.add for p in corpus.paragraphs_of(d.id))
    searchable = [p for p in paragraphs if p.searchable]
    texts = [passage_text(p, docs[p.doc]) for p in searchable]
    keys = [embed_key(t, name) for t in texts]
    shifts = [len(t) - len(p.text) for t, p in zip(texts, searchable)]  # a heading embedded before the text
    spans = [(row, s, e) for row, p in enumerate(searchable) for s, e in sentence_spans(p.text)]
    skeys = [sentence_key(texts[row], (s, e), shifts[row], method, name) for row, s, e in spans]
    btexts = background_texts({d.language for d in corpus.documents})
    bkeys = [embed_key("background\n" + t, name) for t in btexts]
    wanted = dict(zip(keys, texts)) | dict(zip(bkeys, btexts))
    if method == "independent":
        wanted |= {k: searchable[row].text[s:e] for k, (row, s, e) in zip(skeys, spans)}
    if cache is not None:
        reuse.update(cache.get_many([k for k in [*wanted, *skeys] if k not in reuse]))
    passes = _late_passes(texts, keys, shifts, spans, skeys, reuse) if method == "late" else {}
    reuse_same_text(wanted, reuse)
    missing = [k for k in wanted if k not in reuse and k not in passes]
    log(f"{len(todo.add)} documents to index ({len(searchable)} paragraphs, {len(spans)} sentences, {method} "
        f"sentence vectors), {len(todo.removed)} to retire: {len(passes)} paragraph passes for sentences, "
        f"{len(missing)} texts to embed ({len({wanted[k] for k in missing})} distinct)")
    t0 = time.perf_counter()
    if passes:
        # "late" is chosen only for an encoder whose identity says it has token states (`sentence_vectors`)
        embed_late(cast(TokenEncoder, encoder), list(passes.values()), reuse, cache, batch_size, progress)
    embed(encoder, {k: wanted[k] for k in missing}, reuse, cache, batch_size, progress)
    segment = Segment(
        paragraphs=paragraphs,
        vectors=np.asarray([reuse[k] for k in keys], dtype=np.float32).reshape(len(keys), dim),
        sentences=Sentences(np.asarray([reuse[k] for k in skeys], dtype=np.float32).reshape(len(skeys), dim),
                            np.asarray([r for r, _, _ in spans], dtype=np.int32),
                            np.asarray([s for _, s, _ in spans], dtype=np.int32),
                            np.asarray([e for _, _, e in spans], dtype=np.int32)),
        tokens=[lexical_tokens(p, docs[p.doc]) for p in searchable], keys=keys, sentence_keys=skeys)
    made = set(missing) | {k for p in passes.values() for k in (p.key, *p.sentence_keys)}
    counts = {"added_paragraphs": len(searchable), "sentences": len(spans), "embedded": len(made),
              "reused": len(set(wanted) | set(skeys)) - len(made), "embed_seconds": round(time.perf_counter() - t0, 3)}
    return segment, {k: reuse[k] for k in bkeys}, counts


@dataclass(frozen=True)
class Pass:
    """One paragraph's pass of late chunking: its text, sentence spans and the keys its vectors go under."""

    text: str
    key: str
    shift: int
    spans: tuple[tuple[int, int], ...]
    sentence_keys: tuple[str, ...]


def _late_passes(texts: list[str], keys: list[str], shifts: list[int], spans: list[tuple[int, int, int]],
                 skeys: list[str], have: dict[str, np.ndarray]) -> dict[str, Pass]:
    """The paragraphs to run, by key (each distinct text once): those with a sentence vector not yet made.
    A paragraph vector missing alone is made by the same pass (it costs the same)."""
    by_row: dict[int, list[int]] = {}
    for i, (row, _, _) in enumerate(spans):
        by_row.setdefault(row, []).append(i)
    out: dict[str, Pass] = {}
    for row, (text, key) in enumerate(zip(texts, keys)):
        mine = by_row.get(row, [])
        if key not in out and (key not in have or any(skeys[i] not in have for i in mine)):
            out[key] = Pass(text, key, shifts[row], tuple((spans[i][1], spans[i][2]) for i in mine),
                            tuple(skeys[i] for i in mine))
    return out


def _languages(todo: Plan, live: Store | None, segment: Segment, corpus: Corpus) -> dict[str, int]:
    """Searchable paragraphs per document language after the change (the "not covered" policy reads it)."""
    docs = {d.id: d for d in corpus.documents}
    out: Counter[str] = Counter()
    if not todo.rebuild and live is not None:
        out.update(live.manifest.get("languages", {}))
        for doc_id in todo.removed:
            out[live.documents[doc_id].language] -= len(live.searchable(doc_id))
    out.update(docs[p.doc].language for p in segment.searchable)
    return {k: v for k, v in out.items() if v > 0}


def _manifest(corpus: Corpus, identity: dict[str, Any], counts: dict[str, Any], sentences: str) -> dict[str, Any]:
    """What the store records about an index: everything that shaped it (for `freshness`) and its counts."""
    return {
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "qa_version": __version__,
        **shaping(identity, sentences),
        "normalized": True,
        "metric": "inner_product",
        "corpus_fingerprint": corpus.fingerprint,
        "counts": counts,
        "coverage": {"background": "corpus/offtopic.txt as passages, in the corpus's languages"},
    }


def reuse_same_text(texts: dict[str, str], vectors: dict[str, np.ndarray]) -> None:
    """Give a key without a vector the vector of another key with the same text (exact: the same text is
    encoded the same way). Most English paragraphs are one "sentence" whose text is the paragraph itself, so
    this spares about four in ten texts of an English build."""
    known = {texts[k]: vectors[k] for k in texts if k in vectors}
    for k, text in texts.items():
        if k not in vectors and text in known:
            vectors[k] = known[text]


def embed(encoder: Encoder, texts: dict[str, str], into: dict[str, np.ndarray], cache: VectorCache | None,
          batch_size: int, progress: bool) -> None:
    """Encode texts by key, each distinct text once and longest first (batches of similar lengths waste no
    padding), saving each chunk to the cache as soon as it is done, so an interrupted build keeps what it has
    embedded."""
    from tqdm import tqdm

    keys_of: dict[str, list[str]] = {}
    for k, text in texts.items():
        keys_of.setdefault(text, []).append(k)
    order = sorted(keys_of, key=len, reverse=True)
    with tqdm(total=len(order), unit="text", desc="Embedding", disable=not progress or not order) as bar:
        for start in range(0, len(order), EMBED_CHUNK):
            chunk = order[start:start + EMBED_CHUNK]
            vectors = encoder.encode_passages(chunk, batch_size=batch_size)
            done = [(k, v) for text, v in zip(chunk, vectors) for k in keys_of[text]]
            into.update(done)
            if cache is not None:
                cache.put_many(done)
            bar.update(len(chunk))


def verify_index(index_dir: Path, corpus: Corpus | None, identity: dict[str, Any], store_kind: str = "faiss",
                 sentences: str = DEFAULT_SENTENCES) -> Store:
    """Everything `qa verify` checks; raises with a one-line reason, returns the index when sound."""
    store = load_index(index_dir, identity, store_kind)
    verify_all = getattr(store, "verify_files", None)
    if verify_all is not None:
        verify_all()
    if corpus is not None:
        why = staleness(store.manifest, corpus, identity, sentences)
        if why:
            raise IndexDamaged(f"Index in {index_dir} is out of date: {why} since it was built; run `qa index`.")
    return store


def embed_late(encoder: TokenEncoder, passes: list[Pass], into: dict[str, np.ndarray], cache: VectorCache | None,
               batch_size: int, progress: bool) -> None:
    """Run each paragraph once (`late.late_vectors`): its vector and its sentences' go in by key, and to the
    cache chunk by chunk, so an interrupted build keeps what it has embedded."""
    from tqdm import tqdm

    order = sorted(passes, key=lambda p: len(p.text), reverse=True)
    with tqdm(total=len(order), unit="paragraph", desc="Embedding", disable=not progress or not order) as bar:
        for start in range(0, len(order), EMBED_CHUNK):
            chunk = order[start:start + EMBED_CHUNK]
            vectors, sentences = late_vectors(encoder, [p.text for p in chunk], [p.spans for p in chunk],
                                              [p.shift for p in chunk], batch_size)
            done = [(p.key, v) for p, v in zip(chunk, vectors)]
            done += [(k, v) for p, vs in zip(chunk, sentences) for k, v in zip(p.sentence_keys, vs)]
            into.update(done)
            if cache is not None:
                cache.put_many(done)
            bar.update(len(chunk))
