"""Writing a Milvus index: a rebuild as a new build behind the alias, or a change as a new segment of the live one.

Rebuild: four new collections are filled and flushed, their state row written, then the alias switches
(`alter_alias`) and builds other than the new and the previous one are dropped. Incremental: the added
documents' rows go in as a new segment; the rows of removed or replaced documents become stale (the state
excludes them) and are deleted by the next commit, so a reader that loaded the previous state keeps its
rows; the state row, written last, is the switch. Either way a reader sees the old index or the new one,
and the rows a killed commit leaves behind belong to no committed segment and are deleted by the next.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pymilvus
from pymilvus import MilvusClient
from pymilvus.exceptions import MilvusException

from qa.documents.document import Document
from qa.documents.paragraph import Paragraph
from qa.errors import IndexDamaged, IndexMissing, QAError
from qa.files import sha256_bytes
from qa.parties.citation import paragraph_author
from qa.store.base import Change
from qa.store.milvus.schema import (
    DUMMY,
    EMPTY_DIM,
    FINGERPRINT_MOD,
    FORMAT_VERSION,
    Location,
    Unavailable,
    batches,
    build_of,
    connect,
    create_collections,
    encode_name,
    names_field,
    new_build,
    pack,
    parse_location,
    quote,
    reason,
    row_hash,
    rows_of,
    scan,
    segments_expression,
    sparse,
    term_weights,
    to_b64,
    too_long,
)
from qa.store.milvus.state import Current, count, read_current

PARA_FIELDS = ["pk", "pid", "doc", "kind", "record", "rsha", "ekey", "dense", "bm25", "presence"]
SENT_FIELDS = ["pk", "pid", "doc", "start", "end", "ekey", "dense"]


def commit(index_dir: Path, location: str, change: Change) -> None:
    """Write a change (the caller holds the writer lock in `index_dir`); the previous index stays readable."""
    loc = parse_location(location)
    client = connect(loc, create=True)
    current: Current | None = None
    try:
        current = read_current(client, loc)
    except IndexMissing:
        pass
    except IndexDamaged:
        if not change.rebuild:
            raise
    try:
        if change.rebuild or current is None:
            _rebuild(client, loc, change)
        else:
            _append(client, loc, change, current)
    except MilvusException as e:
        raise Unavailable(f"Could not write the index to {loc.display} ({reason(e)}); the previous index is "
                          f"unchanged: retry.") from None


# --- rows ------------------------------------------------------------------------------------------------


def row_fields(doc: Document, p: Paragraph) -> dict[str, str]:
    """What filters read of a paragraph or sentence row: its document's metadata and its own author."""
    return {"doc": doc.id, "language": doc.language, "date": doc.date, "submitters": names_field(doc.submitted_by),
            "author": encode_name(paragraph_author(doc, p))}


def _row_metadata(d: Document) -> tuple[Any, ...]:
    return (d.submitted_by, d.date, d.language, d.author, d.part_authors)


def _keys(change: Change, name: str, n: int) -> list[str]:
    """Embed keys of the added rows, when the manifest lists them row for row (as a build does)."""
    keys = change.manifest.get(name, [])
    return [str(k) for k in keys] if len(keys) == n else [""] * n


def _segment_rows(change: Change, segment: int, avgdl: float,
                  dims: dict[str, int]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Paragraph and sentence rows of the added segment."""
    docs = {d.id: d for d in change.documents}
    searchable, s = change.added.searchable, change.added.sentences
    pkeys, skeys = _keys(change, "embed_keys", len(searchable)), _keys(change, "sentence_keys", len(s.row))
    para = []
    for i, (p, vector, tokens) in enumerate(zip(searchable, change.added.vectors, change.added.tokens, strict=True)):
        record = json.dumps(asdict(p), ensure_ascii=False)
        weights = term_weights(tokens, avgdl)
        para.append({"pk": segment << 32 | i, "segment": segment, **row_fields(docs[p.doc], p), "pid": p.id,
                     "kind": p.kind, "record": record, "rsha": sha256_bytes(record.encode())[:16], "ekey": pkeys[i],
                     "dense": vector.tolist(), "bm25": sparse({dims[t]: w for t, w in weights.items()}),
                     "presence": sparse({dims[t]: 1.0 for t in weights})})
    sent = []
    for j, row in enumerate(s.row):
        p = searchable[int(row)]
        sent.append({"pk": segment << 32 | j, "segment": segment, **row_fields(docs[p.doc], p), "pid": p.id,
                     "start": int(s.start[j]), "end": int(s.end[j]), "ekey": skeys[j], "dense": s.vectors[j].tolist()})
    return para, sent


def _term_rows(segment: int, df: dict[str, int], dims: dict[str, int]) -> list[dict[str, Any]]:
    return [{"pk": segment << 32 | i, "segment": segment, "term": t, "dim": dims[t], "df": n, "dense": DUMMY}
            for i, (t, n) in enumerate(sorted(df.items())) if n]


def _insert(client: MilvusClient, collection: str, part: str, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        if field := too_long(part, row):
            raise QAError(f"{row.get('pid') or row.get('term')}: its {field} is longer than Milvus allows "
                          f"({len(row[field].encode())} bytes); shorten the paragraph or use the FAISS store.")
    for batch in batches(rows, 500):
        client.insert(collection, batch)


def _fingerprint(rows: list[dict[str, Any]]) -> int:
    return sum(row_hash(r["pid"], r["rsha"]) for r in rows) % FINGERPRINT_MOD


def _state(change: Change, loc: Location, client: MilvusClient, cols: dict[str, str], **fields: Any) -> dict[str, Any]:
    versions = {"pymilvus": pymilvus.__version__, "numpy": np.__version__}
    with contextlib.suppress(Exception):
        versions["milvus"] = str(client.get_server_version())
    manifest = {"format_version": FORMAT_VERSION,
                **{k: v for k, v in change.manifest.items() if k not in ("embed_keys", "sentence_keys")},
                "store": "milvus", "location": loc.display, "collections": cols, "versions": versions}
    background = np.asarray(change.background, dtype=np.float32)
    return {"format": FORMAT_VERSION, "manifest": manifest, "documents": [asdict(d) for d in change.documents],
            "background": to_b64(background), "background_shape": list(background.shape), **fields}


def _write_state(client: MilvusClient, collection: str, version: int, state: dict[str, Any]) -> None:
    """The state's chunks, then the head row that makes them the state: the commit point of a change."""
    chunks, sha = pack(state)
    client.insert(collection, [{"pk": version << 20 | (i + 1), "segment": 0, "version": version, "chunk": i,
                                "blob": c, "dense": DUMMY} for i, c in enumerate(chunks)])
    client.flush(collection)
    client.insert(collection, [{"pk": version << 20, "segment": 0, "version": version, "chunk": -1,
                                "blob": json.dumps({"chunks": len(chunks), "sha256": sha}), "dense": DUMMY}])
    client.flush(collection)


# --- a rebuild -----------------------------------------------------------------------------------------------


def _rebuild(client: MilvusClient, loc: Location, change: Change) -> None:
    previous = ""
    with contextlib.suppress(MilvusException):
        previous = build_of(loc.namespace, client.describe_alias(loc.namespace)["collection_name"])
    build = new_build()
    cols = create_collections(client, loc, build, int(change.manifest["model"]["dim"]))
    try:
        tokens = change.added.tokens
        avgdl = float(np.mean([len(t) for t in tokens])) if any(tokens) else 1.0
        dims = {t: i + 1 for i, t in enumerate(sorted({t for ts in tokens for t in ts}))}
        para, sent = _segment_rows(change, 0, avgdl, dims)
        terms = _term_rows(0, Counter(t for ts in tokens for t in set(ts)), dims)
        for part, rows in (("para", para), ("sent", sent), ("terms", terms)):
            _insert(client, cols[part], part, rows)
            client.flush(cols[part])
        _write_state(client, cols["meta"], 1, _state(
            change, loc, client, cols, segments=[0], next_segment=1, stale=[],
            doc_segment={p.doc: 0 for p in change.added.searchable},
            live={"paragraphs": len(para), "sentences": len(sent), "terms": len(terms)},
            fingerprint=f"{_fingerprint(para):032x}", next_dim=len(dims) + 1, avgdl=avgdl))
        try:
            client.alter_alias(cols["meta"], loc.namespace)
        except MilvusException:
            client.create_alias(cols["meta"], loc.namespace)
    except BaseException:
        for col in cols.values():
            with contextlib.suppress(Exception):
                client.drop_collection(col)
        raise
    for col in client.list_collections():  # after the switch: the new build and the previous one stay
        if build_of(loc.namespace, col) not in ("", build, previous):
            client.drop_collection(col)


# --- an incremental change -------------------------------------------------------------------------------------


def _tidy(client: MilvusClient, current: Current) -> None:
    """Delete what no reader of the current state can see: rows of killed commits, rows stale since the
    previous commit, and older states."""
    cols, state = current.collections, current.state
    for part in ("para", "sent", "terms"):
        client.delete(cols[part], filter=f"not ({segments_expression(state['segments'])})")
    if state["stale"]:
        for part in ("para", "sent"):
            client.delete(cols[part], filter=rows_of(tuple(s) for s in state["stale"]))
    client.delete(cols["meta"], filter=f"version != {current.version}")


def _dims(client: MilvusClient, current: Current, terms: set[str]) -> tuple[dict[str, int], int]:
    """Dimensions of the terms: those they already have, new ones after the state's `next_dim`."""
    dims: dict[str, int] = {}
    segments = segments_expression(current.state["segments"])
    for chunk in batches(sorted(terms), 1000):
        expr = f"{segments} and term in [{', '.join(quote(t) for t in chunk)}]"
        dims.update((r["term"], int(r["dim"])) for r in client.query(current.collections["terms"], filter=expr,
                                                                      output_fields=["term", "dim"]))
    following = int(current.state["next_dim"])
    for t in sorted(terms - dims.keys()):
        dims[t], following = following, following + 1
    return dims, following


def _terms_of(client: MilvusClient, current: Current, dims: set[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for chunk in batches(sorted(dims), 1000):
        expr = f"{segments_expression(current.state['segments'])} and dim in [{', '.join(map(str, chunk))}]"
        out.update((int(r["dim"]), r["term"]) for r in client.query(current.collections["terms"], filter=expr,
                                                                     output_fields=["term", "dim"]))
    return out


def _restamp(rows: list[dict[str, Any]], records: dict[str, Paragraph], docs: dict[str, Document], segment: int,
             first: int) -> list[dict[str, Any]]:
    """Rows of documents whose metadata changed, as rows of the new segment with the new metadata."""
    return [{**r, "pk": segment << 32 | (first + i), "segment": segment,
             **row_fields(docs[r["doc"]], records[r["pid"]])} for i, r in enumerate(rows)]


@dataclass(frozen=True)
class _Leaving:
    """The live rows a change takes out: `dropped` for good, `moved` (with their sentences) to the new segment
    because their document's metadata changed."""

    pairs: dict[str, int]  # document -> the segment holding its rows
    dropped: list[dict[str, Any]]
    dropped_sentences: int
    moved: list[dict[str, Any]]
    moved_sentences: list[dict[str, Any]]


def _leaving(client: MilvusClient, current: Current, change: Change, restamp: set[str]) -> _Leaving:
    cols, on_file = current.collections, current.state["doc_segment"]
    added = {p.doc for p in change.added.paragraphs}
    kept = {d.id for d in change.documents}
    pairs = {d: s for d, s in on_file.items() if d in change.removed | added | restamp or d not in kept}
    dropped = rows_of((d, s) for d, s in pairs.items() if d not in restamp)
    moved = rows_of((d, s) for d, s in pairs.items() if d in restamp)
    return _Leaving(
        pairs,
        list(scan(client, cols["para"], dropped, ["pid", "rsha", "dense", "presence"])) if dropped else [],
        count(client, cols["sent"], dropped) if dropped else 0,
        list(scan(client, cols["para"], moved, PARA_FIELDS)) if moved else [],
        list(scan(client, cols["sent"], moved, SENT_FIELDS)) if moved else [])


def _append(client: MilvusClient, loc: Location, change: Change, current: Current) -> None:
    cols, state = current.collections, current.state
    segment = int(state["next_segment"])
    _tidy(client, current)
    old = {d["id"]: Document.from_json(d) for d in state["documents"]}
    new = {d.id: d for d in change.documents}
    added = {p.doc for p in change.added.paragraphs}
    restamp = {d for d in (new.keys() & old.keys()) - change.removed - added
               if _row_metadata(old[d]) != _row_metadata(new[d])}
    leaving = _leaving(client, current, change, restamp)
    gained = Counter(t for ts in change.added.tokens for t in set(ts))
    lost = Counter(d for r in leaving.dropped for d in r["presence"] if d != EMPTY_DIM)
    dims, next_dim = _dims(client, current, set(gained))
    delta = Counter(gained)
    for d, term in _terms_of(client, current, set(lost)).items():
        delta[term] -= lost[d]
        dims[term] = d
    para, sent = _segment_rows(change, segment, float(state["avgdl"]), dims)
    fingerprint = (int(state["fingerprint"], 16) + _fingerprint(para) - _fingerprint(leaving.dropped)) % FINGERPRINT_MOD
    records = {r["pid"]: Paragraph.from_json(json.loads(r["record"])) for r in leaving.moved}
    para += _restamp(leaving.moved, records, new, segment, len(para))
    sent += _restamp(leaving.moved_sentences, records, new, segment, len(sent))
    terms = _term_rows(segment, delta, dims)
    for part, rows in (("para", para), ("sent", sent), ("terms", terms)):
        _insert(client, cols[part], part, rows)
        client.flush(cols[part])
    doc_segment = {d: s for d, s in state["doc_segment"].items() if d not in leaving.pairs}
    doc_segment.update({r["doc"]: segment for r in para})
    live = {"paragraphs": state["live"]["paragraphs"] + len(change.added.searchable) - len(leaving.dropped),
            "sentences": state["live"]["sentences"] + len(change.added.sentences.row) - leaving.dropped_sentences,
            "terms": state["live"]["terms"] + len(terms)}
    _write_state(client, cols["meta"], current.version + 1, _state(
        change, loc, client, cols, segments=sorted([*state["segments"], segment]), next_segment=segment + 1,
        stale=sorted(leaving.pairs.items()), doc_segment=doc_segment, live=live, fingerprint=f"{fingerprint:032x}",
        next_dim=next_dim, avgdl=state["avgdl"]))
