"""The benchmark script starts: its options parse and its modules import (no benchmark runs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_help_lists_its_modes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "--quick" in result.stdout and "--check" in result.stdout


def test_bench_table_renders_from_a_result() -> None:
    from bench import report

    load = {
        "app": "x",
        "target_rate": 70.0,
        "per_s": 100.0,
        "p50_ms": 1.0,
        "p99_ms": 2.0,
        "p999_ms": 3.0,
    }
    drain = {"per_s": 10.0, "worker_rss_mb": 1.0, "redis_bytes_per_comment": 1.0}
    result = {
        "ingest": {
            "peak": [load, load],
            "at_70": [load, load],
            "ratio": 1.0,
            "ratios": [0.9, 1.0, 1.1],
            "api_rss_mb": 1.0,
        },
        "e2e": {
            "steps": [
                {
                    "rate": 300,
                    "sent_per_s": 300,
                    "p50_ms": 1.0,
                    "p99_ms": 2.0,
                    "backlog_grew": False,
                }
            ],
            "api_rss_mb": 1.0,
            "worker_rss_mb": 1.0,
        },
        "drain": [drain, drain],
        "drain_learned": drain | {"learned_decisions": 2000},
        "peer": {
            "bogofilter": {"per_process_per_s": 1.0, "bulk_per_s": 2.0},
            "modq": {"single_per_s": 1.0, "batch_per_s": 2.0},
        },
    }
    table = report.table(result)
    assert "| modq / reference throughput, median of rounds | 1.00 (0.90, 1.00, 1.10) |" in table
    assert (
        "| one worker, a site that learned from 2,000 decisions | 10/s (1.00 of the above) |"
        in table
    )


def test_without_the_shared_data_the_peer_split_has_both_classes(tmp_path: Path) -> None:
    # A clone outside the workplace has no ../shared/data: the bench falls back to texts
    # of its own, and the peer comparison must still have something of each class to test.
    from bench import corpus, peer

    texts = corpus.load_texts(tmp_path)
    train, test = peer.split(texts)

    assert len(train) == 800 and len(test) == 200
    assert {t.label for t in train} == {0, 1} and {t.label for t in test} == {0, 1}
    real = [corpus.Text(str(n), n % 2) for n in range(20_000)]
    assert [len(part) for part in peer.split(real)] == [8000, 2000]
