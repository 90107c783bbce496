"""Generated requests from the app's own OpenAPI schema (schemathesis): never a 5xx, and every response
matches the schema (status code, content type, body). Runs on the real engine, model and index.

The operations' strategies are driven by hypothesis inside an ordinary test (schemathesis's pytest plugin
needs its schema at import time, and the app with its engine is a session fixture)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

# Every check but `positive_data_acceptance`: some rules cannot live in a static schema (a question of only
# spaces, a state or document the corpus does not know, an impossible date), so a schema-valid request may get
# a 400 that names the rule. Everything else must hold: no 5xx, documented status, content type, body, headers.
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.response_headers_conformance]

EXAMPLES = 30  # per operation; bench/faults.py --fuzz runs more

pytestmark = pytest.mark.slow


def _fuzz(operation: Any, seen: dict[int, int]) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        response = case.call()
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        assert response.status_code < 500, (case.path, case.query, case.body, response.text[:300])
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
