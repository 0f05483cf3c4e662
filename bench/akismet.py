"""Akismet's comment-check at a steady rate, one scoring worker: each request's response time.

`POST /1.1/comment-check` stores the comment, waits for the scoring worker's verdict (up to
MODQ_AKISMET_WAIT_MS, woken by the verdict script's announcement: storage/waits.py) and
answers `true` or `false`; what a site's Akismet client waits for is the API's work, the
worker's batch and the wake-up between them. modq runs as `modq serve --scoring-workers 1`
with default settings, with a site key made by `keys create --akismet`.

The load is e2e's Poster: open-loop at a fixed rate from a pool of threads with keep-alive
connections, each request timed from its send to its answer read. The comments are the
corpus's, each with its own commenter IP and author, form-encoded as WordPress's Akismet
plugin posts them. A `false` with `X-akismet-error` is a comment held: for review by its
verdict, or because the answer came without one (the wait timed out or found no free
slot: its stored `scored_at` is later than the answer, or missing), counted apart as
`unscored`.

`python -m bench.akismet [--seconds S] [--runs N]` runs this benchmark alone.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import redis

from bench import corpus, e2e, ingest, procs
from service.api.akismet import HELD_HEADER
from service.storage.connection import connect

#: Requests per second (bench/report.py holds the row's target).
RATE = 100.0
#: A warm-up first (imports, the first model calls, keep-alive connections) at this rate.
_WARMUP_RATE = 20.0
#: How long the worker may take to score the warm-up's comments (it loads its model first).
_READY_S = 60.0
_PATH = "/1.1/comment-check"
_HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded",
    "User-Agent": "WordPress/6.7; https://news.example | Akismet/5.3",
}


@dataclass(frozen=True)
class CheckResult:
    """One run: what was sent, the response times in ms, and what the answers were."""

    rate: float
    seconds: float
    sent: int
    answered_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    #: p99 from when each request was due: the same plus any lateness of the client's own.
    p99_from_due_ms: float
    #: `true`
    spam: int
    #: `false` without `X-akismet-error`
    ham: int
    #: `false` with it, the verdict having held the comment for review
    held: int
    #: `false` with it, no verdict when the answer was sent (timed out, or no free slot)
    unscored: int
    #: 200s with another body (`invalid`, ...)
    other: int
    non_200: int
    #: requests that got no answer at all
    failed: int
    #: Where the time went, p50 and p99 of each stage in ms over the requests answered with
    #: their verdict: `stored` request sent to the comment's `created_at` (HTTP, form, key),
    #: `scored` from there to the worker's `scored_at` (the stream, the batch, the model),
    #: `answered` from there to the answer read (the verdict's write, the wake-up, the
    #: comment read back, the answer).
    stages_ms: dict[str, tuple[float, float]]
    #: CPU the host spent on other processes while the requests were sent, in cores (of
    #: `nproc`): other tenants of a shared host, whose work every stage then waits behind.
    others_cores: float = 0.0


def forms(texts: list[corpus.Text], key: str, first: int, count: int) -> list[bytes]:
    """`count` comment-check requests, commenters `first` onwards."""
    return [corpus.akismet_form(texts[n % len(texts)], n, key) for n in range(first, first + count)]


def run(
    tmp: Path,
    texts: list[corpus.Text],
    seconds: float,
    rate: float = RATE,
    warmup_s: float = 2.0,
) -> CheckResult:
    """A warm-up, then comment-check at `rate` for `seconds` against a fresh modq."""
    count, warm = int(rate * seconds), int(_WARMUP_RATE * warmup_s)
    with ingest.modq_app(tmp, scoring_workers=1, name="akismet", akismet=True) as app:
        client = connect(app.redis_url, timeout_s=10)
        warm_up = e2e.Poster(app.port, _PATH, forms(texts, app.key, 0, warm), _HEADERS)
        warm_up.run(_WARMUP_RATE, warmup_s)
        _wait_scored(client, _guids(warm_up.answers))
        bodies = forms(texts, app.key, warm, count)
        poster = e2e.Poster(app.port, _PATH, bodies, _HEADERS)
        started, others_s = time.monotonic(), procs.others_cpu_s()
        poster.run(rate, seconds)
        sent_s = time.monotonic() - started
        others_cores = (procs.others_cpu_s() - others_s) / sent_s
        guids = _guids(poster.answers)
        found = e2e.stamps(client, guids, "created_us", "scored_at")
        client.close()
    stamps = {
        g: (created / 1e6 if created else None, scored)
        for g, (created, scored) in zip(guids, found, strict=True)
    }
    result = summary(rate, seconds, sent_s, poster.answers, stamps, poster.failed)
    return replace(result, others_cores=others_cores)


def _guids(answers: list[e2e.Answer]) -> list[str]:
    return [guid for a in answers if (guid := a.headers.get("x-akismet-guid"))]


def _wait_scored(client: redis.Redis, guids: list[str]) -> None:
    """Return once every comment in `guids` has its verdict: `/readyz` answers before the
    worker has loaded its model, and the measured requests must not wait for that."""
    deadline = time.monotonic() + _READY_S
    while None in e2e.verdict_times(client, guids):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the warm-up's comments were not scored within {_READY_S:.0f} s")
        time.sleep(0.2)


def summary(
    rate: float,
    seconds: float,
    sent_s: float,
    answers: list[e2e.Answer],
    stamps: dict[str, tuple[float | None, float | None]],
    failed: int = 0,
) -> CheckResult:
    """The figures of one run from its answers and each comment's `created_at` and
    `scored_at` (None where not set), by guid."""
    ok = [a for a in answers if a.status == 200]
    said = [a.body.strip() for a in ok]
    scored_at = {guid: scored for guid, (_, scored) in stamps.items()}
    held_answers = [a for a, s in zip(ok, said, strict=True) if s == b"false" and _held(a)]
    late = [a for a in held_answers if _late(a, scored_at)]
    times = sorted(a.ms for a in answers)
    from_due = sorted((a.read - a.due) * 1000 for a in answers)
    return CheckResult(
        rate=rate,
        seconds=seconds,
        sent=len(answers) + failed,
        answered_per_s=len(answers) / sent_s if sent_s else 0.0,
        p50_ms=e2e.percentile(times, 0.5),
        p90_ms=e2e.percentile(times, 0.9),
        p99_ms=e2e.percentile(times, 0.99),
        max_ms=times[-1] if times else float("nan"),
        p99_from_due_ms=e2e.percentile(from_due, 0.99),
        spam=said.count(b"true"),
        ham=said.count(b"false") - len(held_answers),
        held=len(held_answers) - len(late),
        unscored=len(late),
        other=len(said) - said.count(b"true") - said.count(b"false"),
        non_200=len(answers) - len(ok),
        failed=failed,
        stages_ms=_stages(ok, stamps),
    )


def _stages(
    answers: list[e2e.Answer], stamps: dict[str, tuple[float | None, float | None]]
) -> dict[str, tuple[float, float]]:
    stages: dict[str, list[float]] = {"stored": [], "scored": [], "answered": []}
    for answer in answers:
        created, scored = stamps.get(answer.headers.get("x-akismet-guid", ""), (None, None))
        if created is None or scored is None or scored > answer.read_at:
            continue
        sent_at = answer.read_at - (answer.read - answer.sent)
        stages["stored"].append((created - sent_at) * 1000)
        stages["scored"].append((scored - created) * 1000)
        stages["answered"].append((answer.read_at - scored) * 1000)
    return {
        name: (e2e.percentile(sorted(v), 0.5), e2e.percentile(sorted(v), 0.99))
        for name, v in stages.items()
    }


def _held(answer: e2e.Answer) -> bool:
    return HELD_HEADER.lower() in answer.headers


def _late(answer: e2e.Answer, scored_at: dict[str, float | None]) -> bool:
    at = scored_at.get(answer.headers.get("x-akismet-guid", ""))
    return at is None or at > answer.read_at


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.akismet", description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0, help="of load per run")
    parser.add_argument("--runs", type=int, default=1, help="each against a fresh modq")
    args = parser.parse_args(argv)
    texts = corpus.load_texts()
    results = []
    with tempfile.TemporaryDirectory(prefix="modq-bench-") as tmp_name:
        for n in range(args.runs):
            tmp = Path(tmp_name) / str(n)
            tmp.mkdir()
            results.append(run(tmp, texts, args.seconds))
            print(asdict(results[-1]), flush=True)
    for name in ("p50_ms", "p90_ms", "p99_ms", "max_ms", "others_cores"):
        print(f"median {name}: {statistics.median(getattr(r, name) for r in results):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
