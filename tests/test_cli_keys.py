"""`modq keys`: tokens are printed once, stored only as hashes, listed by id, revocable."""

from __future__ import annotations

import dataclasses
import logging
import time

import pytest
import redis as redis_lib
from click.testing import CliRunner
from flask.testing import FlaskClient

from service.app import create_app
from service.cli import main
from service.moderation.access import KeyKind
from service.settings import Settings
from service.storage.apikeys import KeyStore
from service.storage.server import RedisServer
from tests.factories import comment_body


@pytest.fixture
def run(redis_server_url: str, redis: redis_lib.Redis) -> CliRunner:
    return CliRunner(env={"REDIS_URL": redis_server_url})


def _create(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(main, ["keys", "create", *args])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_created_site_key_works_and_only_its_hash_is_stored(
    run: CliRunner, redis: redis_lib.Redis, client: FlaskClient
) -> None:
    token = _create(run, "--site", "news.example")
    secret = token.split("_", 3)[3]  # modq_site_<key id>_<secret>

    response = client.post(
        "/v1/comments", json=comment_body(), headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 202
    dumped = b"".join(
        value
        for key in redis.keys("*")
        if redis.type(key) == b"hash"
        for value in redis.hgetall(key).values()
    )
    assert secret.encode() not in dumped and token.encode() not in dumped


def test_moderator_token_is_for_its_site(run: CliRunner, client: FlaskClient) -> None:
    token = _create(run, "--site", "news.example", "--moderator", "leyla")

    response = client.get("/v1/moderation/queue", headers={"Authorization": f"Bearer {token}"})

    assert token.startswith("modq_moderator_")
    assert response.status_code == 200


def test_list_shows_ids_not_secrets_and_revoke_locks_out(
    run: CliRunner, client: FlaskClient
) -> None:
    token = _create(run, "--site", "news.example")
    key_id = token.split("_")[2]

    listing = run.invoke(main, ["keys", "list", "--site", "news.example"]).output
    revoked = run.invoke(main, ["keys", "revoke", key_id])
    response = client.post(
        "/v1/comments", json=comment_body(), headers={"Authorization": f"Bearer {token}"}
    )

    assert key_id in listing and token not in listing and "active" in listing
    assert revoked.exit_code == 0
    assert response.status_code == 401
    assert "revoked" in run.invoke(main, ["keys", "list"]).output


@pytest.mark.parametrize("site", ["News", "a b", "", "x" * 64, "../etc"])
def test_bad_site_names_are_refused(run: CliRunner, site: str) -> None:
    result = run.invoke(main, ["keys", "create", "--site", site])

    assert result.exit_code == 2
    assert "--site" in result.output


def test_rotate_issues_a_new_key_and_locks_out_the_old(run: CliRunner, client: FlaskClient) -> None:
    old = _create(run, "--site", "news.example", "--moderator", "leyla")
    rotated = run.invoke(main, ["keys", "rotate", old.split("_")[2]])
    new = rotated.stdout.strip()

    assert rotated.exit_code == 0 and new != old and new.startswith("modq_moderator_")
    assert (
        client.get("/v1/moderation/queue", headers={"Authorization": f"Bearer {old}"}).status_code
        == 401
    )
    assert (
        client.get("/v1/moderation/queue", headers={"Authorization": f"Bearer {new}"}).status_code
        == 200
    )
    assert run.invoke(main, ["keys", "rotate", "0" * 12]).exit_code == 1


def test_a_revoked_key_stops_working_within_the_cache_time(
    redis: redis_lib.Redis, settings: Settings
) -> None:
    cached = dataclasses.replace(settings, key_cache_seconds=0.3)
    client = create_app(cached, redis).test_client()
    store = KeyStore(redis)
    record, token = store.create(KeyKind.SITE, "news")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/comments/" + "0" * 32, headers=headers).status_code == 404

    store.revoke(record.principal.key_id)
    within = client.get("/v1/comments/" + "0" * 32, headers=headers).status_code
    time.sleep(0.35)
    after = client.get("/v1/comments/" + "0" * 32, headers=headers).status_code

    assert (within, after) == (404, 401)


def test_no_raw_key_in_redis_files_or_logs(
    run: CliRunner,
    client: FlaskClient,
    redis: redis_lib.Redis,
    redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    tokens = [
        _create(run, "--site", "news.example"),
        _create(run, "--site", "news.example", "--moderator", "m"),
    ]
    for token in tokens:
        client.post(
            "/v1/comments", json=comment_body(), headers={"Authorization": f"Bearer {token}"}
        )
        client.get("/v1/moderation/queue", headers={"Authorization": f"Bearer {token}"})
    redis.bgrewriteaof()
    files = [p for p in redis_server.data_dir.rglob("*") if p.is_file()]
    disk = b"".join(p.read_bytes() for p in files)

    secrets_ = [t.split("_", 3)[3] for t in tokens]
    assert files and b"secret_sha256" in disk, "the key records are on disk"
    assert [s for s in secrets_ if s.encode() in disk or s in caplog.text] == []
