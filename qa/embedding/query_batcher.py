"""Micro-batching of questions: concurrent `encode_queries` calls (the web app's thread pool, many users at once)
are encoded together, so the model runs one batch where it would have run many single questions.

There is no fixed waiting window. A call that finds the encoder free runs at once, so a lone user waits for
nothing; calls that arrive while the encoder is busy queue up, and when it frees, one of them encodes every
waiting question in one batch. The busier the server, the bigger the batches: throughput grows with load.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from qa.embedding.encoder import Encoder, TokenEncoder, checked_texts


class _Request:
    """One caller's questions, and the vectors (or the error) its batch produced."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.taken = False  # a batch holds it
        self.done = threading.Event()
        self.vectors: np.ndarray | None = None
        self.error: BaseException | None = None


class QueryBatcher:
    """An `Encoder` that gathers concurrent question encodings into batches; passages pass straight through.

    `concurrency` batches run at once (one per stream of the runtime: each runs on its own core), each of at
    most `max_batch` questions (a single call with more is never split). `model_calls` counts the batches run.
    """

    def __init__(self, encoder: Encoder, max_batch: int = 32, concurrency: int | None = None) -> None:
        self.encoder = encoder
        self.name = encoder.name
        self.dim = encoder.dim
        self.prompts: dict[str, str] = dict(getattr(encoder, "prompts", {}))
        self.window = int(getattr(encoder, "window", 0))
        self.max_batch = max_batch
        # Runtimes with independent streams say how many (`RuntimeEncoder.streams`); the others run one at a time.
        self.concurrency = concurrency or int(getattr(encoder, "streams", 1))
        self.model_calls = 0
        self._cond = threading.Condition()
        self._waiting: deque[_Request] = deque()
        self._running = 0

    def identity(self) -> dict[str, object]:
        return self.encoder.identity()

    def encode_passages(self, texts: Sequence[str], batch_size: int = 16, progress: bool = False) -> np.ndarray:
        return self.encoder.encode_passages(texts, batch_size=batch_size, progress=progress)

    # Late chunking (an index built through a server's encoder) passes straight through as well; only an encoder
    # whose identity says "token_states" is asked for them.
    def passage_tokenizer(self) -> Any:
        return cast(TokenEncoder, self.encoder).passage_tokenizer()

    def pool_states(self, windows: Sequence[Sequence[int]], weights: Sequence[np.ndarray],
                    batch_size: int = 32) -> list[np.ndarray]:
        return cast(TokenEncoder, self.encoder).pool_states(windows, weights, batch_size)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        request = _Request(checked_texts(texts))
        if not request.texts:
            return np.empty((0, self.dim), dtype=np.float32)
        with self._cond:
            self._waiting.append(request)
        while True:
            with self._cond:
                while not request.taken and self._running >= self.concurrency:
                    self._cond.wait()
                if request.taken:
                    break
                batch = self._take()
                self._running += 1
            self._run(batch)  # it holds this request unless more than `max_batch` questions were ahead of it
        request.done.wait()
        if request.error is not None:
            raise request.error
        assert request.vectors is not None
        return request.vectors

    def _take(self) -> list[_Request]:
        """The waiting requests, oldest first, up to `max_batch` questions (at least one request)."""
        batch = [self._waiting.popleft()]
        size = len(batch[0].texts)
        while self._waiting and size + len(self._waiting[0].texts) <= self.max_batch:
            size += len(self._waiting[0].texts)
            batch.append(self._waiting.popleft())
        for r in batch:
            r.taken = True
        return batch

    def _run(self, batch: list[_Request]) -> None:
        try:
            vectors = self.encoder.encode_queries([t for r in batch for t in r.texts])
            start = 0
            for r in batch:
                r.vectors = vectors[start:start + len(r.texts)]
                start += len(r.texts)
        except BaseException as e:  # noqa: BLE001 - every caller of the batch gets the error, re-raised there
            for r in batch:
                r.error = e
        finally:
            with self._cond:
                self._running -= 1
                self.model_calls += 1
                self._cond.notify_all()
            for r in batch:
                r.done.set()
