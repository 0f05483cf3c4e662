"""Authorisation: each key sees only its own site, and only the endpoints of its kind."""

from __future__ import annotations

from collections.abc import Callable

import redis as redis_lib
from flask.testing import FlaskClient

from tests.conftest import Keys
from tests.factories import comment_body


def _snapshot(redis: redis_lib.Redis) -> dict[bytes, object]:
    return {key: redis.dump(key) for key in sorted(redis.keys("modq:comment:*"))}


def test_other_sites_comments_are_404_on_every_endpoint(
    client: FlaskClient, keys: Keys, drain: Callable[..., int], redis: redis_lib.Redis
) -> None:
    site_a, site_b = keys.site("a.example"), keys.site("b.example")
    mod_a = keys.moderator("a.example")
    b_ids = [
        client.post("/v1/comments", json=comment_body(f"b {n}"), headers=site_b).json["id"]
        for n in range(20)
    ]
    client.post("/v1/comments", json=comment_body("a's own"), headers=site_a)
    drain(approve_below=0.0, reject_above=1.0)
    before = _snapshot(redis)

    for comment_id in b_ids:
        assert client.get(f"/v1/comments/{comment_id}", headers=site_a).status_code == 404
        assert client.get(f"/v1/moderation/comments/{comment_id}", headers=mod_a).status_code == 404
        url = f"/v1/moderation/comments/{comment_id}/decision"
        assert client.post(url, json={"decision": "approve"}, headers=mod_a).status_code == 404
    bulk = [{"id": i, "decision": "spam"} for i in b_ids]
    results = client.post("/v1/moderation/decisions", json={"decisions": bulk}, headers=mod_a).json[
        "results"
    ]
    queue = client.get("/v1/moderation/queue", headers=mod_a).json["items"]

    assert {r["error"]["code"] for r in results} == {404}
    assert [item["body"] for item in queue] == ["a's own"]
    assert _snapshot(redis) == before, "site B's comments are unchanged"


def test_site_key_is_403_on_moderator_endpoints(client: FlaskClient, keys: Keys) -> None:
    site = keys.site("news")
    comment_id = client.post("/v1/comments", json=comment_body(), headers=site).json["id"]

    assert client.get("/v1/moderation/queue", headers=site).status_code == 403
    assert client.get(f"/v1/moderation/comments/{comment_id}", headers=site).status_code == 403
    decision = client.post(
        f"/v1/moderation/comments/{comment_id}/decision", json={"decision": "approve"}, headers=site
    )
    assert decision.status_code == 403
    assert decision.json["code"] == 403


def test_moderator_token_cannot_submit_or_use_site_endpoints(
    client: FlaskClient, keys: Keys
) -> None:
    moderator = keys.moderator("news")

    assert client.post("/v1/comments", json=comment_body(), headers=moderator).status_code == 403
    assert client.get("/v1/comments/" + "0" * 32, headers=moderator).status_code == 403


def test_revoked_key_is_401(client: FlaskClient, keys: Keys) -> None:
    headers = keys.site("news")
    key_id = headers["Authorization"].split("_")[2]
    keys.store.revoke(key_id)

    assert client.post("/v1/comments", json=comment_body(), headers=headers).status_code == 401
