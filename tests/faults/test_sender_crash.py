"""A webhook sender killed in the middle of a post loses no event."""

from __future__ import annotations

import json
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from service import worker
from service.moderation.comments import Author, NewComment
from service.settings import Settings
from service.storage.comments import CommentStore
from service.storage.webhooks import CLAIM_S, WebhookStore
from tests.faults.conftest import SITE
from tests.faults.harness import Cluster, wait_until

COMMENTS = 5


class SlowReceiver:
    """Holds its first request until released; answers 200 to every one, recording it."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.first_arrived, self.release = threading.Event(), threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if not receiver.first_arrived.is_set():
                    receiver.first_arrived.set()
                    receiver.release.wait(30)
                receiver.posts.append((self.headers["webhook-id"], body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_kill9_of_the_sender_mid_post_loses_no_event(cluster: Cluster, tmp_path: Path) -> None:
    client = cluster.redis.client
    receiver = SlowReceiver()
    WebhookStore(client).set(SITE, receiver.url)
    store, author = CommentStore(client), Author(name="Reader", email="reader@mail.example")
    ids = [store.add(SITE, NewComment(author, f"Comment number {n}")).id for n in range(COMMENTS)]
    settings = Settings.from_env({}, redis_url=cluster.redis.url, data_dir=tmp_path, block_ms=50)
    worker.Worker.build(settings, client).run(burst=True)  # a comment.scored event each

    first = cluster.spawn("sender-1", ["sender"], MODQ_WEBHOOK_ALLOW_PRIVATE="yes")
    assert receiver.first_arrived.wait(60), "the sender never posted"
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(10)
    receiver.release.set()  # its answer goes to a dead connection
    cluster.spawn("sender-2", ["sender"], MODQ_WEBHOOK_ALLOW_PRIVATE="yes")

    def all_delivered() -> bool:
        return {body["data"]["id"] for _, body in receiver.posts} == set(ids)

    wait_until("every event delivered", all_delivered, CLAIM_S + 45)
    assert [body["data"]["id"] for _, body in receiver.posts][-COMMENTS:] == ids  # in order
    # at least once: the event killed mid-post may arrive twice, with one id to dedupe on
    by_id: dict[str, set[str]] = {}
    for event_id, body in receiver.posts:
        by_id.setdefault(body["data"]["id"], set()).add(event_id)
    assert all(len(event_ids) == 1 for event_ids in by_id.values())

    def emptied() -> bool:
        health = WebhookStore(client).health(SITE)
        return health is not None and health.pending == 0

    wait_until("the queue emptied", emptied, 10)
    receiver.server.shutdown()
