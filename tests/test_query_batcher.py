"""Micro-batching of questions: concurrent callers get their own vectors, encoded together in few model calls."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from qa.embedding.factory import load_encoder
from qa.embedding.query_batcher import QueryBatcher
from qa.settings import Settings


class SlowStandIn:
    """A deterministic stand-in model for the batching logic: one model call takes `seconds` whatever its size
    (as a batch nearly does), and a text's vector says which text it is (its length and first character)."""

    name = "stand-in"
    dim = 4

    def __init__(self, seconds: float = 0.05, fail_on: str = "") -> None:
        self.seconds = seconds
        self.fail_on = fail_on
        self.batches: list[list[str]] = []
        self._lock = threading.Lock()

    def identity(self) -> dict[str, object]:
        return {"name": self.name, "dim": self.dim}

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:  # one call at a time, as the torch backend runs
            self.batches.append(list(texts))
            time.sleep(self.seconds)
            if self.fail_on and self.fail_on in texts:
                raise RuntimeError("the model failed")
            return np.asarray([[len(t), ord(t[0]), 1.0, 0.0] for t in texts], dtype=np.float32)

    def encode_passages(self, texts: Sequence[str], batch_size: int = 16, progress: bool = False) -> np.ndarray:
        return np.zeros((len(texts), self.dim), dtype=np.float32)


def together(n: int, fn: Any) -> list[Any]:
    """`fn(i)` on `n` threads released at the same moment; results (or exceptions) in order."""
    start = threading.Barrier(n)

    def run(i: int) -> Any:
        start.wait()
        try:
            return fn(i)
        except Exception as e:  # noqa: BLE001 - returned for the test to inspect
            return e

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


QUESTIONS = [f"{chr(ord('a') + i)}{'?' * i}" for i in range(16)]  # distinct first letters and lengths


def test_concurrent_callers_each_get_their_own_vector_from_few_model_calls() -> None:
    model = SlowStandIn()
    batcher = QueryBatcher(model)
    got = together(16, lambda i: batcher.encode_queries([QUESTIONS[i]]))
    for q, v in zip(QUESTIONS, got):
        assert v.shape == (1, 4) and v[0, 0] == len(q) and v[0, 1] == ord(q[0])
    assert batcher.model_calls == len(model.batches) <= 3  # the first runs alone, the others wait and go together
    assert max(len(b) for b in model.batches) >= 8
    assert sorted(t for b in model.batches for t in b) == sorted(QUESTIONS)


def test_a_lone_question_is_encoded_at_once_on_its_own() -> None:
    model = SlowStandIn(seconds=0.0)
    batcher = QueryBatcher(model)
    v = batcher.encode_queries(["why?", "how?"])
    assert model.batches == [["why?", "how?"]] and v.shape == (2, 4) and v[1, 1] == ord("h")
    assert batcher.encode_queries([]).shape == (0, 4) and batcher.model_calls == 1


def test_batches_never_exceed_the_limit_and_everyone_is_answered() -> None:
    model = SlowStandIn(seconds=0.02)
    batcher = QueryBatcher(model, max_batch=4)
    got = together(16, lambda i: batcher.encode_queries([QUESTIONS[i]]))
    assert all(len(b) <= 4 for b in model.batches)
    assert [int(v[0, 0]) for v in got] == [len(q) for q in QUESTIONS]


def test_two_streams_run_two_batches_at_once() -> None:
    class TwoStreams(SlowStandIn):
        streams = 2

        def __init__(self) -> None:
            super().__init__(seconds=0.1)
            self.running = 0
            self.most = 0
            self._count = threading.Lock()

        def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
            with self._count:
                self.running += 1
                self.most = max(self.most, self.running)
            time.sleep(self.seconds)
            with self._count:
                self.running -= 1
                self.batches.append(list(texts))
            return np.ones((len(texts), 4), dtype=np.float32)

    model = TwoStreams()
    batcher = QueryBatcher(model)
    together(16, lambda i: batcher.encode_queries([QUESTIONS[i]]))
    assert batcher.concurrency == 2 and model.most == 2 and len(model.batches) <= 5


def test_a_failed_batch_raises_in_every_caller_it_held_and_the_next_batch_works() -> None:
    model = SlowStandIn(fail_on="b?")
    batcher = QueryBatcher(model)
    got = together(16, lambda i: batcher.encode_queries([QUESTIONS[i]]))
    failed = {q for q, v in zip(QUESTIONS, got) if isinstance(v, RuntimeError)}
    held = next(set(b) for b in model.batches if "b?" in b)
    assert failed == held and len(failed) >= 2
    assert batcher.encode_queries(["again"])[0, 0] == 5


def test_passages_and_identity_pass_through() -> None:
    model = SlowStandIn(seconds=0.0)
    batcher = QueryBatcher(model)
    assert batcher.encode_passages(["x", "y"]).shape == (2, 4) and model.batches == []
    assert batcher.identity() == model.identity() and batcher.name == model.name and batcher.dim == 4


@pytest.mark.slow
def test_real_model_batched_vectors_equal_single_ones() -> None:
    encoder = load_encoder(Settings.load().with_(encoder="openvino-fp32"))
    questions = ["Which state proposed a stepping-stone approach?", "五核国如何看待减少战略风险？",
                 "negative security assurances", "禁止核武器条约", "How should crisis communication improve?",
                 "名人小组对核查有什么建议？", "fissile material stocks", "What is a nuclear-weapon-free zone?"] * 2
    alone = np.vstack([encoder.encode_queries([q]) for q in questions])
    batcher = QueryBatcher(encoder)
    got = np.vstack(together(len(questions), lambda i: batcher.encode_queries([questions[i]])))
    assert batcher.model_calls < len(questions)
    assert np.min(np.sum(alone * got, axis=1)) > 0.9999
