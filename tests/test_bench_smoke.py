"""The benchmark script starts: its options parse, its modules import, its table renders, and
the quality and comment-check benches run on a small scale (no timings are checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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
        "akismet": {
            "rate": 100.0,
            "p50_ms": 5.0,
            "p99_ms": 12.0,
            "spam": 1200,
            "ham": 700,
            "held": 100,
            "unscored": 0,
            "non_200": 0,
            "failed": 0,
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
    assert (
        "| comment-check p99 at 100/s, one worker | p50 5.0 / p99 12.0 ms (1,200 true, 700 false, "
        "100 held, 0 unscored, 0 non-200) | p99 < 50 ms | met |" in table
    )
    del result["akismet"]  # a run from before the row still renders
    assert "comment-check" not in report.table(result)


def test_akismet_bench_answers_true_or_false(tmp_path: Path) -> None:
    # A second and a half of load on a real modq (gunicorn, one worker, its own Redis):
    # the shape of the result and that every request got `true` or `false`; no timings.
    from bench import akismet, corpus

    texts = corpus.load_texts(tmp_path / "no-data")
    result = akismet.run(tmp_path, texts, seconds=1.5, rate=40, warmup_s=0.5)

    assert result.sent == 60 and result.failed == result.non_200 == result.other == 0
    assert result.spam + result.ham + result.held + result.unscored == 60
    assert 0 < result.p50_ms <= result.p99_ms <= result.max_ms


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


def test_quality_bench_runs_its_protocols_on_a_small_data_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Five videos of ham and spam, an SMS set and a non-English set, written here; the
    # run trains and replays on them exactly as on ../shared/data (no bogofilter, no speed).
    from bench.quality.__main__ import main

    header = "text,label,lang,source,author,date,group,orig_label\n"
    spam = "check out my channel http://bit.ly/{n} free money subscribe {g}"
    ham = "this song reminds me of summer {n} in {g}, great video"
    videos = [
        f'"{(spam if n % 2 else ham).format(n=n, g=g)}",{n % 2},en,tubespam_v1,A{n},'
        f"2014-01-{n % 28 + 1:02d}T00:00:00,{g},{n % 2}\n"
        for g in ("01-Psy", "02-KatyPerry", "03-LMFAO", "04-Eminem", "05-Shakira")
        for n in range(24)
    ]
    (tmp_path / "en_tubespam_v1.csv").write_text(header + "".join(videos))
    sms = [
        f'"{"WIN a prize call 0800" if n % 4 == 0 else "see you at home"} {n}",'
        f"{int(n % 4 == 0)},en,sms,,,,x\n"
        for n in range(120)
    ]
    (tmp_path / "en_sms_spam_collection_v1.csv").write_text(header + "".join(sms))
    other = [
        f'"{"kazino bonus daftar" if n % 2 else "lagu yang bagus"} {n}",{n % 2},id,x,,,,x\n'
        for n in range(60)
    ]
    (tmp_path / "id_small.csv").write_text(header + "".join(other))

    assert main(["--data-dir", str(tmp_path), "--no-bogofilter", "--no-speed"]) == 0

    out = capsys.readouterr().out
    assert "| T1 | 05-Shakira | 24 |" in out and "| S1 | sms 70/30 | 36 |" in out
    assert "| videos, mean |" in out and "| id_small | 48 |" in out
    assert "- T1 MCC:" in out and "- worst ham auto-rejected" in out
    # the replay: each stream's windows for modq and the baseline
    assert "| 01-Psy by date | first 200 comments | 24 |" in out
    assert "| id_small | first 200 comments | 60 |" in out
