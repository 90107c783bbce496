"""Choosing the store: the module a `QA_STORE` setting names, FAISS (the default) or Milvus.
The registry lives here, outside the `Store` protocol the backends implement (`base.py`), so a backend imports
the protocol and nothing imports back.
"""

from __future__ import annotations

from qa.errors import InputError
from qa.store.base import Backend


def backend(store: str) -> tuple[Backend, str]:
    """The store module a setting names, and its location: 'faiss' (the default), 'milvus:./index/qa.db'
    (embedded Milvus Lite) or 'milvus:http://host:19530' (a Milvus server or cluster)."""
    kind, _, location = store.strip().partition(":")
    if kind == "faiss" and not location:
        from qa.store.faiss import store as faiss_store

        return faiss_store, ""  # type: ignore[return-value]
    if kind == "milvus" and location:
        try:
            from qa.store.milvus import store as milvus_store
        except ImportError as e:
            raise InputError(f"QA_STORE = {store!r} needs pymilvus and milvus-lite ({e}): install them with "
                             f"`pip install -e '.[milvus]'`.") from None
        return milvus_store, location  # type: ignore[return-value]
    raise InputError(f"QA_STORE = {store!r} names no store: use 'faiss', 'milvus:./index/qa.db' (embedded) or "
                     f"'milvus:http://host:19530' (a Milvus server).")
