"""Keyed fingerprints of authors: lookups by e-mail without storing anything reversible."""

from __future__ import annotations

import hashlib
import hmac


def author_key(pepper: bytes, site: str, email: str) -> str:
    """HMAC of a site and an e-mail under the secret pepper.

    Unlike a plain or fixed-salt hash, it cannot be reversed by hashing guessed addresses
    without the pepper, and the same reader gets unrelated keys on different sites.
    """
    message = f"{site}\x00{email.strip().casefold()}".encode()
    return hmac.digest(pepper, message, hashlib.sha256).hex()[:32]
