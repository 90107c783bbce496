"""The embedding cache: every vector ever computed, by model and text, kept apart from any index.

Embedding is by far the slowest part of building an index, so its results outlive the index that asked for
them: a rebuild after a change of format, analyzer, segmentation or store (FAISS or Milvus) embeds only
texts it has never seen, and a build killed half-way resumes where it stopped (vectors are saved batch by
batch). One SQLite file per model in the cache folder; keys are `index.embed_key` values.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from qa.errors import QAError
from qa.files import sha256_bytes


class VectorCache:
    """Vectors by key for one model (`identity`); safe for one writer at a time (the index writer lock)."""

    def __init__(self, folder: Path, model_name: str, dim: int) -> None:
        self.dim = dim
        self.path = Path(folder) / "vectors" / f"{sha256_bytes(model_name.encode())[:16]}-{dim}.sqlite"
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
            self._db.execute("CREATE TABLE IF NOT EXISTS model (name TEXT)")
            self._db.execute("INSERT INTO model SELECT ? WHERE NOT EXISTS (SELECT 1 FROM model)", (model_name,))
            self._db.commit()
        except sqlite3.Error as e:
            raise QAError(f"The embedding cache {self.path} cannot be opened ({e}); delete it to start afresh "
                          f"(vectors are recomputed) or set QA_CACHE_DIR elsewhere.") from None

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors among `keys` (keys never embedded are left out)."""
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for chunk in _chunks(list(dict.fromkeys(keys)), 500):
                rows = self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(chunk))})", chunk)
                for key, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.shape == (self.dim,):
                        found[key] = vector
        return found

    def put_many(self, items: Iterable[tuple[str, np.ndarray]]) -> None:
        rows = [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items]
        with self._lock:
            try:
                self._db.executemany("INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)", rows)
                self._db.commit()
            except sqlite3.Error as e:
                raise QAError(f"Could not save vectors to {self.path} ({e}); free space or fix the folder "
                              f"and retry.") from None

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
