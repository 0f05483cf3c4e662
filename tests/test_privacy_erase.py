"""Erasure, retention and author fingerprints: what a reader's data becomes over time."""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Callable
from pathlib import Path

import redis as redis_lib
from flask.testing import FlaskClient

from service.moderation.privacy import author_key
from service.settings import Settings
from service.storage import keys as rkeys
from service.storage.privacy import load_pepper
from tests.conftest import Keys
from tests.factories import SPAM, comment_body, part

ERASE = "/v1/privacy/erase"
DAY = 86_400


def _post(
    client: FlaskClient, site: dict[str, str], email: str, body: str, ip: str = "203.0.113.9"
) -> str:
    payload = comment_body(body, ip=ip, author={"name": "Leyla", "email": email})
    response = client.post("/v1/comments", json=payload, headers=site)
    assert response.status_code == 202
    return str(response.json["id"])


def _everything(redis: redis_lib.Redis) -> bytes:
    """Every key name and value in Redis, as one blob to search."""
    blob = []
    for key in redis.scan_iter(count=1000):
        blob.append(key)
        kind = redis.type(key)
        if kind == b"hash":
            blob += [b for pair in redis.hgetall(key).items() for b in pair]
        elif kind == b"string":
            blob.append(redis.get(key) or b"")
        elif kind == b"set":
            blob += list(redis.smembers(key))
        elif kind == b"zset":
            blob += list(redis.zrange(key, 0, -1))
        elif kind == b"stream":
            blob += [v for _, entry in redis.xrange(key) for pair in entry.items() for v in pair]
    return b"\n".join(blob)


def test_erase_by_email_removes_every_comment_and_trace(
    client: FlaskClient, keys: Keys, drain: Callable[..., int], redis: redis_lib.Redis
) -> None:
    site, moderator = keys.site("news"), keys.moderator("news")
    mine = [
        _post(client, site, "Leyla.K@Mail.example", f"my comment {n}", ip="192.0.2.77")
        for n in range(3)
    ]
    other = _post(client, site, "someone@mail.example", "not mine")
    drain(approve_below=0.0, reject_above=1.0)
    client.post(
        f"/v1/moderation/comments/{mine[0]}/decision",
        json={"decision": "approve"},
        headers=moderator,
    )

    response = client.post(ERASE, json={"email": "leyla.k@mail.example"}, headers=site)

    assert response.status_code == 200 and response.json == {"erased": 3}
    assert all(client.get(f"/v1/comments/{i}", headers=site).status_code == 404 for i in mine)
    assert client.get(f"/v1/comments/{other}", headers=site).status_code == 200
    queue = client.get("/v1/moderation/queue", headers=moderator).json["items"]
    assert [item["id"] for item in queue] == [other]
    blob = _everything(redis).lower()
    assert b"leyla.k@mail.example" not in blob and b"192.0.2.77" not in blob
    assert b"my comment" not in blob


def test_moderator_may_erase_one_comment_and_other_sites_get_404(
    client: FlaskClient, keys: Keys
) -> None:
    site = keys.site("news")
    comment_id = _post(client, site, "a@mail.example", "erase me")

    foreign = client.post(ERASE, json={"comment_id": comment_id}, headers=keys.moderator("other"))
    erased = client.post(ERASE, json={"comment_id": comment_id}, headers=keys.moderator("news"))

    assert foreign.status_code == 404
    assert erased.status_code == 200 and erased.json == {"erased": 1}
    assert client.get(f"/v1/comments/{comment_id}", headers=site).status_code == 404


def test_erase_needs_exactly_one_of_email_or_id(client: FlaskClient, keys: Keys) -> None:
    site = keys.site("news")

    for body in ({}, {"email": "a@mail.example", "comment_id": "x"}, {"email": "nope"}):
        assert client.post(ERASE, json=body, headers=site).status_code == 422


def test_ip_expires_after_its_retention_and_spam_after_its_own(
    client: FlaskClient, keys: Keys, drain: Callable[..., int], redis: redis_lib.Redis
) -> None:
    site = keys.site("news")
    comment_id = _post(client, site, "s@mail.example", SPAM)
    ip_ttl = redis.ttl(rkeys.comment_ip(part("news"), comment_id))

    drain(approve_below=0.0, reject_above=0.0)  # every verdict is spam
    spam_ttl = redis.ttl(rkeys.comment(part("news"), comment_id))
    client.post(
        f"/v1/moderation/comments/{comment_id}/decision",
        json={"decision": "approve"},
        headers=keys.moderator("news"),
    )

    assert 29 * DAY < ip_ttl <= 30 * DAY
    assert 29 * DAY < spam_ttl <= 30 * DAY
    assert redis.ttl(rkeys.comment(part("news"), comment_id)) == -1, "a rescued comment is kept"


def test_moderators_see_an_authors_earlier_decisions(
    client: FlaskClient, keys: Keys, drain: Callable[..., int]
) -> None:
    site, moderator = keys.site("news"), keys.moderator("news")
    # Trusting nobody, so that the approved author's next comment is held for review too.
    rules = client.get("/v1/moderation/settings", headers=moderator).json
    client.put("/v1/moderation/settings", json={**rules, "trusted_after": 0}, headers=moderator)
    first = _post(client, site, "regular@mail.example", "first visit")
    drain(approve_below=0.0, reject_above=1.0)
    client.post(
        f"/v1/moderation/comments/{first}/decision", json={"decision": "approve"}, headers=moderator
    )
    second = _post(client, site, "REGULAR@mail.example", "second visit")
    drain(approve_below=0.0, reject_above=1.0)

    [item] = client.get("/v1/moderation/queue", headers=moderator).json["items"]

    assert item["id"] == second and item["author_history"] == {"approve": 1}


def test_author_keys_are_keyed_per_site_and_not_a_plain_hash() -> None:
    email = "reader@mail.example"
    key = author_key(b"p" * 32, "news", email)

    assert key != author_key(b"q" * 32, "news", email)
    assert key != author_key(b"p" * 32, "other", email)
    assert key not in hashlib.sha256(email.encode()).hexdigest()
    assert key == author_key(b"p" * 32, "news", " Reader@Mail.Example ")


def test_pepper_is_created_once_and_private(tmp_path: Path) -> None:
    settings = Settings.from_env({}, data_dir=tmp_path)

    first, second = load_pepper(settings), load_pepper(settings)

    assert first == second and len(first) == 64
    assert stat.S_IMODE((tmp_path / "pepper").stat().st_mode) == 0o600
    assert load_pepper(Settings.from_env({"MODQ_PEPPER": "x" * 40})) == b"x" * 40
