"""HTTP as it arrives at gunicorn: chunked bodies with no Content-Length, in and over the limit."""

from __future__ import annotations

import json
import socket

from tests.factories import comment_body
from tests.faults.conftest import cluster, site_token  # noqa: F401 - fixtures
from tests.faults.harness import Cluster


def _chunked_post(
    port: int, token: str, body: bytes, chunk: int = 1000
) -> tuple[int, dict[str, object]]:
    head = (
        "POST /v1/comments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode()
    parts = [body[i : i + chunk] for i in range(0, len(body), chunk)]
    payload = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + payload)
        raw = b""
        while data := sock.recv(65536):
            raw += data
    status_line, _, rest = raw.partition(b"\r\n")
    body_bytes = rest.split(b"\r\n\r\n", 1)[1]
    return int(status_line.split()[1]), json.loads(body_bytes or b"{}")


def test_chunked_body_without_length_is_accepted(cluster: Cluster, site_token: str) -> None:  # noqa: F811
    cluster.start_api(workers=1)

    status, payload = _chunked_post(
        cluster.port, site_token, json.dumps(comment_body()).encode(), 7
    )

    assert status == 202 and payload["status"] == "queued"


def test_chunked_body_over_the_limit_is_413_and_the_server_stays_up(
    cluster: Cluster,  # noqa: F811
    site_token: str,  # noqa: F811
) -> None:
    cluster.start_api(workers=1)
    huge = json.dumps(comment_body("x" * 400_000)).encode()

    status, payload = _chunked_post(cluster.port, site_token, huge)

    assert status == 413 and payload["code"] == 413, payload
    assert cluster.get("/healthz")[0] == 200
