"""The table printed by `python -m bench` and its plots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

TARGETS = {
    "ratio": 0.8,
    "p99_at_70": 20.0,
    "e2e_p99_300": 100.0,
    "akismet_p99_100": 50.0,
    "drain_1": 5000.0,
    "drain_2_over_1": 1.6,
    "api_rss": 150.0,
    "worker_rss": 300.0,
    "redis_per_comment": 2048.0,
}


def _mark(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _learned_row(r: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    learned = r.get("drain_learned")
    if learned is None:  # results of a run before sites learned from their moderators
        return []
    share = learned["per_s"] / r["drain"][0]["per_s"]
    figure = f"one worker, a site that learned from {learned['learned_decisions']:,} decisions"
    return [(figure, f"{learned['per_s']:.0f}/s ({share:.2f} of the above)", "", "")]


def _akismet_row(r: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    check = r.get("akismet")
    if check is None:  # results of a run before modq answered Akismet's comment-check
        return []
    target = TARGETS["akismet_p99_100"]
    errors, other = check["non_200"] + check["failed"], check.get("other", 0)
    answers = (
        f"{check['spam']:,} true, {check['ham']:,} false, {check['held']:,} held, "
        f"{check['unscored']:,} unscored, {errors:,} non-200"
    ) + (f", {other:,} neither true nor false" if other else "")
    return [
        (
            f"comment-check p99 at {check['rate']:.0f}/s, one worker",
            f"p50 {check['p50_ms']:.1f} / p99 {check['p99_ms']:.1f} ms ({answers})",
            f"p99 < {target:.0f} ms",
            _mark(check["p99_ms"] < target and errors == 0 and other == 0),
        )
    ]


def rows(r: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(figure, value, target, met?) for every figure of issue 6."""
    ing, e2e_, drain = r["ingest"], r["e2e"], r["drain"]
    ref, modq = ing["peak"]
    ref70, modq70 = ing["at_70"]
    long_step = next(s for s in e2e_["steps"] if s["rate"] == 300)
    one, two = drain
    api_rss = max(ing["api_rss_mb"], e2e_["api_rss_mb"])
    drains = [one, two, *([r["drain_learned"]] if "drain_learned" in r else [])]
    worker_rss = max([e2e_["worker_rss_mb"]] + [d["worker_rss_mb"] for d in drains])
    bogo, scorer = r["peer"]["bogofilter"], r["peer"]["modq"]
    t = TARGETS
    return [
        ("reference ingestion, 202/s (p50/p99/p99.9 ms)", _load(ref), "", ""),
        ("modq ingestion, 202/s (p50/p99/p99.9 ms)", _load(modq), "", ""),
        (
            "modq / reference throughput, median of rounds",
            f"{ing['ratio']:.2f} ({', '.join(f'{x:.2f}' for x in ing.get('ratios', []))})",
            f">= {t['ratio']}",
            _mark(ing["ratio"] >= t["ratio"]),
        ),
        (f"reference at {ref70['target_rate']:.0f}/s (70 %)", _load(ref70), "", ""),
        (
            f"modq at {modq70['target_rate']:.0f}/s (70 %): p99",
            _load(modq70),
            f"<= {t['p99_at_70']:.0f} ms",
            _mark(modq70["p99_ms"] <= t["p99_at_70"]),
        ),
        (
            "202 -> verdict at 300/s, 60 s, 1 worker: p50 / p99",
            f"{long_step['p50_ms']:.1f} / {long_step['p99_ms']:.1f} ms",
            f"p99 <= {t['e2e_p99_300']:.0f} ms",
            _mark(long_step["p99_ms"] <= t["e2e_p99_300"] and not long_step["backlog_grew"]),
        ),
        *_akismet_row(r),
        (
            "one worker draining the backlog",
            f"{one['per_s']:.0f}/s",
            f">= {t['drain_1']:.0f}/s",
            _mark(one["per_s"] >= t["drain_1"]),
        ),
        *_learned_row(r),
        (
            "two workers / one",
            f"{two['per_s'] / one['per_s']:.2f} ({two['per_s']:.0f}/s)",
            f">= {t['drain_2_over_1']}",
            _mark(two["per_s"] / one["per_s"] >= t["drain_2_over_1"]),
        ),
        (
            "API process RSS",
            f"{api_rss:.0f} MB",
            f"<= {t['api_rss']:.0f} MB",
            _mark(api_rss <= t["api_rss"]),
        ),
        (
            "worker process RSS",
            f"{worker_rss:.0f} MB",
            f"<= {t['worker_rss']:.0f} MB",
            _mark(worker_rss <= t["worker_rss"]),
        ),
        (
            "Redis memory per stored comment",
            f"{one['redis_bytes_per_comment']:.0f} B",
            "<= 2048 B",
            _mark(one["redis_bytes_per_comment"] <= t["redis_per_comment"]),
        ),
        (
            "bogofilter: process per message / bulk",
            f"{bogo['per_process_per_s']:.0f}/s / {bogo['bulk_per_s']:.0f}/s",
            "",
            "",
        ),
        (
            "modq scorer: one per call / batches of 256",
            f"{scorer['single_per_s']:.0f}/s / {scorer['batch_per_s']:.0f}/s",
            "",
            "",
        ),
    ]


def _load(load: dict[str, Any]) -> str:
    ms = f"{load['p50_ms']:.1f} / {load['p99_ms']:.1f} / {load['p999_ms']:.1f}"
    return f"{load['per_s']:.0f}/s ({ms})"


def table(r: dict[str, Any]) -> str:
    """A Markdown table of every figure, its target and whether it is met."""
    lines = ["| figure | value | target | |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(r)]
    e2e_lines = [
        "",
        "| rate /s | sent /s | p50 ms | p99 ms | backlog grew |",
        "|---|---|---|---|---|",
    ]
    e2e_lines += [
        f"| {s['rate']:.0f} | {s['sent_per_s']:.0f} | {s['p50_ms']:.1f} | {s['p99_ms']:.1f} "
        f"| {s['backlog_grew']} |"
        for s in r["e2e"]["steps"]
    ]
    return "\n".join(lines + e2e_lines)


def plots(r: dict[str, Any], out: Path) -> None:
    """e2e.png: 202-to-verdict latency against rate; ingest.png: both apps side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = r["e2e"]["steps"]
    fig, ax = plt.subplots(figsize=(6, 4))
    rates = [s["rate"] for s in steps]
    ax.plot(rates, [s["p50_ms"] for s in steps], "o-", label="p50")
    ax.plot(rates, [s["p99_ms"] for s in steps], "s-", label="p99")
    ax.axhline(100, color="grey", linestyle=":", label="p99 target at 300/s")
    ax.set(
        xlabel="comments posted per second",
        ylabel="202 to verdict (ms)",
        yscale="log",
        title="modq end to end, one scoring worker",
    )
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "e2e.png", dpi=110)
    plt.close(fig)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4))
    for name, loads in (("peak", r["ingest"]["peak"]), ("70 %", r["ingest"]["at_70"])):
        for load in loads:
            label = f"{load['app']} {name}"
            right.plot(
                ["p50", "p99", "p99.9"],
                [load["p50_ms"], load["p99_ms"], load["p999_ms"]],
                "o-",
                label=label,
            )
    left.bar([x["app"] for x in r["ingest"]["peak"]], [x["per_s"] for x in r["ingest"]["peak"]])
    left.set(ylabel="202s per second", title="ingestion peak")
    right.set(ylabel="latency (ms)", yscale="log", title="ingestion latency")
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "ingest.png", dpi=110)
    plt.close(fig)
