"""`python -m bench`: every benchmark of issue 6, one table, bench/results/latest.json, plots."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from bench import akismet, corpus, drain, e2e, ingest, peer, report

RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--out", type=Path, default=RESULTS, help="where results and plots go")
    parser.add_argument(
        "--quick", action="store_true", help="short runs (about 2 minutes) for a first look"
    )
    parser.add_argument(
        "--check", action="store_true", help="only check the tools and the corpus, then exit"
    )
    return parser.parse_args(argv)


def ensure_tools() -> None:
    """Install wrk and bogofilter from Debian if they are missing."""
    missing = [tool for tool in ("wrk", "bogofilter") if shutil.which(tool) is None]
    if not missing:
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    print(f"installing {' '.join(missing)} with apt-get", file=sys.stderr)
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", *missing], check=True)


def machine() -> dict[str, object]:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    mem = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout
    return {"nproc": os.cpu_count(), "cpu": cpu, "free": mem, "load_before": os.getloadavg()}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ensure_tools()
    texts = corpus.load_texts()
    if args.check:
        print(f"wrk and bogofilter present; {len(texts)} texts")
        return 0
    quick = args.quick
    comments = 20_000 if quick else 100_000
    started = time.monotonic()
    results: dict[str, object] = {"machine": machine(), "quick": quick}
    with tempfile.TemporaryDirectory(prefix="modq-bench-") as tmp_name:
        tmp = Path(tmp_name)
        bodies = corpus.bodies(50_000, texts)
        body_file = ingest.write_bodies(tmp / "bodies.txt", bodies)
        shape = ingest.Shape(seconds=2 if quick else 4, warmup_s=2 if quick else 3)
        results["ingest"] = ingest.run(tmp, body_file, shape)
        rates = [50, 150, 600, 900, 1200] if not quick else [100, 600]
        results["e2e"] = e2e.run(tmp, bodies, rates, 5 if quick else 15, 300, 10 if quick else 60)
        results["akismet"] = asdict(akismet.run(tmp, texts, 5 if quick else 20))
        results["drain"] = [asdict(drain.run(n, comments, texts, tmp)) for n in (1, 2)]
        learned = drain.run(1, comments, texts, tmp, decisions=drain.LEARNED_DECISIONS)
        results["drain_learned"] = asdict(learned)
        results["peer"] = {
            "bogofilter": peer.bogofilter(tmp, texts),
            "modq": peer.modq_scorer(texts),
        }
    results["seconds"] = time.monotonic() - started
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(results, indent=2))
    report.plots(results, args.out)
    print(report.table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
