"""Property tests: no input to the comment endpoint produces a 5xx or a non-JSON error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Keys
from tests.factories import comment_body

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)

# Valid comments with one field replaced by anything at all.
MUTATED = st.tuples(
    st.sampled_from(["author", "body", "thread", "ip", "lang", "parent_id", "user_agent", "extra"]),
    JSON_VALUES,
).map(lambda change: {**comment_body(), change[0]: change[1]})

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def site(keys: Keys) -> dict[str, str]:
    return keys.site("news")


def _check(app: Flask, headers: dict[str, str], data: bytes, content_type: str) -> None:
    response = app.test_client().post(
        "/v1/comments", data=data, content_type=content_type, headers=headers
    )
    assert response.status_code in {202, 400, 413, 415, 422}, response.get_data(as_text=True)[:300]
    assert response.is_json
    if response.status_code >= 400:
        assert {"code", "status", "message"} <= set(response.json)


@FUZZ
@given(payload=JSON_VALUES | MUTATED)
def test_any_json_gets_202_or_a_json_4xx(app: Flask, site: dict[str, str], payload: Any) -> None:
    _check(app, site, json.dumps(payload).encode(), "application/json")


@FUZZ
@given(
    data=st.binary(max_size=512),
    content_type=st.sampled_from(
        ["application/json", "text/plain", "", "application/x-www-form-urlencoded"]
    ),
)
def test_any_bytes_get_a_json_4xx(
    app: Flask, site: dict[str, str], data: bytes, content_type: str
) -> None:
    _check(app, site, data, content_type)
