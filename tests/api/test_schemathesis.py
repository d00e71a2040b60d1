"""Property-based run of the OpenAPI document against a live `dre serve`: no 500 anywhere."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from bench.live_server import LiveServer
from tests.api.conftest import ADMIN_KEY, EXAMPLES, TENANT

MAX_EXAMPLES = 25  # per operation: enough to hit every error path, small enough to stay fast


@pytest.fixture(scope="module")
def live(redis_server):
    # an admin key: every operation, admin ones included, runs for real (a POS key's 403s are
    # tests/api/test_roles.py's)
    server = LiveServer({"DRE_API_KEYS": f"{TENANT}:{ADMIN_KEY}:admin",
                         "DRE_PROMOTIONS_FILE": str(EXAMPLES / "promotions.json"),
                         "DRE_REDIS_URL": redis_server.url})
    yield server
    assert server.stop() == 0


def test_no_server_errors(live):
    # schemathesis' own pytest plugin does not work under pytest-trio's trio_mode, so the
    # operations are driven with plain hypothesis here.
    schema = schemathesis.openapi.from_url(live.url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/pos/v2/evaluate", "/pos/v2/simulate", "/pos/heartbeat"}
    for op in operations:
        @given(case=op.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        def run(case) -> None:
            # Every check except "schema-valid data is accepted": the request model has rules
            # JSON Schema cannot state (posGroupCode or posGroupId, unique lineReference, at most
            # 2 decimals on money), so such bodies are rightly answered 400.
            case.call_and_validate(base_url=live.url, headers={"Authorization": f"Bearer {ADMIN_KEY}"},
                                   excluded_checks=[positive_data_acceptance])

        run()
