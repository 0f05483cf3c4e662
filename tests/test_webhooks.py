"""Webhooks: a site's endpoint, events recorded with what they report, signed delivery in
order, retries with a stable id, parking after a day, and addresses refused."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import redis as redis_lib
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from standardwebhooks import Webhook

from service.app import create_app
from service.cli import main
from service.moderation.webhooks import (
    MAX_DELAY_S,
    RETRY_FOR_S,
    decided_event,
    public_address,
    retry_delay,
)
from service.settings import Settings
from service.storage.webhooks import CLAIM_S, WebhookStore
from service.webhook_sender import Sender, post_json
from tests.conftest import METRICS, Keys
from tests.factories import comment_body


class Receiver:
    """A site's webhook receiver on loopback: records each post, answers `status`."""

    def __init__(self) -> None:
        self.posts: list[tuple[dict[str, str], str]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                receiver.posts.append((dict(self.headers.items()), body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/modq-events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, secret: str) -> list[dict[str, Any]]:
        """Every post's body, each verified as a receiver verifies it (signature and a
        timestamp within five minutes of now)."""
        return [Webhook(secret).verify(body, headers) for headers, body in self.posts]

    def signed(self, secret: str) -> bool:
        """Whether every post's signature is right for its id, timestamp and body (whenever
        it was sent: a test clock runs ahead)."""
        return all(
            Webhook(secret).sign(
                headers["webhook-id"],
                datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC),
                body,
            )
            == headers["webhook-signature"]
            for headers, body in self.posts
        )


class Clock:
    """A clock the test moves (from the real time: receivers check timestamps)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.server.shutdown()


@pytest.fixture
def local(settings: Settings, redis: redis_lib.Redis) -> FlaskClient:
    """The API with webhooks to loopback allowed, as a local set-up runs it."""
    app: Flask = create_app(dataclasses.replace(settings, webhook_allow_private=True), redis)
    return app.test_client()


def _set(client: FlaskClient, keys: Keys, url: str) -> dict[str, Any]:
    response = client.put("/v1/webhook", json={"url": url}, headers=keys.site("news"))
    assert response.status_code == 200, response.json
    return dict(response.json)


def _post(client: FlaskClient, keys: Keys, body: str, n: int) -> str:
    author = {"name": f"Reader {n}", "email": f"reader{n}@private-mail.example", "url": ""}
    payload = comment_body(body, author=author, ip=f"198.51.100.{n + 1}")
    response = client.post("/v1/comments", json=payload, headers=keys.site("news"))
    assert response.status_code == 202
    return str(response.json["id"])


def _sender(redis: redis_lib.Redis, clock: Callable[[], float] | None = None) -> Sender:
    return Sender(WebhookStore(redis), allow_private=True, clock=clock or Clock())


@dataclasses.dataclass
class Hooked:
    """The site "news" with its webhook pointed at a local receiver."""

    api: FlaskClient
    keys: Keys
    receiver: Receiver
    drain: Callable[..., int]
    redis: redis_lib.Redis
    secret: str = ""

    def post(self, body: str, n: int) -> str:
        return _post(self.api, self.keys, body, n)

    def health(self) -> dict[str, Any]:
        return dict(self.api.get("/v1/webhook", headers=self.keys.site("news")).json)

    def sender(self, clock: Callable[[], float] | None = None) -> Sender:
        return _sender(self.redis, clock)

    def metrics(self) -> str:
        return self.api.get("/metrics", headers=METRICS).get_data(as_text=True)


@pytest.fixture
def hooked(
    local: FlaskClient,
    keys: Keys,
    receiver: Receiver,
    drain: Callable[..., int],
    redis: redis_lib.Redis,
) -> Hooked:
    site = Hooked(local, keys, receiver, drain, redis)
    site.secret = _set(local, keys, receiver.url)["secret"]
    return site


def test_a_site_sets_sees_and_removes_its_webhook(
    local: FlaskClient, client: FlaskClient, keys: Keys, receiver: Receiver
) -> None:
    site = keys.site("news")
    assert local.get("/v1/webhook", headers=site).status_code == 404
    created = _set(local, keys, receiver.url)

    assert created["url"] == receiver.url and created["secret"].startswith("whsec_")
    shown = local.get("/v1/webhook", headers=site).json
    assert shown["url"] == receiver.url and "secret" not in shown
    assert (shown["pending"], shown["parked"], shown["delivered"]) == (0, 0, 0)
    # a new PUT replaces the URL and the secret
    assert _set(local, keys, receiver.url + "/v2")["secret"] != created["secret"]
    assert (
        local.put(
            "/v1/webhook", json={"url": receiver.url}, headers=keys.moderator("news")
        ).status_code
        == 403
    )
    assert local.delete("/v1/webhook", headers=site).status_code == 204
    assert local.delete("/v1/webhook", headers=site).status_code == 404
    # without MODQ_WEBHOOK_ALLOW_PRIVATE, loopback is refused, and so is anything not http(s)
    for url in (receiver.url, "ftp://news.example/x", "https://user:pw@news.example/x", "x"):
        refused = client.put("/v1/webhook", json={"url": url}, headers=site)
        assert refused.status_code == 422, (url, refused.json)
        assert refused.json["message"].startswith("url:")


def test_events_reach_the_receiver_signed_in_order_without_personal_data(hooked: Hooked) -> None:
    first = hooked.post("Thanks for the article about the new bridge.", 1)
    second = hooked.post("Win money now at www.win-cash.example call 0501234567", 2)
    hooked.drain(approve_below=0.0, reject_above=1.0)  # both held for a moderator
    decision, moderator = {"decision": "spam"}, hooked.keys.moderator("news")
    url = f"/v1/moderation/comments/{second}/decision"
    assert hooked.api.post(url, json=decision, headers=moderator).status_code == 200

    assert hooked.sender().run(burst=True) == 3

    events = hooked.receiver.events(hooked.secret)
    assert [(e["type"], e["data"]["id"]) for e in events] == [
        ("comment.scored", first),
        ("comment.scored", second),
        ("comment.decided", second),
    ]
    assert events[0]["data"]["status"] == "pending_review"
    assert events[0]["data"]["decided_by"] == "model" and events[0]["data"]["score"] > 0
    assert events[2]["data"]["status"] == "spam" and events[2]["data"]["decision"] == "spam"
    for headers, body in hooked.receiver.posts:
        assert "private-mail" not in body and "198.51.100" not in body and "bridge" not in body
        assert headers["webhook-id"].startswith("msg_")
    shown = hooked.health()
    assert (shown["pending"], shown["delivered"], shown["last_status"]) == (0, 3, "200")


def test_a_failed_delivery_is_retried_later_with_the_same_id(hooked: Hooked) -> None:
    hooked.post("A fair point about the budget.", 1)
    hooked.drain()
    clock, receiver = Clock(), hooked.receiver
    sender = hooked.sender(clock)
    receiver.status = 503

    assert sender.step() == 1
    shown = hooked.health()
    assert (shown["pending"], shown["attempts"], shown["last_status"]) == (1, 1, "503")
    assert 'modq_webhook_events_waiting{site="news"} 1.0' in hooked.metrics()
    assert sender.step() == 0  # not due again yet
    receiver.status = 200
    clock.now += MAX_DELAY_S
    assert sender.step() == 1

    (failed_headers, _), (ok_headers, _) = receiver.posts
    assert failed_headers["webhook-id"] == ok_headers["webhook-id"]  # receivers dedupe on it
    assert len(receiver.posts) == 2 and receiver.signed(hooked.secret)  # each signed afresh
    shown = hooked.health()
    assert (shown["pending"], shown["attempts"], shown["delivered"]) == (0, 0, 1)


def test_an_event_failing_for_a_day_is_parked_and_redelivered_on_request(
    hooked: Hooked, settings: Settings
) -> None:
    hooked.post("First comment", 1)
    hooked.post("Second comment", 2)
    hooked.drain()
    clock, receiver = Clock(), hooked.receiver
    sender = hooked.sender(clock)
    receiver.status = 500
    started = clock.now
    while clock.now - started <= RETRY_FOR_S:
        sender.step()
        clock.now += MAX_DELAY_S

    shown = hooked.health()
    assert shown["parked"] >= 1 and shown["pending"] + shown["parked"] == 2
    assert f'modq_webhook_events_parked{{site="news"}} {float(shown["parked"])}' in hooked.metrics()
    assert len(receiver.posts) >= 24  # retried for a day, about hourly at the end
    run = CliRunner(env={"REDIS_URL": settings.redis_url or ""})
    again = run.invoke(main, ["webhooks", "redeliver", "--site", "news"])
    assert again.exit_code == 0 and "queued again" in again.output
    receiver.status, before = 200, len(receiver.posts)
    clock.now += MAX_DELAY_S
    while sender.step():
        clock.now += 1
    assert len(receiver.posts) - before == 2
    shown = hooked.health()
    assert (shown["pending"], shown["parked"]) == (0, 0)


def test_a_sender_that_dies_holding_a_site_loses_nothing(hooked: Hooked) -> None:
    comment = hooked.post("Kept until delivered", 1)
    hooked.drain()
    clock = Clock()
    claimed = WebhookStore(hooked.redis).claim(clock.now, 16)  # then killed before posting
    assert [p.site for p in claimed] == ["news"]

    sender = hooked.sender(clock)
    assert sender.step() == 0  # still claimed
    clock.now += CLAIM_S + 1
    assert sender.step() == 1
    assert json.loads(hooked.receiver.posts[0][1])["data"]["id"] == comment


def test_a_receiver_dripping_its_answer_is_cut_off() -> None:
    class Drip(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            self.rfile.read(int(self.headers["Content-Length"]))
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.1)  # each byte well within TIMEOUT_S, the whole far past 1 s

    server = ThreadingHTTPServer(("127.0.0.1", 0), Drip)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        answer = post_json(url, {}, "{}", allow_private=True, total_s=1.0)
    finally:
        server.shutdown()
    assert not answer.ok and answer.error == "no answer within 1 s"


def test_a_private_address_is_refused_at_delivery_time_too() -> None:
    answer = post_json("http://127.0.0.1:9/x", {}, "{}", allow_private=False)
    assert not answer.ok and "private or local" in answer.error


@pytest.mark.parametrize(
    "address, public",
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.0.10", False),
        ("169.254.169.254", False),  # cloud metadata
        ("::1", False),
        ("::ffff:127.0.0.1", False),
        ("fd00:ec2::254", False),
        ("0.0.0.0", False),
        ("93.184.215.14", True),
        ("2606:4700:4700::1111", True),
    ],
)
def test_only_public_addresses_are_posted_to_by_default(address: str, public: bool) -> None:
    assert public_address(address) is public


def test_retries_back_off_doubling_with_jitter_up_to_an_hour() -> None:
    delays = [retry_delay(n) for n in range(1, 20)]
    assert all(d >= 0.5 * 5 for d in delays) and max(delays) <= MAX_DELAY_S
    assert retry_delay(1) <= 5 < retry_delay(3) and retry_delay(19) >= MAX_DELAY_S / 2


def test_the_removed_webhook_takes_its_waiting_events_with_it(hooked: Hooked) -> None:
    hooked.post("Never delivered", 1)
    hooked.drain()
    assert hooked.api.delete("/v1/webhook", headers=hooked.keys.site("news")).status_code == 204

    assert hooked.sender().run(burst=True) == 0
    assert hooked.receiver.posts == []


def test_a_decided_event_carries_what_the_site_may_read() -> None:
    from service.moderation.comments import (
        Author,
        Comment,
        CommentStatus,
        Decision,
        NewComment,
    )

    comment = Comment(
        id="c1",
        site="news",
        content=NewComment(Author("A", "a@private-mail.example", ""), "the body", ip="203.0.113.9"),
        created_at=1.0,
        status=CommentStatus.SPAM,
        decision=Decision.SPAM,
        decided_at=2.0,
        decided_by="mod",
    )
    event_id, body = decided_event(comment, 3.0)
    again_id, _ = decided_event(comment, 3.0)
    assert event_id.startswith("msg_") and event_id != again_id
    assert not any(s in body for s in ("private-mail", "203.0.113", "the body", 'mod"'))
    assert json.loads(body)["data"]["decision"] == "spam"


def test_an_erased_comment_is_reported_and_its_waiting_events_go_with_it(hooked: Hooked) -> None:
    erased = hooked.post("Please remove my comment later", 1)
    kept = hooked.post("Another reader's comment", 2)
    hooked.drain()  # two comment.scored events waiting
    request = {"comment_id": erased}
    response = hooked.api.post("/v1/privacy/erase", json=request, headers=hooked.keys.site("news"))
    assert response.status_code == 200 and response.json == {"erased": 1}

    hooked.sender().run(burst=True)
    events = [(e["type"], e["data"]["id"]) for e in hooked.receiver.events(hooked.secret)]
    assert events == [("comment.scored", kept), ("comment.erased", erased)]
