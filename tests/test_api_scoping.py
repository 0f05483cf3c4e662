"""Authorisation: each key sees only its own site, and only the endpoints of its kind."""

from __future__ import annotations

from collections.abc import Callable

import redis as redis_lib
from flask.testing import FlaskClient

from service.moderation.comments import Author, NewComment
from service.storage import keys as rkeys
from service.storage.comments import CommentStore
from tests.conftest import Keys
from tests.factories import comment_body

PER_SITE = 1000


def _snapshot(redis: redis_lib.Redis, site: str, site_ids: list[str]) -> list[object]:
    part = rkeys.partition(site)
    with redis.pipeline(transaction=False) as pipe:
        for comment_id in site_ids:
            pipe.dump(rkeys.comment(part, comment_id))
            pipe.get(rkeys.comment_ip(part, comment_id))
        found = list(pipe.execute())
    assert all(found), "every comment and its IP are there to compare"
    return found


def _fill(store: CommentStore, site: str) -> list[str]:
    contents = [
        NewComment(Author(f"R{n}", f"r{n}@{site}"), f"comment {n} on {site}", ip="192.0.2.1")
        for n in range(PER_SITE)
    ]
    return [c.id for c in store.add_many(site, contents)]


def test_other_sites_comments_are_404_on_every_endpoint(
    client: FlaskClient, keys: Keys, drain: Callable[..., int], redis: redis_lib.Redis
) -> None:
    store = CommentStore(redis)
    a_ids, b_ids = _fill(store, "a.example"), _fill(store, "b.example")
    drain(approve_below=0.0, reject_above=1.0)
    site_a, mod_a = keys.site("a.example"), keys.moderator("a.example")
    before = _snapshot(redis, "b.example", b_ids)

    codes: dict[str, set[int]] = {"read": set(), "review": set(), "decide": set(), "erase": set()}
    for comment_id in b_ids:
        codes["read"].add(client.get(f"/v1/comments/{comment_id}", headers=site_a).status_code)
        codes["review"].add(
            client.get(f"/v1/moderation/comments/{comment_id}", headers=mod_a).status_code
        )
        url = f"/v1/moderation/comments/{comment_id}/decision"
        codes["decide"].add(
            client.post(url, json={"decision": "approve"}, headers=mod_a).status_code
        )
        erase = {"comment_id": comment_id}
        codes["erase"].add(client.post("/v1/privacy/erase", json=erase, headers=site_a).status_code)
    bulk = [{"id": i, "decision": "spam"} for i in b_ids[:500]]
    results = client.post("/v1/moderation/decisions", json={"decisions": bulk}, headers=mod_a).json
    erase_by_email = client.post(
        "/v1/privacy/erase", json={"email": "r1@b.example"}, headers=site_a
    )
    queue_ids = _all_queue_ids(client, mod_a)

    assert codes == {"read": {404}, "review": {404}, "decide": {404}, "erase": {404}}
    assert {r["error"]["code"] for r in results["results"]} == {404}
    assert erase_by_email.json == {"erased": 0}
    assert queue_ids == a_ids, "site A's queue holds exactly site A's comments"
    assert _snapshot(redis, "b.example", b_ids) == before, "site B's comments are unchanged"


def _all_queue_ids(client: FlaskClient, moderator: dict[str, str]) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        query = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/moderation/queue", query_string=query, headers=moderator).json
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


def test_site_key_is_403_on_every_moderator_endpoint(client: FlaskClient, keys: Keys) -> None:
    site = keys.site("news")
    comment_id = client.post("/v1/comments", json=comment_body(), headers=site).json["id"]
    decisions = {"decisions": [{"id": comment_id, "decision": "approve"}]}

    responses = [
        client.get("/v1/moderation/queue", headers=site),
        client.get(f"/v1/moderation/comments/{comment_id}", headers=site),
        client.post(
            f"/v1/moderation/comments/{comment_id}/decision",
            json={"decision": "approve"},
            headers=site,
        ),
        client.post("/v1/moderation/decisions", json=decisions, headers=site),
    ]

    assert [r.status_code for r in responses] == [403] * 4
    assert {r.json["code"] for r in responses} == {403}


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
