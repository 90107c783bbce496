"""Hashes kept across processes: what a one-shot command does not recompute."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from qa import files as storage


def test_a_remembered_file_hash_is_reused_and_recomputed_when_the_file_or_record_changes(tmp_path: Path) -> None:
    """The bundled weights' hash is kept across processes by path, size and mtime, and never trusted blindly."""
    f = tmp_path / "weights.bin"
    f.write_bytes(b"a" * 1000)
    cache = tmp_path / "cache"
    want = hashlib.sha256(b"a" * 1000).hexdigest()
    assert storage.sha256_file_remembered(f, cache) == want
    record = json.loads((cache / "hashes.json").read_text())
    assert list(record.values()) == [want]
    (cache / "hashes.json").write_text(json.dumps({k: "f" * 64 for k in record}))  # what a later start reads
    assert storage.sha256_file_remembered(f, cache) == "f" * 64
    f.write_bytes(b"b" * 1001)  # a new file: new size, new key
    os.utime(f, ns=(1, 1))
    assert storage.sha256_file_remembered(f, cache) == hashlib.sha256(b"b" * 1001).hexdigest()
    (cache / "hashes.json").write_text("{damaged")
    assert storage.sha256_file_remembered(f, cache) == hashlib.sha256(b"b" * 1001).hexdigest()
