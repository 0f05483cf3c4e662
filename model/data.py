"""Read the labelled comment CSVs into scoring inputs and labels."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from service.scoring.document import ScoringInput
from service.scoring.model_file import file_sha256


@dataclass(frozen=True)
class Example:
    """One labelled row: what the model reads, its label (1 spam) and where it came from."""

    item: ScoringInput
    label: int
    source: str
    group: str
    date: str = ""  # when it was posted, where the source says (ISO 8601)


def read_examples(path: Path) -> list[Example]:
    """Read one CSV (header text,label,lang,source,author,...); `lang` is never used."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [_example(row) for row in csv.DictReader(handle) if _is_data(row)]


def _is_data(row: dict[str, str]) -> bool:
    # The SMS set carries its original header as a data row ("SMS", orig_label "Label").
    return row.get("label") in {"0", "1"} and row.get("orig_label") != "Label"


def _example(row: dict[str, str]) -> Example:
    item = ScoringInput(body=row["text"], author_name=row.get("author") or "")
    source, group, date = (row.get(k) or "" for k in ("source", "group", "date"))
    return Example(item, int(row["label"]), source, group, date)


def describe_file(path: Path, examples: list[Example]) -> dict[str, object]:
    """Return what the model card records about one data file."""
    spam = sum(e.label for e in examples)
    return {
        "name": path.name,
        "rows": len(examples),
        "spam": spam,
        "ham": len(examples) - spam,
        "sha256": file_sha256(path.read_bytes()),
    }
