"""Ingestion against its ceiling: modq's POST /v1/comments beside the reference app, under wrk."""

from __future__ import annotations

import json
import statistics
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from bench import procs
from service.serve import gunicorn_args
from service.settings import Settings

LUA = Path(__file__).with_name("load.lua")
SITE = "bench.example"


@dataclass(frozen=True)
class Load:
    """One wrk run: 202s per second and latency percentiles in ms."""

    app: str
    target_rate: float
    per_s: float
    p50_ms: float
    p99_ms: float
    p999_ms: float
    non_202: int
    socket_errors: int


@dataclass(frozen=True)
class Shape:
    """How wrk loads every app: threads, connections, seconds per round, rounds."""

    threads: int = 2
    connections: int = 32
    seconds: int = 4
    warmup_s: int = 3
    # The apps take turns, round after round: on a shared machine a burst of someone else's
    # work then lands on both, and the median of the rounds' ratios is the figure. Seven, not
    # five: single rounds on this kind of host range from 0.65 to 1.3.
    rounds: int = 7


def wrk(
    url: str, bodies: Path, shape: Shape, seconds: int, token: str = "", rate: float = 0
) -> dict:
    """Run wrk once against `url` and return what load.lua reported."""
    env = {"BODIES": str(bodies), "TOKEN": token, "RATE": str(rate), "THREADS": str(shape.threads)}
    args = [
        "wrk",
        "-t",
        str(shape.threads),
        "-c",
        str(shape.connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(LUA),
        url,
    ]
    out = subprocess.run(
        args, env={**procs.os.environ, **env}, capture_output=True, text=True, timeout=seconds + 30
    )
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result: {out.stdout[-500:]} {out.stderr[-500:]}")
    return json.loads(line[6:])


def measure(app: str, url: str, bodies: Path, shape: Shape, token: str, rate: float = 0) -> Load:
    """One measured run of `shape.seconds`; only 202s count towards the rate."""
    raw = wrk(url, bodies, shape, shape.seconds, token, rate)
    return Load(
        app=app,
        target_rate=rate,
        per_s=raw["accepted"] / (raw["duration_us"] / 1e6),
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        p999_ms=raw["p999_us"] / 1000,
        non_202=raw["other_status"],
        socket_errors=raw["socket_errors"],
    )


@contextmanager
def reference_app(tmp: Path) -> Iterator[str]:
    """The reference app under modq's own gunicorn command line, on its own Redis."""
    redis = procs.start_redis(tmp / "redis-ref")
    port = procs.free_port()
    env = procs.bench_env(redis.url, tmp / "var-ref", MODQ_PORT=str(port))
    args = gunicorn_args(Settings.from_env(env))
    args[-1] = "bench.refapp:app"
    process = procs.spawn(args, env, tmp / "ref.log")
    try:
        procs.wait_http(f"http://127.0.0.1:{port}/healthz")
        yield f"http://127.0.0.1:{port}"
    finally:
        procs.stop(process)
        redis.stop()


@dataclass(frozen=True)
class Running:
    """A running `modq serve`: its base URL, a site key, the supervisor's pid, its Redis."""

    url: str
    key: str
    pid: int
    redis_url: str

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])


@contextmanager
def modq_app(
    tmp: Path, scoring_workers: int = 0, name: str = "modq", akismet: bool = False
) -> Iterator[Running]:
    """`modq serve` on its own Redis, with a site key (in Akismet's form with `akismet`)."""
    redis = procs.start_redis(tmp / f"redis-{name}")
    port = procs.free_port()
    env = procs.bench_env(redis.url, tmp / f"var-{name}", MODQ_PORT=str(port))
    modq = [procs.python(), "-m", "service"]
    key = subprocess.run(
        [*modq, "keys", "create", "--site", SITE, *(["--akismet"] if akismet else [])],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=procs.ROOT,
    ).stdout.strip()
    # No learner: nothing here makes decisions for one to learn.
    serve = [*modq, "serve", "--port", str(port), "--scoring-workers", str(scoring_workers)]
    serve += ["--learning-workers", "0"]
    process = procs.spawn(serve, env, tmp / f"{name}.log")
    try:
        procs.wait_http(f"http://127.0.0.1:{port}/readyz")
        yield Running(f"http://127.0.0.1:{port}", key, process.pid, redis.url)
    finally:
        procs.stop(process)
        redis.stop()


def write_bodies(path: Path, bodies: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(bodies) + b"\n")
    return path


def run(tmp: Path, bodies: Path, shape: Shape) -> dict[str, object]:
    """Peak of each app, then each at 70 % of the reference's peak; RSS of modq's API.

    Every figure is the median over `shape.rounds` rounds in which the apps take turns.
    """
    with reference_app(tmp) as ref_url, modq_app(tmp) as modq_app_:
        apps = [("reference", ref_url, ""), ("modq", modq_app_.url, modq_app_.key)]
        for _, url, token in apps:
            wrk(url, bodies, shape, shape.warmup_s, token)
        peak = _rounds(apps, bodies, shape)
        rate = 0.7 * statistics.median(ref.per_s for ref, _ in peak)
        at_70 = _rounds(apps, bodies, shape, rate)
        api_rss = procs.api_rss_mb(modq_app_.pid)
    ratios = [modq.per_s / ref.per_s if ref.per_s else 0.0 for ref, modq in peak]
    return {
        "peak": [asdict(_median(loads)) for loads in zip(*peak, strict=True)],
        "at_70": [asdict(_median(loads)) for loads in zip(*at_70, strict=True)],
        "ratio": statistics.median(ratios),
        "ratios": ratios,
        "rounds": {
            "peak": [[asdict(x) for x in r] for r in peak],
            "at_70": [[asdict(x) for x in r] for r in at_70],
        },
        "api_rss_mb": api_rss,
    }


def _rounds(
    apps: list[tuple[str, str, str]], bodies: Path, shape: Shape, rate: float = 0
) -> list[list[Load]]:
    return [
        [measure(app, url, bodies, shape, token, rate) for app, url, token in apps]
        for _ in range(shape.rounds)
    ]


def _median(loads: tuple[Load, ...]) -> Load:
    """One app's rounds as one Load: the median of each figure."""

    def med(field: str) -> float:
        return float(statistics.median(getattr(load, field) for load in loads))

    return Load(
        app=loads[0].app,
        target_rate=loads[0].target_rate,
        per_s=med("per_s"),
        p50_ms=med("p50_ms"),
        p99_ms=med("p99_ms"),
        p999_ms=med("p999_ms"),
        non_202=sum(load.non_202 for load in loads),
        socket_errors=sum(load.socket_errors for load in loads),
    )
