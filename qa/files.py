"""Crash-safe file writes, checksums and the single-writer lock for `index/` and `corpus/`.

A write goes to a temporary file in the same folder, is flushed and fsynced, renamed into place, and the
folder is fsynced, so a reader sees the old bytes or the new, never a mix.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from qa.errors import Busy, QAError

TMP_PREFIX = ".tmp-"


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically; on any error the old file is untouched and no temp file stays."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise write_error(path, e) from e
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def write_error(path: Path, e: OSError) -> QAError:
    reason = {errno.ENOSPC: "the disk is full", errno.EIO: "an I/O error", errno.EACCES: "permission denied",
              errno.EROFS: "the file system is read-only"}.get(e.errno or 0, e.strerror or str(e))
    return QAError(f"Could not write {path}: {reason}. Nothing was changed; free space or fix the folder and retry.")


_hash_cache: dict[tuple[str, int, int], str] = {}


def sha256_file(path: Path) -> str:
    """A file's SHA-256, hashed once per process while its size and mtime are unchanged (model weights are big)."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _hash_cache:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _hash_cache[key] = h.hexdigest()
    return _hash_cache[key]


def sha256_file_remembered(path: Path, cache_dir: Path) -> str:
    """`sha256_file`, remembered across processes in `cache_dir/hashes.json` by path, size and mtime: a one-shot
    `qa ask` names the converted model by the bundled weights' hash, and hashing their 72 MB took 0.15-1.3 s of
    its start (more while the analysers load on another thread). A damaged or missing record is hashed again."""
    st = path.stat()
    key = f"{path}|{st.st_size}|{st.st_mtime_ns}"
    record = cache_dir / "hashes.json"
    try:
        known = json.loads(record.read_text(encoding="utf-8"))
        if isinstance(known, dict) and isinstance(known.get(key), str) and len(known[key]) == 64:
            _hash_cache[(str(path), st.st_size, st.st_mtime_ns)] = str(known[key])  # and for `sha256_file`
            return str(known[key])
    except (OSError, ValueError):
        known = {}
    digest = sha256_file(path)
    with contextlib.suppress(OSError):  # a read-only cache only costs the next start the hash
        cache_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(record, json.dumps({**(known if isinstance(known, dict) else {}), key: digest}))
    return digest


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def remove_stray_temps(folder: Path) -> None:
    """Remove temp files a killed writer left behind (only ours, by prefix)."""
    if not folder.is_dir():
        return
    for p in folder.glob(TMP_PREFIX + "*"):
        with contextlib.suppress(OSError):
            if p.is_dir():
                shutil.rmtree(p)
            else:
                p.unlink()


UNUSED_DAYS = 30  # a cache file no process has read for this long is one an older version left


def mark_used(path: Path) -> None:
    """Note that a cache file was just read (its modification time), so `prune_unused` keeps it."""
    with contextlib.suppress(OSError):
        os.utime(path)


def prune_unused(kept: Path, prefix: str, days: float = UNUSED_DAYS) -> None:
    """Remove the files beside `kept` that start with `prefix` but belong to another cache (their name before the
    first dot differs) none of whose files anything has read for `days`.

    A cache named for the code and data that built it (CC-CEDICT's index, jieba's tables) gains files of tens of
    megabytes with each upgrade; a version that is still installed and used keeps its own fresh (`mark_used`)."""
    cutoff = time.time() - days * 86400
    files: dict[str, list[tuple[Path, float]]] = {}
    for p in kept.parent.glob(prefix + "*"):
        with contextlib.suppress(OSError):
            if p.is_file():
                files.setdefault(p.name.split(".")[0], []).append((p, p.stat().st_mtime))
    files.pop(kept.name.split(".")[0], None)
    for cache in files.values():
        if all(mtime < cutoff for _, mtime in cache):
            for p, _ in cache:
                with contextlib.suppress(OSError):
                    p.unlink()


def remove_dead_temps(parent: Path, prefix: str = TMP_PREFIX) -> None:
    """Remove temp folders `<prefix>…-<pid>-<n>` whose writer process is gone (a live writer's stay)."""
    for tmp in parent.glob(prefix + "*"):
        try:
            pid = int(tmp.name.rsplit("-", 2)[-2])
            os.kill(pid, 0)
            if pid != os.getpid():
                continue  # a live process is writing it right now
        except ProcessLookupError:
            pass
        except (ValueError, PermissionError):
            continue
        shutil.rmtree(tmp, ignore_errors=True)


def build_once(dest: Path, marker: str, build: Callable[[Path], object],
               on_wait: Callable[[], None] = lambda: None) -> Path:
    """`dest`, made by `build(tmp)` unless its `marker` file (written last by `build`) is already there.

    `build` writes a temporary sibling folder that is then renamed into place, so a killed build leaves no half
    folder (its temporary one is removed by the next build). Builds in one parent folder take turns (a lock on
    the folder): a second process waits (`on_wait` is called once) and then uses the first one's result.
    """
    if (dest / marker).is_file():
        return dest
    parent = dest.parent
    parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        if (dest / marker).is_file():  # built while we waited
            return dest
        remove_dead_temps(parent)
        if dest.exists():  # without its marker it is damaged or foreign: rebuild rather than trust it
            shutil.rmtree(dest)
        tmp = parent / f"{TMP_PREFIX}{dest.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            build(tmp)
            os.replace(tmp, dest)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    finally:
        os.close(fd)  # releases the lock
    return dest


@contextlib.contextmanager
def writer_lock(folder: Path, what: str) -> Iterator[None]:
    """Hold an exclusive, non-blocking lock on `folder/.lock`; a second writer fails fast with Busy.

    The kernel drops the lock when the process dies, so a killed writer never leaves a stale lock.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise write_error(folder / ".lock", e) from e
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(
                f"Another `qa` process is writing {folder} ({what}); wait for it to finish and try again."
            ) from None
        yield
    finally:
        os.close(fd)
