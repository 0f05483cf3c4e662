"""Moderators: the review queue, decisions one at a time and in bulk."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis as redis_lib
from flask.testing import FlaskClient

from service.storage import keys as rkeys
from tests.conftest import Keys
from tests.factories import comment_body, part

QUEUE = "/v1/moderation/queue"


def _decision_url(comment_id: str) -> str:
    return f"/v1/moderation/comments/{comment_id}/decision"


@pytest.fixture
def held(client: FlaskClient, keys: Keys, drain: Callable[..., int]) -> Callable[[int], list[str]]:
    """Post n comments to site 'news' and have the real worker hold every one for review."""

    def make(n: int, site: str = "news") -> list[str]:
        headers = keys.site(site)
        ids = []
        for i in range(n):
            payload = comment_body(
                f"Comment {i} on the budget article",
                author={"name": f"Reader {i}", "email": f"r{i}@mail.example"},
            )
            ids.append(client.post("/v1/comments", json=payload, headers=headers).json["id"])
        drain(approve_below=0.0, reject_above=1.0)  # every probability lands in between
        return ids

    return make


def test_queue_lists_held_comments_oldest_first_with_email(
    client: FlaskClient, keys: Keys, held: Callable[[int], list[str]]
) -> None:
    ids = held(3)

    page = client.get(QUEUE, headers=keys.moderator("news")).json

    assert [item["id"] for item in page["items"]] == ids
    first = page["items"][0]
    assert first["author"] == {"name": "Reader 0", "email": "r0@mail.example", "url": ""}
    assert first["body"] == "Comment 0 on the budget article"
    assert first["status"] == "pending_review" and isinstance(first["score"], float)
    assert page["next_cursor"] is None


def test_cursor_pages_through_the_whole_queue_once(
    client: FlaskClient, keys: Keys, held: Callable[[int], list[str]]
) -> None:
    ids = held(25)
    moderator = keys.moderator("news")
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        query = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        page = client.get(QUEUE, query_string=query, headers=moderator).json
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == ids


def test_decision_takes_comment_out_of_queue_and_is_recorded(
    client: FlaskClient, keys: Keys, held: Callable[[int], list[str]], redis: redis_lib.Redis
) -> None:
    comment_id, other = held(2)
    moderator = keys.moderator("news", name="leyla")

    response = client.post(_decision_url(comment_id), json={"decision": "spam"}, headers=moderator)

    assert response.status_code == 200
    assert response.json["status"] == "spam" and response.json["decision"] == "spam"
    queue = client.get(QUEUE, headers=moderator).json["items"]
    assert [item["id"] for item in queue] == [other]
    site_view = client.get(f"/v1/comments/{comment_id}", headers=keys.site("news")).json
    assert site_view["status"] == "spam" and site_view["decided_by"] == "moderator"
    [(_, entry)] = redis.xrange(rkeys.decisions_stream(part("news")))
    assert entry[b"id"].decode() == comment_id
    assert entry[b"moderator"] == b"leyla" and entry[b"decision"] == b"spam"
    assert entry[b"previous_status"] == b"pending_review" and float(entry[b"at"]) > 0


def test_same_decision_twice_is_409_a_change_is_not(
    client: FlaskClient, keys: Keys, held: Callable[[int], list[str]], redis: redis_lib.Redis
) -> None:
    [comment_id] = held(1)
    moderator = keys.moderator("news")
    url = _decision_url(comment_id)

    first = client.post(url, json={"decision": "approve"}, headers=moderator)
    again = client.post(url, json={"decision": "approve"}, headers=moderator)
    changed = client.post(url, json={"decision": "reject"}, headers=moderator)

    assert (first.status_code, again.status_code, changed.status_code) == (200, 409, 200)
    assert again.json["code"] == 409 and again.json["message"]
    assert changed.json["status"] == "rejected"
    assert redis.xlen(rkeys.decisions_stream(part("news"))) == 2


def test_bulk_decisions_report_each_item(
    client: FlaskClient, keys: Keys, held: Callable[[int], list[str]]
) -> None:
    a, b, c = held(3)
    moderator = keys.moderator("news")
    client.post(_decision_url(c), json={"decision": "approve"}, headers=moderator)
    missing = "f" * 32
    decisions = [
        {"id": a, "decision": "approve"},
        {"id": b, "decision": "spam"},
        {"id": c, "decision": "approve"},
        {"id": missing, "decision": "reject"},
    ]

    response = client.post(
        "/v1/moderation/decisions", json={"decisions": decisions}, headers=moderator
    )

    assert response.status_code == 200
    results = {r["id"]: r for r in response.json["results"]}
    assert results[a]["ok"] and results[a]["status"] == "approved"
    assert results[b]["ok"] and results[b]["status"] == "spam"
    assert not results[c]["ok"] and results[c]["error"]["code"] == 409
    assert not results[missing]["ok"] and results[missing]["error"]["code"] == 404
    assert client.get(QUEUE, headers=moderator).json["items"] == []


@pytest.mark.parametrize("payload", [{}, {"decision": "maybe"}, {"decision": "approve", "x": 1}])
def test_bad_decision_bodies_are_422(
    client: FlaskClient, keys: Keys, held: Callable[[int], list[str]], payload: dict[str, object]
) -> None:
    [comment_id] = held(1)

    response = client.post(_decision_url(comment_id), json=payload, headers=keys.moderator("news"))

    assert response.status_code == 422 and "errors" in response.json


def test_bad_cursor_is_422(client: FlaskClient, keys: Keys) -> None:
    response = client.get(QUEUE, query_string={"cursor": "!!"}, headers=keys.moderator("news"))

    assert response.status_code == 422
