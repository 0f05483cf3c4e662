"""The issue's quality targets, checked against the benchmark rows."""

from __future__ import annotations

from collections.abc import Callable

from bench.quality.table import Row

Check = tuple[str, Callable[[dict[str, Row]], float], str, float]

# (what, how to read it from the rows by "protocol/name", ">=" or "<=", target)
QUALITY: list[Check] = [
    ("T1 MCC", lambda r: r["T1/05-Shakira"].results["modq"]["mcc"], ">=", 0.94),
    ("T2 mean MCC", lambda r: r["T2/mean"].results["modq"]["mcc"], ">=", 0.90),
    ("S1 MCC", lambda r: r["S1/sms 70/30"].results["modq"]["mcc"], ">=", 0.975),
    ("T1 review", lambda r: r["T1/05-Shakira"].results["modq"]["review"], "<=", 0.15),
    ("S1 review", lambda r: r["S1/sms 70/30"].results["modq"]["review"], "<=", 0.15),
    ("T2 mean review", lambda r: r["T2/mean"].results["modq"]["review"], "<=", 0.15),
    ("T1 spam auto-approved", lambda r: _spam(r, "T1/05-Shakira"), "<=", 0.03),
    ("S1 spam auto-approved", lambda r: _spam(r, "S1/sms 70/30"), "<=", 0.03),
    ("worst ham auto-rejected, T1/T2/S1", lambda r: _worst_ham(r), "<=", 0.005),
]


def _spam(rows: dict[str, Row], key: str) -> float:
    return rows[key].results["modq"]["spam_approved"]


def _worst_ham(rows: dict[str, Row]) -> float:
    trained = [r for k, r in rows.items() if k.split("/")[0] in {"T1", "T2", "S1"}]
    return max(r.results["modq"]["ham_rejected"] for r in trained if r.name != "mean")


def check(rows: list[Row], extra: list[tuple[str, float, str, float]] | None = None) -> str:
    """Return one line per target: measured figure, target and met/MISSED."""
    keyed = {f"{r.protocol}/{r.name}": r for r in rows}
    needed = {"T1/05-Shakira", "T2/mean", "S1/sms 70/30"}
    quality = QUALITY if needed <= set(keyed) else []  # a partial run checks what it ran
    figures = [(name, read(keyed), op, goal) for name, read, op, goal in quality]
    lines = [_verdict(*f) for f in figures + (extra or [])]
    return "\n".join(lines)


def _verdict(name: str, value: float, op: str, goal: float) -> str:
    met = value >= goal if op == ">=" else value <= goal
    return f"- {name}: {value:.4g} (target {op} {goal:g}) {'met' if met else 'MISSED'}"
