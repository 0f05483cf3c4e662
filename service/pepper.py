"""The secret pepper of author fingerprints: from MODQ_PEPPER, or made once under the data dir."""

from __future__ import annotations

import os
import secrets

from service.settings import Settings

FILE_NAME = "pepper"


def load(settings: Settings) -> bytes:
    """Return the pepper, creating `<data_dir>/pepper` (mode 600) the first time if unset."""
    if settings.pepper:
        return settings.pepper.encode()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / FILE_NAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32))
    return path.read_bytes().strip()
