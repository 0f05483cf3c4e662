"""Speed and size of the shipped model: one comment, batches of 256, file size, worker RSS."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from model.data import Example
from service.scoring.document import ScoringInput
from service.scoring.scorer import Scorer
from service.scoring.site_model import SiteModel

BATCH = 256
SINGLE_RUNS = 1000

# A fresh interpreter that imports the worker, loads the model and scores one batch.
_RSS_PROBE = """
import resource, sys
from pathlib import Path
import service.worker
from model.data import Example
from service.scoring.site_model import SiteModel
from service.scoring.document import ScoringInput
from service.scoring.scorer import Scorer
s = Scorer.load(Path(sys.argv[1]))
s.score([ScoringInput("check out my channel http://bit.ly/x " * (i % 5 + 1)) for i in range(256)])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def measure(model_path: Path, items: Sequence[ScoringInput]) -> list[tuple[str, float, str, float]]:
    """Return (what, figure, op, target) rows for the speed and size targets, on one core."""
    _one_core()
    scorer = Scorer.load(model_path)
    scorer.score(list(items[:BATCH]))  # warm caches before timing
    return [
        ("scoring one comment, p50 ms", _single_p50_ms(scorer, items), "<=", 1.0),
        ("batches of 256, comments/s", _batch_rate(scorer, items), ">=", 10_000.0),
        ("model file MB", model_path.stat().st_size / 1e6, "<=", 20.0),
        ("worker RSS MB", _worker_rss_mb(model_path), "<=", 300.0),
    ]


def learned_batch_rate(model_path: Path, examples: Sequence[Example]) -> tuple[float, int]:
    """Batches of 256 for a site whose model learned every example: (comments/s, features)."""
    _one_core()
    scorer = Scorer.load(model_path)
    site = SiteModel()
    for e in examples:
        scorer.learn(e.item, site, e.label)
    items = [e.item for e in examples]
    scorer.score(items[:BATCH], [site] * BATCH)  # warm caches before timing
    batches = [items[i : i + BATCH] for i in range(0, len(items) - BATCH + 1, BATCH)]
    start = time.perf_counter()
    for batch in batches:
        scorer.score(batch, [site] * len(batch))
    return len(batches) * BATCH / (time.perf_counter() - start), len(site.weights)


def _one_core() -> None:
    # The target is per core: pin the process and stop BLAS from starting threads.
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    threadpool_limits(1)


def _single_p50_ms(scorer: Scorer, items: Sequence[ScoringInput]) -> float:
    times = []
    for i in range(SINGLE_RUNS):
        item = items[i % len(items)]
        start = time.perf_counter()
        scorer.score([item])
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def _batch_rate(scorer: Scorer, items: Sequence[ScoringInput]) -> float:
    batches = [list(items[i : i + BATCH]) for i in range(0, len(items) - BATCH + 1, BATCH)]
    start = time.perf_counter()
    for batch in batches:
        scorer.score(batch)
    return len(batches) * BATCH / (time.perf_counter() - start)


def _worker_rss_mb(model_path: Path) -> float:
    env = os.environ | {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    cmd = [sys.executable, "-c", _RSS_PROBE, str(model_path)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return int(out.stdout.split()[-1]) / 1024  # ru_maxrss is in KiB on Linux
