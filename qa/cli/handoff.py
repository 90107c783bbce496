"""A one-shot `qa ask` (or `qa compare`) handed to a `qa serve` already running over the same index: the answer
in a fraction of a second instead of loading the model and the index again. Anything else (no server, another
index, an old server, a network error) returns None and the command answers by itself, so the hand-off can only
save time."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from qa.errors import InputError, NotFound
from qa.settings import Settings

PROBE_SECONDS = 0.3  # a server on this machine answers /healthz in milliseconds; nobody listening fails at once


def index_id(settings: Settings) -> str:
    """Which index a process serves, as an opaque name (no path leaves the machine through /healthz)."""
    where = f"{settings.store}|{settings.index_dir.expanduser().resolve()}"
    return hashlib.sha256(where.encode()).hexdigest()[:16]


def _base(settings: Settings) -> str:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "", "::") else settings.host
    return f"http://{host}:{settings.port}"


def _get(url: str, timeout: float) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, json.loads(r.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode("utf-8") or "{}")


def ask_server(settings: Settings, params: dict[str, Any]) -> dict[str, Any] | None:
    """The /api/ask answer of a running server over this index, or None. Its 400/404 refusals are raised as ours."""
    return _from_server(settings, "/api/ask", params, "results")


def compare_server(settings: Settings, params: dict[str, Any]) -> dict[str, Any] | None:
    """The /api/compare answer of a running server over this index, or None, as `ask_server`."""
    return _from_server(settings, "/api/compare", params, "groups")


def _from_server(settings: Settings, path: str, params: dict[str, Any], key: str) -> dict[str, Any] | None:
    if not settings.ask_via_server:
        return None
    base = _base(settings)
    try:
        status, health = _get(f"{base}/healthz", PROBE_SECONDS)
        if status != 200 or health.get("index_id") != index_id(settings):
            return None
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v not in (None, "", ())}, doseq=True)
        status, body = _get(f"{base}{path}?{query}", 120)
    except (OSError, ValueError):  # refused, timed out, not JSON: not our server
        return None
    if status == 400:
        raise InputError(str(body.get("error", "Invalid request.")))
    if status == 404:
        raise NotFound(str(body.get("error", "Not found.")))
    return body if status == 200 and isinstance(body, dict) and key in body else None
