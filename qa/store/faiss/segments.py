"""Immutable segments of the FAISS store: the paragraphs of some documents, their vectors and postings, on disk.

A segment is written once into its own folder and never changed, like a Lucene segment: adding documents
adds a segment, removing one marks it dead in the commit. Arrays are `.npy` files read memory-mapped, the
FAISS indexes are memory-mapped too, so opening an index costs milliseconds whatever its size. Every file's
SHA-256, size and mtime are in `segment.json`; a file is hashed again only when its size or mtime changed
(and always by `qa verify`), so damage is found without re-reading gigabytes on every start.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from qa.documents.paragraph import Paragraph
from qa.errors import IndexDamaged
from qa.files import sha256_file
from qa.store.base import Segment
from qa.store.lexical import postings, top_k

ANN_MIN = 50_000  # vectors from which a segment gets an approximate (IVF) index instead of an exact one
RERANK = 4  # candidates an approximate index proposes per hit wanted, re-scored exactly (at least RESCORE_MIN)
RESCORE_MIN = 100  # bench/scale.py, 1M paragraphs, 256 lists, 10 wanted: 40 candidates recall@10 0.977, 100: 0.987
EXACT_BELOW = ANN_MIN // 2  # a filter admitting at most this many rows is searched exactly, row by row
ANN_BITS = 2  # RaBitQ bits a dimension in an approximate index's codes (see `_vector_index`)
NPROBE = 512  # IVF lists searched per query (see `_vector_index`). bench/scale.py at 1M paragraphs (4,000 lists)
# and 2.57M sentences (6,415 lists), recall@10 against exact and time, one thread, interleaved question by question
# on the loaded machine: paragraphs SQ8 at 256 lists 0.988 in 6.9 ms, RaBitQ at 256 0.987 in 3.1 ms, at 512
# 0.994 in 5.3 ms; sentences 0.979 in 20.3 ms, 0.976 in 9.0 ms, 0.990 in 16.5 ms
READ_BY_ROW = ("vectors", "sentences")  # read a few rows per question: by pread, not mapped (see ReadByRow)
ARRAYS = ("offsets", "doc_lines", "rows", "row_doc", "row_author", "row_label", "vectors", "sentence_row", "sentence_span",
          "sentences", "terms", "indptr", "post_row", "post_tf", "doc_len", "keys", "sentence_keys")


@dataclass(frozen=True)
class OpenSegment:
    """One segment, memory-mapped: `rows` are its searchable paragraphs, in document order."""

    path: Path
    meta: dict[str, Any]
    arrays: dict[str, Any]  # memory-mapped arrays, and `ReadByRow` files for READ_BY_ROW
    dense: Any  # faiss index over `vectors`
    sentence_index: Any  # faiss index over `sentences`
    paragraphs_file: Any  # paragraphs.jsonl, read line by line (`ReadByRow`)

    @property
    def docs(self) -> list[str]:
        return self.meta["documents"]

    @property
    def size(self) -> int:
        return len(self.arrays["rows"])

    def paragraph(self, line: int) -> Paragraph:
        """The paragraph on line `line` of paragraphs.jsonl (every paragraph, searchable or not)."""
        off = self.arrays["offsets"]
        raw = self.paragraphs_file[int(off[line]):int(off[line + 1])]
        return Paragraph.from_json(json.loads(bytes(raw)))

    def document(self, doc_index: int) -> tuple[Paragraph, ...]:
        """Every paragraph of one of the segment's documents, in reading order."""
        lo, hi = self.arrays["doc_lines"][doc_index], self.arrays["doc_lines"][doc_index + 1]
        return tuple(self.paragraph(i) for i in range(int(lo), int(hi)))

    def row_paragraph(self, row: int) -> Paragraph:
        return self.paragraph(int(self.arrays["rows"][row]))

    def row_id(self, row: int) -> str:
        return f"{self.docs[int(self.arrays['row_doc'][row])]}:{self.arrays['row_label'][row]}"


def write(folder: Path, segment: Segment, doc_ids: Sequence[str], authors: Sequence[str],
          keys: Sequence[str], sentence_keys: Sequence[str]) -> dict[str, Any]:
    """Write a complete segment into `folder` (which must not exist yet); returns its `segment.json`."""
    folder.mkdir(parents=False)
    paragraphs = segment.paragraphs
    searchable = [i for i, p in enumerate(paragraphs) if p.searchable]
    doc_index = {d: i for i, d in enumerate(doc_ids)}
    author_index = {a: i for i, a in enumerate(authors)}
    lines = [json.dumps(dataclasses.asdict(p), ensure_ascii=False).encode() + b"\n" for p in paragraphs]
    _write(folder / "paragraphs.jsonl", b"".join(lines))
    postings = _postings(segment.tokens)
    arrays: dict[str, np.ndarray] = {
        "offsets": np.concatenate([[0], np.cumsum([len(x) for x in lines])]).astype(np.int64),
        "doc_lines": np.searchsorted([doc_index[p.doc] for p in paragraphs], np.arange(len(doc_ids) + 1))
        .astype(np.int64),
        "rows": np.asarray(searchable, dtype=np.int32),
        "row_doc": np.asarray([doc_index[paragraphs[i].doc] for i in searchable], dtype=np.int32),
        "row_author": np.asarray([author_index[paragraphs[i].author or ""] for i in searchable], dtype=np.int32),
        "row_label": np.asarray([paragraphs[i].label for i in searchable], dtype=str) if searchable
        else np.zeros(0, dtype="<U1"),
        "vectors": np.asarray(segment.vectors, dtype=np.float16),
        "sentence_row": np.asarray(segment.sentences.row, dtype=np.int32),
        "sentence_span": np.stack([segment.sentences.start, segment.sentences.end], axis=1).astype(np.int32)
        if len(segment.sentences.row) else np.zeros((0, 2), dtype=np.int32),
        "sentences": np.asarray(segment.sentences.vectors, dtype=np.float16),
        **postings,
        "keys": np.asarray(keys, dtype="S32"),
        "sentence_keys": np.asarray(sentence_keys, dtype="S32"),
    }
    for name, array in arrays.items():
        _write(folder / f"{name}.npy", array)
    _write(folder / "dense.faiss", faiss.serialize_index(_vector_index(segment.vectors)).tobytes())
    _write(folder / "sentences.faiss", faiss.serialize_index(_vector_index(segment.sentences.vectors)).tobytes())
    files = ["paragraphs.jsonl", "dense.faiss", "sentences.faiss", *(f"{n}.npy" for n in arrays)]
    meta = {"documents": list(doc_ids), "authors": list(authors),
            "counts": {"paragraphs": len(paragraphs), "rows": len(searchable),
                       "sentences": len(segment.sentences.row), "tokens": int(arrays["doc_len"].sum())},
            "files": {name: _stat(folder / name, with_hash=True) for name in files}}
    _write(folder / "segment.json", json.dumps(meta, ensure_ascii=False).encode())
    return meta


def _write(path: Path, data: bytes | np.ndarray) -> None:
    """One file of a segment, flushed to disk before the segment can be named by a commit."""
    with open(path, "wb") as f:
        if isinstance(data, np.ndarray):
            np.save(f, data, allow_pickle=False)
        else:
            f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _postings(tokens: Sequence[list[str]]) -> dict[str, np.ndarray]:
    """Term-by-row CSR of term frequencies: sorted terms, row ids and frequencies per term, row lengths."""
    terms, indptr, rows, tf, doc_len = postings(tokens)
    return {
        "terms": np.asarray(terms, dtype=str) if terms else np.zeros(0, dtype="<U1"),
        "indptr": indptr,
        "post_row": rows,
        "post_tf": tf,
        "doc_len": doc_len,
    }


def _vector_index(vectors: np.ndarray) -> Any:
    """Exact inner product below ANN_MIN vectors; above, IVF over RaBitQ codes of ANN_BITS bits a dimension.

    RaBitQ, not 8-bit scalar codes (SQ8, before): a question's recall is decided by how many lists it probes,
    and 2-bit RaBitQ codes are scanned about twice as fast at 0.3 times the size (116 bytes a vector against
    384), so the same time probes more lists (see NPROBE). (4-bit PQ fast-scan codes needed a re-score of 1,000
    candidates for 0.96 over 258,000 sentences; HNSW, M 32, reached 0.987 at efSearch 512 in 3.1 ms with a graph
    that cannot be memory-mapped.)"""
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = x.shape[1] if x.ndim == 2 and x.shape[1] else 384
    index: Any
    if len(x) < ANN_MIN:
        index = faiss.IndexFlatIP(dim)
    else:
        lists = int(4 * np.sqrt(len(x)))
        index = faiss.IndexIVFRaBitQ(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT, True, ANN_BITS)
        sample = x[np.random.default_rng(0).choice(len(x), min(len(x), 64 * lists), replace=False)]
        index.train(sample)
    if len(x):
        index.add(x)
    return index


def _stat(path: Path, with_hash: bool) -> dict[str, Any]:
    st = path.stat()
    out: dict[str, Any] = {"bytes": st.st_size, "mtime_ns": st.st_mtime_ns}
    if with_hash:
        out["sha256"] = sha256_file(path)
    return out


def open_segment(folder: Path, meta: dict[str, Any], index_dir: Path, full_check: bool = False) -> OpenSegment:
    """Open a segment memory-mapped, after checking its files: sizes always, hashes where a file changed
    since it was written (or all of them with `full_check`). IndexDamaged names the file."""
    for name, expected in meta.get("files", {}).items():
        path = folder / name
        try:
            now = _stat(path, with_hash=False)
        except OSError:
            raise _damaged(index_dir, f"{folder.name}/{name} is missing") from None
        if now["bytes"] != expected["bytes"]:
            raise _damaged(index_dir, f"{folder.name}/{name} does not match its checksum (size)")
        if (full_check or now["mtime_ns"] != expected["mtime_ns"]) and sha256_file(path) != expected["sha256"]:
            raise _damaged(index_dir, f"{folder.name}/{name} does not match its checksum")
    try:
        arrays = {name: ReadByRow(folder / f"{name}.npy") if name in READ_BY_ROW else
                  _mapped(folder / f"{name}.npy") for name in ARRAYS}
        dense = _read_index(folder / "dense.faiss")
        sentence_index = _read_index(folder / "sentences.faiss")
        paragraphs_file = ReadByRow(folder / "paragraphs.jsonl")
    except Exception as e:  # noqa: BLE001 - checksums matched, so this is a format or version mismatch
        raise _damaged(index_dir, f"{folder.name} cannot be read ({type(e).__name__})") from None
    segment = OpenSegment(folder, meta, arrays, dense, sentence_index, paragraphs_file)
    _check_consistent(segment, index_dir)
    return segment


def _mapped(path: Path) -> np.ndarray:
    """A `.npy` file memory-mapped, as a plain ndarray view of the mapping (which the view keeps open): a question
    indexes these arrays thousands of times, and each index of an `np.memmap` runs a subclass's Python hooks
    (`__getitem__`, `__array_finalize__`): a scalar and a slice took 3.7 µs mapped, 0.6 µs through the view."""
    return np.load(path, mmap_mode="r", allow_pickle=False).view(np.ndarray)


def _read_index(path: Path) -> Any:
    """Memory-mapped: flat codes by IO_FLAG_MMAP_IFC, which an IVF index refuses (its lists map with IO_FLAG_MMAP)."""
    try:
        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
    except RuntimeError:
        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    if hasattr(index, "nprobe"):
        index.nprobe = NPROBE
    return index


def _check_consistent(s: OpenSegment, index_dir: Path) -> None:
    """What checksums cannot tell: the arrays agree with each other and with segment.json's counts."""
    a, counts = s.arrays, s.meta.get("counts", {})
    rows, sentences = len(a["rows"]), len(a["sentence_row"])
    ok = (rows == counts.get("rows") == len(a["row_doc"]) == len(a["vectors"]) == len(a["doc_len"])
          == len(a["keys"]) == s.dense.ntotal and sentences == counts.get("sentences") == len(a["sentences"])
          == len(a["sentence_keys"]) == s.sentence_index.ntotal
          and len(a["offsets"]) == counts.get("paragraphs", -1) + 1 and len(a["indptr"]) == len(a["terms"]) + 1
          and len(a["doc_lines"]) == len(s.docs) + 1)
    if not ok:
        raise _damaged(index_dir, f"{s.path.name}: counts disagree")
    if rows and (a["row_doc"].max() >= len(s.docs) or a["rows"].max() >= len(a["offsets"]) - 1):
        raise _damaged(index_dir, f"{s.path.name}: a paragraph names a document the segment does not hold")
    if sentences and (a["sentence_row"].min() < 0 or a["sentence_row"].max() >= rows):
        raise _damaged(index_dir, f"{s.path.name}: sentence table does not match the paragraphs")


def _damaged(index_dir: Path, why: str) -> IndexDamaged:
    return IndexDamaged(f"Index in {index_dir} is damaged: {why}; run `qa index --rebuild`.")


def between(ordered: np.ndarray, value: int) -> tuple[int, int]:
    """The slice of a sorted array holding `value`. The needles take the array's own dtype: given Python ints,
    numpy casts the whole (memory-mapped, million-row) array to int64 on every call (0.35 ms at 1M rows)."""
    lo, hi = ordered.searchsorted(np.asarray([value, value + 1], dtype=ordered.dtype))
    return int(lo), int(hi)


def search_vectors(index: Any, vectors: np.ndarray, vector: np.ndarray, k: int,
                   mask: np.ndarray | None) -> list[tuple[int, float]]:
    """(id, score) of the top `k` vectors of a FAISS index among those `mask` admits (None: all of them; an
    integer array: those ids, scored exactly).

    An approximate (IVF, RaBitQ) index proposes `RERANK` times as many candidates (at least `RESCORE_MIN`), which
    are re-scored from the stored vectors: its codes blur the order of near ties. A filter that admits few rows is
    answered exactly from those rows: faster than probing lists they are scarce in."""
    if mask is not None and mask.dtype != bool:  # the admitted ids themselves (few, see `sentences_of`)
        return _exact(vectors, mask, vector, min(k, len(mask))) if len(mask) else []
    admitted = index.ntotal if mask is None else int(mask.sum())
    if not admitted or not index.ntotal:
        return []
    k = min(k, admitted)
    approximate = hasattr(index, "nprobe")
    if approximate and mask is not None and admitted <= EXACT_BELOW:
        return _exact(vectors, np.flatnonzero(mask), vector, k)
    params = None
    if mask is not None and admitted < index.ntotal:
        bits = np.packbits(mask, bitorder="little")
        sel = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bits))
        params = (faiss.SearchParametersIVF(sel=sel, nprobe=index.nprobe)  # type: ignore[call-arg]
                  if approximate else faiss.SearchParameters(sel=sel))  # type: ignore[call-arg]
    want = min(admitted, max(k * RERANK, RESCORE_MIN)) if approximate else k
    with one_thread():
        scores, ids = index.search(vector.reshape(1, -1).astype(np.float32), want, params=params)
    if approximate:
        return _exact(vectors, np.sort(ids[0][ids[0] >= 0]), vector, k)
    return [(int(i), float(sc)) for i, sc in zip(ids[0], scores[0]) if i >= 0]


def _exact(vectors: np.ndarray, rows: np.ndarray, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The `k` best of `rows` (ascending) by inner product with their stored (fp16) vectors."""
    scores = inner(vectors[rows], vector)
    return [(int(rows[i]), float(scores[i])) for i in top_k(scores, rows, k)]


def inner(stored: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """float32 inner products of stored (fp16) rows with a vector, on this thread: einsum casts as it multiplies,
    where `astype` then `@` cast first (0.75 ms for 1,600 rows) and hand a BLAS whose threads spin against the
    model's and the other requests' (1,600 rows: 0.85 ms against 3.6 to 6.3 ms on the loaded test machine)."""
    return np.einsum("ij,j->i", stored, vector.astype(np.float32), dtype=np.float32)


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """FAISS on the calling thread only, for one question's search (OpenMP's setting is per thread, so this
    thread's is put back after): a server's parallelism is its requests, and OpenMP's spinning workers took CPU
    from the model and from each other (bench/scale.py at 100,000 paragraphs, with single-threaded BLAS too:
    CPU per question 120 -> 86 ms)."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def sentences_of(s: OpenSegment, rows: np.ndarray) -> np.ndarray:
    """The sentences of the rows a bool mask admits: their sorted ids when they are few in an approximate
    segment (exact search, no pass over every sentence), else a mask over the sentences."""
    if hasattr(s.sentence_index, "nprobe") and int(rows.sum()) <= EXACT_BELOW:
        order = s.arrays["sentence_row"]
        admitted = np.flatnonzero(rows).astype(order.dtype)
        starts, ends = order.searchsorted(admitted), order.searchsorted(admitted + 1)
        counts = ends - starts
        if counts.sum() <= EXACT_BELOW:
            return (np.arange(int(counts.sum())) + np.repeat(starts - np.cumsum(counts) + counts, counts)).astype(np.int64)
    return rows[s.arrays["sentence_row"]]


class ReadByRow:
    """A file on disk read by `os.pread`, row by row: a `.npy` array (indexed like one, by int, slice or ids) or
    raw bytes (sliced). For the files a question reads a few scattered rows of (re-ranked vectors, answer
    sentences, cited paragraphs): mapped, each row read faulted a 64 KB neighbourhood of cached pages into the
    resident set, which at a million paragraphs held 3 GB of vectors no question asked for. Each holds its file
    open (three per segment; an index has at most `index.MAX_SEGMENTS`). Thread-safe: pread has no cursor."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDONLY)
        if path.suffix == ".npy":
            with open(path, "rb") as f:
                version = np.lib.format.read_magic(f)
                if version not in ((1, 0), (2, 0)):
                    raise ValueError(f"{path}: .npy version {version}")
                read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) \
                    else np.lib.format.read_array_header_2_0
                shape, fortran, dtype = read_header(f)
                self._offset = f.tell()
            if fortran:
                raise ValueError(f"{path} is Fortran-ordered")
            self.shape, self.dtype = tuple(shape), np.dtype(dtype)
        else:
            self._offset, self.dtype = 0, np.dtype(np.uint8)
            self.shape = (os.fstat(self._fd).st_size,)
        self._row = self.dtype.itemsize * int(np.prod(self.shape[1:], dtype=np.int64))

    def __len__(self) -> int:
        return self.shape[0]

    def __del__(self) -> None:
        with contextlib.suppress(AttributeError, OSError):
            os.close(self._fd)

    def _read(self, lo: int, hi: int) -> np.ndarray:
        data = os.pread(self._fd, (hi - lo) * self._row, self._offset + lo * self._row)
        return np.frombuffer(data, dtype=self.dtype).reshape((hi - lo, *self.shape[1:]))

    def __getitem__(self, key: Any) -> np.ndarray:
        if isinstance(key, slice):
            lo, hi, step = key.indices(len(self))
            return self._read(lo, max(lo, hi))[::step]
        if isinstance(key, (int, np.integer)):
            row = int(key) + (len(self) if key < 0 else 0)
            if not 0 <= row < len(self):
                raise IndexError(key)
            return self._read(row, row + 1)[0]
        rows = np.asarray(key, dtype=np.int64).reshape(-1)
        if len(rows) and (rows.min() < 0 or rows.max() >= len(self)):
            raise IndexError("row out of range")
        out = np.empty((len(rows), *self.shape[1:]), dtype=self.dtype)
        view, size = out.data.cast("B"), self._row
        breaks = (np.flatnonzero(np.diff(rows) != 1) + 1).tolist()
        for a, b in zip([0, *breaks], [*breaks, len(rows)]):  # one read per run of consecutive rows, into place
            os.preadv(self._fd, [view[a * size:b * size]], self._offset + int(rows[a]) * size)
        return out

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        whole = self[:]
        return whole if dtype is None else whole.astype(dtype)
