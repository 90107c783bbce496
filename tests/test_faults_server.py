"""The server as a real process on loopback: bad input over HTTP is a 4xx (never a reset connection), 400
requests from 16 concurrent clients all succeed, and a damaged index is refused at start (`qa serve`) or
answered with 503 and the reason (`/healthz`)."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from qa.store.faiss.store import read_commit

ROOT = Path(__file__).resolve().parent.parent
QA = [sys.executable, "-m", "qa.cli.main"]
QUESTIONS = [
    "Which state proposed a stepping-stone approach?",
    "五核国如何看待减少战略风险？",
    "negative security assurances",
    "名人小组对核查有什么建议？",
    "How should crisis communication channels be improved?",
    "禁止核武器条约",
    "fissile material stocks",
    "What does Russia say about nuclear weapons deployed outside national territory?",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request(port: int, method: str, target: str, body: bytes | None = None,
            headers: dict[str, str] | None = None, timeout: float = 120) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, target, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def copy_index(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".lock", ".tmp-*"))
    return dst


@pytest.fixture(scope="module")
def server(served: tuple[int, Path]) -> int:
    return served[0]


@pytest.fixture(scope="module")
def served(engine: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """`qa serve` on a copy of the session's index (already fresh, so nothing is built): its port and index."""
    index_dir = copy_index(engine.settings.index_dir, tmp_path_factory.mktemp("served") / "index")
    port = free_port()
    log = tmp_path_factory.mktemp("served-log") / "stderr.txt"
    with open(log, "wb") as err:
        proc = subprocess.Popen([*QA, "--corpus-dir", str(engine.settings.corpus_dir), "--index-dir",
                                 str(index_dir), "serve", "--port", str(port)], cwd=ROOT, stderr=err,
                                stdout=subprocess.DEVNULL)
    try:
        deadline = time.time() + 600
        while True:
            assert proc.poll() is None, log.read_text(errors="replace")
            try:
                if request(port, "GET", "/healthz", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            assert time.time() < deadline, "server did not start: " + log.read_text(errors="replace")
            time.sleep(0.3)
        yield port, index_dir
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(20)


@pytest.mark.slow
@pytest.mark.parametrize("what, method, target, body, status", [
    ("200,000 Chinese characters", "GET", "/api/ask?q=" + quote("核" * 200_000), None, 400),
    ("200,000 Latin characters", "GET", "/api/ask?q=" + "a" * 200_000, None, 400),
    ("200,000 characters on the page", "GET", "/?q=" + quote("问" * 200_000), None, 400),
    ("empty question", "GET", "/api/ask?q=", None, 400),
    ("NUL", "GET", "/api/ask?q=a%00b", None, 400),
    ("lone surrogate", "GET", "/api/ask?q=%ED%A0%80", None, 400),
    ("k out of range", "GET", "/api/ask?q=x&k=1000", None, 400),
    ("unknown state", "GET", "/api/compare?q=x&state=Atlantis", None, 400),
    ("path traversal", "GET", "/api/documents/..%2F..%2Fetc%2Fpasswd", None, 404),
    ("path traversal in static", "GET", "/static/..%2F..%2Fqa%2Fapp.py", None, 404),
    ("oversized body", "POST", "/api/export", b'{"ids": ["' + b"x" * 2_000_000 + b'"]}', 413),
])
def test_bad_input_over_http_is_a_4xx_not_a_dropped_connection(server: int, what: str, method: str, target: str,
                                                                body: bytes | None, status: int) -> None:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    got, data = request(server, method, target, body, headers)
    assert got == status, (what, got, data[:200])
    assert data.startswith(b"<!doctype html>") or "error" in json.loads(data), data[:200]


@pytest.mark.slow
def test_oversized_chunked_body_over_http_is_413(server: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=60)
    try:
        conn.putrequest("POST", "/api/export")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        for _ in range(12):
            chunk = b"x" * 100_000
            conn.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        conn.send(b"0\r\n\r\n")
        response = conn.getresponse()
        assert response.status == 413 and b"limit" in response.read()
    finally:
        conn.close()


@pytest.mark.slow
def test_400_requests_from_16_concurrent_clients_all_succeed(server: int) -> None:
    def one(i: int) -> tuple[int, float, str]:
        q = QUESTIONS[i % len(QUESTIONS)]
        t = time.perf_counter()
        try:
            status, body = request(server, "GET", f"/api/ask?q={quote(q)}&k=5")
            first = json.loads(body)["results"][0]["id"] if status == 200 else body.decode(errors="replace")[:200]
        except OSError as e:
            status, first = 0, repr(e)
        return status, (time.perf_counter() - t) * 1000, first

    t0 = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(one, range(400)))
    wall = time.perf_counter() - t0
    failed = [r for r in results if r[0] != 200]
    latencies = sorted(ms for _, ms, _ in results)
    p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
    print(f"load: 400 requests, 16 clients, {len(results) - len(failed)} ok, {len(failed)} failed, "
          f"{400 / wall:.1f} req/s, p50 {statistics.median(latencies):.0f} ms, p99 {p99:.0f} ms")
    assert failed == []
    # concurrency never mixes answers: the same question gets the same top paragraph every time
    tops: dict[int, set[str]] = {}
    for i, (_, _, first) in enumerate(results):
        tops.setdefault(i % len(QUESTIONS), set()).add(first)
    assert all(len(ids) == 1 for ids in tops.values()), tops


# --- a damaged index at start -----------------------------------------------------------------------------------


@pytest.fixture
def damaged_index(engine: Any, tmp_path: Path) -> Path:
    index_dir = copy_index(engine.settings.index_dir, tmp_path / "index")
    path = index_dir / read_commit(index_dir)["segments"][0]["name"] / "post_tf.npy"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    return index_dir


@pytest.mark.slow
def test_qa_serve_refuses_a_damaged_index_with_one_line(engine: Any, damaged_index: Path) -> None:
    proc = subprocess.run([*QA, "--index-dir", str(damaged_index), "serve", "--port", str(free_port())],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 1, proc.stderr
    errors = [x for x in proc.stderr.splitlines() if x.startswith("error:") or "Traceback" in x]
    assert len(errors) == 1 and "/post_tf.npy does not match its checksum" in errors[0], proc.stderr


def test_healthz_is_503_with_the_reason_when_the_index_is_damaged(engine: Any, damaged_index: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from qa.web.app import create_app

    # the same model, loaded once
    with TestClient(create_app(engine.settings.with_(index_dir=damaged_index), encoder=engine.encoder)) as client:
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["status"] == "error" and "/post_tf.npy does not match its checksum" in health.json()["error"]
        ask = client.get("/api/ask", params={"q": "negative security assurances"})
        assert ask.status_code == 503 and ask.json()["error"] == health.json()["error"]
        page = client.get("/", params={"q": "negative security assurances"})
        assert page.status_code == 503 and "post_tf.npy" in page.text
    assert os.listdir(damaged_index)  # nothing was rebuilt or removed behind the user's back
    assert (damaged_index / "CURRENT").read_text().startswith("commit-")


ONE_SHOT = ("import sys\nimport qa.search.engine as s\nfrom qa.cli.main import cli\nopened = []\nopen_ = s.Engine.open\n"
            "s.Engine.open = lambda *a, **k: opened.append(1) or open_(*a, **k)\n"
            "try:\n    cli.main(sys.argv[1:], prog_name='qa')\nexcept SystemExit as e:\n    code = e.code\n"
            "print(bool(opened), file=sys.stderr)\n")  # True: the command opened model and index itself


@pytest.mark.slow
def test_one_shot_ask_is_handed_to_a_running_server_over_the_same_index_and_only_that(
    engine: Any, served: tuple[int, Path]
) -> None:
    port, index_dir = served

    def ask(*args: str, **env: str) -> tuple[subprocess.CompletedProcess[str], bool]:
        run = subprocess.run([sys.executable, "-c", ONE_SHOT, "--corpus-dir", str(engine.settings.corpus_dir), *args],
                             cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
                             env={**os.environ, "QA_PORT": str(port), "PYTHONPATH": str(ROOT), **env})
        return run, run.stderr.strip().splitlines()[-1] == "True"

    question = ["ask", "Which state proposed a stepping-stone approach?", "-k", "3", "--json"]
    handed, loaded = ask("--index-dir", str(index_dir), *question)
    assert not loaded and json.loads(handed.stdout)["results"][0]["speaker"] == "Sweden", handed.stderr
    alone, loaded = ask("--index-dir", str(index_dir), *question, QA_ASK_VIA_SERVER="0")
    assert loaded and json.loads(alone.stdout) == json.loads(handed.stdout)
    _, loaded = ask("--index-dir", str(engine.settings.index_dir), *question)  # another index: not handed over
    assert loaded
    refused, loaded = ask("--index-dir", str(index_dir), "ask", "x", "--state", "Atlantis")
    assert not loaded and "Atlantis" in refused.stderr and refused.stdout == ""  # the server's 400, as our error
    comparison = ["compare", "negative security assurances", "--format", "json"]
    handed, loaded = ask("--index-dir", str(index_dir), *comparison)
    assert not loaded and json.loads(handed.stdout)["covered_total"] >= 1, handed.stderr
    alone, loaded = ask("--index-dir", str(index_dir), *comparison, QA_ASK_VIA_SERVER="0")
    assert loaded and json.loads(alone.stdout) == json.loads(handed.stdout)
