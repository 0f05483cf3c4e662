"""What readers' privacy rests on in storage: erasure, author history, the fingerprint pepper."""

from __future__ import annotations

import os
import secrets
import time

import redis

from service.moderation.webhooks import about, erased_event
from service.settings import Settings
from service.storage import keys
from service.storage.connection import every_node, translate_errors
from service.storage.seen import copy_key
from service.storage.webhooks import queue_event

#: The pepper's file under the data directory when MODQ_PEPPER is unset.
PEPPER_FILE = "pepper"


def load_pepper(settings: Settings) -> bytes:
    """Return the secret pepper of author fingerprints: MODQ_PEPPER, or `<data_dir>/pepper`.

    The file is made once (mode 600) the first time, outside Redis's files.
    """
    if settings.pepper:
        return settings.pepper.encode()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / PEPPER_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32))
    return path.read_bytes().strip()


class PrivacyStore:
    """Finds and erases everything stored for an author or a comment."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    @translate_errors
    def author_comment_ids(self, site: str, author_key: str) -> list[str]:
        """Ids of the comments an author left at a site."""
        members = self._redis.smembers(keys.author_comments(site, author_key))
        return sorted(m.decode() for m in members)

    @translate_errors
    def erase(self, site: str, comment_id: str, author_key: str) -> None:
        """Delete a comment with its IP, queue entry, author-index entry and the traces the
        flood and duplicate rules keep of it, atomically."""
        part = keys.partition(site)
        with self._redis.pipeline(transaction=False) as pipe:
            pipe.hget(keys.comment(part, comment_id), "body")
            pipe.get(keys.comment_ip(part, comment_id))
            body, ip = (reply or b"" for reply in pipe.execute())
        copy = copy_key(site, author_key, body.decode())
        first_copy = self._redis.get(copy)
        hooked = self._redis.exists(keys.webhook(site))
        # Events still waiting about the comment go with it (their reasons may quote it).
        waiting = self._redis.lrange(keys.webhook_events(site), 0, -1) if hooked else []
        with self._redis.pipeline(transaction=True) as pipe:
            for raw in waiting:
                if about(raw.decode(), comment_id):
                    pipe.lrem(keys.webhook_events(site), 1, raw)
            if hooked:
                now = time.time()
                queue_event(pipe, site, erased_event(comment_id, now), now)
            pipe.delete(
                keys.comment(part, comment_id),
                keys.comment_ip(part, comment_id),
                keys.learned_step(part, comment_id),
            )
            pipe.zrem(keys.review_queue(site), comment_id)
            if author_key:
                pipe.srem(keys.author_comments(site, author_key), comment_id)
            pipe.zrem(keys.recent_from_author(site, author_key), comment_id)
            if ip:
                pipe.zrem(keys.recent_from_ip(site, ip.decode()), comment_id)
            if first_copy == comment_id.encode():
                pipe.delete(copy)
            pipe.execute()

    @translate_errors
    def forget_author(self, site: str, author_key: str) -> None:
        """Delete an author's index and decision history at a site."""
        self._redis.delete(
            keys.author_comments(site, author_key), keys.author_history(site, author_key)
        )

    @translate_errors
    def histories(self, site: str, author_keys: list[str]) -> list[dict[str, int]]:
        """Moderators' decisions on each author's earlier comments, by decision."""
        with self._redis.pipeline(transaction=False) as pipe:
            for author_key in author_keys:
                pipe.hgetall(keys.author_history(site, author_key))
            replies = pipe.execute()
        return [{k.decode(): int(v) for k, v in reply.items() if int(v)} for reply in replies]

    @translate_errors
    def compact(self) -> bool:
        """Ask Redis to rewrite its append-only file, so erased data leaves the disk too."""
        rewritten = True
        for _, node in every_node(self._redis):
            try:
                node.bgrewriteaof()
            except redis.ResponseError:  # one is running already: it will not see erased keys
                rewritten = False
        return rewritten
