"""The Milvus store: paragraphs, sentences and lexical weights in Milvus (Lite in this process, or a server).

Why it is built the way it is (measured on pymilvus 3.0.2 + milvus-lite 3.2.2, see the README):
- Lexical: our own BM25 weights in a SPARSE_FLOAT_VECTOR searched by inner product, not Milvus's BM25
  function with its analyzers. Lite has no English analyzer or stemmer (only `standard` and `jieba`),
  ignores multi-language analyzers, computes IDF per segment and cannot weight query terms; our analyzer
  (jieba + Snowball + field concepts) and weighted, translated query terms carry over only this way, and the
  scores equal `qa.store.lexical.BM25Index`'s. The IDF is on the query side, from a term table, so it stays
  exact when a commit adds or removes documents.
- Dense: FLAT in Lite (its HNSW returns fewer hits than match a selective filter); HNSW on a server.
- Speakers: a `|A|B|` string searched with `like` (Lite's `array_contains_any` scans rows in Python).
- Best sentence per paragraph: `group_by_field`, searched wider when fewer groups come back than asked.
- Every query is restricted to the committed segments (`milvus_schema.live_expression`).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from pymilvus import MilvusClient
from pymilvus.exceptions import MilvusException

from qa.documents.document import Document
from qa.documents.paragraph import Paragraph
from qa.files import sha256_bytes
from qa.store.base import ALL, Change, Filter, Ranked
from qa.store.milvus.schema import (
    FINGERPRINT_MOD,
    TOP_K,
    Location,
    Unavailable,
    batches,
    connect,
    damaged,
    expression,
    from_b64,
    idf,
    parse_location,
    quote,
    reason,
    row_hash,
    scan,
    search_params,
)
from qa.store.milvus.state import Current, count, read_current

V = TypeVar("V")


class _Lru:
    """A small thread-safe LRU map (a loaded store never changes, so nothing in it goes stale)."""

    def __init__(self, size: int) -> None:
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[Any], fetch: Callable[[list[Any]], dict[Any, V]]) -> dict[Any, V]:
        """The values of `keys`, fetching those not held in one call (keys it does not return are unknown)."""
        with self._lock:
            found = {k: self._items[k] for k in keys if k in self._items}
            for k in found:
                self._items.move_to_end(k)
        todo = [k for k in dict.fromkeys(keys) if k not in found]
        if todo:
            fetched = fetch(todo)
            self.put_many(fetched)
            found.update(fetched)
        return found

    def put_many(self, items: dict[Any, Any]) -> None:
        with self._lock:
            self._items.update(items)
            for k in items:
                self._items.move_to_end(k)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


class MilvusStore:
    """A loaded, verified Milvus index (see `qa.store.base.Store`); safe to query from many threads at once."""

    def __init__(self, client: MilvusClient, loc: Location, current: Current) -> None:
        state = current.state
        self.path = Path(loc.uri if loc.lite else "/") / f"{loc.namespace}__{current.build}"
        self.manifest: dict[str, Any] = state["manifest"]
        self.documents = {d["id"]: Document.from_json(d) for d in state["documents"]}
        self.background = from_b64(state["background"], tuple(state["background_shape"]))
        self._client = client
        self._loc = loc
        self._cols = current.collections
        self._live = current.live
        self._state = state
        self._records = _Lru(50_000)  # paragraph id -> Paragraph
        self._vectors = _Lru(20_000)  # paragraph id -> its vector
        self._sentences = _Lru(20_000)  # paragraph id -> [(start, end, vector)]
        self._terms = _Lru(200_000)  # token -> (dimension, document frequency)
        self._docs = _Lru(2_000)  # document id -> its searchable paragraphs

    @property
    def size(self) -> int:
        return int(self._state["live"]["paragraphs"])

    # -- records --

    def paragraphs(self, ids: Sequence[str]) -> list[Paragraph]:
        found = self._records.get_many(list(ids), self._fetch_records)
        return [found[i] for i in ids]

    def _fetch_records(self, ids: list[str]) -> dict[str, Paragraph]:
        out: dict[str, Paragraph] = {}
        for chunk in batches(ids, 1000):
            expr = f"{self._live} and pid in [{', '.join(quote(i) for i in chunk)}]"
            out.update(self._record(r) for r in self._query("para", expr, ["pid", "record", "rsha"]))
        return out

    def _record(self, row: dict[str, Any]) -> tuple[str, Paragraph]:
        """A paragraph from its row, checked against the hash written beside it."""
        if sha256_bytes(row["record"].encode())[:16] != row["rsha"]:
            raise damaged(self._loc, f"paragraph {row['pid']} does not match its checksum")
        return row["pid"], Paragraph.from_json(json.loads(row["record"]))

    def searchable(self, doc_id: str) -> tuple[Paragraph, ...]:
        def fetch(docs: list[str]) -> dict[str, tuple[Paragraph, ...]]:
            rows = scan(self._client, self._cols["para"], f"{self._live} and doc == {quote(docs[0])}",
                        ["pid", "record", "rsha"])
            records = dict(self._record(r) for r in rows)
            self._records.put_many(records)
            return {docs[0]: tuple(sorted(records.values(), key=lambda p: p.position))}

        return self._docs.get_many([doc_id], fetch)[doc_id]

    def document_paragraphs(self, doc_id: str) -> tuple[Paragraph, ...]:
        return self.searchable(doc_id)  # like the FAISS store, this one keeps the searchable paragraphs only

    # -- channels --

    def search_paragraphs(self, vector: np.ndarray, k: int, where: Filter = ALL) -> Ranked:
        expr = expression(where, self._live)
        if expr is None or k <= 0:
            return []
        return self._ranked(self._search("para", "dense", _dense(vector), k, expr))

    def search_sentences(self, vector: np.ndarray, k: int, where: Filter = ALL) -> Ranked:
        expr = expression(where, self._live)
        if expr is None or k <= 0:
            return []
        k = min(k, TOP_K)
        hits = self._search("sent", "dense", _dense(vector), k, expr, group_by_field="pid", group_size=1)
        # Grouping looks at a bounded window of sentences: when it returns fewer paragraphs than asked and than
        # the filter admits, look wider before believing it.
        if len(hits) < k and len(hits) < self._count("para", expr):
            limit = min(TOP_K, max(10 * k, 1000))
            while True:
                raw = self._search("sent", "dense", _dense(vector), limit, expr)
                best: dict[str, Any] = {}
                for h in raw:
                    best.setdefault(h.entity["pid"], h)
                if len(best) >= k or len(raw) < limit or limit == TOP_K:
                    break
                limit = min(TOP_K, 4 * limit)
            hits = list(best.values())[:k]
        return [(h.entity["pid"], float(h.distance)) for h in hits]

    def search_lexical(self, terms: Sequence[tuple[str, float]], k: int, where: Filter = ALL) -> Ranked:
        expr = expression(where, self._live)
        if expr is None or k <= 0 or not terms:
            return []
        stats = self._term_stats([t for t, _ in terms])
        query: dict[int, float] = {}
        for term, weight in terms:
            dim, df = stats[term]
            if df > 0:
                query[dim] = query.get(dim, 0.0) + float(weight) * idf(self.size, df)
        query = {d: w for d, w in query.items() if w > 0}
        if not query:
            return []
        return [(pid, s) for pid, s in self._ranked(self._search("para", "bm25", query, k, expr)) if s > 0]

    def sentence_scores(self, paragraph_id: str, vector: np.ndarray) -> list[tuple[int, int, float]]:
        spans = self._sentences.get_many([paragraph_id], self._fetch_sentences).get(paragraph_id, [])
        return [(s, e, float(v @ vector)) for s, e, v in spans]

    def _fetch_sentences(self, ids: list[str]) -> dict[str, list[tuple[int, int, np.ndarray]]]:
        out: dict[str, list[tuple[int, int, np.ndarray]]] = {i: [] for i in ids}
        for chunk in batches(ids, 200):
            expr = f"{self._live} and pid in [{', '.join(quote(i) for i in chunk)}]"
            for r in scan(self._client, self._cols["sent"], expr, ["pid", "start", "end", "dense"]):
                out[r["pid"]].append((int(r["start"]), int(r["end"]), np.asarray(r["dense"], dtype=np.float32)))
        return {i: sorted(spans, key=lambda s: s[0]) for i, spans in out.items()}

    def paragraph_scores(self, ids: Sequence[str], vector: np.ndarray) -> list[float]:
        def fetch(todo: list[str]) -> dict[str, np.ndarray]:
            expr = f"{self._live} and pid in [{', '.join(quote(i) for i in todo)}]"
            return {r["pid"]: np.asarray(r["dense"], dtype=np.float32) for r in self._query("para", expr, ["pid", "dense"])}

        found = self._vectors.get_many(list(ids), fetch)
        self._sentences.get_many(list(ids), self._fetch_sentences)  # the search marks their sentences next
        return [float(found[i] @ vector) for i in ids]

    def document_frequency(self, term: str) -> int:
        return self._term_stats([term])[term][1]

    def count_matching(self, terms: Sequence[str]) -> int:
        """Paragraphs holding every token: a search of the 0/1 `presence` vectors by the tokens, counting the
        paragraphs that score all of them (at most the rarest token's document frequency)."""
        tokens = sorted(set(terms))
        stats = self._term_stats(tokens)
        if not tokens or min(stats[t][1] for t in tokens) == 0:
            return 0
        if len(tokens) == 1:
            return stats[tokens[0]][1]
        limit = min(TOP_K, min(stats[t][1] for t in tokens))
        hits = self._search("para", "presence", {stats[t][0]: 1.0 for t in tokens}, limit, self._live, fields=["pid"])
        return sum(1 for h in hits if h.distance > len(tokens) - 0.5)

    # -- Milvus calls --

    def _term_stats(self, terms: Sequence[str]) -> dict[str, tuple[int, int]]:
        def fetch(todo: list[str]) -> dict[str, tuple[int, int]]:
            out = {t: (0, 0) for t in todo}
            segments = ", ".join(str(s) for s in self._state["segments"])
            for chunk in batches(todo, 1000):
                expr = f"segment in [{segments}] and term in [{', '.join(quote(t) for t in chunk)}]"
                for r in self._query("terms", expr, ["term", "dim", "df"]):
                    out[r["term"]] = (int(r["dim"]), out[r["term"]][1] + int(r["df"]))
            return out

        return self._terms.get_many(list(terms), fetch)

    def _ranked(self, hits: list[Any]) -> Ranked:
        self._records.put_many(dict(self._record(h.entity) for h in hits if "record" in h.entity))
        return [(h.entity["pid"], float(h.distance)) for h in hits]

    def _search(self, part: str, field: str, data: Any, limit: int, expr: str, fields: list[str] | None = None,
                **kw: Any) -> list[Any]:
        fields = fields or (["pid", "record", "rsha"] if part == "para" else ["pid"])
        try:
            return list(self._client.search(self._cols[part], data=[data], anns_field=field, limit=min(limit, TOP_K),
                                            filter=expr, output_fields=fields,
                                            search_params=search_params(self._loc, limit), **kw)[0])
        except MilvusException as e:
            raise Unavailable(f"Milvus at {self._loc.display} failed a search ({reason(e)}); retry, or run "
                              f"`qa verify`.") from None

    def _count(self, part: str, expr: str) -> int:
        return int(self._query(part, expr, ["count(*)"])[0]["count(*)"])

    def _query(self, part: str, expr: str, fields: list[str]) -> list[dict[str, Any]]:
        try:
            return list(self._client.query(self._cols[part], filter=expr, output_fields=fields))
        except MilvusException as e:
            raise Unavailable(f"Milvus at {self._loc.display} failed a query ({reason(e)}); retry, or run "
                              f"`qa verify`.") from None


def _dense(vector: np.ndarray) -> list[float]:
    return np.asarray(vector, dtype=np.float32).reshape(-1).tolist()



# --- opening -------------------------------------------------------------------------------------------------


def load(index_dir: Path, location: str) -> MilvusStore:
    """Open and verify the live build; IndexMissing or IndexDamaged (one-line reason) if it is not sound."""
    loc = parse_location(location)
    client = connect(loc)
    current = read_current(client, loc)
    _check(client, loc, current)
    return MilvusStore(client, loc, current)


def _check(client: MilvusClient, loc: Location, current: Current) -> None:
    """What the state promises against what the collections hold: counts per collection, and a fingerprint
    of every live paragraph's id and record hash (Milvus Lite serves lost or damaged files silently)."""
    state, cols = current.state, current.collections
    segments = f"segment in [{', '.join(str(s) for s in state['segments'])}]"
    documents = {d["id"] for d in state["documents"]}
    try:
        found = {"paragraphs": count(client, cols["para"], current.live),
                 "sentences": count(client, cols["sent"], current.live),
                 "terms": count(client, cols["terms"], segments)}
        if found != state["live"]:
            raise damaged(loc, "counts disagree (" + ", ".join(f"{k} {found[k]} of {v}" for k, v in
                                                             state["live"].items()) + ")")
        total, strays = 0, 0
        for r in scan(client, cols["para"], current.live, ["pid", "rsha", "doc"]):
            total = (total + row_hash(r["pid"], r["rsha"])) % FINGERPRINT_MOD
            strays += r["doc"] not in documents
        dim = next(f for f in client.describe_collection(cols["para"])["fields"] if f["name"] == "dense")
    except MilvusException as e:
        raise damaged(loc, f"Milvus cannot read its collections ({reason(e)})") from None
    if f"{total:032x}" != state["fingerprint"]:
        raise damaged(loc, "its paragraphs do not match their fingerprint")
    if strays:
        raise damaged(loc, "a paragraph names a document the index does not describe")
    model_dim = state["manifest"]["model"].get("dim")
    if int(dim["params"]["dim"]) != model_dim or state["background_shape"][1:] != [model_dim]:
        raise damaged(loc, f"vector dimension {dim['params']['dim']} is not the model's {model_dim}")


def salvage_vectors(index_dir: Path, location: str, identity: dict[str, Any]) -> dict[str, np.ndarray]:
    """The live build's vectors by embed key when it used the same model; {} otherwise. Never raises."""
    try:
        loc = parse_location(location)
        client = connect(loc)
        current = read_current(client, loc)
        model = current.state["manifest"].get("model", {})
        if model.get("name") != identity.get("name") or model.get("weights_sha256") != identity.get("weights_sha256"):
            return {}
        found: dict[str, np.ndarray] = {}
        for part in ("para", "sent"):
            for r in scan(client, current.collections[part], current.live, ["ekey", "dense"]):
                if r["ekey"]:
                    found[r["ekey"]] = np.asarray(r["dense"], dtype=np.float32)
        store = MilvusStore(client, loc, current)
        found.update(zip(current.state["manifest"].get("background_keys", []), store.background))
        return found
    except Exception:  # noqa: BLE001 - salvage is best effort; a full embed is the fallback
        return {}


def commit(index_dir: Path, location: str, change: Change) -> None:
    """See `milvus_commit.commit` (here so this module is the whole `qa.store.base.Backend`)."""
    from qa.store.milvus.commit import commit as write

    write(index_dir, location, change)
