"""Run the quality benchmark and print one table: `python -m bench.quality`."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from bench.quality import online, protocols, replay, speed, systems, targets
from bench.quality.protocols import Split
from bench.quality.table import Row, markdown, mean_row, measure
from model.data import Example, read_examples
from service.scoring.model_file import verify_model_file
from service.scoring.scorer import Scorer
from service.settings import DEFAULT_MODEL_PATH

REPO = Path(__file__).resolve().parents[2]
TRAINED = ("T1", "T2", "S1")


def main(argv: list[str] | None = None) -> int:
    """Parse options, run the protocols and print the table, the targets and the speed."""
    args = _parser().parse_args(argv)
    rows = _trained_rows(args) + _zero_shot_rows(args)
    print(markdown(rows))
    if "zero" in args.only:
        print(
            f"\nZero-shot rows: {args.model.name}, version {verify_model_file(args.model).version}"
        )
    if "online" in args.only:
        print("\nLearning from moderators (each comment scored, then its decision learned):")
        videos = [online.run(s) for s in online.video_streams(args.data_dir)]
        zero = online.zero_shot_streams(args.data_dir, Scorer.load(args.model))
        replayed = [*videos, online.mean_row(videos, "videos, mean")]
        print(online.markdown(replayed + [online.run(s) for s in zero]))
    if "replay" in args.only:
        print(f"\nA site's first days (batches of {replay.BATCH}, held and mistaken ones decided):")
        shipped = Scorer.load(args.model)
        print(replay.markdown([replay.run(s) for s in replay.streams(args.data_dir, shipped)]))
    examples = _speed_examples(args.data_dir)
    extra = [] if args.no_speed else speed.measure(args.model, [e.item for e in examples])
    print("\nTargets (modq, at its service thresholds; MCC at P(spam) >= 0.5):")
    print(targets.check(rows, extra))
    if not args.no_speed:
        rate, learned = speed.learned_batch_rate(args.model, examples)
        print(
            f"- also: batches of 256 for a site whose model learned these {len(examples):,} "
            f"decisions ({learned:,} features): {rate:,.0f} comments/s (no target)"
        )
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=1, default=float))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH, help="for zero-shot")
    parser.add_argument(
        "--only",
        nargs="+",
        default=[*TRAINED, "zero", "online", "replay"],
        help="T1 T2 S1 zero online replay",
    )
    parser.add_argument("--no-bogofilter", action="store_true")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    return parser


def _trained_rows(args: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    if "T1" in args.only:
        rows.append(_run(protocols.t1(args.data_dir), args))
    if "T2" in args.only:
        videos = [_run(split, args) for split in protocols.t2(args.data_dir)]
        rows += [*videos, mean_row(videos, "mean")]
    if "S1" in args.only:
        rows.append(_run(protocols.s1(args.data_dir), args))
    return rows


def _run(split: Split, args: argparse.Namespace) -> Row:
    started = time.perf_counter()
    labels = np.array([e.label for e in split.test])
    modq = systems.modq(split.train, split.test)
    results = {"modq": measure(labels, modq)}
    results["tfidf_lr"] = measure(labels, systems.baseline(split.train, split.test))
    results["char_svm"] = measure(labels, systems.char_svm(split.train, split.test))
    if not args.no_bogofilter:
        results["bogofilter"] = measure(labels, systems.bogo(split.train, split.test))
    took = time.perf_counter() - started
    print(f"{split.protocol} {split.name}: {took:.0f}s", file=sys.stderr)
    thresholds = (modq.approve_below, modq.reject_above)
    return Row(split.protocol, split.name, len(split.test), results, thresholds)


def _zero_shot_rows(args: argparse.Namespace) -> list[Row]:
    if "zero" not in args.only:
        return []
    scorer = Scorer.load(args.model)
    rows = []
    for split in protocols.zero_shot(args.data_dir):
        labels = np.array([e.label for e in split.test])
        scored = systems.shipped(scorer, split.test)
        thresholds = (scored.approve_below, scored.reject_above)
        row = Row(
            split.protocol, split.name, len(labels), {"modq": measure(labels, scored)}, thresholds
        )
        rows.append(row)
    return rows


def _speed_examples(data_dir: Path) -> list[Example]:
    # Real comments, the shipped sets and the others, shuffled so batches are mixed.
    rows = [e for path in sorted(data_dir.glob("*.csv")) for e in read_examples(path)]
    order = np.random.default_rng(0).permutation(len(rows))[:8192]
    return [rows[i] for i in order]


if __name__ == "__main__":
    sys.exit(main())
