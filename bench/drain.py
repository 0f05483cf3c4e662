"""Scoring throughput: worker processes draining a backlog; Redis memory per stored comment."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import redis

from bench import corpus, procs
from service.moderation.comments import Author, NewComment
from service.storage import keys
from service.storage.comments import CommentStore
from service.storage.connection import connect

SITE = "bench.example"
_CHUNK = 2000
_TIMEOUT_S = 240.0
#: Decisions the site has learned in the drain of a site in use.
LEARNED_DECISIONS = 2000


@dataclass(frozen=True)
class DrainResult:
    workers: int
    comments: int
    per_s: float
    worker_rss_mb: float
    redis_bytes_per_comment: float
    learned_decisions: int = 0


def fill(client: redis.Redis, count: int, texts: list[corpus.Text]) -> None:
    """Queue `count` comments on the intake stream, as the API would have stored them."""
    store = CommentStore(client)
    for start in range(0, count, _CHUNK):
        contents = [_content(texts, n) for n in range(start, min(count, start + _CHUNK))]
        store.add_many(SITE, contents)


def _content(texts: list[corpus.Text], n: int) -> NewComment:
    doc = corpus.comment_json(texts[n % len(texts)], n)
    author = doc["author"]
    assert isinstance(author, dict)
    return NewComment(
        author=Author(**author),
        body=str(doc["body"]),
        thread=str(doc["thread"]),
        ip=str(doc["ip"]),
        user_agent=str(doc["user_agent"]),
        lang=str(doc["lang"]),
    )


def scored(client: redis.Redis) -> int:
    counters = client.hgetall(keys.site_counters(SITE))
    return sum(int(v) for k, v in counters.items() if k.startswith(b"scored_"))


def used_memory(client: redis.Redis) -> int:
    return int(client.info("memory")["used_memory"])


def teach(client: redis.Redis, texts: list[corpus.Text], decisions: int) -> int:
    """Give the site a learned model, as if moderators had decided `decisions` of the texts."""
    from service.scoring.document import ScoringInput
    from service.scoring.scorer import Scorer
    from service.settings import DEFAULT_MODEL_PATH
    from service.storage.learned import LearnedStore

    scorer, store = Scorer.load(DEFAULT_MODEL_PATH), LearnedStore(client)
    model = store.model(SITE)
    for n in range(decisions):
        content = _content(texts, n)
        author = content.author
        item = ScoringInput(content.body, author.name, author.email, author.url)
        store.add(SITE, f"bench-{n}", scorer.learn(item, model, texts[n % len(texts)].label)[1])
    return len(model.weights)


def run(
    workers: int, count: int, texts: list[corpus.Text], tmp: Path, decisions: int = 0
) -> DrainResult:
    """Fill a fresh Redis with `count` comments, drain it with `workers` processes, measure.

    With `decisions`, the site first learns that many of the texts (a site in use).
    """
    server = procs.start_redis(tmp / f"redis-drain-{workers}-{decisions}")
    client = connect(server.url, timeout_s=30)
    try:
        if decisions:
            teach(client, texts, decisions)
        before = used_memory(client)
        fill(client, count, texts)
        env = procs.bench_env(server.url, tmp / "var", MODQ_BATCH_SIZE="256")
        started = [
            procs.spawn(
                [procs.python(), "-m", "service", "worker", "--burst", "--name", f"bench-{n}"],
                env,
                tmp / f"worker-{workers}-{n}.log",
            )
            for n in range(workers)
        ]
        per_s, rss = _watch(client, count, started)
        for process in started:
            procs.stop(process)
        per_comment = (used_memory(client) - before) / count
        return DrainResult(workers, count, per_s, rss, per_comment, decisions)
    finally:
        client.close()
        server.stop()


def _watch(client: redis.Redis, count: int, workers: list) -> tuple[float, float]:
    """Rate between 2 % and 100 % scored (leaves out model loading); peak worker RSS."""
    deadline = time.monotonic() + _TIMEOUT_S
    t_low, low, rss = None, count // 50, 0.0
    done = 0
    while time.monotonic() < deadline:
        done = scored(client)
        rss = max([rss] + [procs.rss_mb(w.pid) for w in workers])
        if t_low is None and done >= low:
            t_low, low = time.perf_counter(), done
        if done >= count:
            return (done - low) / (time.perf_counter() - t_low), rss
        time.sleep(0.05)
    if t_low is None:
        return 0.0, rss
    return (done - low) / (time.perf_counter() - t_low), rss
