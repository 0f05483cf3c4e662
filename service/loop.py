"""What the worker processes share: their workbench, and a loop that stops cleanly."""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Self

import redis

from service.moderation.errors import StorageUnavailableError
from service.scoring.document import ScoringInput
from service.scoring.watch import CHECK_EVERY_S, LoadedModel, ModelWatch, load_model
from service.settings import Settings
from service.storage.calibration import CalibrationStore
from service.storage.comment_hash import CommentText
from service.storage.comments import CommentStore, Retention
from service.storage.connection import connect
from service.storage.layout import adopt
from service.storage.learned import LearnedStore
from service.storage.seen import SeenStore
from service.storage.sites import RulesStore

log = logging.getLogger("modq.worker")

#: Pause before trying Redis again after it failed.
STORAGE_RETRY_S = 1.0
#: A worker's Redis calls give up after this long at the least ...
MIN_TIMEOUT_S = 5.0
#: ... and never before a blocking read (up to MODQ_BLOCK_MS) has had this much longer.
BLOCKING_MARGIN_S = 2.0


@dataclass
class Workbench:
    """What a scoring worker and a learner work with: the stored comments, each site's
    learned model, rules, calibration and what it saw of authors and IPs, and the shipped
    model, swapped for a replaced file that passes its checks."""

    comments: CommentStore
    site_models: LearnedStore
    rules: RulesStore
    calibration: CalibrationStore
    seen: SeenStore
    model: LoadedModel
    watch: ModelWatch | None = None

    @classmethod
    def build(
        cls, settings: Settings, client: redis.Redis, watch_every_s: float = CHECK_EVERY_S
    ) -> Workbench:
        """Load the model file (hash-checked) and open the stores."""
        comments = CommentStore(client, retention=Retention.of(settings))
        model, watch = load_model(settings), ModelWatch(settings, watch_every_s)
        stores = (
            LearnedStore(client),
            RulesStore(client),
            CalibrationStore(client),
            SeenStore(client),
        )
        return cls(comments, *stores, model, watch)

    def refresh(self) -> None:
        """Take a replaced model file if it passes its checks (looked at now and then)."""
        new_model = self.watch.poll() if self.watch else None
        self.model = new_model or self.model


@dataclass(eq=False)
class Loop:
    """Handles work until stopped or, in burst mode, until none is waiting."""

    bench: Workbench
    _stopping: bool = field(default=False, init=False, repr=False)

    @classmethod
    def build(
        cls,
        settings: Settings,
        client: redis.Redis,
        name: str | None = None,
        watch_every_s: float = CHECK_EVERY_S,
    ) -> Self:
        """Wire a loop from the settings: its workbench and what it reads, as consumer `name`."""
        adopt(client, settings.partitions)  # the streams it reads are the partitions'
        bench = Workbench.build(settings, client, watch_every_s)
        return cls.wire(bench, settings, client, consumer_name(name))

    @classmethod
    def wire(cls, bench: Workbench, settings: Settings, client: redis.Redis, consumer: str) -> Self:
        """The loop on this workbench, reading its stream as `consumer`."""
        raise NotImplementedError

    def stop(self) -> None:
        """Finish the work in hand, then return from `run`."""
        self._stopping = True

    def run(self, *, burst: bool = False, max_items: int | None = None) -> int:
        """Work until stopped; with `burst`, return once nothing is waiting. Return the count."""
        handled = 0
        while not self._stopping and (max_items is None or handled < max_items):
            self.bench.refresh()
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
    log.info("event=%s.started model=%s", kind, loop.bench.model.version)
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
    author = comment.content.author
    return ScoringInput(comment.content.body, author.name, author.email, author.url)
