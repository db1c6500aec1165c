"""schemathesis over `detente serve`'s OpenAPI schema: whatever a client sends that the schema
allows, the server never answers 5xx, and it answers as the schema says.

(schemathesis's pytest plugin reads a pytest attribute that pytest 9.2 removed, so each
operation's hypothesis strategy is driven here directly.)"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

EXAMPLES = 50  # per operation; each analysis runs in the server's worker processes
# derandomized: CI sees the same examples every run (a failure is reproducible, not a fluke)


def _operations(url: str) -> list[object]:
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


def test_every_operation_is_fuzzed_without_a_server_error(live_server: str) -> None:
    operations = _operations(live_server)
    assert len(operations) >= 14
    for operation in operations:

        @given(case=operation.as_strategy())  # type: ignore[attr-defined]
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
        def check(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(timeout=60)
            assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code} {response.text[:300]}"
            case.validate_response(response, checks=(response_schema_conformance, content_type_conformance))

        try:
            check()
        except Exception as exc:  # name the operation that failed
            pytest.fail(f"{operation.label}: {exc}")  # type: ignore[attr-defined]
