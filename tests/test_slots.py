"""No command, transaction or script touches two Redis Cluster slots: every command modq
sends while the API, the workers, the learner, the webhook sender and the CLI do their work
is recorded, with keys spread over several partitions, and each unit's keys must hash to one
slot. Runs on the single test Redis (no cluster needed), on every change."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis as redis_lib
from flask.testing import FlaskClient
from redis.cluster import RedisCluster
from redis.connection import AbstractConnection
from redis.crc import key_slot

from service.settings import Settings
from service.storage.webhooks import WebhookStore
from tests.conftest import METRICS, Keys
from tests.factories import HAM, SPAM, comment_body

SITES = ("news.example", "berita.example", "xeber.example", "novosti.example")
#: Copies of one campaign, and a flood from one IP.
CAMPAIGN = "Visit my page for the best deals on cheap flights and hotels, {n} offers today only"

Command = tuple[Any, ...]
Unit = tuple[str, list[Command]]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The tests' settings, with the keys spread over eight partitions."""
    return dataclasses.replace(settings, partitions=8)


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> dict[int, list[Command]]:
    """Every command sent on every connection from now on, by connection."""
    sent: dict[int, list[Command]] = defaultdict(list)
    send, pack = AbstractConnection.send_command, AbstractConnection.pack_commands

    def send_command(self: AbstractConnection, *args: Any, **kwargs: Any) -> None:
        sent[id(self)].append(args)
        send(self, *args, **kwargs)

    def pack_commands(self: AbstractConnection, commands: Any) -> Any:
        commands = list(commands)
        sent[id(self)].extend(tuple(command) for command in commands)
        return pack(self, commands)

    monkeypatch.setattr(AbstractConnection, "send_command", send_command)
    monkeypatch.setattr(AbstractConnection, "pack_commands", pack_commands)
    return sent


def units(commands: list[Command]) -> Iterator[Unit]:
    """A connection's commands as Redis runs them together: WATCH ... MULTI ... EXEC as one
    transaction, every other command (a script included) on its own."""
    held: list[Command] = []
    for command in commands:
        name = _name(command)
        if name in {"WATCH", "MULTI"} or held:
            held.append(command)
            if name in {"EXEC", "DISCARD", "UNWATCH"}:
                yield "transaction", held
                held = []
        else:
            yield name, [command]
    if held:
        yield "transaction", held


def keys_of(client: redis_lib.Redis, command: Command) -> list[bytes]:
    name = _name(command)
    if name in {"EVALSHA", "EVAL", "EVALSHA_RO", "EVAL_RO", "FCALL"}:
        return [_bytes(k) for k in command[3 : 3 + int(command[2])]]
    if name in _NO_KEYS:
        return []
    try:
        return [_bytes(k) for k in client.command_getkeys(*command)]
    except redis_lib.ResponseError:  # a command without keys
        return []


_NO_KEYS = {"MULTI", "EXEC", "DISCARD", "UNWATCH", "PUBLISH", "SUBSCRIBE", "PING", "SELECT"}


def _name(command: Command) -> str:
    return _bytes(command[0]).decode().upper()


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def _work(
    client: FlaskClient, keys: Keys, redis: redis_lib.Redis, drain: Callable[..., int]
) -> None:
    """What modq does in a day, at four sites in several partitions."""
    moderators = {site: keys.moderator(site) for site in SITES}
    ids: dict[str, list[str]] = defaultdict(list)
    for site in SITES:
        headers = keys.site(site)
        client.put("/v1/webhook", json={"url": "https://hooks.example/modq"}, headers=headers)
        for n, body in enumerate([HAM, SPAM, *(CAMPAIGN.format(n=n) for n in range(4))]):
            posted = client.post(
                "/v1/comments",
                json=comment_body(
                    body, ip="198.51.100.7", author={"name": f"R{n}", "email": f"r{n}@x.example"}
                ),
                headers=headers | ({"Prefer": "wait=1"} if n == 0 else {}),
            )
            assert posted.status_code in (200, 202), posted.json
            ids[site].append(posted.json["id"])
    drain()
    for site in SITES:
        moderator = moderators[site]
        first, spam, *copies = ids[site]
        client.post(
            f"/v1/moderation/comments/{first}/decision",
            json={"decision": "spam"},
            headers=moderator,
        )
        client.post(
            "/v1/moderation/decisions",
            json={
                "decisions": [
                    {"id": spam, "decision": "approve"},
                    {"id": copies[0], "decision": "reject"},
                ]
            },
            headers=moderator,
        )
        queue = client.get("/v1/moderation/queue", headers=moderator).json
        campaigns = {item["campaign"]["id"] for item in queue["items"] if item.get("campaign")}
        for campaign in campaigns:
            client.post(
                f"/v1/moderation/campaigns/{campaign}/decision",
                json={"decision": "spam"},
                headers=moderator,
            )
        client.get("/v1/moderation/stats", headers=moderator)
        client.get("/v1/moderation/learning", headers=moderator)
        client.put("/v1/moderation/settings", json={"max_links": 1}, headers=moderator)
        client.post("/v1/privacy/erase", json={"email": "r2@x.example"}, headers=keys.site(site))
    drain()
    WebhookStore(redis).claim(now=1e12, limit=100)
    client.get("/metrics", headers=METRICS)
    client.get("/readyz")


def test_no_unit_of_work_touches_two_slots(
    client: FlaskClient,
    keys: Keys,
    redis: redis_lib.Redis,
    drain: Callable[..., int],
    recorded: dict[int, list[Command]],
) -> None:
    _work(client, keys, redis, drain)

    sent = [list(commands) for commands in recorded.values()]
    checker = _checker(redis)
    slots_seen: set[int] = set()
    crossing, counted = [], defaultdict(int)
    for commands in sent:
        for kind, unit in units(commands):
            found = {key for command in unit for key in keys_of(checker, command)}
            slots = {key_slot(key) for key in found}
            slots_seen |= slots
            counted[kind] += 1
            if len(slots) > 1:
                crossing.append((kind, sorted(found)[:6]))
    print(f"units by kind: {dict(counted)}; slots touched: {len(slots_seen)}")
    assert not crossing, crossing[:5]
    assert counted["transaction"] and counted["EVALSHA"]  # the check saw the units that matter
    assert len(slots_seen) >= 4  # the sites' partitions, and the keys' own tag


def _checker(client: redis_lib.Redis) -> redis_lib.Redis:
    """A client of its own (its commands are not among those checked) that can answer
    COMMAND GETKEYS: of the one Redis, or of a node of the cluster."""
    if isinstance(client, RedisCluster):
        node = client.get_primaries()[0]
        return redis_lib.Redis(host=node.host, port=node.port)
    pool = redis_lib.ConnectionPool(**client.connection_pool.connection_kwargs)
    return redis_lib.Redis(connection_pool=pool)


def test_the_check_sees_units_over_two_slots(redis: redis_lib.Redis) -> None:
    sent: list[Command] = [
        ("GET", "modq:{p1}:x"),
        ("WATCH", "modq:{p1}:x"),
        ("MULTI",),
        ("SET", "modq:{p1}:x", "1"),
        ("SET", "modq:{p2}:y", "1"),
        ("EXEC",),
        ("EVALSHA", "0" * 40, "2", "modq:{p1}:x", "modq:{p1}:z", "arg"),
        ("MGET", "modq:{p1}:x", "modq:{p2}:y"),
    ]

    found = [
        (kind, {key_slot(key) for command in unit for key in keys_of(redis, command)})
        for kind, unit in units(sent)
    ]

    assert [(kind, len(slots)) for kind, slots in found] == [
        ("GET", 1),
        ("transaction", 2),
        ("EVALSHA", 1),
        ("MGET", 2),
    ]
