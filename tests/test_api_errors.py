"""Bad input: every case answers a 4xx in the one JSON error shape and stores nothing."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
import redis as redis_lib
from flask import Flask
from flask.testing import FlaskClient

from service.storage import keys as rkeys
from tests.conftest import Keys
from tests.factories import comment_body, part

ERROR_KEYS = {"code", "status", "message"}


def _author(**fields: Any) -> dict[str, Any]:
    return {"name": "Aysel", "email": "aysel@mail.example", **fields}


BAD_JSON_BODIES = {
    "malformed": (b'{"body": "unterminated', 400),
    "top-level array": (b"[1, 2, 3]", 422),
    "top-level string": (b'"hello"', 422),
    "deeply nested": (b"[" * 100_000 + b"]" * 100_000, 400),
    "nested objects": (b'{"a":' * 30_000 + b"1" + b"}" * 30_000, 400),
    "invalid utf-8": (b'{"body": "\xff\xfe"}', 400),
    "NaN body": (b'{"author": {"name": "a", "email": "a@b.example"}, "body": NaN}', 422),
    "huge number": (b'{"author": {"name": "a", "email": "a@b.example"}, "body": 1e999}', 422),
    "empty": (b"", 400),
    "duplicate keys": (b'{"body": "a", "body": "b"}', 400),
    "duplicate nested keys": (b'{"author": {"name": "a", "name": "b"}}', 400),
}


@pytest.mark.parametrize("raw, code", BAD_JSON_BODIES.values(), ids=BAD_JSON_BODIES.keys())
def test_malformed_bodies_are_refused(
    client: FlaskClient, keys: Keys, redis: redis_lib.Redis, raw: bytes, code: int
) -> None:
    response = client.post(
        "/v1/comments", data=raw, content_type="application/json", headers=keys.site("news")
    )

    _assert_error(response, code)
    assert redis.xlen(rkeys.intake_stream(part("news"))) == 0


BAD_FIELDS: dict[str, tuple[dict[str, Any], str]] = {
    "no body": ({"author": _author()}, "body"),
    "no author": ({"body": "hi"}, "author"),
    "no name": ({"author": {"email": "a@b.example"}, "body": "hi"}, "author"),
    "no email": ({"author": {"name": "A"}, "body": "hi"}, "author"),
    "bad email": ({"author": _author(email="not-an-email"), "body": "hi"}, "author"),
    "blank body": ({"author": _author(), "body": "   "}, "body"),
    "body wrong type": ({"author": _author(), "body": 42}, "body"),
    "author wrong type": ({"author": "Aysel", "body": "hi"}, "author"),
    "lone surrogate": ({"author": _author(), "body": "bad \ud800 text"}, "body"),
    "surrogate in name": ({"author": _author(name="\udfff"), "body": "hi"}, "author"),
    "surrogate in email": ({"author": _author(email="a\ud800@b.example"), "body": "hi"}, "author"),
    "surrogate in domain": ({"author": _author(email="a@b\ud800.example"), "body": "hi"}, "author"),
    "unknown field": ({"author": _author(), "body": "hi", "color": "red"}, "color"),
    "sets status": ({"author": _author(), "body": "hi", "status": "approved"}, "status"),
    "sets score": ({"author": _author(), "body": "hi", "score": 0}, "score"),
    "sets site": ({"author": _author(), "body": "hi", "site": "other"}, "site"),
    "sets id": ({"author": _author(), "body": "hi", "id": "0" * 32}, "id"),
    "sets created_at": (
        {"author": _author(), "body": "hi", "created_at": "2020-01-01"},
        "created_at",
    ),
    "sets reasons": ({"author": _author(), "body": "hi", "reasons": []}, "reasons"),
    "bad ip": ({"author": _author(), "body": "hi", "ip": "999.1.1.1"}, "ip"),
    "bad parent id": ({"author": _author(), "body": "hi", "parent_id": "x"}, "parent_id"),
    "body over limit": ({"author": _author(), "body": "é" * 32_763}, "body"),
    "name over limit": ({"author": _author(name="n" * 246), "body": "hi"}, "author"),
    "email over limit": (
        {"author": _author(email="e" * 91 + "@x.example"), "body": "hi"},
        "author",
    ),
    "url over limit": ({"author": _author(url="u" * 201), "body": "hi"}, "author"),
}


@pytest.mark.parametrize("payload, field", BAD_FIELDS.values(), ids=BAD_FIELDS.keys())
def test_invalid_comments_name_the_field(
    client: FlaskClient, keys: Keys, redis: redis_lib.Redis, payload: dict[str, Any], field: str
) -> None:
    raw = json.dumps(payload)  # json.dumps keeps lone surrogates as \\u escapes
    response = client.post(
        "/v1/comments", data=raw, content_type="application/json", headers=keys.site("news")
    )

    _assert_error(response, 422)
    assert field in response.json["errors"]["json"]
    assert redis.xlen(rkeys.intake_stream(part("news"))) == 0


def test_a_422_says_which_part_of_the_request_is_invalid_and_as_what(
    client: FlaskClient, keys: Keys
) -> None:
    moderator = keys.moderator("news")
    comment = client.post("/v1/comments", json={"body": "hi"}, headers=keys.site("news"))
    limit = client.get("/v1/moderation/queue?limit=5000", headers=moderator)
    decision = client.post(
        "/v1/moderation/comments/" + "0" * 32 + "/decision",
        json={"decision": "delete"},
        headers=moderator,
    )

    for response in (comment, limit, decision):
        _assert_error(response, 422)
    assert comment.json["message"] == "the request body is not a valid comment: see 'errors'"
    assert limit.json["message"].startswith("the query string is not a valid request")
    assert "limit" in limit.json["errors"]["query"]
    assert decision.json["message"] == "the request body is not a valid decision: see 'errors'"


def test_limits_count_bytes_and_allow_exactly_the_limit(client: FlaskClient, keys: Keys) -> None:
    body = "é" * 32_762 + "a"  # 65,525 bytes in UTF-8
    payload = comment_body(body, author=_author(name="n" * 245, url="u" * 200))

    response = client.post("/v1/comments", json=payload, headers=keys.site("news"))

    assert response.status_code == 202


def test_oversize_request_is_413(client: FlaskClient, keys: Keys) -> None:
    response = client.post(
        "/v1/comments", json=comment_body("x" * 300_000), headers=keys.site("news")
    )

    _assert_error(response, 413)


AUTH_CASES = {
    "no header": {},
    "not bearer": {"Authorization": "Basic dXNlcjpwYXNz"},
    "garbage": {"Authorization": "Bearer nonsense"},
    "well-formed unknown": {"Authorization": "Bearer modq_site_0123456789ab_" + "A" * 43},
}


@pytest.mark.parametrize("headers", AUTH_CASES.values(), ids=AUTH_CASES.keys())
def test_missing_or_wrong_key_is_401_before_the_body_is_read(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    response = client.post("/v1/comments", data=b"{not json", headers=headers)

    _assert_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_wrong_secret_for_a_real_key_id_is_401(client: FlaskClient, keys: Keys) -> None:
    token = keys.site("news")["Authorization"]
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")

    response = client.get("/v1/comments/" + "0" * 32, headers={"Authorization": tampered})

    _assert_error(response, 401)


def test_unknown_route_and_method_are_json(client: FlaskClient, keys: Keys) -> None:
    _assert_error(client.get("/nope"), 404)
    _assert_error(client.delete("/v1/comments", headers=keys.site("news")), 405)


def _assert_error(response: Any, code: int) -> None:
    assert response.status_code == code, response.get_data(as_text=True)[:500]
    assert response.is_json
    assert set(response.json) >= ERROR_KEYS
    assert response.json["code"] == code
    assert isinstance(response.json["message"], str) and response.json["message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_a_body_not_sent_as_json_is_415(client: FlaskClient, keys: Keys, content_type: str) -> None:
    raw = json.dumps(comment_body()).encode()

    response = client.post(
        "/v1/comments", data=raw, content_type=content_type, headers=keys.site("news")
    )

    _assert_error(response, 415)
    assert "application/json" in response.json["message"]


def _mangled(token: str) -> dict[str, str]:
    key_id, secret = token.split("_")[2], token.split("_", 3)[3]
    other_secret = "B" * 43 if secret != "B" * 43 else "C" * 43
    return {
        "truncated": token[:-1],
        "padded with a character": token + "A",
        "padded inside": token.replace(key_id, key_id + "0"),
        "leading space": " " + token,
        "other secret": token.replace(secret, other_secret),
        "wrong kind prefix": token.replace("modq_site_", "modq_moderator_"),
    }


def test_wrong_truncated_padded_or_mixed_keys_are_401(client: FlaskClient, keys: Keys) -> None:
    token = keys.site("news")["Authorization"].removeprefix("Bearer ")
    other = keys.site("other")["Authorization"].removeprefix("Bearer ")
    cases = _mangled(token)
    # The key id of one site's key with the secret of another's.
    cases["other site's secret"] = token.rsplit("_", 1)[0] + "_" + other.split("_", 3)[3]

    codes = {
        name: client.post(
            "/v1/comments", json=comment_body(), headers={"Authorization": f"Bearer {bad}"}
        ).status_code
        for name, bad in cases.items()
    }

    assert codes == dict.fromkeys(cases, 401)


@pytest.mark.parametrize(
    "sent, stored",
    [
        ("Aysel\u202ecom.evil", "Aysel" + "com.evil"),  # right-to-left override removed
        ("\u2066Ali\u2069", "Ali"),  # isolates removed
        ("Ay\u200bsel\ufeff", "Aysel"),  # zero-width space, BOM removed
        (
            "\u0645\u0647\u200c\u0646\u0627\u0632",
            "\u0645\u0647\u200c\u0646\u0627\u0632",
        ),  # ZWNJ kept
    ],
)
def test_invisible_controls_are_stripped_from_author_names(
    client: FlaskClient, keys: Keys, redis: redis_lib.Redis, sent: str, stored: str
) -> None:
    response = client.post(
        "/v1/comments", json=comment_body(author=_author(name=sent)), headers=keys.site("news")
    )

    assert response.status_code == 202
    name = redis.hget(rkeys.comment(part("news"), response.json["id"]), "name")
    assert name.decode() == stored


def test_a_name_of_only_invisible_characters_is_422(client: FlaskClient, keys: Keys) -> None:
    payload = comment_body(author=_author(name="\u202e\u200b"))

    _assert_error(client.post("/v1/comments", json=payload, headers=keys.site("news")), 422)


LIMITS = {"thread": 2048, "user_agent": 1024, "referrer": 2048}


@pytest.mark.parametrize("field, limit", LIMITS.items())
def test_one_byte_over_each_limit_is_422(
    client: FlaskClient, keys: Keys, redis: redis_lib.Redis, field: str, limit: int
) -> None:
    site = keys.site("news")
    at_limit = client.post("/v1/comments", json=comment_body(**{field: "x" * limit}), headers=site)
    over = client.post(
        "/v1/comments", json=comment_body(**{field: "x" * (limit + 1)}), headers=site
    )

    assert at_limit.status_code == 202
    _assert_error(over, 422)
    assert field in over.json["errors"]["json"]
    assert redis.xlen(rkeys.intake_stream(part("news"))) == 1


def test_script_in_a_body_comes_back_as_inert_json(client: FlaskClient, keys: Keys) -> None:
    site = keys.site("news")
    body = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    comment_id = client.post("/v1/comments", json=comment_body(body), headers=site).json["id"]

    for response in (
        client.get(f"/v1/comments/{comment_id}", headers=site),
        client.get(f"/v1/moderation/comments/{comment_id}", headers=keys.moderator("news")),
    ):
        assert response.mimetype == "application/json"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    review = client.get(f"/v1/moderation/comments/{comment_id}", headers=keys.moderator("news"))
    assert review.json["body"] == body


def test_every_view_and_hook_is_synchronous(app: Flask) -> None:
    # create_app's Flask skips ensure_sync's coroutine check: an async view would then be
    # returned as an un-awaited coroutine, so there must be none.
    hooks = [
        *app.view_functions.values(),
        *(f for funcs in app.before_request_funcs.values() for f in funcs),
        *(f for funcs in app.after_request_funcs.values() for f in funcs),
        *(f for funcs in app.teardown_request_funcs.values() for f in funcs),
        *app.teardown_appcontext_funcs,
        *(
            handler
            for by_code in app.error_handler_spec.values()
            for by_class in by_code.values()
            for handler in by_class.values()
        ),
    ]
    assert len(hooks) > 10
    assert not [f for f in hooks if inspect.iscoroutinefunction(f)]
