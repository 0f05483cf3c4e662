"""The data layout: the partition count Redis records, and the move from the layout before
partitions (`modq migrate`, and `modq serve` by itself) losing no comment."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
import redis as redis_lib
from click.testing import CliRunner
from flask.testing import FlaskClient

from service.app import create_app
from service.cli import main
from service.settings import Settings
from service.storage import keys as rkeys
from service.storage.layout import LayoutError, adopt, old_layout
from tests.conftest import Keys
from tests.factories import HAM, SPAM, comment_body

SITES = ("news.example", "berita.example", "xeber.example")


def test_the_first_process_records_the_count_and_the_others_follow_it(
    redis: redis_lib.Redis,
) -> None:
    assert adopt(redis, 6) == 6
    assert adopt(redis, None) == 6 and rkeys.partition_count() == 6
    with pytest.raises(LayoutError, match="6 partitions"):
        adopt(redis, 4)


def _to_old_layout(redis: redis_lib.Redis) -> int:
    """Turn one partition's data into the layout before partitions: the same names without
    the hash tag (keys.py before partitions built `modq:<kind>:...` where it now builds
    `modq:{p0}:<kind>:...`, and `modq:apikey:...` for `modq:{keys}:apikey:...`)."""
    moved = 0
    for raw in list(redis.scan_iter(match="modq:*")):
        key = raw.decode()
        old = key.replace(":{p0}:", ":", 1).replace(":{keys}:", ":", 1)
        if key == rkeys.layout():
            redis.delete(key)
        elif old != key:
            redis.rename(key, old)
            moved += 1
    return moved


def test_data_in_the_layout_before_partitions_is_moved_without_losing_a_comment(
    client: FlaskClient,
    keys: Keys,
    redis: redis_lib.Redis,
    settings: Settings,
    drain: Callable[..., int],
    redis_server_url: str,
) -> None:
    sites = {site: keys.site(site) for site in SITES}
    moderators = {site: keys.moderator(site) for site in SITES}
    scored: dict[str, list[str]] = {}
    for site, headers in sites.items():
        scored[site] = [
            client.post("/v1/comments", json=comment_body(body), headers=headers).json["id"]
            for body in (HAM, SPAM, HAM + " And the parks.")
        ]
    drain()
    for site in SITES:
        url = f"/v1/moderation/comments/{scored[site][0]}/decision"
        client.post(url, json={"decision": "spam"}, headers=moderators[site])
    waiting = {  # posted, not yet scored: their intake entries must survive the move
        site: client.post("/v1/comments", json=comment_body(HAM + " Waiting."), headers=h).json[
            "id"
        ]
        for site, h in sites.items()
    }
    before = {
        site: [client.get(f"/v1/comments/{i}", headers=sites[site]).json for i in ids]
        for site, ids in scored.items()
    }
    assert _to_old_layout(redis) > 20 and old_layout(redis)
    with pytest.raises(LayoutError, match="modq migrate"):
        adopt(redis, None)

    moved = CliRunner(env={"REDIS_URL": redis_server_url}).invoke(
        main, ["migrate", "--partitions", "4"]
    )

    assert moved.exit_code == 0, moved.output
    assert "moved" in moved.output and not old_layout(redis)
    assert not [
        k for k in redis.scan_iter(match="modq:*") if b"{" not in k and k != b"modq:workers"
    ]
    after = create_app(dataclasses.replace(settings, partitions=None), redis).test_client()
    assert rkeys.partition_count() == 4
    for site, ids in scored.items():
        again = [after.get(f"/v1/comments/{i}", headers=sites[site]).json for i in ids]
        assert again == before[site]
    assert drain(partitions=None) == len(SITES)  # the waiting ones, scored once each
    for site, comment_id in waiting.items():
        assert after.get(f"/v1/comments/{comment_id}", headers=sites[site]).json["scored_at"]
    for site in SITES:
        learned = after.get("/v1/moderation/learning", headers=moderators[site]).json
        assert learned["steps"] == 1  # each decision learned once, before or after the move
    decisions = sum(redis.xlen(rkeys.decisions_stream(p)) for p in rkeys.partitions())
    assert decisions == len(SITES)  # the audit log, whole
