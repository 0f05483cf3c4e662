"""What the worker processes share: a loop that keeps its model current and stops cleanly."""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections.abc import Callable

import redis

from service.moderation.errors import StorageUnavailableError
from service.scoring.document import ScoringInput
from service.scoring.watch import LoadedModel, ModelWatch
from service.settings import Settings
from service.storage.comment_hash import CommentText
from service.storage.connection import connect

log = logging.getLogger("modq.worker")

#: Pause before trying Redis again after it failed.
STORAGE_RETRY_S = 1.0
#: A worker's Redis calls give up after this long at the least ...
MIN_TIMEOUT_S = 5.0
#: ... and never before a blocking read (up to MODQ_BLOCK_MS) has had this much longer.
BLOCKING_MARGIN_S = 2.0


class Loop:
    """Handles work until stopped or, in burst mode, until none is waiting."""

    def __init__(self, model: LoadedModel, watch: ModelWatch | None) -> None:
        self.model = model
        self._watch = watch
        self._stopping = False

    def stop(self) -> None:
        """Finish the work in hand, then return from `run`."""
        self._stopping = True

    def run(self, *, burst: bool = False, max_items: int | None = None) -> int:
        """Work until stopped; with `burst`, return once nothing is waiting. Return the count."""
        handled = 0
        while not self._stopping and (max_items is None or handled < max_items):
            new_model = self._watch.poll() if self._watch else None
            self.model = new_model or self.model
            try:
                done = self.step()
            except StorageUnavailableError as exc:
                log.warning("event=worker.storage_unavailable error=%r", str(exc))
                time.sleep(STORAGE_RETRY_S)
                continue
            if not done and burst:
                break
            handled += done
        self.finish()
        return handled

    def step(self) -> int:
        """Take and handle the next piece of work; return how many items it held."""
        raise NotImplementedError

    def finish(self) -> None:
        """Called once `run` stops."""


#: Builds a loop from the settings, a Redis client and its consumer name.
Build = Callable[[Settings, redis.Redis, str | None], Loop]


def run_process(
    build: Build, kind: str, settings: Settings, url: str, *, burst: bool, name: str | None
) -> int:
    """Run a loop against the Redis at `url` until SIGTERM or SIGINT (or idle, with `burst`)."""
    loop = build(settings, connect(url, timeout_s=client_timeout_s(settings.block_ms)), name)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: loop.stop())
    log.info("event=%s.started model=%s", kind, loop.model.version)
    handled = loop.run(burst=burst)
    log.info("event=%s.stopped handled=%d", kind, handled)
    return handled


def client_timeout_s(block_ms: int) -> float:
    """How long a worker's Redis calls may take: longer than its blocking reads."""
    return max(MIN_TIMEOUT_S, block_ms / 1000 + BLOCKING_MARGIN_S)


def consumer_name(name: str | None = None) -> str:
    """A consumer's name in its group: host and `name` (stable across restarts) or the pid."""
    return f"{socket.gethostname()}-{name or os.getpid()}"


def scoring_input(comment: CommentText) -> ScoringInput:
    """What the model reads of a stored comment."""
    author = comment.author
    return ScoringInput(comment.body, author.name, author.email, author.url)
