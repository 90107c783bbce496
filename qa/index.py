"""Building the index: the corpus's paragraphs embedded and tokenised, handed to the store, checked for freshness.

What the encoder and the lexical channel see of each paragraph is decided here, the same for every store.
Vectors of texts that did not change are reused from the live index, so an update embeds only what is new.
The manifest records everything that shaped the index (model, prompts, formats, the analyzer's inputs), and
`is_fresh` compares all of it, so a change of any of them makes the index stale rather than wrong.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .analyzers import tokenize, user_words
from .corpus import Corpus
from .document import Document
from .encoder import Encoder
from .errors import IndexDamaged
from .paragraph import Paragraph
from .sentences import SENTENCE_FORMAT, sentence_spans
from .storage import remove_stray_temps, sha256_bytes, writer_lock
from .store import Change, Segment, Sentences, Store, backend
from .terminology import CONCEPT, TERMINOLOGY_PATH, concepts_in
from .text import detect_language
from .vectors import VectorCache

PASSAGE_FORMAT = "section+text/v1"  # what the encoder sees; a change forces re-embedding
LEXICAL_FORMAT = "jieba-search+terms+snowball+concepts/v6"
EMBED_CHUNK = 512  # texts encoded (and saved to the cache) at a time
PROBES_PATH = Path(__file__).resolve().parent.parent / "corpus" / "offtopic.txt"


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


def analyzer_identity() -> dict[str, Any]:
    """Everything that shapes lexical tokens: a change to any of it changes what the postings mean."""
    import jieba

    return {
        "format": LEXICAL_FORMAT,
        "tokenizer": f"jieba {jieba.__version__} cut_for_search + domain terms; Snowball english "
                     f"(PyStemmer {importlib.metadata.version('PyStemmer')})",
        "terminology_sha256": sha256_bytes(TERMINOLOGY_PATH.read_bytes()),
        "user_words_sha256": sha256_bytes("\n".join(sorted(user_words())).encode()),
    }


def paragraphs_fingerprint(paragraphs: tuple[Paragraph, ...] | list[Paragraph]) -> str:
    """SHA-256 of the indexed paragraphs themselves, so a change of the segmenter also makes the index stale."""
    h = hashlib.sha256()
    for p in paragraphs:
        h.update(json.dumps(asdict(p), ensure_ascii=False, sort_keys=True).encode())
    return h.hexdigest()


# --- freshness --------------------------------------------------------------------------------------------


def _model_matches(stored: dict[str, Any], current: dict[str, Any]) -> bool:
    keys = ("name", "dim", "prompts", "normalize", "weights_sha256")
    return all(stored.get(k) == current.get(k) for k in keys)


def check_model(manifest: dict[str, Any], identity: dict[str, Any], index_dir: Path) -> None:
    """IndexDamaged when the index was built with another model: its vectors would not be comparable."""
    if not _model_matches(manifest["model"], identity):
        raise IndexDamaged(
            f"Index in {index_dir} was built with model {manifest['model'].get('name')!r}, not the configured "
            f"{identity.get('name')!r}; run `qa index --rebuild` or set QA_MODEL back."
        )


def staleness(manifest: dict[str, Any], corpus: Corpus, identity: dict[str, Any]) -> str:
    """Why an index no longer matches the corpus, model and analyzer ('' when it is fresh)."""
    if manifest.get("corpus_fingerprint") != corpus.fingerprint:
        return "the corpus changed"
    if manifest.get("paragraphs_sha256") != paragraphs_fingerprint(corpus.searchable()):
        return "the segmentation changed"
    if manifest.get("passage_format") != PASSAGE_FORMAT or manifest.get("sentence_format") != SENTENCE_FORMAT:
        return "what is embedded changed"
    if manifest.get("analyzer") != analyzer_identity():
        return "the lexical analyzer or terminology changed"
    if manifest.get("coverage", {}).get("probes_sha256") != sha256_bytes(PROBES_PATH.read_bytes()):
        return "the off-topic probes changed"
    if not _model_matches(manifest["model"], identity):
        return "the model changed"
    return ""


def is_fresh(manifest: dict[str, Any], corpus: Corpus, identity: dict[str, Any]) -> bool:
    """True when the index was built from this corpus, segmented the same way, with this model and analyzer."""
    return not staleness(manifest, corpus, identity)


# --- building ---------------------------------------------------------------------------------------------


def load_probes(path: Path = PROBES_PATH) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def background_texts(languages: set[str]) -> list[str]:
    """Everyday text in the corpus's languages, embedded as passages: the "not covered" policy asks whether a
    question is closer to the corpus than to this (see `coverage.verdict`)."""
    return [p for p in load_probes() if detect_language(p) in languages] or load_probes()


def load_index(index_dir: Path, identity: dict[str, Any] | None = None, store_kind: str = "faiss") -> Store:
    """The live index, verified; with `identity`, also checked to be built by that model."""
    module, location = backend(store_kind)
    store = module.load(index_dir, location)
    if identity is not None:
        check_model(store.manifest, identity, index_dir)
    return store


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
) -> Store:
    """Build and switch to a new index; returns it loaded and verified.

    Vectors come from the embedding cache in `cache_dir` (and the live index's own, unless `rebuild`); only
    texts never embedded with this model are encoded, and they are saved as they come.
    """
    with writer_lock(index_dir, "building the index"):
        remove_stray_temps(index_dir)
        identity = encoder.identity()
        cache = VectorCache(cache_dir, str(identity["name"]), int(str(identity["dim"]))) if cache_dir else None
        module, location = backend(store_kind)
        reuse = {} if rebuild else module.salvage_vectors(index_dir, location, identity)
        docs = {d.id: d for d in corpus.documents}
        paragraphs = tuple(corpus.searchable())
        texts = [passage_text(p, docs[p.doc]) for p in paragraphs]
        keys = [embed_key(t, str(identity["name"])) for t in texts]
        spans = [(row, s, e) for row, p in enumerate(paragraphs) for s, e in sentence_spans(p.text)]
        stexts = [paragraphs[row].text[s:e] for row, s, e in spans]
        skeys = [embed_key("sentence\n" + t, str(identity["name"])) for t in stexts]
        btexts = background_texts({d.language for d in corpus.documents})
        bkeys = [embed_key("background\n" + t, str(identity["name"])) for t in btexts]
        wanted = dict(zip(keys, texts)) | dict(zip(skeys, stexts)) | dict(zip(bkeys, btexts))
        if cache is not None:
            reuse.update(cache.get_many([k for k in wanted if k not in reuse]))
        reuse_same_text(wanted, reuse)
        todo = [k for k in wanted if k not in reuse]
        log(f"{len(paragraphs)} paragraphs, {len(stexts)} sentences, {len(btexts)} background texts: "
            f"{len(wanted) - len(todo)} vectors reused, {len(todo)} to embed "
            f"({len({wanted[k] for k in todo})} distinct texts)")
        t0 = time.perf_counter()
        embed(encoder, {k: wanted[k] for k in todo}, reuse, cache, batch_size, progress)
        embed_seconds = time.perf_counter() - t0
        dim = int(str(identity["dim"]))
        vectors = np.asarray([reuse[k] for k in keys], dtype=np.float32).reshape(len(keys), dim)
        sentences = Sentences(
            np.asarray([reuse[k] for k in skeys], dtype=np.float32).reshape(len(skeys), dim),
            np.asarray([r for r, _, _ in spans], dtype=np.int32),
            np.asarray([s for _, s, _ in spans], dtype=np.int32),
            np.asarray([e for _, _, e in spans], dtype=np.int32),
        )
        counts = {"documents": len(corpus.documents), "paragraphs": len(paragraphs), "sentences": len(stexts),
                  "embedded": len(todo), "reused": len(wanted) - len(todo)}
        manifest = _manifest(corpus, paragraphs, identity, counts, embed_seconds,
                             {"embed_keys": keys, "sentence_keys": skeys, "background_keys": bkeys})
        module.commit(index_dir, location, Change(
            manifest=manifest,
            documents=corpus.documents,
            added=Segment(paragraphs=corpus.paragraphs, vectors=vectors, sentences=sentences,
                          tokens=[lexical_tokens(p, docs[p.doc]) for p in paragraphs]),
            removed=frozenset(),
            background=np.asarray([reuse[k] for k in bkeys], dtype=np.float32).reshape(len(bkeys), dim),
            rebuild=True,
        ))
    return load_index(index_dir, identity, store_kind)


def _manifest(corpus: Corpus, paragraphs: tuple[Paragraph, ...], identity: dict[str, Any], counts: dict[str, int],
              embed_seconds: float, keys: dict[str, list[str]]) -> dict[str, Any]:
    """What the store records about a build: everything that shaped it, for `staleness`, and its keys."""
    docs = {d.id: d for d in corpus.documents}
    return {
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "qa_version": __version__,
        "model": identity,
        "normalized": True,
        "metric": "inner_product",
        "passage_format": PASSAGE_FORMAT,
        "sentence_format": SENTENCE_FORMAT,
        "lexical_format": LEXICAL_FORMAT,
        "analyzer": analyzer_identity(),
        "corpus_fingerprint": corpus.fingerprint,
        "paragraphs_sha256": paragraphs_fingerprint(paragraphs),
        "counts": counts,
        "embed_seconds": round(embed_seconds, 3),
        "languages": dict(Counter(docs[p.doc].language for p in paragraphs)),
        "coverage": {"background": "corpus/offtopic.txt as passages, in the corpus's languages",
                     "probes_sha256": sha256_bytes(PROBES_PATH.read_bytes())},
        **keys,
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


def verify_index(index_dir: Path, corpus: Corpus | None, identity: dict[str, Any], store_kind: str = "faiss") -> Store:
    """Everything `qa verify` checks; raises with a one-line reason, returns the index when sound."""
    store = load_index(index_dir, identity, store_kind)
    if corpus is not None:
        why = staleness(store.manifest, corpus, identity)
        if why:
            raise IndexDamaged(f"Index in {index_dir} is out of date: {why} since it was built; run `qa index`.")
    return store
