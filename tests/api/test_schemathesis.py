"""Property-based run of the OpenAPI document against a live `dre serve`: valid and invalid data
on every operation, and no 5xx anywhere.

Every operation of /openapi.json is driven in both of schemathesis' generation modes: positive
(data the schema allows) and negative (data the schema forbids: wrong types, missing required
fields, values out of range, bodies that are no object, a missing body...; every operation that
has a body or a constrained parameter). All of schemathesis' checks run, "schema-invalid data is
refused" (negative_data_rejection) included, but "schema-valid data is accepted" (see EXCLUDED).
The store is up, so no answer may be a 5xx, a 503 included; every error answer is in the
contract's shape (``{"error": {"code", "message", "details": [{"path", "issue"}]}}``; the OData
one under /odata/v4/pos/), except the loyalty POS event's, which has its own (a LoyaltyPOSEventResponse; held to "no 5xx" all the same).
"""
from __future__ import annotations

import httpx
import orjson
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from bench.live_server import LiveServer
from tests.api.conftest import ADMIN_KEY, EXAMPLES, TENANT

MAX_EXAMPLES = 10  # per operation and mode; ~1 min for both (derandomized: the same cases for the same
# code - Hypothesis also draws from the constants of the modules imported, so other tests collected
# beside it, or a changed module, change the cases)
LOYALTY = "/posSupportAPI/loyalty/posevent"  # answers every error as a LoyaltyPOSEventResponse
ODATA = "/odata/v4/pos/"  # the OData aliases answer errors in the OData shape
# Turned on, maintenance answers every later loyalty event 503 by design: each case that may have
# turned it on turns it off again
MAINTENANCE = "/admin/loyalty/maintenance"


@pytest.fixture(scope="module")
def live(redis_server):
    # an admin key: every operation, admin ones included, runs for real (a POS key's 403s are
    # tests/api/test_roles.py's)
    server = LiveServer({"DRE_API_KEYS": f"{TENANT}:{ADMIN_KEY}:admin",
                         "DRE_PROMOTIONS_FILE": str(EXAMPLES / "promotions.json"),
                         "DRE_REDIS_URL": redis_server.url})
    yield server
    assert server.stop() == 0


def _sent(case) -> str:
    return f"{case.method} {case.formatted_path} body={case.body!r:.300} query={case.query!r:.200}"


def no_server_error(ctx, response, case) -> None:
    """No 5xx: the store is up, so not even a 503 (schemathesis' own check lets 503 pass)."""
    if response.status_code >= 500:
        raise AssertionError(f"{response.status_code} for {_sent(case)}: {response.text[:500]}")


def contract_error_shape(ctx, response, case) -> None:
    """Every 4xx is ``{"error": {"code", "message", "details": [{"path", "issue"}]}}``; under
    /odata/v4/pos/ it is the OData shape ``{"error": {"code", "message", "details": [{"code",
    "message", "target"}]}}``."""
    if response.status_code < 400 or case.operation.path == LOYALTY:
        return
    detail_keys = {"code", "message", "target"} if case.operation.path.startswith(ODATA) else {"path", "issue"}
    try:
        error = orjson.loads(response.content)["error"]
        shaped = (isinstance(error["code"], str) and error["code"] and isinstance(error["message"], str)
                  and isinstance(error["details"], list)
                  and all(isinstance(d, dict) and detail_keys <= d.keys() for d in error["details"]))
    except (orjson.JSONDecodeError, KeyError, TypeError):
        shaped = False
    if not shaped:
        raise AssertionError(f"{response.status_code} not in the error shape for {_sent(case)}: "
                             f"{response.text[:500]}")


# "Schema-valid data is accepted" is not checked: the request models have rules JSON Schema cannot
# state (posGroupCode or posGroupId, unique lineReference, at most 2 decimals on money, a loyalty
# number that is not blank...), so such bodies are rightly answered 400.
EXCLUDED = [positive_data_acceptance]


def negatable(op) -> bool:
    """Whether some request of ``op`` breaks its schema: it has a body, or a parameter that is not
    free text. (Hypothesis would spend seconds per operation finding out that a GET with no
    parameters, or only a string path parameter, has no invalid request.)"""
    free_text = {"type": "string"}
    return bool(op.body) or any(p.definition.get("schema", {}) != free_text for p in op.iter_parameters())


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_no_server_errors(live, mode):
    # schemathesis' own pytest plugin does not work under pytest-trio's trio_mode, so the
    # operations are driven with plain hypothesis here.
    schema = schemathesis.openapi.from_url(live.url + "/openapi.json")
    # The key is sent as given below, never generated: a negative case would otherwise spend
    # itself on a missing or mangled Authorization (401s, tests/api/test_auth.py's) rather than data.
    schema.config.generation.update(with_security_parameters=False)
    # A body the schema forbids for being too long (more items than maxItems, a string past
    # maxLength) may also be past the body limit: 413 PAYLOAD_TOO_LARGE refuses it as rightly as a 400.
    rejection = schema.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "413"]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/pos/v2/evaluate", "/pos/v2/simulate", "/pos/heartbeat", LOYALTY}
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    if mode is GenerationMode.NEGATIVE:
        operations = [op for op in operations if negatable(op)]
        assert len(operations) >= 15 and LOYALTY in {op.path for op in operations}
    for op in operations:
        @given(case=op.as_strategy(generation_mode=mode))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None, derandomize=True, phases=[Phase.explicit, Phase.generate, Phase.shrink])
        def run(case) -> None:
            try:
                case.call_and_validate(base_url=live.url, headers=headers, excluded_checks=EXCLUDED,
                                       additional_checks=[no_server_error, contract_error_shape], timeout=10)
            finally:
                if case.operation.path == MAINTENANCE:
                    off = httpx.put(live.url + MAINTENANCE, json={"maintenance": False}, headers=headers, timeout=10)
                    assert off.status_code == 200, off.text

        run()
