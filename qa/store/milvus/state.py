"""The live build of a Milvus index: which build the alias names and its newest complete committed state.
Read by the store when it opens and by the writer before it commits, so it is a module of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pymilvus import MilvusClient
from pymilvus.exceptions import MilvusException

from qa.errors import IndexOutdated
from qa.store.milvus.schema import (
    FORMAT_VERSION,
    Location,
    Unavailable,
    build_of,
    damaged,
    live_expression,
    missing,
    names,
    reason,
    unpack,
)


@dataclass(frozen=True)
class Current:
    """The live build and its committed state, as read from the alias and the meta collection."""

    build: str
    version: int
    state: dict[str, Any]
    collections: dict[str, str]

    @property
    def live(self) -> str:
        return live_expression(self.state["segments"], [tuple(s) for s in self.state["stale"]])


def read_current(client: MilvusClient, loc: Location) -> Current:
    """The live build named by the alias and its newest complete state; IndexMissing or IndexDamaged."""
    try:
        target = client.describe_alias(loc.namespace)["collection_name"]
    except MilvusException as e:
        if "does not exist" in reason(e):
            raise missing(loc) from None
        raise Unavailable(f"Milvus at {loc.display} cannot be read ({reason(e)}).") from None
    build = build_of(loc.namespace, target)
    if not build:
        raise damaged(loc, f"alias {loc.namespace} names {target}, not a build of qa")
    cols = names(loc.namespace, build)
    try:
        for col in cols.values():
            if not client.has_collection(col):
                raise damaged(loc, f"collection {col} is missing")
            client.load_collection(col)
        heads = client.query(cols["meta"], filter="chunk == -1", output_fields=["version", "blob"])
        if not heads:
            raise damaged(loc, "its state row is missing")
        head = max(heads, key=lambda r: int(r["version"]))
        version = int(head["version"])
        rows = client.query(cols["meta"], filter=f"version == {version} and chunk >= 0", output_fields=["chunk", "blob"])
    except MilvusException as e:
        raise damaged(loc, f"Milvus cannot read its collections ({reason(e)})") from None
    try:
        info = json.loads(head["blob"])
        state = unpack([r["blob"] for r in sorted(rows, key=lambda r: int(r["chunk"]))], info["sha256"])
    except (ValueError, TypeError, KeyError):
        state = None
    if state is None or len(rows) != info.get("chunks"):
        raise damaged(loc, "its state row is unreadable")
    if isinstance(state.get("format"), int) and state["format"] < FORMAT_VERSION:
        raise IndexOutdated(f"The index in {loc.display} was built by an older version of qa (format "
                            f"{state['format']}, now {FORMAT_VERSION}): run `qa index` to update it.")
    if state.get("format") != FORMAT_VERSION:
        raise damaged(loc, f"its state is not format version {FORMAT_VERSION}")
    return Current(build, version, state, cols)


def count(client: MilvusClient, collection: str, expr: str) -> int:
    return int(client.query(collection, filter=expr, output_fields=["count(*)"])[0]["count(*)"])
