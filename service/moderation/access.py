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
#: A site key in Akismet's form: WordPress's Akismet plugin refuses any key that is not 12
#: characters long, and its settings form keeps only 0-9 and a-f. 48 bits, as Akismet's own
#: keys, against guesses slowed by the auth-failure limit (docs/security.md).
_AKISMET_KEY = re.compile(r"^[0-9a-f]{12}$")
#: The name a site key in Akismet's form is listed under.
AKISMET = "akismet"


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


def new_akismet_key() -> tuple[str, str, str]:
    """Return (key_id, key, secret_hash) for a fresh site key in Akismet's form: the key is
    its own secret, and its id is derived from it, so it is found without being stored."""
    key = secrets.token_hex(6)
    return akismet_key_id(key), key, hash_secret(key)


def akismet_key_id(key: str) -> str:
    """The id a key in Akismet's form is stored under."""
    return hashlib.sha256(f"akismet\x00{key}".encode()).hexdigest()[:12]


def parse_any_site_key(key: str) -> tuple[KeyKind, str, str] | None:
    """Split a modq token or a key in Akismet's form into (kind, key_id, secret), or None."""
    if _AKISMET_KEY.fullmatch(key):
        return KeyKind.SITE, akismet_key_id(key), key
    return parse_token(key)


def hash_secret(secret: str) -> str:
    """Hash a key's secret; 256 random bits (48 in Akismet's form, behind the auth-failure
    limit) need no salt or stretching."""
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
