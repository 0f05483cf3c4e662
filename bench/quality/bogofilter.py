"""Train and score bogofilter on a split through mbox files in a throwaway word-list dir."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence

from model.data import Example

SPAM_CUTOFF, HAM_CUTOFF = 0.99, 0.45  # bogofilter's own defaults for ternary mode


def ensure_installed() -> str:
    """Return the bogofilter binary, installing the Debian package if it is missing."""
    found = shutil.which("bogofilter")
    if found:
        return found
    subprocess.run(["apt-get", "install", "-y", "bogofilter"], check=True, capture_output=True)
    found = shutil.which("bogofilter")
    if not found:
        raise RuntimeError("bogofilter is not installed and apt-get could not install it")
    return found


def train_and_score(train: Sequence[Example], test: Sequence[Example]) -> list[float]:
    """Register the training rows as spam/ham, then return each test row's spamicity."""
    binary = ensure_installed()
    with tempfile.TemporaryDirectory(prefix="modq-bogo-") as wordlists:
        base = [binary, "-C", "-d", wordlists, "-M"]
        for flag, label in (("-s", 1), ("-n", 0)):
            mbox = _mbox([e for e in train if e.label == label])
            subprocess.run([*base, flag], input=mbox, check=True, capture_output=True)
        # Exit codes 0/1/2 mean spam/ham/unsure; only 3 is an error.
        done = subprocess.run([*base, "-T"], input=_mbox(test), capture_output=True)
    if done.returncode == 3:
        raise RuntimeError(done.stderr.decode(errors="replace"))
    scores = [float(line.split()[1]) for line in done.stdout.decode().splitlines() if line]
    if len(scores) != len(test):
        raise RuntimeError(f"bogofilter scored {len(scores)} of {len(test)} messages")
    return scores


def _mbox(rows: Sequence[Example]) -> bytes:
    return b"".join(_message(e) for e in rows)


def _message(example: Example) -> bytes:
    # A body line starting "From " would split the message in two: mbox escapes it.
    lines = [">" + ln if ln.startswith(("From ", ">From ")) else ln for ln in _lines(example)]
    # Body only: with the author name in a From header bogofilter scored worse on T1.
    return ("From modq\nSubject: \n\n" + "\n".join(lines) + "\n\n").encode("utf-8")


def _lines(example: Example) -> list[str]:
    text = example.item.body.replace("\r", "")
    return text.split("\n") if text.strip() else ["."]
