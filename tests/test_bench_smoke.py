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
        "peer": {
            "bogofilter": {"per_process_per_s": 1.0, "bulk_per_s": 2.0},
            "modq": {"single_per_s": 1.0, "batch_per_s": 2.0},
        },
    }
    table = report.table(result)
    assert "| modq / reference throughput, median of rounds | 1.00 (0.90, 1.00, 1.10) |" in table
