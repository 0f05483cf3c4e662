"""End to end: comments posted at a steady rate; time from each 202 to its stored verdict.

The load is open-loop: request k is due at t0 + k / rate whatever happened to earlier ones,
sent by a pool of threads with keep-alive connections (bounded in time and count). The
verdict time is the `scored_at` the worker writes in the same script that makes the verdict
readable with GET /v1/comments/<id>; a sample is read back through that GET to check it.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from bench import ingest, procs
from service.storage import keys
from service.storage.connection import connect

_THREADS = 24
_SETTLE_S = 10.0


@dataclass(frozen=True)
class Step:
    """One rate: what was sent, what was accepted, and 202-to-verdict latency in ms."""

    rate: float
    seconds: float
    accepted: int
    sent_per_s: float
    p50_ms: float
    p99_ms: float
    unscored: int
    backlog_grew: bool


@dataclass(frozen=True)
class Answer:
    """One request's answer, and when it was due, sent and read (`time.monotonic()`)."""

    k: int
    status: int
    body: bytes
    #: Header names in lower case.
    headers: dict[str, str]
    due: float
    sent: float
    read: float
    #: `time.time()` when the answer was read: comparable with a worker's `scored_at`.
    read_at: float

    @property
    def ms(self) -> float:
        """The full response time: request sent to answer read."""
        return (self.read - self.sent) * 1000


class Poster:
    """Posts `bodies` to `path` at a fixed rate from `_THREADS` threads; records each answer.

    `failed` counts requests that got no answer (connection errors, timeouts)."""

    def __init__(self, port: int, path: str, bodies: list[bytes], headers: dict[str, str]) -> None:
        self._port, self._path, self._bodies, self._headers = port, path, bodies, headers
        self._lock = threading.Lock()
        self._next = 0
        self.answers: list[Answer] = []
        self.failed = 0

    def run(self, rate: float, seconds: float) -> None:
        self._count, self._rate, self._t0 = int(rate * seconds), rate, time.monotonic() + 0.2
        threads = [threading.Thread(target=self._loop, daemon=True) for _ in range(_THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(seconds + 30)

    def _take(self) -> int | None:
        with self._lock:
            if self._next >= self._count:
                return None
            self._next += 1
            return self._next - 1

    def _loop(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self._port, timeout=10)
        while (k := self._take()) is not None:
            due = self._t0 + k / self._rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            sent = time.monotonic()
            try:
                conn.request("POST", self._path, self._bodies[k % len(self._bodies)], self._headers)
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                with self._lock:
                    self.failed += 1
                continue
            read, read_at = time.monotonic(), time.time()
            headers = {name.lower(): value for name, value in response.getheaders()}
            answer = Answer(k, response.status, payload, headers, due, sent, read, read_at)
            with self._lock:
                self.answers.append(answer)


def percentile(values: list[float], q: float) -> float:
    """The `q` quantile of sorted `values` (nearest rank below), NaN if there are none."""
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def verdict_times(client: redis.Redis, ids: list[str]) -> list[float | None]:
    """`scored_at` of each comment, None while it is still queued."""
    return [scored for (scored,) in stamps(client, ids, "scored_at")]


def stamps(client: redis.Redis, ids: list[str], *fields: str) -> list[list[float | None]]:
    """The numeric `fields` of each comment's hash (None where one is not set)."""
    out: list[list[float | None]] = []
    for start in range(0, len(ids), 1000):
        with client.pipeline(transaction=False) as pipe:
            for comment_id in ids[start : start + 1000]:
                pipe.hmget(keys.comment(keys.partition(ingest.SITE), comment_id), fields)
            out += [[float(v) if v else None for v in row] for row in pipe.execute()]
    return out


def check_readable(port: int, key: str, ids: list[str]) -> None:
    """GET a sample of comments and fail loudly if a scored one does not show its verdict."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for comment_id in ids[:: max(1, len(ids) // 50)]:
        conn.request(
            "GET", f"/v1/comments/{comment_id}", headers={"Authorization": f"Bearer {key}"}
        )
        body = json.loads(conn.getresponse().read())
        if body.get("status") == "queued":
            raise RuntimeError(f"comment {comment_id} has a scored_at but reads as queued")


def step(
    port: int, key: str, client: redis.Redis, bodies: list[bytes], rate: float, seconds: float
) -> Step:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    poster = Poster(port, "/v1/comments", bodies, headers)
    started = time.monotonic()
    poster.run(rate, seconds)
    sent_s = time.monotonic() - started
    accepted = [(json.loads(a.body)["id"], a.read_at) for a in poster.answers if a.status == 202]
    deadline = time.monotonic() + _SETTLE_S
    ids = [i for i, _ in accepted]
    times = verdict_times(client, ids)
    while None in times and time.monotonic() < deadline:
        time.sleep(0.5)
        times = verdict_times(client, ids)
    check_readable(port, key, [i for i, t in zip(ids, times, strict=False) if t])
    pairs = zip(accepted, times, strict=True)
    lat = sorted(max(0.0, (t - t202) * 1000) for (_, t202), t in pairs if t)
    unscored = sum(t is None for t in times)
    p50, p99 = percentile(lat, 0.5), percentile(lat, 0.99)
    grew = unscored > 0 or p99 > 1000 or len(ids) < 0.95 * rate * seconds
    return Step(rate, seconds, len(ids), len(ids) / sent_s, p50, p99, unscored, grew)


def run(
    tmp: Path,
    bodies: list[bytes],
    rates: list[float],
    seconds: float,
    long_rate: float,
    long_s: float,
) -> dict[str, object]:
    """Each rate in turn (the target rate for `long_s`), stopping once the backlog grows."""
    with ingest.modq_app(tmp, scoring_workers=1, name="e2e") as app:
        port, key, pid = app.port, app.key, app.pid
        client = connect(app.redis_url, timeout_s=10)
        step(port, key, client, bodies, 50, 3)  # warm-up: imports and first model calls
        steps = []
        for rate in sorted(set(rates) | {long_rate}):
            result = step(port, key, client, bodies, rate, long_s if rate == long_rate else seconds)
            steps.append(result)
            if result.backlog_grew and rate > long_rate:
                break
        rss = _rss(pid)
        client.close()
    return {"steps": [s.__dict__ for s in steps], **rss}


def _rss(pid: int) -> dict[str, float]:
    workers = [p for p in procs.descendants(pid) if "service worker" in procs.cmdline(p)]
    return {
        "api_rss_mb": procs.api_rss_mb(pid),
        "worker_rss_mb": max((procs.rss_mb(p) for p in workers), default=0.0),
    }
