"""Generated requests from the app's own OpenAPI schema (schemathesis): never a 5xx, and every response
matches the schema (status code, content type, body). Runs on the real engine, model and index.

The operations' strategies are driven by hypothesis inside an ordinary test (schemathesis's pytest plugin
needs its schema at import time, and the app with its engine is a session fixture)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

# Every check: what the schema allows the server accepts (the question's rules, k's range, the corpus's document
# ids and the parties' names are declared in it), and no 5xx, documented status, content type, body, headers.
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.response_headers_conformance, checks.positive_data_acceptance]

EXAMPLES = 30  # per operation; bench/faults.py --fuzz runs more

pytestmark = pytest.mark.slow


def _backwards(query: Any) -> bool:
    """A date range that runs backwards: valid by the schema, answered with no passages and a message saying so."""
    start, end = str((query or {}).get("date_from") or ""), str((query or {}).get("date_to") or "")
    return bool(start and end and start[:len(end)] > end[:len(start)])


def _fuzz(operation: Any, seen: dict[int, int]) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        response = case.call()
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        assert response.status_code < 500, (case.path, case.query, case.body, response.text[:300])
        if _backwards(case.query) and case.path == "/api/ask":
            assert "is after date_to" in response.text, response.text[:300]
        case.validate_response(response, checks=CHECKS)

    run()


def test_generated_requests_never_get_a_5xx_and_match_the_schema(web_app: Any) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", web_app)
    tried: dict[str, dict[int, int]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an invalid schema raises here and fails the test
        _fuzz(operation, tried.setdefault(f"{operation.method.upper()} {operation.path}", {}))
    print("schemathesis: status codes per operation", tried,
          "total", sum(n for codes in tried.values() for n in codes.values()))
    assert len(tried) >= 6  # healthz, ask, compare, documents, one document, export


@pytest.fixture(scope="module")
def served(engine: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """`qa serve` on loopback over a copy of the session's index: its port."""
    from test_faults_server import QA, ROOT, copy_index, free_port, request

    index_dir = copy_index(engine.settings.index_dir, tmp_path_factory.mktemp("fuzzed") / "index")
    port = free_port()
    proc = subprocess.Popen([*QA, "--corpus-dir", str(engine.settings.corpus_dir), "--index-dir", str(index_dir),
                             "serve", "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 600
        while proc.poll() is None and time.time() < deadline:
            try:
                if request(port, "GET", "/healthz", timeout=5)[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        assert proc.poll() is None and time.time() < deadline, "qa serve did not start"
        yield port
    finally:
        proc.terminate()
        proc.wait(30)


def test_schemathesis_with_all_its_checks_finds_nothing_against_qa_serve(served: int, tmp_path: Path) -> None:
    """The command line a client's author would run against the real server: every phase (examples, coverage,
    fuzzing, stateful) and every check, including undeclared methods (TRACE answers 405 with `Allow`)."""
    st = Path(sys.executable).with_name("st")
    proc = subprocess.run([str(st), "run", f"http://127.0.0.1:{served}/openapi.json", "--checks", "all",
                           "--max-examples", "25", "--seed", "1", "--no-color", "--max-failures", "5",
                           "--request-timeout", "60"], cwd=tmp_path, capture_output=True, text=True, timeout=900,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
