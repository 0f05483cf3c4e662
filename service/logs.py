"""Structured logs: one line per event, `key=value` pairs, no e-mail, IP or comment body."""

from __future__ import annotations

import logging
import sys


def configure(level: str) -> None:
    """Send modq's logs to stderr as `ts=... level=... logger=... event=...` lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter(
            "ts=%(asctime)s level=%(levelname)s logger=%(name)s %(message)s",
            datefmt="%Y-%m-%dT%H:%M:%S%z",
        )
    )
    root = logging.getLogger("modq")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
