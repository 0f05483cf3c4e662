"""Fuzz every operation of the OpenAPI document with schemathesis: no 5xx, one error shape.

MODQ_FUZZ_EXAMPLES sets the cases per operation and mode (40 here; docs/security.md records
a run with 1,000).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.conftest import Keys
from tests.factories import comment_body

EXAMPLES = int(os.environ.get("MODQ_FUZZ_EXAMPLES", "40"))
OPERATIONS = [
    "POST /v1/comments",
    "GET /v1/comments/{comment_id}",
    "GET /v1/moderation/queue",
    "GET /v1/moderation/learning",
    "GET /v1/moderation/stats",
    "GET /v1/moderation/settings",
    "PUT /v1/moderation/settings",
    "GET /v1/moderation/comments/{comment_id}",
    "POST /v1/moderation/comments/{comment_id}/decision",
    "POST /v1/moderation/decisions",
    "POST /v1/moderation/campaigns/{campaign_id}/decision",
    "POST /v1/privacy/erase",
    "PUT /v1/webhook",
    "GET /v1/webhook",
    "DELETE /v1/webhook",
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
]
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
)


def _token_for(label: str, keys: Keys) -> dict[str, str]:
    return keys.moderator("news") if "/moderation/" in label else keys.site("news")


def test_the_document_lists_every_operation_fuzzed(app: Flask) -> None:
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)

    assert {result.ok().label for result in schema.get_all_operations()} == set(OPERATIONS)


# Operations without parameters or body have no invalid input to generate.
NO_INPUT = {
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
    "GET /v1/moderation/learning",
    "GET /v1/moderation/settings",
    "GET /v1/webhook",
    "DELETE /v1/webhook",
}
CASES = [(label, GenerationMode.POSITIVE) for label in OPERATIONS] + [
    (label, GenerationMode.NEGATIVE) for label in OPERATIONS if label not in NO_INPUT
]


@pytest.mark.parametrize(
    "label, mode", CASES, ids=[f"{label} {mode.value}" for label, mode in CASES]
)
def test_fuzzed_requests_never_get_a_server_error(
    app: Flask, keys: Keys, label: str, mode: GenerationMode
) -> None:
    operation = schemathesis.openapi.from_wsgi("/openapi.json", app).find_operation_by_label(label)
    assert operation is not None
    auth = _token_for(label, keys)
    seen: dict[int, int] = {}

    @FUZZ
    @given(case=operation.as_strategy(generation_mode=mode), use_auth=st.booleans())
    def check(case: Any, use_auth: bool) -> None:
        # Positive cases carry a valid key; negative ones sometimes none, to reach auth too.
        use_auth = use_auth or mode is GenerationMode.POSITIVE
        response = case.call(headers=auth if use_auth else None)
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        assert response.status_code < 500, response.text[:300]
        if response.status_code >= 400:
            body = response.json()
            assert {"code", "status", "message"} <= set(body), body

    check()
    statuses = dict(sorted(seen.items()))
    print(f"{label} {mode.value}: {sum(seen.values())} cases, statuses {statuses}")
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert (
        client.post("/v1/comments", json=comment_body(), headers=keys.site("news")).status_code
        == 202
    )
    assert sum(seen.values()) >= 1
