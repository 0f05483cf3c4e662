"""Who may do what: site keys and moderator tokens, and how a bearer token is checked."""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass


class KeyKind(enum.StrEnum):
    """A site key submits and reads comments; a moderator token reviews them."""

    SITE = "site"
    MODERATOR = "moderator"


SITE_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{0,62}$")
_TOKEN = re.compile(r"^modq_(site|moderator)_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class Principal:
    """The holder of a key: its kind, its site and, for a moderator, a name."""

    key_id: str
    kind: KeyKind
    site: str
    name: str = ""


@dataclass(frozen=True)
class KeyRecord:
    """What is stored for a key: never the secret, only its SHA-256."""

    principal: Principal
    secret_hash: str
    created_at: float
    revoked: bool = False


def new_token(kind: KeyKind) -> tuple[str, str, str]:
    """Return (key_id, token, secret_hash) for a fresh key; the token is shown once."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return key_id, f"modq_{kind.value}_{key_id}_{secret}", hash_secret(secret)


def hash_secret(secret: str) -> str:
    """Hash a key's secret; 256 random bits need no salt or stretching."""
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_token(token: str) -> tuple[KeyKind, str, str] | None:
    """Split a bearer token into (kind, key_id, secret), or None if it is malformed."""
    match = _TOKEN.fullmatch(token)
    if match is None:
        return None
    return KeyKind(match.group(1)), match.group(2), match.group(3)


def verify(record: KeyRecord | None, kind: KeyKind, secret: str) -> Principal | None:
    """Return the principal if `secret` opens this live record, comparing in constant time."""
    if record is None:
        # Compare anyway, so an unknown key id costs the same as a wrong secret.
        hmac.compare_digest(hash_secret(secret), "0" * 64)
        return None
    matches = hmac.compare_digest(hash_secret(secret), record.secret_hash)
    if not matches or record.revoked or record.principal.kind != kind:
        return None
    return record.principal


def check_site_name(site: str) -> str:
    """Return `site` if it is a valid site name, else raise ValueError."""
    if not SITE_NAME.match(site):
        raise ValueError(
            f"site name {site!r} must be lowercase letters, digits, '.' or '-', at most 63"
        )
    return site
