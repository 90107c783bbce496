"""Memory figures every bench reports the same way: a process's resident set now and its high-water mark.

The high-water mark is /proc's `VmHWM`, never getrusage's `ru_maxrss`: Linux carries a parent's `ru_maxrss`
into a child across fork and exec, so a bench's measuring child reported the 19.6 GB of the process that had
just written an index.
"""

from __future__ import annotations

from pathlib import Path


def _status_mb(field: str, pid: int | str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb(pid: int | str = "self") -> float:
    """The process's resident high-water mark (VmHWM), in MB."""
    return _status_mb("VmHWM", pid)


def rss_mb(pid: int | str = "self") -> float:
    """The process's resident set now (VmRSS), in MB."""
    return _status_mb("VmRSS", pid)
