"""The FAISS store: paragraph vectors in FAISS, sentence vectors and BM25 postings as arrays, in one folder.

Layout of the index folder: `CURRENT` names the live build folder (`build-<id>/`), which holds
`manifest.json`, `dense.faiss`, `sentences.npz`, `lexical.npz`, `paragraphs.jsonl` and `documents.json`.
A build is written to a temporary folder, fsynced, renamed, and only then does `CURRENT` switch
(atomically), so a reader sees the old index or the new one, never a mix. Row i of FAISS, of the BM25
postings and of the paragraph file is the same paragraph; results leave this module as paragraph ids.
This is the only module that imports faiss.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from .citation import paragraph_author
from .document import Document
from .errors import IndexDamaged, IndexMissing, IndexOutdated
from .lexical import BM25Index
from .paragraph import Paragraph
from .storage import TMP_PREFIX, atomic_write_text, fsync_dir, sha256_bytes, write_error
from .store import ALL, Change, Filter, Ranked, Sentences

FORMAT_VERSION = 2  # 2: background.npy
FILES = ("dense.faiss", "sentences.npz", "lexical.npz", "paragraphs.jsonl", "documents.json", "background.npy")


class FaissStore:
    """A loaded, verified FAISS index (see `qa.store.Store`)."""

    def __init__(self, path: Path, manifest: dict[str, Any], documents: dict[str, Document],
                 paragraphs: tuple[Paragraph, ...], dense: Any, lexical: BM25Index, sentences: Sentences,
                 background: np.ndarray) -> None:
        self.path = path
        self.background = background
        self.manifest = manifest
        self.documents = documents
        self._paragraphs = paragraphs
        self._dense = dense
        self._lexical = lexical
        self._sentences = sentences
        self._row = {p.id: i for i, p in enumerate(paragraphs)}
        self._vectors: np.ndarray = (dense.reconstruct_n(0, dense.ntotal) if dense.ntotal
                                     else np.zeros((0, dense.d), dtype=np.float32))
        self._doc_rows: dict[str, list[int]] = {}
        self._speaker_rows: dict[str, list[int]] = {}
        for i, p in enumerate(paragraphs):
            self._doc_rows.setdefault(p.doc, []).append(i)
            d = documents[p.doc]
            for name in {*d.submitted_by, paragraph_author(d, p)} - {""}:
                self._speaker_rows.setdefault(name, []).append(i)
        order = np.argsort(sentences.row, kind="stable")
        bounds = np.searchsorted(sentences.row[order], np.arange(len(paragraphs) + 1))
        self._sentences_of = [order[bounds[r]:bounds[r + 1]] for r in range(len(paragraphs))]

    @property
    def size(self) -> int:
        return len(self._paragraphs)

    @property
    def speakers(self) -> tuple[str, ...]:
        """Every party some indexed paragraph speaks for (submitters and authors)."""
        return tuple(sorted(self._speaker_rows))

    # -- records --

    def paragraphs(self, ids: Sequence[str]) -> list[Paragraph]:
        return [self._paragraphs[self._row[i]] for i in ids]

    def searchable(self, doc_id: str) -> tuple[Paragraph, ...]:
        return tuple(self._paragraphs[r] for r in self._doc_rows.get(doc_id, ()))

    def document_paragraphs(self, doc_id: str) -> tuple[Paragraph, ...]:
        return self.searchable(doc_id)  # this format keeps the searchable paragraphs only

    # -- filters --

    def _rows(self, where: Filter) -> np.ndarray | None:
        """Rows `where` admits, or None for every row (no restriction)."""
        if where.is_empty():
            return None
        docs = [d for d in self.documents.values() if where.admits_document(d)]
        rows = np.zeros(self.size, dtype=bool)
        for d in docs:
            rows[self._doc_rows.get(d.id, [])] = True
        if where.speakers is not None:
            spoken = np.zeros(self.size, dtype=bool)
            for name in where.speakers:
                spoken[self._speaker_rows.get(name, [])] = True
            rows &= spoken
        return np.flatnonzero(rows)

    def _ranked(self, rows: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray) -> Ranked:
        return [(self._paragraphs[int(r)].id, float(s)) for r, s in zip(rows, scores)]

    # -- channels --

    def search_paragraphs(self, vector: np.ndarray, k: int, where: Filter = ALL) -> Ranked:
        rows = self._rows(where)
        n = min(k, self.size if rows is None else len(rows))
        if n <= 0:
            return []
        params = None if rows is None else faiss.SearchParameters(sel=faiss.IDSelectorBatch(rows))  # type: ignore[call-arg]
        scores, ids = self._dense.search(vector.reshape(1, -1).astype(np.float32), n, params=params)
        keep = ids[0] >= 0
        return self._ranked(ids[0][keep], scores[0][keep])

    def search_sentences(self, vector: np.ndarray, k: int, where: Filter = ALL) -> Ranked:
        sims = self._sentences.vectors @ vector
        best = np.full(self.size, -np.inf, dtype=np.float32)
        np.maximum.at(best, self._sentences.row, sims)
        rows = self._rows(where)
        if rows is not None:
            masked = np.full_like(best, -np.inf)
            masked[rows] = best[rows]
            best = masked
        top = np.argsort(-best, kind="stable")[:k]
        top = top[np.isfinite(best[top])]
        return self._ranked(top, best[top])

    def search_lexical(self, terms: Sequence[tuple[str, float]], k: int, where: Filter = ALL) -> Ranked:
        if not terms:
            return []
        scores = self._lexical.scores(terms)
        rows = self._rows(where)
        if rows is not None:
            masked = np.full_like(scores, -np.inf)
            masked[rows] = scores[rows]
            scores = masked
        top = np.argsort(-scores, kind="stable")[:k]
        top = top[scores[top] > 0]
        return self._ranked(top, scores[top])

    def sentence_scores(self, paragraph_id: str, vector: np.ndarray) -> list[tuple[int, int, float]]:
        ids = self._sentences_of[self._row[paragraph_id]]
        s = self._sentences
        return [(int(s.start[i]), int(s.end[i]), float(s.vectors[i] @ vector)) for i in ids]

    def paragraph_scores(self, ids: Sequence[str], vector: np.ndarray) -> list[float]:
        return [float(self._vectors[self._row[i]] @ vector) for i in ids]

    def document_frequency(self, term: str) -> int:
        return self._lexical.document_frequency(term)

    def count_matching(self, terms: Sequence[str]) -> int:
        return self._lexical.count_matching(terms)

    def similarity_stats(self, vector: np.ndarray) -> tuple[float, float, float]:
        if not len(self._vectors):
            return (0.0, 0.0, 0.0)
        sims = self._vectors @ vector
        return (float(sims.max()), float(sims.mean()), float(sims.std()))


# --- reading ------------------------------------------------------------------------------------------------


def _pointer(index_dir: Path) -> tuple[str, str]:
    """(build folder name, manifest SHA-256) from `CURRENT`; IndexMissing when there is no index."""
    pointer = index_dir / "CURRENT"
    if not pointer.is_file():
        raise IndexMissing(f"No index in {index_dir}: run `qa index` first.")
    try:
        parts = pointer.read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError):
        raise damaged(index_dir, "CURRENT is unreadable") from None
    name, sha = (parts + ["", ""])[:2]
    if len(parts) != 2 or not name.startswith("build-") or "/" in name or len(sha) != 64:
        raise damaged(index_dir, "CURRENT does not name a build")
    return name, sha


def current_build(index_dir: Path) -> Path:
    """The live build folder named by `CURRENT`."""
    path = index_dir / _pointer(index_dir)[0]
    if not path.is_dir():
        raise damaged(index_dir, f"{path.name} is missing")
    return path


def damaged(index_dir: Path, why: str) -> IndexDamaged:
    return IndexDamaged(f"Index in {index_dir} is damaged: {why}; run `qa index --rebuild`.")


def _read_checked(build: Path, manifest: dict[str, Any], name: str, index_dir: Path) -> bytes:
    expected = manifest.get("files", {}).get(name, {})
    try:
        data = (build / name).read_bytes()
    except OSError:
        raise damaged(index_dir, f"{name} is missing or unreadable") from None
    if sha256_bytes(data) != expected.get("sha256") or len(data) != expected.get("bytes"):
        raise damaged(index_dir, f"{name} does not match its checksum")
    return data


def read_manifest(index_dir: Path) -> dict[str, Any]:
    """The live build's manifest, checked against the SHA-256 that CURRENT records for it."""
    build = current_build(index_dir)
    expected = _pointer(index_dir)[1]
    try:
        data = (build / "manifest.json").read_bytes()
    except OSError:
        raise damaged(index_dir, "manifest.json is missing or unreadable") from None
    if sha256_bytes(data) != expected:
        raise damaged(index_dir, "manifest.json does not match its checksum")
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise damaged(index_dir, "manifest.json is unreadable") from None
    if not isinstance(manifest, dict):
        raise damaged(index_dir, "manifest.json is not a manifest")
    if isinstance(manifest.get("format_version"), int) and manifest["format_version"] < FORMAT_VERSION:
        raise IndexOutdated(f"The index in {index_dir} was built by an older version of qa (format "
                            f"{manifest['format_version']}, now {FORMAT_VERSION}): run `qa index` to update it.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise damaged(index_dir, f"manifest.json is not format version {FORMAT_VERSION}")
    return manifest


def load(index_dir: Path, location: str = "") -> FaissStore:
    """Load and verify the live build; IndexMissing or IndexDamaged (one-line reason) if it is not sound."""
    build = current_build(index_dir)
    manifest = read_manifest(index_dir)
    raw = {name: _read_checked(build, manifest, name, index_dir) for name in FILES}
    try:
        documents = {d["id"]: _document(d) for d in json.loads(raw["documents.json"])}
        paragraphs = tuple(_paragraph(json.loads(line)) for line in raw["paragraphs.jsonl"].splitlines() if line)
        dense = faiss.deserialize_index(np.frombuffer(raw["dense.faiss"], dtype=np.uint8).copy())
        with np.load(io.BytesIO(raw["lexical.npz"]), allow_pickle=False) as z:
            lexical = BM25Index.from_arrays({k: z[k] for k in z.files})
        with np.load(io.BytesIO(raw["sentences.npz"]), allow_pickle=False) as z:
            sentences = Sentences(z["vectors"], z["row"], z["start"], z["end"])
        background = np.load(io.BytesIO(raw["background.npy"]), allow_pickle=False)
    except Exception as e:  # noqa: BLE001 - checksums matched, so this is a format or version mismatch
        raise damaged(index_dir, f"files cannot be read ({type(e).__name__})") from None
    _check_consistent(index_dir, manifest, documents, paragraphs, dense, lexical, sentences)
    if background.ndim != 2 or background.shape[1] != dense.d:
        raise damaged(index_dir, "background.npy does not match the model's dimension")
    return FaissStore(build, manifest, documents, paragraphs, dense, lexical, sentences, background)


def _check_consistent(index_dir: Path, manifest: dict[str, Any], documents: dict[str, Document],
                      paragraphs: tuple[Paragraph, ...], dense: Any, lexical: BM25Index, sentences: Sentences) -> None:
    """Cross-checks the checksums cannot make: counts, dimensions and references agree."""
    n = len(paragraphs)
    if not (dense.ntotal == n == lexical.n_docs == manifest.get("counts", {}).get("paragraphs")):
        raise damaged(index_dir, f"counts disagree (vectors {dense.ntotal}, paragraphs {n}, lexical {lexical.n_docs})")
    if len(sentences.row) and (sentences.row.min() < 0 or sentences.row.max() >= n
                               or sentences.vectors.shape != (len(sentences.row), dense.d)
                               or (sentences.end > np.array([len(paragraphs[i].text) for i in sentences.row])).any()):
        raise damaged(index_dir, "sentence table does not match the paragraphs")
    if dense.d != manifest["model"].get("dim"):
        raise damaged(index_dir, f"vector dimension {dense.d} is not the model's {manifest['model'].get('dim')}")
    if any(p.doc not in documents for p in paragraphs):
        raise damaged(index_dir, "a paragraph names a document the index does not describe")
    ids = [p.id for p in paragraphs]
    if len(set(ids)) != len(ids):
        raise damaged(index_dir, "paragraph ids repeat")


def _document(d: dict[str, Any]) -> Document:
    names = {f.name for f in dataclasses.fields(Document)}
    d = {k: v for k, v in d.items() if k in names}
    d["submitted_by"] = tuple(d.get("submitted_by", ()))
    d["part_authors"] = tuple(tuple(x) for x in d.get("part_authors", ()))
    d["speaker_aliases"] = tuple((k, tuple(v)) for k, v in d.get("speaker_aliases", ()))
    return Document(**d)


def _paragraph(d: dict[str, Any]) -> Paragraph:
    names = {f.name for f in dataclasses.fields(Paragraph)}
    return Paragraph(**{k: v for k, v in d.items() if k in names})


def salvage_vectors(index_dir: Path, location: str, identity: dict[str, Any]) -> dict[str, np.ndarray]:
    """The live build's vectors by embed key, also from a build of an older format, when the files that hold
    them match their checksums and the build used the same model; {} otherwise. Never raises."""
    try:
        build = current_build(index_dir)
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("model", {}).get("name") != identity.get("name") or \
                manifest.get("model", {}).get("weights_sha256") != identity.get("weights_sha256"):
            return {}
        dense = faiss.deserialize_index(np.frombuffer(_read_checked(build, manifest, "dense.faiss", index_dir),
                                                      dtype=np.uint8).copy())
        with np.load(io.BytesIO(_read_checked(build, manifest, "sentences.npz", index_dir)),
                     allow_pickle=False) as z:
            sentence_vectors = z["vectors"]
        keys, skeys = manifest.get("embed_keys", []), manifest.get("sentence_keys", [])
        if len(keys) != dense.ntotal or len(skeys) != len(sentence_vectors):
            return {}
        vectors = dense.reconstruct_n(0, dense.ntotal) if dense.ntotal else []
        found = {**dict(zip(keys, vectors)), **dict(zip(skeys, sentence_vectors))}
        bkeys = manifest.get("background_keys", [])
        if bkeys:
            background = np.load(io.BytesIO(_read_checked(build, manifest, "background.npy", index_dir)))
            if len(background) == len(bkeys):
                found.update(zip(bkeys, background))
        return found
    except Exception:  # noqa: BLE001 - salvage is best effort; a full embed is the fallback
        return {}


# --- writing -----------------------------------------------------------------------------------------------


def commit(index_dir: Path, location: str, change: Change) -> None:
    """Serialise a change and switch `CURRENT` to it atomically (the caller holds the writer lock)."""
    if not change.rebuild:
        raise NotImplementedError("this store format writes whole builds only")
    dim = int(change.manifest["model"]["dim"])
    added = change.added
    dense = faiss.IndexFlatIP(dim)
    if len(added.vectors):
        dense.add(np.ascontiguousarray(added.vectors, dtype=np.float32))
    lexical = BM25Index.build(added.tokens)
    blobs = {
        "dense.faiss": faiss.serialize_index(dense).tobytes(),
        "sentences.npz": _npz(added.sentences.to_arrays()),
        "lexical.npz": _npz(lexical.to_arrays()),
        "paragraphs.jsonl": "".join(
            json.dumps(dataclasses.asdict(p), ensure_ascii=False) + "\n" for p in added.searchable
        ).encode(),
        "documents.json": json.dumps([dataclasses.asdict(d) for d in change.documents], ensure_ascii=False).encode(),
        "background.npy": _npy(change.background),
    }
    manifest = {
        "format_version": FORMAT_VERSION,
        **change.manifest,
        "store": "faiss",
        "versions": {"faiss": faiss.__version__, "numpy": np.__version__},
        "files": {n: {"sha256": sha256_bytes(b), "bytes": len(b)} for n, b in blobs.items()},
    }
    _switch_to(index_dir, {**blobs, "manifest.json": json.dumps(manifest, ensure_ascii=False, indent=1).encode()})


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(array, dtype=np.float32), allow_pickle=False)
    return buf.getvalue()


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
        # The temporary folder's random suffix keeps two identical builds in one second apart: the second
        # would otherwise be renamed onto the first (the live or the kept previous build).
        build_id = (time.strftime("%Y%m%d%H%M%S", time.gmtime()) + "-" + sha256_bytes(blobs["manifest.json"])[:8]
                    + "-" + tmp.name.rsplit("-", 1)[-1])
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
