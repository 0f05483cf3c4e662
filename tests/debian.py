"""Debian packages a suite needs: installed when missing (as root, like the browser tests'
Chromium); still missing, the suite fails under CI and is skipped elsewhere, saying which."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def missing(packages: dict[str, Path]) -> list[str]:
    """The packages (name -> a file it installs) not on this machine."""
    return [name for name, marker in packages.items() if not marker.exists()]


def require(packages: dict[str, Path], suite: str) -> None:
    """apt-get install what is missing (as root), then fail (CI) or skip if anything still is."""
    absent = missing(packages)
    if absent and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", *absent], check=True, env=env, capture_output=True
        )
        absent = missing(packages)
    if absent:
        message = f"{suite} needs Debian's {' '.join(absent)} (apt-get install {' '.join(absent)})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
