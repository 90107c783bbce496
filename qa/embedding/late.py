"""Late chunking: a paragraph's vector and its sentences' vectors from one pass of the model over the paragraph.

The pass computes a contextual state for every token; a sentence's vector is the mean of the states of its own
tokens (Günther et al., 2024, "Late Chunking"), L2-normalised, so it knows its paragraph, and the paragraph's
words go through the model once instead of twice. The paragraph's vector is the mean of every token of the first
window, prompt and `<s>`/`</s>` included: exactly what `encode_passages` gives (truncated at the window), so a
paragraph vector is the same whichever way sentences are embedded.

The tokenizer's character offsets map the sentence splitter's spans to tokens. A paragraph longer than the window
is read in windows that overlap by `OVERLAP` tokens, each starting with `<s>` and the passage prompt; a token
takes its state from the window where it sits further from an edge (the overlap is split in the middle).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qa.embedding.encoder import TokenEncoder

OVERLAP = 128  # tokens two neighbouring windows share: each token in it keeps at least 64 tokens of context
LATE_FORMAT = f"late/v1: mean of the sentence's tokens in its paragraph's pass, windows overlapping {OVERLAP}"


@dataclass(frozen=True)
class WindowPlan:
    """How one text is read: its windows of token ids and, per window, the rows that pool it (`units[k][r]` is
    -1 for the paragraph, else the sentence the row feeds)."""

    windows: tuple[tuple[int, ...], ...]
    weights: tuple[np.ndarray, ...]  # float32 [rows, len(window)] of 0/1: sums of token states
    units: tuple[tuple[int, ...], ...]


def token_ranges(offsets: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int]], shift: int
                 ) -> list[tuple[int, int]]:
    """[first, last) token of each character span of the text, given the tokens' character offsets in the
    prompted text (`shift` characters before the text: the prompt and any heading).

    A token belongs to a span when their characters overlap. The tokenizer folds the space before a word into
    the word ("▁The" covers " The"), so the first word of a sentence still counts though its offsets start one
    character before the sentence; a lone "▁" between two sentences belongs to neither.
    """
    if not offsets:
        return [(0, 0) for _ in spans]
    starts = np.asarray([a for a, _ in offsets])
    ends = np.maximum.accumulate(np.asarray([b for _, b in offsets]))
    return [(int(np.searchsorted(ends, shift + s, side="right")), int(np.searchsorted(starts, shift + e, side="left")))
            for s, e in spans]


def plan_text(encoding: Any, spans: Sequence[tuple[int, int]], shift: int, prompt_chars: int, window: int
              ) -> WindowPlan:
    """The windows and pooling rows of one tokenised text (`encoding`: ids, offsets and special-token mask of
    the prompted text, untruncated) for its sentence `spans` (in the text, after `shift` characters)."""
    ids, special, offsets = list(encoding.ids), list(encoding.special_tokens_mask), list(encoding.offsets)
    head = next((i for i, m in enumerate(special) if not m), len(ids))
    tail = len(ids) - next((i for i, m in enumerate(reversed(special)) if not m), 0)
    content = list(range(head, tail))
    prompt = 0  # content tokens of the prompt alone ("▁passage", ":"): they open every window
    while prompt < len(content) and offsets[content[prompt]][1] <= prompt_chars:
        prompt += 1
    ranges = token_ranges([offsets[i] for i in content], spans, shift)
    if len(ids) <= window:
        rows = [np.ones(len(ids), dtype=np.float32)]
        for lo, hi in ranges:
            row = np.zeros(len(ids), dtype=np.float32)
            row[head + lo:head + hi] = 1.0
            rows.append(row)
        return WindowPlan((tuple(ids),), (np.stack(rows),), (tuple(range(-1, len(spans))),))
    return _windowed(ids, head, tail, prompt, ranges, window)


def _windowed(ids: list[int], head: int, tail: int, prompt: int, ranges: list[tuple[int, int]], window: int
              ) -> WindowPlan:
    """A long text in overlapping windows, each `<s>` + prompt + a stretch of the text + `</s>`."""
    opening, closing = ids[:head + prompt], ids[tail:]
    text = ids[head + prompt:tail]  # the text's tokens; content token i is text token i - prompt
    size = window - len(opening) - len(closing)
    stride = size - OVERLAP
    if stride <= 0:
        raise ValueError(f"A window of {window} tokens leaves no room past the prompt and an overlap of {OVERLAP}.")
    starts = [0]
    while starts[-1] + size < len(text):
        starts.append(starts[-1] + stride)
    owner_from = np.asarray([s + OVERLAP // 2 for s in starts[1:]])  # window k owns text tokens from here on
    windows, weights, units = [], [], []
    for k, start in enumerate(starts):
        stretch = text[start:start + size]
        windows.append(tuple(opening + stretch + closing))
        first = 0 if k == 0 else int(owner_from[k - 1])
        last = int(owner_from[k]) if k < len(owner_from) else len(text)
        rows, feeds = [], []
        if k == 0:  # the paragraph: the first window whole, as truncation would give it
            rows.append(np.ones(len(windows[-1]), dtype=np.float32))
            feeds.append(-1)
        for j, (lo, hi) in enumerate(ranges):
            lo, hi = max(lo - prompt, first), min(hi - prompt, last)
            if lo < hi:
                row = np.zeros(len(windows[-1]), dtype=np.float32)
                row[len(opening) + lo - start:len(opening) + hi - start] = 1.0
                rows.append(row)
                feeds.append(j)
        weights.append(np.stack(rows) if rows else np.zeros((0, len(windows[-1])), dtype=np.float32))
        units.append(tuple(feeds))
    return WindowPlan(tuple(windows), tuple(weights), tuple(units))


def late_vectors(encoder: TokenEncoder, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]],
                 shifts: Sequence[int], batch_size: int = 32) -> tuple[np.ndarray, list[np.ndarray]]:
    """The vector of each text and of each of its sentences, L2-normalised: ([N, dim], N arrays [sentences, dim]).

    `spans[i]` are the sentences of text i as character spans, `shifts[i]` characters into it (a heading
    embedded before the paragraph's own text). A sentence with no token (none in practice: spans are never
    whitespace) gets its paragraph's vector.
    """
    prompt = encoder.prompts["passage"]
    encodings = encoder.passage_tokenizer().encode_batch([prompt + t for t in texts]) if texts else []
    plans = [plan_text(e, s, len(prompt) + shift, len(prompt), encoder.window)
             for e, s, shift in zip(encodings, spans, shifts)]
    flat = [(i, k) for i, plan in enumerate(plans) for k in range(len(plan.windows))]
    pooled = encoder.pool_states([plans[i].windows[k] for i, k in flat], [plans[i].weights[k] for i, k in flat],
                                 batch_size=batch_size)
    paragraphs = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    sentences = [np.zeros((len(s), encoder.dim), dtype=np.float32) for s in spans]
    for (i, k), sums in zip(flat, pooled):
        for unit, row in zip(plans[i].units[k], sums):
            if unit < 0:
                paragraphs[i] = row
            else:
                sentences[i][unit] += row
    paragraphs = _normalised(paragraphs)
    for i, vectors in enumerate(sentences):
        empty = ~vectors.any(axis=1)
        vectors[empty] = paragraphs[i]
        sentences[i] = _normalised(vectors)
    return paragraphs, sentences


def _normalised(v: np.ndarray) -> np.ndarray:
    return (v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)).astype(np.float32)
