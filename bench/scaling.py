"""`python -m bench.scaling`: the figures docs/scaling.md sizes a cluster from.

1. Redis CPU per accepted comment and per verdict, on one Redis (what one shard does): the
   redis-server's user+system CPU over N comments stored through the API's own store, then
   over the worker scoring them (with its flood, copy and campaign bookkeeping).
2. How evenly 10,000 sites spread over partitions, and the partitions over three shards.
3. The latency a replica's acknowledgement adds to storing a comment, on a local six-node
   cluster: the store's call with `WAIT 1` against without.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import redis
from redis.crc import key_slot

from bench import corpus
from service import worker
from service.moderation.comments import Author, NewComment
from service.settings import Settings
from service.storage import keys
from service.storage import server as redis_server
from service.storage.comments import CommentStore
from service.storage.connection import connect


def _cpu_s(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def redis_cpu(count: int, root: Path) -> dict[str, float]:
    """Redis CPU (microseconds) per comment stored, and per comment scored."""
    server = redis_server.start(root / "one", port=_port())
    try:
        client = connect(server.url, timeout_s=30)
        texts = corpus.load_texts(limit=count)
        store = CommentStore(client)
        contents = [
            NewComment(
                Author(f"R{n}", f"r{n}@mail.example"), t.body, ip=f"198.51.{n % 250}.{n % 199}"
            )
            for n, t in enumerate(texts)
        ]
        sites = [f"site{n % 50}.example" for n in range(len(contents))]
        before = _cpu_s(client)
        for site, content in zip(sites, contents, strict=True):
            store.add(site, content, f"{hash(content.author.email) & 0xFFFFFFFF:08x}")
        stored = _cpu_s(client)
        settings = Settings.from_env({}, redis_url=server.url, data_dir=root / "var")
        worker.Worker.build(settings, client).run(burst=True)
        scored = _cpu_s(client)
        return {
            "comments": len(contents),
            "store_us": (stored - before) / len(contents) * 1e6,
            "verdict_us": (scored - stored) / len(contents) * 1e6,
        }
    finally:
        server.stop()


def spread(sites: int = 10_000) -> dict[str, Any]:
    """Sites per partition and partitions' sites per shard, for a few partition counts."""
    names = [f"site{n}.example" for n in range(sites)]
    out: dict[str, Any] = {}
    for count in (12, 48, 192):
        keys.use_partitions(count)
        per_part = Counter(keys.partition(name) for name in names)
        # Three shards split the 16,384 slots in three equal ranges, as redis-cli does.
        shard_of = {
            part: min(2, key_slot(part.strip("{}").encode()) * 3 // 16_384)
            for part in keys.partitions()
        }
        per_shard = Counter()
        for part, n in per_part.items():
            per_shard[shard_of[part]] += n
        out[str(count)] = {
            "sites_per_partition": [min(per_part.values()), max(per_part.values())],
            "sites_per_shard": [per_shard[s] for s in range(3)],
        }
    keys.use_partitions(1)
    return out


def replica_wait(count: int, root: Path) -> dict[str, float]:
    """p50/p99 ms of storing one comment on a six-node cluster, with and without WAIT 1."""
    from tests.cluster.harness import Cluster

    cluster = Cluster(root / "cluster").start()
    try:
        client = connect(cluster.url, timeout_s=5)
        keys.use_partitions(12)
        content = NewComment(Author("R", "r@mail.example"), "Thanks, the budget part was clear.")
        times: dict[str, list[float]] = {"without": [], "with": []}
        for n in range(count):
            for name, wait_ms in (("without", 0), ("with", 1000)):
                store = CommentStore(client, replica_wait_ms=wait_ms)
                started = time.perf_counter()
                store.add(f"site{n % 40}.example", content)
                times[name].append((time.perf_counter() - started) * 1000)
        return {
            f"{name}_{q}": round(_quantile(values, q), 3)
            for name, values in times.items()
            for q in (0.5, 0.99)
        }
    finally:
        cluster.stop()
        keys.use_partitions(1)


def _quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q * 100) - 1] if q < 1 else max(values)


def _port() -> int:
    from bench.procs import free_port

    return free_port()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scaling", description=__doc__)
    parser.add_argument("--comments", type=int, default=20_000)
    parser.add_argument("--waits", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        result = {
            "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "redis_cpu": redis_cpu(args.comments, root),
            "spread": spread(),
            "replica_wait": replica_wait(args.waits, root),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
