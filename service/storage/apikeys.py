"""API keys and moderator tokens in Redis, stored by key id with only the secret's hash."""

from __future__ import annotations

import time

import redis

from service.moderation.access import (
    AKISMET,
    KeyKind,
    KeyRecord,
    Principal,
    new_akismet_key,
    new_token,
)
from service.storage import keys
from service.storage.connection import translate_errors

#: Keys remembered per process at most; past it the memory starts again from empty.
_CACHE_LIMIT = 10_000


class KeyStore:
    """Creates, finds, lists and revokes keys."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    @translate_errors
    def create(
        self, kind: KeyKind, site: str, name: str = "", akismet: bool = False
    ) -> tuple[KeyRecord, str]:
        """Store a new key and return its record and the token, which is never stored.
        `akismet`: a site key in Akismet's 12-character form, named AKISMET."""
        if akismet:
            assert kind is KeyKind.SITE
            (key_id, token, secret_hash), name = new_akismet_key(), AKISMET
        else:
            key_id, token, secret_hash = new_token(kind)
        record = KeyRecord(Principal(key_id, kind, site, name), secret_hash, time.time())
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.api_key(key_id), mapping=_to_hash(record))
            pipe.sadd(keys.api_key_index(), key_id)
            pipe.execute()
        return record, token

    @translate_errors
    def find(self, key_id: str) -> KeyRecord | None:
        """Return the record of `key_id`, or None."""
        return _from_hash(key_id, self._redis.hgetall(keys.api_key(key_id)))

    @translate_errors
    def list(self, site: str | None = None) -> list[KeyRecord]:
        """Return every key (of `site`, if given), oldest first."""
        key_ids = sorted(k.decode() for k in self._redis.smembers(keys.api_key_index()))
        with self._redis.pipeline(transaction=False) as pipe:
            for key_id in key_ids:
                pipe.hgetall(keys.api_key(key_id))
            raws = pipe.execute()
        records = [_from_hash(key_id, raw) for key_id, raw in zip(key_ids, raws, strict=True)]
        found = [r for r in records if r and (site is None or r.principal.site == site)]
        return sorted(found, key=lambda r: r.created_at)

    @translate_errors
    def rotate(self, key_id: str) -> tuple[KeyRecord, str] | None:
        """Issue a new key like `key_id` (same kind, site, name) and revoke the old one."""
        old = self.find(key_id)
        if old is None:
            return None
        principal = old.principal
        akismet = principal.kind is KeyKind.SITE and principal.name == AKISMET
        created = self.create(principal.kind, principal.site, principal.name, akismet)
        self.revoke(key_id)
        return created

    @translate_errors
    def revoke(self, key_id: str) -> bool:
        """Revoke a key; return False if there is no such key."""
        key = keys.api_key(key_id)
        if not self._redis.exists(key):
            return False
        self._redis.hset(key, "revoked", "1")
        return True


def _to_hash(record: KeyRecord) -> dict[str, str]:
    return {
        "kind": record.principal.kind.value,
        "site": record.principal.site,
        "name": record.principal.name,
        "secret_sha256": record.secret_hash,
        "created_at": repr(record.created_at),
        "revoked": "1" if record.revoked else "0",
    }


def _from_hash(key_id: str, raw: dict[bytes, bytes]) -> KeyRecord | None:
    if not raw:
        return None
    h = {k.decode(): v.decode() for k, v in raw.items()}
    principal = Principal(key_id, KeyKind(h["kind"]), h["site"], h["name"])
    return KeyRecord(principal, h["secret_sha256"], float(h["created_at"]), h["revoked"] == "1")


class CachedKeys:
    """Remembers found keys for `ttl_s` seconds per process, so most requests skip a read.

    Revocation therefore takes effect within `ttl_s`. Unknown keys are not remembered, so
    a key created a moment ago works at once.
    """

    def __init__(self, store: KeyStore, ttl_s: float) -> None:
        self._store = store
        self._ttl_s = ttl_s
        self._found: dict[str, tuple[float, KeyRecord]] = {}

    def find(self, key_id: str) -> KeyRecord | None:
        """Return the record of `key_id` from memory if fresh, else from Redis."""
        now = time.monotonic()
        cached = self._found.get(key_id)
        if cached is not None and now - cached[0] < self._ttl_s:
            return cached[1]
        record = self._store.find(key_id)
        if record is not None and self._ttl_s > 0:
            if len(self._found) > _CACHE_LIMIT:
                self._found.clear()
            self._found[key_id] = (now, record)
        return record
