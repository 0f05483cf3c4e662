"""The data layout in Redis: how many partitions the keys are spread over, kept in Redis so
that every process agrees, and the move from the layout before partitions.

Before partitions (modq up to #15), keys had no hash tag: `modq:comment:<id>`,
`modq:queue:<site>`, one `modq:intake` stream and one `modq:decisions` stream for all sites.
`migrate` renames each key into its site's partition, copies the streams' entries into the
partitions' streams, and records the layout last, so that an interrupted move is finished by
running it again.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

import redis

from service.storage import keys

log = logging.getLogger("modq.layout")

#: Keys of the layout before partitions that any deployment with data has one of.
_OLD_MARKERS = ("modq:apikeys", "modq:intake", "modq:decisions")
#: Per-site keys of the old layout: `modq:<kind>:<site>[:...]`.
_OLD_SITE_KINDS = {
    "author", "queue", "learned", "rules", "recent", "copy", "bands", "campaigns",
    "thresholds", "scripts", "recentdecisions", "counters", "days", "webhook",
}  # fmt: skip
#: Per-comment keys of the old layout: `modq:<kind>:<comment id>`.
_OLD_COMMENT_KINDS = {"comment", "ip", "learnstep"}


class LayoutError(Exception):
    """Redis holds data in another layout than this process would use."""


@dataclass(frozen=True)
class Moved:
    """What `migrate` moved, by kind of key."""

    keys: Counter[str]
    entries: Counter[str]


def adopt(client: redis.Redis, wanted: int | None) -> int:
    """Use the partition count Redis records (recording `wanted`, else 1, on a Redis
    without one); LayoutError if the setting asks for another count or Redis holds the
    layout before partitions (`modq migrate` moves it)."""
    count = _recorded(client)
    if count is None:
        if old_layout(client):
            raise LayoutError(
                "Redis holds modq's data in the layout before partitions: run `modq migrate`"
                " (`modq serve` does it by itself)"
            )
        client.hsetnx(keys.layout(), "partitions", wanted or 1)
        count = _recorded(client) or 1
    if wanted is not None and wanted != count:
        raise LayoutError(
            f"Redis holds modq's data in {count} partitions, MODQ_PARTITIONS asks for {wanted}"
        )
    keys.use_partitions(count)
    return count


def old_layout(client: redis.Redis) -> bool:
    """Whether Redis holds keys of the layout before partitions."""
    return bool(client.exists(*_OLD_MARKERS)) and _recorded(client) is None


def migrate(client: redis.Redis, partitions: int) -> Moved:
    """Move the layout before partitions into `partitions` partitions (single Redis only:
    a cluster never held it). Run it with nothing else using Redis."""
    keys.use_partitions(partitions)
    moved, entries = Counter[str](), Counter[str]()
    streams = []
    for raw in client.scan_iter(match="modq:*", count=1000):
        key = raw.decode()
        kind, _, rest = key.removeprefix("modq:").partition(":")
        if kind.startswith("{") or key == "modq:workers":
            continue
        if kind in _OLD_SITE_KINDS and rest:
            site = rest.split(":", 1)[0]
            _rename(client, key, f"modq:{keys.partition(site)}:{kind}:{rest}")
        elif kind in _OLD_COMMENT_KINDS and rest:
            site = client.hget(f"modq:comment:{rest}", "site") or client.hget(
                _new_comment(client, rest), "site"
            )
            if site is None:  # its comment is gone (expired spam): nothing to keep it for
                client.delete(key)
                continue
            _rename(client, key, f"modq:{keys.partition(site.decode())}:{kind}:{rest}")
        elif kind in {"apikey", "apikeys"}:
            _rename(client, key, f"modq:{keys.NO_SITE}:{kind}{':' + rest if rest else ''}")
        elif kind == "learned" and not rest:
            for site, steps in client.hgetall(key).items():
                client.hset(keys.learned_versions(keys.partition(site.decode())), site, steps)
            client.delete(key)
        elif kind == "webhooks" and rest == "due":
            for site, due in client.zrange(key, 0, -1, withscores=True):
                client.zadd(keys.webhooks_due(keys.partition(site.decode())), {site: due})
            client.delete(key)
        elif kind in {"intake", "decisions", "deadletter"} and not rest:
            streams.append(kind)
            continue
        else:
            continue
        moved[kind] += 1
    for kind in streams:  # after the comments, whose sites the intake entries need
        entries[kind] = _move_stream(client, kind)
    client.hset(keys.layout(), "partitions", partitions)
    log.info(
        "event=layout.migrated partitions=%d keys=%s entries=%s",
        partitions,
        dict(moved),
        dict(entries),
    )
    return Moved(moved, entries)


def _recorded(client: redis.Redis) -> int | None:
    raw = client.hget(keys.layout(), "partitions")
    return int(raw) if raw else None


def _rename(client: redis.Redis, old: str, new: str) -> None:
    client.rename(old, new)


def _new_comment(client: redis.Redis, comment_id: str) -> str:
    """Where the comment already moved, if it did (the IP key is met after its comment)."""
    for part in keys.partitions():
        found = keys.comment(part, comment_id)
        if client.exists(found):
            return found
    return keys.comment(keys.partitions()[0], comment_id)


def _move_stream(client: redis.Redis, kind: str) -> int:
    """Copy a stream's entries into their sites' partitions, then delete it. The decisions
    (the audit log) and dead letters keep their ids; what a group had not acknowledged is
    delivered again (a verdict is written once per comment, a decision learned again first
    takes back what it taught)."""
    old = f"modq:{kind}"
    unacked = _first_unacked(client, old, kind)
    count = 0
    for entry_id, fields in client.xrange(old):
        site = fields.get(b"site") or client.hget(
            _new_comment(client, fields[b"id"].decode()), "site"
        )
        if site is None:
            continue
        part = keys.partition(site.decode())
        new = {"intake": keys.intake_stream, "decisions": keys.decisions_stream}.get(
            kind, keys.dead_letter_stream
        )(part)
        if kind == "intake":
            client.xadd(new, {"id": fields[b"id"]})
        else:
            try:
                client.xadd(new, fields, id=entry_id)
            except redis.ResponseError:  # copied by an earlier, interrupted run
                continue
        count += 1
    if kind == "decisions":
        for part in keys.partitions():
            stream = keys.decisions_stream(part)
            if client.exists(stream):
                # Learned up to the old group's position, but for what it held unacknowledged.
                client.xgroup_create(stream, keys.LEARNERS_GROUP, id=unacked, mkstream=True)
    client.delete(old)
    return count


def _first_unacked(client: redis.Redis, stream: str, kind: str) -> str:
    """The id before which the learners had learned everything, for the new groups."""
    if kind != "decisions":
        return "0"
    try:
        groups = client.xinfo_groups(stream)
    except redis.ResponseError:
        return "0"
    group = next((g for g in groups if g["name"] == keys.LEARNERS_GROUP.encode()), None)
    if group is None:
        return "0"
    pending = client.xpending(stream, keys.LEARNERS_GROUP)
    if pending["pending"]:
        millis, _, seq = pending["min"].decode().partition("-")
        seq_n = int(seq or 0)
        return f"{millis}-{seq_n - 1}" if seq_n else f"{int(millis) - 1}-18446744073709551615"
    return str(group["last-delivered-id"].decode())
