"""Processes under test: Redis servers, gunicorn apps, workers; ports, readiness and RSS."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from service.storage import server as redis_server

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(data_dir: Path) -> redis_server.RedisServer:
    """A redis-server with modq's durable config (AOF, appendfsync always) on its own port."""
    return redis_server.start(data_dir, port=free_port())


def bench_env(redis_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment every process under test gets: its Redis, rate limits off, quiet logs."""
    return {
        **os.environ,
        "REDIS_URL": redis_url,
        "MODQ_DATA_DIR": str(data_dir),
        "MODQ_RATE_LIMIT_PER_IP": "off",
        "MODQ_RATE_LIMIT_PER_SITE": "off",
        "MODQ_LOG_LEVEL": "WARNING",
        **extra,
    }


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a process in its own session with its output in `log`."""
    handle = log.open("ab")
    return subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(process: subprocess.Popen[bytes], timeout_s: float = 20.0) -> None:
    """SIGTERM the process's session (it started it), SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def wait_http(url: str, timeout_s: float = 30.0) -> None:
    """Return once `url` answers 200; raise after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout_s:.0f} s")


def descendants(pid: int) -> list[int]:
    """Every live process below `pid`."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def rss_mb(pid: int) -> float:
    """Resident set size of `pid` in MB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def api_rss_mb(pid: int) -> float:
    """The largest RSS among the gunicorn processes below `pid` (the API's workers)."""
    api = [p for p in descendants(pid) if "gunicorn" in cmdline(p)]
    return max((rss_mb(p) for p in api), default=0.0)


def cpu_s(pid: int) -> float:
    """User and system CPU seconds `pid` has used (all its threads; 0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def others_cpu_s() -> float:
    """CPU seconds the host has spent on processes other than this one and those below it
    (since boot: take differences). Other tenants of a shared host show here."""
    busy = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in busy[:8])
    host = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    return host - sum(cpu_s(pid) for pid in [os.getpid(), *descendants(os.getpid())])


def python() -> str:
    return sys.executable
