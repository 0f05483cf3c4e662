"""Submitting comments and reading their status as a site."""

from __future__ import annotations

import redis as redis_lib
from flask.testing import FlaskClient

from service.storage import keys as rkeys
from tests.conftest import Keys
from tests.factories import comment_body, part


def test_submit_answers_202_once_comment_is_in_redis(
    client: FlaskClient, keys: Keys, redis: redis_lib.Redis
) -> None:
    response = client.post("/v1/comments", json=comment_body(), headers=keys.site("news"))

    assert response.status_code == 202
    comment_id = response.json["id"]
    assert response.json == {"id": comment_id, "status": "queued"}
    stored = redis.hgetall(rkeys.comment(part("news"), comment_id))
    assert stored[b"body"].decode() == comment_body()["body"]
    entries = redis.xrange(rkeys.intake_stream(part("news")))
    assert [fields[b"id"].decode() for _, fields in entries] == [comment_id]


def test_a_redis_that_forgot_the_store_script_still_stores_the_comment(
    client: FlaskClient, keys: Keys, redis: redis_lib.Redis
) -> None:
    site = keys.site("news")
    client.post("/v1/comments", json=comment_body(), headers=site)
    redis.script_flush()  # what a restarted Redis without the script looks like

    response = client.post("/v1/comments", json=comment_body(body="after a flush"), headers=site)

    assert response.status_code == 202
    stored = redis.hgetall(rkeys.comment(part("news"), response.json["id"]))
    assert stored[b"body"] == b"after a flush"
    assert stored[b"site"] == b"news" and stored[b"status"] == b"queued"
    assert redis.xlen(rkeys.intake_stream(part("news"))) == 2


def test_status_of_a_queued_comment_has_no_email(client: FlaskClient, keys: Keys) -> None:
    site = keys.site("news")
    comment_id = client.post("/v1/comments", json=comment_body(), headers=site).json["id"]

    response = client.get(f"/v1/comments/{comment_id}", headers=site)

    assert response.status_code == 200
    assert response.json["status"] == "queued"
    assert response.json["score"] is None
    assert "aysel@mail.example" not in response.get_data(as_text=True)
    assert "email" not in response.json and "author" not in response.json


def test_optional_fields_may_be_left_out(client: FlaskClient, keys: Keys) -> None:
    body = {"author": {"name": "Ali", "email": "ali@mail.example"}, "body": "Salam!"}

    response = client.post("/v1/comments", json=body, headers=keys.site("news"))

    assert response.status_code == 202


def test_unicode_from_every_script_is_kept(
    client: FlaskClient, keys: Keys, redis: redis_lib.Redis
) -> None:
    text = "Məqalə üçün təşəkkürlər. شكرا على المقال. Спасибо за статью 👍"
    site = keys.site("news")

    comment_id = client.post("/v1/comments", json=comment_body(text), headers=site).json["id"]

    assert redis.hget(rkeys.comment(part("news"), comment_id), "body").decode() == text
