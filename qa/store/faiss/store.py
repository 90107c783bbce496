"""The FAISS store: an index folder of immutable segments (`segments.py`) and a commit point naming them.

Layout: `CURRENT` names the live commit (`commit-<n>.json` and its SHA-256); a commit holds the manifest, the
document table, the segments in use, the documents each segment no longer serves (removed or replaced), and
the background vectors file. `qa index` writes a new segment for new or changed documents, then a new commit,
then switches `CURRENT` atomically: a reader sees the old index or the new one, never a mix, and kill -9 at
any moment leaves one of them. Results leave this module as paragraph ids. The only modules that import
faiss are this one and `segments.py`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
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

from qa.documents.document import Document
from qa.documents.paragraph import Paragraph
from qa.errors import IndexDamaged, IndexMissing, IndexOutdated
from qa.files import TMP_PREFIX, atomic_write_bytes, atomic_write_text, fsync_dir, sha256_bytes, write_error
from qa.parties.citation import paragraph_author
from qa.store.base import ALL, Change, Filter, Ranked
from qa.store.faiss import segments
from qa.store.faiss.segments import OpenSegment, between, inner, search_vectors
from qa.store.lexical import Impacts, bm25_top, idf, matching_rows, posting_count
from qa.store.masks import Masks

FORMAT_VERSION = 3  # 3: segments and commits
LOCATED = 1 << 16  # paragraph ids whose (segment, row) a loaded store remembers
PARSED = 1 << 13  # paragraphs it keeps parsed (a question reads some 250 distinct ones, 380 times; bench/scale.py)


class FaissStore:
    """A loaded, verified index of one or more segments (see `qa.store.base.Store`)."""

    def __init__(self, path: Path, commit: dict[str, Any], segs: list[OpenSegment], background: np.ndarray) -> None:
        self.path = path
        self.commit_data = commit
        self.manifest: dict[str, Any] = commit["manifest"]
        self.documents = {d.id: d for d in (Document.from_json(x) for x in commit["documents"])}
        self.background = background
        self._segments = segs
        dead = commit.get("removed", {})
        self._where: dict[str, tuple[int, int]] = {}  # live document id -> (segment, document index)
        self._live: list[np.ndarray] = []
        for si, s in enumerate(segs):
            gone = set(dead.get(s.path.name, ()))
            live_docs = np.asarray([d not in gone and d in self.documents for d in s.docs], dtype=bool)
            self._live.append(live_docs[s.arrays["row_doc"]] if s.size else np.zeros(0, dtype=bool))
            for di, d in enumerate(s.docs):
                if live_docs[di]:
                    self._where[d] = (si, di)
        self._rows_total = int(sum(m.sum() for m in self._live))
        self._whole = [bool(m.all()) for m in self._live]  # segments without tombstones: postings counts are exact
        self._admitted = Masks(segs, self._live, self._whole, self.documents)
        tokens = sum(s.meta["counts"]["tokens"] for s in segs)
        self._avg_len = tokens / max(1, sum(s.size for s in segs))
        # first row of each document, per segment (a document's rows are contiguous)
        self._doc_rows = [np.searchsorted(s.arrays["row_doc"], np.arange(len(s.docs) + 1)).tolist() for s in segs]
        self._impacts = [Impacts(s.arrays, self._avg_len) for s in segs]  # BM25 of postings read, kept
        # Each channel, the fusion, the judged head and the hits look up the same paragraphs again; the segments
        # never change under a loaded store, so what was found stays true.
        self._locate = functools.lru_cache(maxsize=LOCATED)(self._find)
        self._paragraph = functools.lru_cache(maxsize=PARSED)(self._read)

    @property
    def size(self) -> int:
        return self._rows_total

    @property
    def segment_count(self) -> int:
        return len(self._segments)

    def verify_files(self) -> None:
        """Hash every file of every segment (what `qa verify` does; loading hashes only files that changed)."""
        for s in self._segments:
            segments.open_segment(s.path, s.meta, self.path, full_check=True)

    # -- records --

    def _find(self, pid: str) -> tuple[int, int]:
        """(segment, row) of a searchable paragraph id; KeyError when the index does not hold it."""
        doc, _, label = pid.partition(":")
        si, di = self._where[doc]
        lo, hi = self._doc_rows[si][di], self._doc_rows[si][di + 1]
        hit = np.flatnonzero(self._segments[si].arrays["row_label"][lo:hi] == label)
        if not len(hit):
            raise KeyError(pid)
        return si, int(lo + hit[0])

    def _read(self, pid: str) -> Paragraph:
        si, row = self._locate(pid)
        return self._segments[si].row_paragraph(row)

    def paragraphs(self, ids: Sequence[str]) -> list[Paragraph]:
        return [self._paragraph(i) for i in ids]

    def document_paragraphs(self, doc_id: str) -> tuple[Paragraph, ...]:
        if doc_id not in self._where:
            return ()
        si, di = self._where[doc_id]
        return self._segments[si].document(di)

    def searchable(self, doc_id: str) -> tuple[Paragraph, ...]:
        return tuple(p for p in self.document_paragraphs(doc_id) if p.searchable)

    # -- channels --

    def search_paragraphs(self, vector: np.ndarray, k: int, where: Filter = ALL) -> Ranked:
        found: list[tuple[float, int, int]] = []
        for si, (s, mask) in enumerate(zip(self._segments, self._admitted.rows(where))):
            found += [(score, si, row) for row, score in search_vectors(s.dense, s.arrays["vectors"], vector, k, mask)]
        found.sort(key=lambda x: -x[0])
        return [(self._segments[si].row_id(row), score) for score, si, row in found[:k]]

    def search_sentences(self, vector: np.ndarray, k: int, where: Filter = ALL) -> Ranked:
        found: list[tuple[float, int, int]] = []
        for si, (s, sentence_mask) in enumerate(zip(self._segments, self._admitted.sentences(where))):
            admitted = (s.sentence_index.ntotal if sentence_mask is None else
                        int(sentence_mask.sum()) if sentence_mask.dtype == bool else len(sentence_mask))
            # twice as many sentences as paragraphs wanted, more only when they name too few paragraphs: four times
            # (before) gave the same paragraphs at 100,000 (recall@10 0.993, @100 0.990) and re-scored twice the rows
            want = min(admitted, 2 * k)
            best: dict[int, float] = {}
            while True:
                hits = search_vectors(s.sentence_index, s.arrays["sentences"], vector, want, sentence_mask)
                best = {}
                owners = s.arrays["sentence_row"][np.asarray([sid for sid, _ in hits], dtype=np.int64)]
                for row, (_, score) in zip(owners.tolist(), hits):
                    best[row] = max(best.get(row, score), score)
                if len(best) >= k or want >= admitted:
                    break
                want = min(admitted, want * 4)
            found += [(score, si, row) for row, score in best.items()]
        found.sort(key=lambda x: (-x[0], x[1], x[2]))
        return [(self._segments[si].row_id(row), score) for score, si, row in found[:k]]

    def search_lexical(self, terms: Sequence[tuple[str, float]], k: int, where: Filter = ALL) -> Ranked:
        if not terms:
            return []
        n, idfs = self._rows_total, {}
        for t, _ in terms:
            df = self.document_frequency(t)
            idfs[t] = float(idf(n, df)) if df else 0.0
        found: list[tuple[float, int, int]] = []
        for si, (s, mask) in enumerate(zip(self._segments, self._admitted.rows(where))):
            found += [(score, si, row) for row, score in
                      bm25_top(s.arrays, terms, idfs, self._avg_len, k, mask, self._impacts[si])]
        found.sort(key=lambda x: (-x[0], x[1], x[2]))
        return [(self._segments[si].row_id(row), score) for score, si, row in found[:k]]

    def sentence_scores(self, paragraph_id: str, vector: np.ndarray) -> list[tuple[int, int, float]]:
        si, row = self._locate(paragraph_id)
        a = self._segments[si].arrays
        lo, hi = between(a["sentence_row"], row)
        sims = inner(a["sentences"][lo:hi], vector)
        return [(int(a["sentence_span"][i][0]), int(a["sentence_span"][i][1]), float(sims[i - lo])) for i in range(lo, hi)]

    def paragraph_scores(self, ids: Sequence[str], vector: np.ndarray) -> list[float]:
        return [float(self._segments[si].arrays["vectors"][row].astype(np.float32) @ vector)
                for si, row in (self._locate(i) for i in ids)]

    def document_frequency(self, term: str) -> int:
        total = 0
        for s, live, whole in zip(self._segments, self._live, self._whole):
            if whole:
                total += posting_count(s.arrays, term)
            else:
                rows = matching_rows(s.arrays, [term])
                total += int(live[rows].sum()) if rows is not None else 0
        return total

    def count_matching(self, terms: Sequence[str]) -> int:
        total = 0
        for s, live in zip(self._segments, self._live):
            rows = matching_rows(s.arrays, terms)
            total += int(live[rows].sum()) if rows is not None else 0
        return total


# --- reading ------------------------------------------------------------------------------------------------


def _pointer(index_dir: Path) -> tuple[str, str]:
    """(commit file name, its SHA-256) from `CURRENT`; IndexMissing when there is no index."""
    pointer = index_dir / "CURRENT"
    if not pointer.is_file():
        raise IndexMissing(f"No index in {index_dir}: run `qa index` first.")
    try:
        parts = pointer.read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError):
        raise damaged(index_dir, "CURRENT is unreadable") from None
    if len(parts) == 2 and parts[0].startswith("build-"):
        raise IndexOutdated(f"The index in {index_dir} was built by an older version of qa (one build folder, now "
                            f"segments): run `qa index` to update it.")
    if len(parts) != 2 or not parts[0].startswith("commit-") or "/" in parts[0] or len(parts[1]) != 64:
        raise damaged(index_dir, "CURRENT does not name a commit")
    return parts[0], parts[1]


def damaged(index_dir: Path, why: str) -> IndexDamaged:
    return IndexDamaged(f"Index in {index_dir} is damaged: {why}; run `qa index --rebuild`.")


def read_commit(index_dir: Path) -> dict[str, Any]:
    """The live commit, checked against the SHA-256 that CURRENT records for it."""
    name, sha = _pointer(index_dir)
    try:
        data = (index_dir / name).read_bytes()
    except OSError:
        raise damaged(index_dir, f"{name} is missing or unreadable") from None
    if sha256_bytes(data) != sha:
        raise damaged(index_dir, f"{name} does not match its checksum")
    try:
        commit = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise damaged(index_dir, f"{name} is unreadable") from None
    if not isinstance(commit, dict) or commit.get("format_version") != FORMAT_VERSION:
        raise damaged(index_dir, f"{name} is not format version {FORMAT_VERSION}")
    return commit


def load(index_dir: Path, location: str = "", full_check: bool = False) -> FaissStore:
    """Load and verify the live commit; IndexMissing or IndexDamaged (one-line reason) if it is not sound."""
    commit = read_commit(index_dir)
    segs = []
    for entry in commit["segments"]:
        folder = index_dir / entry["name"]
        try:
            raw = (folder / "segment.json").read_bytes()
        except OSError:
            raise damaged(index_dir, f"{entry['name']} is missing") from None
        if sha256_bytes(raw) != entry["sha256"]:
            raise damaged(index_dir, f"{entry['name']}/segment.json does not match its checksum")
        segs.append(segments.open_segment(folder, json.loads(raw), index_dir, full_check))
    background_file = index_dir / commit["background"]["file"]
    try:
        raw = background_file.read_bytes()
        if sha256_bytes(raw) != commit["background"]["sha256"]:
            raise damaged(index_dir, f"{background_file.name} does not match its checksum")
        background = np.load(background_file, allow_pickle=False)
    except (OSError, ValueError):
        raise damaged(index_dir, f"{background_file.name} is missing or unreadable") from None
    store = FaissStore(index_dir, commit, segs, background)
    if store.size != commit["manifest"].get("counts", {}).get("paragraphs"):
        raise damaged(index_dir, f"counts disagree (commit {commit['manifest'].get('counts', {}).get('paragraphs')}, "
                                 f"segments {store.size})")
    return store



def salvage_vectors(index_dir: Path, location: str, identity: dict[str, Any]) -> dict[str, np.ndarray]:
    """The live index's vectors by embed key when it used the same model; {} otherwise. Never raises."""
    try:
        if (index_dir / "CURRENT").read_text(encoding="utf-8").startswith("build-"):
            return _salvage_build_folder(index_dir, identity)
        store = load(index_dir)
        model = store.manifest.get("model", {})
        if model.get("name") != identity.get("name") or model.get("weights_sha256") != identity.get("weights_sha256"):
            return {}
        found: dict[str, np.ndarray] = {}
        for s in store._segments:
            a = s.arrays
            found.update(zip((k.decode() for k in a["keys"]), np.asarray(a["vectors"], dtype=np.float32)))
            found.update(zip((k.decode() for k in a["sentence_keys"]), np.asarray(a["sentences"], dtype=np.float32)))
        found.update(zip(store.manifest.get("background_keys", []), store.background))
        return found
    except Exception:  # noqa: BLE001 - salvage is best effort; the embedding cache and a full embed follow
        return {}


def _salvage_build_folder(index_dir: Path, identity: dict[str, Any]) -> dict[str, np.ndarray]:
    """Vectors of an index in the previous format (one `build-*` folder), so upgrading re-embeds nothing."""
    import io

    build = index_dir / (index_dir / "CURRENT").read_text(encoding="utf-8").split()[0]
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("model", {}).get("name") != identity.get("name"):
        return {}
    dense = faiss.read_index(str(build / "dense.faiss"))
    with np.load(io.BytesIO((build / "sentences.npz").read_bytes()), allow_pickle=False) as z:
        sentence_vectors = z["vectors"]
    found = dict(zip(manifest.get("embed_keys", []), dense.reconstruct_n(0, dense.ntotal) if dense.ntotal else []))
    found.update(zip(manifest.get("sentence_keys", []), sentence_vectors))
    if (build / "background.npy").exists():
        found.update(zip(manifest.get("background_keys", []), np.load(build / "background.npy")))
    return found


# --- writing -----------------------------------------------------------------------------------------------


def commit(index_dir: Path, location: str, change: Change) -> None:
    """Write the change's segment and a new commit, then switch `CURRENT` (the caller holds the writer lock)."""
    previous: dict[str, Any] = {}
    if not change.rebuild:
        previous = read_commit(index_dir)
    kept = ""  # the commit readers may still be using: kept until the next switch
    with contextlib.suppress(IndexMissing, IndexDamaged):
        kept = _pointer(index_dir)[0]
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    created: list[Path] = []
    sequence = -1
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        entries = [] if change.rebuild else list(previous["segments"])
        removed = {} if change.rebuild else {k: list(v) for k, v in previous.get("removed", {}).items()}
        for entry in entries:  # a removed or replaced document is no longer served by the older segments
            gone = set(json.loads((index_dir / entry["name"] / "segment.json").read_text())["documents"])
            gone &= change.removed | {p.doc for p in change.added.paragraphs}
            removed[entry["name"]] = sorted(set(removed.get(entry["name"], [])) | gone)
        if change.added.paragraphs:
            entries.append(_write_segment(index_dir, change, stamp, created))
        background = _write_background(index_dir, change.background, created)
        sequence = max(previous.get("sequence", 0), _last_sequence(index_dir)) + 1
        data = {"format_version": FORMAT_VERSION, "sequence": sequence, "manifest": change.manifest,
                "documents": [dataclasses.asdict(d) for d in change.documents], "segments": entries,
                "removed": {k: v for k, v in removed.items() if v}, "background": background,
                "versions": {"faiss": faiss.__version__, "numpy": np.__version__}}
        raw = json.dumps(data, ensure_ascii=False, indent=1).encode()
        name = f"commit-{sequence:06d}.json"
        atomic_write_bytes(index_dir / name, raw)
        created.append(index_dir / name)
        atomic_write_text(index_dir / "CURRENT", f"{name}\n{sha256_bytes(raw)}\n")
    except BaseException as e:
        switched = False
        with contextlib.suppress(IndexMissing, IndexDamaged):
            switched = _pointer(index_dir)[0] == f"commit-{sequence:06d}.json"
        for path in [] if switched else created:  # CURRENT names the old commit: drop what only the new one used
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise write_error(index_dir, e) from e
        raise
    _collect_garbage(index_dir, keep={name, kept})


def _write_segment(index_dir: Path, change: Change, stamp: str, created: list[Path]) -> dict[str, str]:
    added = change.added
    doc_ids = list(dict.fromkeys(p.doc for p in added.paragraphs))
    docs = {d.id: d for d in change.documents}
    authors = sorted({"", *(paragraph_author(docs[p.doc], p) for p in added.paragraphs if p.doc in docs)})
    tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX + "seg-", dir=index_dir))
    created.append(tmp)
    shutil.rmtree(tmp)
    meta = segments.write(tmp, added, doc_ids, authors, added.keys, added.sentence_keys)
    fsync_dir(tmp)
    final = index_dir / f"seg-{stamp}-{sha256_bytes(json.dumps(meta).encode())[:8]}-{tmp.name.rsplit('-', 1)[-1]}"
    os.replace(tmp, final)
    created[-1] = final
    fsync_dir(index_dir)
    return {"name": final.name, "sha256": sha256_bytes((final / "segment.json").read_bytes())}


def _write_background(index_dir: Path, background: np.ndarray, created: list[Path]) -> dict[str, str]:
    import io

    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(background, dtype=np.float32), allow_pickle=False)
    raw = buf.getvalue()
    sha = sha256_bytes(raw)
    path = index_dir / f"background-{sha[:16]}.npy"
    if not path.exists():
        atomic_write_bytes(path, raw)
        created.append(path)
    return {"file": path.name, "sha256": sha}


def _last_sequence(index_dir: Path) -> int:
    numbers = [int(p.stem.split("-")[1]) for p in index_dir.glob("commit-*.json") if p.stem.split("-")[1].isdigit()]
    return max(numbers, default=0)


def _collect_garbage(index_dir: Path, keep: set[str]) -> None:
    """Remove commits other than the live and the previous one, and what only the removed ones used."""
    used: set[str] = set()
    for name in keep - {""}:
        with contextlib.suppress(OSError, ValueError):
            data = json.loads((index_dir / name).read_text(encoding="utf-8"))
            used |= {e["name"] for e in data["segments"]} | {data["background"]["file"]}
    for path in index_dir.iterdir():
        unused = path.name not in keep and path.name not in used
        if unused and (path.name.startswith(("commit-", "seg-", "background-", "build-"))):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
