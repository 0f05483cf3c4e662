"""Waiting for a comment's verdict: woken by the worker's announcement, not by polling.

The verdict script publishes the ids whose verdicts it wrote on `keys.verdicts_channel()`,
once per batch. Each API process keeps one subscriber thread (started by the first wait,
so after gunicorn forks) that wakes the requests waiting for those ids. A wait holds one
of a fixed number of slots: when all are taken the request does not wait, so waiting
requests never take every API thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import redis

from service.storage import keys

log = logging.getLogger("modq.waits")

#: How long the subscriber blocks on its connection at a time (it stops within this).
_LISTEN_S = 1.0
#: Pause before listening again after Redis failed (waits then time out, answered 202).
_RETRY_S = 1.0


class VerdictWaits:
    """Lets a request wait, within a bound, until a comment's verdict is written."""

    def __init__(self, client: redis.Redis, slots: int) -> None:
        self._redis = client
        self._slots = threading.BoundedSemaphore(slots) if slots > 0 else None
        self._waiting: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._listener: threading.Thread | None = None
        self._subscribed = threading.Event()
        self._closed = threading.Event()

    def wait(self, comment_id: str, timeout_s: float, scored: Callable[[], bool]) -> bool:
        """Wait up to `timeout_s` for the verdict of `comment_id`; True once `scored()` is.

        False at once when every slot is taken (the caller answers as if it had not asked).
        """
        if self._closed.is_set() or self._slots is None:
            return False
        if not self._slots.acquire(blocking=False):
            return False
        event = threading.Event()
        try:
            self._start()
            with self._lock:
                self._waiting[comment_id] = event
            deadline = time.monotonic() + timeout_s
            # Subscribed first, then looked: a verdict written in between is seen either way.
            self._subscribed.wait(timeout_s)
            if not scored():
                event.wait(max(0.0, deadline - time.monotonic()))
            return scored()
        finally:
            with self._lock:
                self._waiting.pop(comment_id, None)
            self._slots.release()

    def waiting(self) -> int:
        """Requests waiting now."""
        with self._lock:
            return len(self._waiting)

    def _start(self) -> None:
        with self._lock:
            if self._listener is None or not self._listener.is_alive():
                self._listener = threading.Thread(
                    target=self._listen, name="modq-verdict-waits", daemon=True
                )
                self._listener.start()

    def close(self) -> None:
        """Stop listening (within _LISTEN_S); later waits time out."""
        self._closed.set()

    def _listen(self) -> None:
        while not self._closed.is_set():
            try:
                with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    pubsub.subscribe(keys.verdicts_channel())
                    self._subscribed.set()
                    while not self._closed.is_set():
                        message = pubsub.get_message(timeout=_LISTEN_S)
                        if message is not None:
                            self._wake(message["data"])
            except Exception as exc:  # noqa: BLE001 - a wait missed is a 202, never a crash
                self._subscribed.clear()
                log.warning("event=waits.unsubscribed error=%s", type(exc).__name__)
                self._closed.wait(_RETRY_S)

    def _wake(self, data: bytes) -> None:
        with self._lock:
            for comment_id in data.decode().split():
                event = self._waiting.get(comment_id)
                if event is not None:
                    event.set()
