"""What a Milvus index is made of: its location, collection names, schemas, filter expressions and commit state.

One build is four collections named `<namespace>__<build>__<part>`; the alias `<namespace>` names the live
build's `meta` collection, so switching a rebuild is one `alter_alias`. Rows carry the segment (commit) that
wrote them; the state row of the meta collection lists the committed segments and the stale rows, and every
query filters on them, so an incremental commit shows all at once when its state row is written.
`milvus_store` reads an index, `milvus_commit` writes one; these three are the only modules that import pymilvus.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
from pymilvus import DataType, MilvusClient
from pymilvus.exceptions import MilvusException

from qa.errors import Busy, IndexDamaged, IndexMissing, InputError, QAError
from qa.store import lexical
from qa.store.base import Filter
from qa.store.lexical import length_norm, tf_weight

FORMAT_VERSION = 1
PARTS = ("para", "sent", "terms", "meta")
INDEXES = ("FLAT", "HNSW", "IVF_FLAT")
MAX_TEXT = 65_535  # VARCHAR limit, in bytes on a server (lite counts characters)
CHUNK = 60_000  # characters of state per meta row
TOP_K = 16_384  # Milvus's largest limit for one search or query
EMPTY_DIM = 0  # a paragraph without tokens gets this dimension (Milvus refuses empty sparse vectors); no query asks it

# They log a traceback at ERROR for every failed call we handle (Lite's in-process gRPC server as `grpc._server`).
for _name in ("pymilvus", "milvus_lite", "grpc._server"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class Location:
    """Where an index lives: `milvus:./index/qa.db` (Milvus Lite, in this process) or
    `milvus:http://user:password@host:19530` (a server), with `#name` to keep several indexes apart and
    `?index=HNSW|IVF_FLAT|FLAT` to choose the dense index (FLAT in Lite, HNSW on a server by default)."""

    uri: str
    token: str
    namespace: str
    index: str
    lite: bool

    @property
    def display(self) -> str:
        return self.uri + ("" if self.namespace == "qa" else f"#{self.namespace}")


def parse_location(location: str) -> Location:
    """The `QA_STORE` value after `milvus:`; InputError naming the rule when it breaks one."""
    parts = urlsplit(location)
    lite = parts.scheme not in ("http", "https", "tcp", "unix")
    namespace = parts.fragment or "qa"
    index = parse_qs(parts.query).get("index", ["FLAT" if lite else "HNSW"])[-1].upper()
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", namespace) or "__" in namespace:
        raise InputError(f"QA_STORE: index name {namespace!r} after '#' must be letters, digits and single "
                         f"underscores, e.g. 'milvus:./index/qa.db#ungdc'.")
    if index not in INDEXES:
        raise InputError(f"QA_STORE: index={index} is not one of {', '.join(INDEXES)}.")
    if lite:
        path = location.split("?")[0].split("#")[0]
        if not path.endswith(".db"):
            raise InputError(f"QA_STORE = 'milvus:{location}': a Milvus Lite path must end in .db "
                             f"(e.g. milvus:./index/qa.db), a server URI start with http://.")
        return Location(str(Path(path).expanduser().absolute()), "", namespace, index, True)
    netloc = parts.hostname or ""
    netloc += f":{parts.port}" if parts.port else ""
    token = f"{parts.username}:{parts.password or ''}" if parts.username else ""
    return Location(f"{parts.scheme}://{netloc}{parts.path}", token, namespace, index, False)


class Unavailable(QAError):
    """Milvus failed a call the index needs (a server down, a query refused): retry, or check the server."""

    http_status = 503


def damaged(loc: Location, why: str) -> IndexDamaged:
    return IndexDamaged(f"Index in {loc.display} is damaged: {why}; run `qa index --rebuild`.")


def missing(loc: Location) -> IndexMissing:
    return IndexMissing(f"No index in {loc.display}: run `qa index` first.")


def connect(loc: Location, create: bool = False) -> MilvusClient:
    """A client for the location; a missing Lite database is IndexMissing unless `create`."""
    if loc.lite and not create and not os.path.exists(loc.uri):
        raise missing(loc)
    try:
        if loc.lite:
            Path(loc.uri).parent.mkdir(parents=True, exist_ok=True)
            return MilvusClient(loc.uri)
        return MilvusClient(uri=loc.uri, token=loc.token, timeout=10)
    except MilvusException as e:
        if loc.lite and _locked(Path(loc.uri)):
            raise Busy(f"The Milvus Lite database {loc.uri} is open in another process (one process per .db): "
                       f"stop it, or share the database through `milvus-lite server` and an http:// QA_STORE."
                       ) from None
        if loc.lite:
            raise damaged(loc, "the .db cannot be opened as a Milvus Lite 3 database") from None
        raise Unavailable(f"Cannot reach Milvus at {loc.uri} ({reason(e)}): start it, or fix QA_STORE.") from None
    except OSError as e:
        raise QAError(f"Cannot open {loc.uri}: {e.strerror}.") from None


def _locked(db: Path) -> bool:
    try:
        fd = os.open(db / "LOCK", os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def reason(e: Exception) -> str:
    return str(getattr(e, "message", "") or e).splitlines()[0][:160]


def release(location: str) -> None:
    """Let another process open a Lite database this process opened (Lite holds its lock until exit)."""
    loc = parse_location(location)
    if loc.lite:
        from milvus_lite.server_manager import server_manager_instance

        with contextlib.suppress(Exception):
            server_manager_instance.release_server(loc.uri)


# --- names ------------------------------------------------------------------------------------------------


def names(namespace: str, build: str) -> dict[str, str]:
    return {part: f"{namespace}__{build}__{part}" for part in PARTS}


def new_build() -> str:
    return time.strftime("b%Y%m%d%H%M%S", time.gmtime()) + secrets.token_hex(3)


def build_of(namespace: str, collection: str) -> str:
    """The build id in a collection name of this namespace ('' for another collection)."""
    m = re.fullmatch(re.escape(namespace) + r"__(b\w+?)__(" + "|".join(PARTS) + ")", collection)
    return m.group(1) if m else ""


# --- schemas ------------------------------------------------------------------------------------------------


VARCHARS = {  # the text fields of each part and their largest size in bytes
    "para": {"doc": 256, "language": 16, "date": 32, "submitters": 4096, "author": 512, "pid": 512, "kind": 32,
             "rsha": 16, "ekey": 64, "record": MAX_TEXT},
    "sent": {"doc": 256, "language": 16, "date": 32, "submitters": 4096, "author": 512, "pid": 512, "ekey": 64},
    "terms": {"term": 4096},
    "meta": {"blob": MAX_TEXT},
}
INTEGERS = {"para": (), "sent": ("start", "end"), "terms": ("dim", "df"), "meta": ("version", "chunk")}
DUMMY = [1.0, 0.0]  # the vector of a terms or meta row: Milvus wants a vector field in every collection


def create_collections(client: MilvusClient, loc: Location, build: str, dim: int) -> dict[str, str]:
    """The four empty collections of a build, indexed and loaded."""
    cols = names(loc.namespace, build)
    for part in PARTS:
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("pk", DataType.INT64, is_primary=True)
        schema.add_field("segment", DataType.INT64)
        for name, length in VARCHARS[part].items():
            schema.add_field(name, DataType.VARCHAR, max_length=length)
        for name in INTEGERS[part]:
            schema.add_field(name, DataType.INT64)
        index = client.prepare_index_params()
        if part in ("para", "sent"):
            schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
            index.add_index(field_name="dense", metric_type="IP", **_dense_index(loc))
        else:
            schema.add_field("dense", DataType.FLOAT_VECTOR, dim=len(DUMMY))
            index.add_index(field_name="dense", index_type="FLAT", metric_type="IP")
        if part == "para":
            for name in ("bm25", "presence"):
                schema.add_field(name, DataType.SPARSE_FLOAT_VECTOR)
                index.add_index(field_name=name, index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        client.create_collection(cols[part], schema=schema, index_params=index, consistency_level="Strong")
    return cols


def too_long(part: str, row: dict[str, Any]) -> str:
    """The first text field of a row over its size ('' when all fit)."""
    return next((name for name, limit in VARCHARS[part].items() if len(row[name].encode()) > limit), "")


def _dense_index(loc: Location) -> dict[str, Any]:
    """Index type and build parameters. Lite reads them only inside a `params` key (it drops flat ones
    silently); a server reads them flat."""
    params = {"HNSW": {"M": 16, "efConstruction": 200}, "IVF_FLAT": {"nlist": 1024}}.get(loc.index, {})
    return {"index_type": loc.index, "params": {"params": params} if loc.lite and params else params}


def search_params(loc: Location, k: int) -> dict[str, Any]:
    return {"HNSW": {"params": {"ef": max(k, 128)}}, "IVF_FLAT": {"params": {"nprobe": 64}}}.get(loc.index, {})


# --- filters as expressions -------------------------------------------------------------------------------


def quote(value: str) -> str:
    """A Milvus string literal (Milvus knows `\\"` and `\\\\`, not `\\u` escapes)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


_UNSAFE = re.compile(r"[%_|~\\\"'\x00-\x1f]")


def encode_name(name: str) -> str:
    """A party's name as stored in `submitters` and `author`: the characters that are wildcards or delimiters in
    a `like` pattern (`% _ |`), quotes and `~` become `~XX`, so `like "%|Name|%"` matches the name exactly."""
    return _UNSAFE.sub(lambda m: f"~{ord(m.group()):02X}", name)


def names_field(parties: Iterable[str]) -> str:
    return "|" + "".join(encode_name(p) + "|" for p in parties if p)


def segments_expression(segments: Iterable[int]) -> str:
    return f"segment in [{', '.join(str(s) for s in sorted(segments))}]"


def rows_of(pairs: Iterable[tuple[str, int]]) -> str:
    """The rows of these (document, segment) pairs ('' for none)."""
    by_segment: dict[int, list[str]] = {}
    for doc, segment in pairs:
        by_segment.setdefault(segment, []).append(doc)
    return " or ".join(f"(segment == {s} and doc in [{', '.join(quote(d) for d in sorted(docs))}])"
                       for s, docs in sorted(by_segment.items()))


def live_expression(segments: Iterable[int], stale: Iterable[tuple[str, int]]) -> str:
    """Rows of the committed segments, less the rows of documents removed or replaced since (deleted later)."""
    gone = rows_of(stale)
    return f"{segments_expression(segments)} and not ({gone})" if gone else segments_expression(segments)


def _before(bound: str) -> str:
    """The smallest string after every date that starts with `bound`: '2021-12' -> '2021-13' (half-open)."""
    return bound[:-1] + chr(ord(bound[-1]) + 1)


def expression(where: Filter, live: str) -> str | None:
    """`where` as a Milvus filter over paragraph or sentence rows, within `live`; None when it admits nothing.

    The same predicate as `Filter.admits_document` plus speakers: a document without a date passes no date
    bound; a speaker is a submitter (`like` on the `|A|B|` field) or the paragraph's own author."""
    if any(s is not None and not s for s in (where.docs, where.speakers, where.languages)):
        return None
    terms = [live]
    if where.docs is not None:
        terms.append(f"doc in [{', '.join(quote(d) for d in sorted(where.docs))}]")
    if where.languages is not None:
        terms.append(f"language in [{', '.join(quote(x) for x in sorted(where.languages))}]")
    if where.date_from:
        terms.append(f"date >= {quote(where.date_from)}")
    if where.date_to:
        terms.append(f'date != "" and date < {quote(_before(where.date_to))}')
    if where.speakers is not None:
        names_ = sorted(encode_name(s) for s in where.speakers)
        likes = [f'submitters like "%|{n}|%"' for n in names_]
        terms.append("(" + " or ".join([*likes, f"author in [{', '.join(quote(n) for n in names_)}]"]) + ")")
    return " and ".join(f"({t})" for t in terms)


# --- lexical weights --------------------------------------------------------------------------------------


def term_weights(tokens: list[str], avgdl: float) -> dict[str, float]:
    """The document side of `BM25Index` without the IDF: tf(k1+1)/(tf+k1(1-b+b·dl/avgdl)) per distinct token.
    The IDF goes on the query side, so it stays exact as incremental commits change N and df."""
    counts: dict[str, int] = {}
    for t in tokens:
        counts[t] = counts.get(t, 0) + 1
    norm = length_norm(len(tokens), avgdl)
    return {t: float(np.float32(tf_weight(1.0, tf, norm))) for t, tf in counts.items()}


def idf(n: int, df: int) -> float:
    return float(lexical.idf(n, df))


def sparse(weights: dict[int, float]) -> dict[int, float]:
    return weights or {EMPTY_DIM: 1.0}


# --- state: the commit point, as chunks of the meta collection ----------------------------------------------


def pack(state: dict[str, Any]) -> tuple[list[str], str]:
    """The state as chunks of ASCII text (zlib + base64) and their SHA-256."""
    text = base64.b64encode(zlib.compress(json.dumps(state, ensure_ascii=False).encode(), 6)).decode()
    return [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)] or [""], hashlib.sha256(text.encode()).hexdigest()


def unpack(chunks: list[str], sha256: str) -> dict[str, Any] | None:
    """The state back, or None when the chunks are not the ones the head row describes."""
    text = "".join(chunks)
    if hashlib.sha256(text.encode()).hexdigest() != sha256:
        return None
    try:
        state = json.loads(zlib.decompress(base64.b64decode(text)))
    except (ValueError, zlib.error):
        return None
    return state if isinstance(state, dict) else None


def to_b64(array: np.ndarray, dtype: Any = np.float32) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode()


def from_b64(text: str, shape: tuple[int, ...], dtype: Any = np.float32) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=dtype).reshape(shape).copy()


def row_hash(pid: str, rsha: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{pid}\n{rsha}".encode()).digest()[:16], "big")


FINGERPRINT_MOD = 1 << 128  # the fingerprint is a sum of row hashes, so a commit updates it without a full read


def batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def scan(client: MilvusClient, collection: str, expr: str, fields: list[str], batch: int = 4096) -> Iterator[dict]:
    """Every row matching `expr`, in batches (a query returns at most 16,384 rows on a server)."""
    it = client.query_iterator(collection, batch_size=batch, filter=expr, output_fields=fields)
    try:
        while rows := it.next():
            yield from rows
    finally:
        it.close()
