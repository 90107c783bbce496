"""The built index: paragraph vectors in FAISS, a Chinese BM25 index and the paragraph store, in one folder.

Layout of `index/`: `CURRENT` names the live build folder (`build-<id>/`), which holds `manifest.json`,
`dense.faiss`, `lexical.npz`, `paragraphs.jsonl` and `documents.json`. A build is written to a temporary
folder, fsynced, renamed, and only then does `CURRENT` switch (atomically), so a reader sees the old index
or the new one, never a mix. Row i of the FAISS index, of the BM25 index and of the paragraph store are the
same paragraph; the manifest holds a SHA-256 of every file and is checked on every load.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from . import __version__
from .answer import sentence_spans
from .corpus import Corpus
from .document import Document
from .encoder import Encoder
from .errors import IndexDamaged, IndexMissing
from .lexical import BM25Index, tokenize
from .paragraph import Paragraph
from .storage import (
    TMP_PREFIX,
    atomic_write_text,
    fsync_dir,
    remove_stray_temps,
    sha256_bytes,
    write_error,
    writer_lock,
)

FORMAT_VERSION = 1
FILES = ("dense.faiss", "sentences.npz", "lexical.npz", "paragraphs.jsonl", "documents.json")
PASSAGE_FORMAT = "section+text/v1"  # what the encoder sees; a change forces re-embedding
LEXICAL_FORMAT = "jieba-search+terms/v4"


@dataclass(frozen=True)
class BuiltIndex:
    """A loaded, verified index: everything a search needs, nothing looked up again by position later."""

    path: Path
    manifest: dict[str, Any]
    documents: dict[str, Document]
    paragraphs: tuple[Paragraph, ...]
    dense: Any  # faiss.Index
    lexical: BM25Index
    sentences: Sentences

    @property
    def model(self) -> dict[str, Any]:
        return dict(self.manifest["model"])


@dataclass(frozen=True)
class Sentences:
    """Every sentence of every indexed paragraph: its vector, its paragraph row and its span in the text.

    They serve a second dense channel (a paragraph is as close as its closest sentence, which keeps a long
    paragraph findable by one sentence) and mark the answering sentence without encoding at query time.
    """

    vectors: np.ndarray  # float32 [S, dim], L2-normalised
    row: np.ndarray  # int32 [S], paragraph row
    start: np.ndarray  # int32 [S]
    end: np.ndarray  # int32 [S]

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"vectors": self.vectors, "row": self.row, "start": self.start, "end": self.end}


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


def embed_key(text: str, model_name: str) -> str:
    return hashlib.sha256(f"{model_name}\n{PASSAGE_FORMAT}\n{text}".encode()).hexdigest()[:32]


# --- reading ------------------------------------------------------------------------------------------------


def _pointer(index_dir: Path) -> tuple[str, str]:
    """(build folder name, manifest SHA-256) from `CURRENT`; IndexMissing when there is no index."""
    pointer = index_dir / "CURRENT"
    if not pointer.is_file():
        raise IndexMissing(f"No index in {index_dir}: run `qa index` first.")
    try:
        parts = pointer.read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError):
        raise _damaged(index_dir, "CURRENT is unreadable") from None
    name, sha = (parts + ["", ""])[:2]
    if len(parts) != 2 or not name.startswith("build-") or "/" in name or len(sha) != 64:
        raise _damaged(index_dir, "CURRENT does not name a build")
    return name, sha


def current_build(index_dir: Path) -> Path:
    """The live build folder named by `CURRENT`."""
    path = index_dir / _pointer(index_dir)[0]
    if not path.is_dir():
        raise _damaged(index_dir, f"{path.name} is missing")
    return path


def _damaged(index_dir: Path, why: str) -> IndexDamaged:
    return IndexDamaged(f"Index in {index_dir} is damaged: {why}; run `qa index --rebuild`.")


def _read_checked(build: Path, manifest: dict[str, Any], name: str, index_dir: Path) -> bytes:
    expected = manifest.get("files", {}).get(name, {})
    try:
        data = (build / name).read_bytes()
    except OSError:
        raise _damaged(index_dir, f"{name} is missing or unreadable") from None
    if sha256_bytes(data) != expected.get("sha256") or len(data) != expected.get("bytes"):
        raise _damaged(index_dir, f"{name} does not match its checksum")
    return data


def _read_manifest(build: Path, index_dir: Path) -> dict[str, Any]:
    """The manifest, checked against the SHA-256 that CURRENT records for it."""
    expected = _pointer(index_dir)[1]
    try:
        data = (build / "manifest.json").read_bytes()
    except OSError:
        raise _damaged(index_dir, "manifest.json is missing or unreadable") from None
    if sha256_bytes(data) != expected:
        raise _damaged(index_dir, "manifest.json does not match its checksum")
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise _damaged(index_dir, "manifest.json is unreadable") from None
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        raise _damaged(index_dir, f"manifest.json is not format version {FORMAT_VERSION}")
    return manifest


def _model_matches(stored: dict[str, Any], current: dict[str, Any]) -> bool:
    keys = ("name", "dim", "prompts", "normalize", "weights_sha256")
    return all(stored.get(k) == current.get(k) for k in keys)


def load_index(index_dir: Path, encoder_identity: dict[str, Any] | None = None) -> BuiltIndex:
    """Load and verify the live build; IndexMissing or IndexDamaged (one-line reason) if it is not sound."""
    build = current_build(index_dir)
    manifest = _read_manifest(build, index_dir)
    raw = {name: _read_checked(build, manifest, name, index_dir) for name in FILES}
    try:
        documents = {d["id"]: _document(d) for d in json.loads(raw["documents.json"])}
        paragraphs = tuple(_paragraph(json.loads(line)) for line in raw["paragraphs.jsonl"].splitlines() if line)
        dense = faiss.deserialize_index(np.frombuffer(raw["dense.faiss"], dtype=np.uint8).copy())
        with np.load(io.BytesIO(raw["lexical.npz"]), allow_pickle=False) as z:
            lexical = BM25Index.from_arrays({k: z[k] for k in z.files})
        with np.load(io.BytesIO(raw["sentences.npz"]), allow_pickle=False) as z:
            sentences = Sentences(z["vectors"], z["row"], z["start"], z["end"])
    except Exception as e:  # noqa: BLE001 - checksums matched, so this is a format or version mismatch
        raise _damaged(index_dir, f"files cannot be read ({type(e).__name__})") from None
    counts = manifest.get("counts", {})
    n = len(paragraphs)
    if not (dense.ntotal == n == lexical.n_docs == counts.get("paragraphs")):
        raise _damaged(
            index_dir, f"counts disagree (vectors {dense.ntotal}, paragraphs {n}, lexical {lexical.n_docs})"
        )
    if len(sentences.row) and (sentences.row.min() < 0 or sentences.row.max() >= n
                               or sentences.vectors.shape != (len(sentences.row), dense.d)
                               or (sentences.end > np.array([len(paragraphs[i].text) for i in sentences.row])).any()):
        raise _damaged(index_dir, "sentence table does not match the paragraphs")
    if dense.d != manifest["model"].get("dim"):
        raise _damaged(index_dir, f"vector dimension {dense.d} is not the model's {manifest['model'].get('dim')}")
    if any(p.doc not in documents for p in paragraphs):
        raise _damaged(index_dir, "a paragraph names a document the index does not describe")
    if encoder_identity is not None and not _model_matches(manifest["model"], encoder_identity):
        raise IndexDamaged(
            f"Index in {index_dir} was built with model {manifest['model'].get('name')!r}, not the configured "
            f"{encoder_identity.get('name')!r}; run `qa index --rebuild` or set QA_MODEL back."
        )
    return BuiltIndex(build, manifest, documents, paragraphs, dense, lexical, sentences)


def _document(d: dict[str, Any]) -> Document:
    names = {f.name for f in dataclasses.fields(Document)}
    d = {k: v for k, v in d.items() if k in names}
    d["submitted_by"] = tuple(d.get("submitted_by", ()))
    return Document(**d)


def _paragraph(d: dict[str, Any]) -> Paragraph:
    names = {f.name for f in dataclasses.fields(Paragraph)}
    return Paragraph(**{k: v for k, v in d.items() if k in names})


def _doc_json(d: Document) -> dict[str, Any]:
    out = dataclasses.asdict(d)
    out["submitted_by"] = list(d.submitted_by)
    return out


# --- writing -----------------------------------------------------------------------------------------------


def paragraphs_fingerprint(paragraphs: tuple[Paragraph, ...] | list[Paragraph]) -> str:
    """SHA-256 of the indexed paragraphs themselves, so a change of the segmenter also makes the index stale."""
    h = hashlib.sha256()
    for p in paragraphs:
        h.update(json.dumps(dataclasses.asdict(p), ensure_ascii=False, sort_keys=True).encode())
    return h.hexdigest()


def is_fresh(index: BuiltIndex, corpus: Corpus, encoder_identity: dict[str, Any]) -> bool:
    """True when the index was built from this corpus, segmented the same way, with this model and formats."""
    m = index.manifest
    return (
        m.get("corpus_fingerprint") == corpus.fingerprint
        and m.get("paragraphs_sha256") == paragraphs_fingerprint(corpus.searchable())
        and m.get("passage_format") == PASSAGE_FORMAT
        and m.get("lexical_format") == LEXICAL_FORMAT
        and _model_matches(m["model"], encoder_identity)
    )


def _reusable_vectors(index_dir: Path, identity: dict[str, Any]) -> dict[str, np.ndarray]:
    """Vectors of the previous build, by embed key, when that build is sound and used the same model."""
    try:
        old = load_index(index_dir, identity)
    except (IndexMissing, IndexDamaged):
        return {}
    keys = old.manifest.get("embed_keys", [])
    skeys = old.manifest.get("sentence_keys", [])
    if len(keys) != old.dense.ntotal or len(skeys) != len(old.sentences.row):
        return {}
    vectors = old.dense.reconstruct_n(0, old.dense.ntotal)
    return {**dict(zip(keys, vectors)), **dict(zip(skeys, old.sentences.vectors))}


def build_index(
    index_dir: Path,
    corpus: Corpus,
    encoder: Encoder,
    *,
    rebuild: bool = False,
    batch_size: int = 16,
    progress: bool = True,
    log: Callable[[str], None] = lambda s: None,
) -> BuiltIndex:
    """Build (incrementally unless `rebuild`) and switch to a new index; returns it loaded and verified."""
    with writer_lock(index_dir, "building the index"):
        remove_stray_temps(index_dir)
        identity = encoder.identity()
        reuse = {} if rebuild else _reusable_vectors(index_dir, identity)
        docs = {d.id: d for d in corpus.documents}
        paragraphs = tuple(corpus.searchable())
        texts = [passage_text(p, docs[p.doc]) for p in paragraphs]
        keys = [embed_key(t, str(identity["name"])) for t in texts]
        spans = [(row, s, e) for row, p in enumerate(paragraphs) for s, e in sentence_spans(p.text)]
        stexts = [paragraphs[row].text[s:e] for row, s, e in spans]
        skeys = [embed_key("sentence\n" + t, str(identity["name"])) for t in stexts]
        wanted = dict(zip(keys, texts)) | dict(zip(skeys, stexts))
        todo = [k for k in wanted if k not in reuse]
        log(f"{len(paragraphs)} paragraphs, {len(stexts)} sentences: {len(wanted) - len(todo)} vectors reused, "
            f"{len(todo)} to embed")
        t0 = time.perf_counter()
        if todo:
            fresh = encoder.encode_passages([wanted[k] for k in todo], batch_size=batch_size, progress=progress)
            reuse.update(zip(todo, fresh))
        embed_seconds = time.perf_counter() - t0
        dim = int(str(identity["dim"]))
        vectors = np.asarray([reuse[k] for k in keys], dtype=np.float32).reshape(len(keys), dim)
        sentences = Sentences(
            np.asarray([reuse[k] for k in skeys], dtype=np.float32).reshape(len(skeys), dim),
            np.asarray([r for r, _, _ in spans], dtype=np.int32),
            np.asarray([s for _, s, _ in spans], dtype=np.int32),
            np.asarray([e for _, _, e in spans], dtype=np.int32),
        )
        dense = faiss.IndexFlatIP(dim)
        if len(vectors):
            dense.add(vectors)
        lexical = BM25Index.build([tokenize(lexical_text(p, docs[p.doc])) for p in paragraphs])

        blobs = {
            "dense.faiss": faiss.serialize_index(dense).tobytes(),
            "sentences.npz": _npz(sentences.to_arrays()),
            "lexical.npz": _npz(lexical.to_arrays()),
            "paragraphs.jsonl": "".join(
                json.dumps(dataclasses.asdict(p), ensure_ascii=False) + "\n" for p in paragraphs
            ).encode(),
            "documents.json": json.dumps([_doc_json(d) for d in corpus.documents], ensure_ascii=False).encode(),
        }
        manifest = {
            "format_version": FORMAT_VERSION,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "qa_version": __version__,
            "model": identity,
            "normalized": True,
            "metric": "inner_product",
            "passage_format": PASSAGE_FORMAT,
            "lexical_format": LEXICAL_FORMAT,
            "tokenizer": "jieba 0.42.1 + domain terminology",
            "corpus_fingerprint": corpus.fingerprint,
            "paragraphs_sha256": paragraphs_fingerprint(paragraphs),
            "counts": {"documents": len(corpus.documents), "paragraphs": len(paragraphs),
                       "sentences": len(stexts), "embedded": len(todo), "reused": len(wanted) - len(todo)},
            "embed_seconds": round(embed_seconds, 3),
            "versions": {"faiss": faiss.__version__, "numpy": np.__version__},
            "embed_keys": keys,
            "sentence_keys": skeys,
            "files": {n: {"sha256": sha256_bytes(b), "bytes": len(b)} for n, b in blobs.items()},
        }
        blobs_all = {**blobs, "manifest.json": json.dumps(manifest, ensure_ascii=False, indent=1).encode()}
        _switch_to(index_dir, blobs_all)
    return load_index(index_dir, identity)


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]
    return buf.getvalue()


def _switch_to(index_dir: Path, blobs: dict[str, bytes]) -> None:
    """Write a complete build folder, then point CURRENT at it atomically; keep the previous build."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX + "build-", dir=index_dir))
    except OSError as e:
        raise write_error(index_dir, e) from e
    final = None
    try:
        for name, data in blobs.items():  # manifest.json last: dict order
            with open(tmp / name, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        fsync_dir(tmp)
        build_id = time.strftime("%Y%m%d%H%M%S", time.gmtime()) + "-" + sha256_bytes(blobs["manifest.json"])[:8]
        final = index_dir / f"build-{build_id}"
        os.replace(tmp, final)
        fsync_dir(index_dir)
        previous = None
        with contextlib.suppress(IndexMissing, IndexDamaged):
            previous = current_build(index_dir).name
        atomic_write_text(index_dir / "CURRENT", f"{final.name}\n{sha256_bytes(blobs['manifest.json'])}\n")
    except BaseException as e:
        # CURRENT still names the previous build; drop the half-written or never-switched-to new one.
        shutil.rmtree(tmp, ignore_errors=True)
        if final is not None and _pointer_name(index_dir) != final.name:
            shutil.rmtree(final, ignore_errors=True)
        if isinstance(e, OSError):
            raise write_error(index_dir, e) from e
        raise
    for old in index_dir.glob("build-*"):
        if old.name not in (final.name, previous):
            shutil.rmtree(old, ignore_errors=True)


def _pointer_name(index_dir: Path) -> str:
    try:
        return _pointer(index_dir)[0]
    except (IndexMissing, IndexDamaged):
        return ""


def verify_index(index_dir: Path, corpus: Corpus | None, encoder_identity: dict[str, Any]) -> BuiltIndex:
    """Everything `qa verify` checks; raises with a one-line reason, returns the index when sound."""
    index = load_index(index_dir, encoder_identity)
    if corpus is not None and (index.manifest.get("corpus_fingerprint") != corpus.fingerprint
                               or index.manifest.get("paragraphs_sha256") != paragraphs_fingerprint(corpus.searchable())):
        raise IndexDamaged(
            f"Index in {index_dir} is out of date: the corpus changed since it was built; run `qa index`."
        )
    ids = [p.id for p in index.paragraphs]
    if len(set(ids)) != len(ids):
        raise _damaged(index_dir, "paragraph ids repeat")
    return index
