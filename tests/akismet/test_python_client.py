"""`akismet` from PyPI (akismet.py 25.10.1, SyncClient and AsyncClient), unchanged, against
a real `modq serve`: only its HTTP client's transport sends to modq what it asks of
https://rest.akismet.com."""

from __future__ import annotations

import asyncio
import csv
import io
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import akismet
import httpx
import pytest

from tests.akismet.conftest import (
    BLOG,
    HAM,
    REPORTED_HAM,
    REPORTED_SPAM,
    SITE,
    SPAM,
    SPAM_ASYNC,
    Author,
    Modq,
    new_author,
)

AKISMET = "rest.akismet.com"
WRONG_KEY = "abcdefabcdef"
SPAMMY = {akismet.CheckResponse.SPAM, akismet.CheckResponse.DISCARD}


@dataclass
class Exchange:
    """One request the client made and modq's answer, as they went over the wire."""

    method: str
    path: str
    host: str
    sent: dict[str, str]
    status: int
    body: str
    headers: dict[str, str]

    @property
    def guid(self) -> str:
        return self.headers.get("x-akismet-guid", "")

    def line(self) -> str:
        answered = " ".join(f"{k}={v}" for k, v in self.headers.items())
        body = self.body if len(self.body) <= 160 else self.body[:160] + "..."
        return (
            f"    sent {self.method} {self.path} Host={self.host} fields={','.join(self.sent)}"
            f"\n    got {self.status} {body!r} {answered}".rstrip()
        )


@dataclass
class Wire:
    """Every exchange of one test module, in order."""

    exchanges: list[Exchange] = field(default_factory=list)

    def since(self, start: int) -> list[Exchange]:
        return self.exchanges[start:]

    def record(self, request: httpx.Request, response: httpx.Response) -> None:
        raw = request.url.query if request.method == "GET" else request.content
        sent = dict(urllib.parse.parse_qsl(raw.decode(), keep_blank_values=True))
        headers = {k.lower(): v for k, v in response.headers.items() if k.lower().startswith("x-")}
        self.exchanges.append(
            Exchange(
                request.method,
                request.url.path,
                request.headers["Host"],
                sent,
                response.status_code,
                response.text,
                headers,
            )
        )


def _to_modq(request: httpx.Request, modq: Modq, key: str) -> httpx.Request:
    """The client's request to https://rest.akismet.com/..., sent to modq instead: the same
    method, path, query, headers and body, with the key as the host name's first label.

    The host form is needed: akismet.py's `key_sites()` sends no `api_key` at all (Akismet
    itself takes the key from `<key>.rest.akismet.com`), while its other calls send it in
    the form or the query too."""
    assert (request.url.scheme, request.url.host) == ("https", AKISMET), request.url
    headers = [(k, v) for k, v in request.headers.raw if k.lower() != b"host"]
    headers.append((b"Host", f"{key}.{AKISMET}".encode()))
    url = httpx.URL(modq.url).copy_with(raw_path=request.url.raw_path)
    return httpx.Request(request.method, url, headers=headers, content=request.read())


class ToModq(httpx.BaseTransport):
    def __init__(self, modq: Modq, key: str, wire: Wire) -> None:
        self._modq, self._key, self._wire = modq, key, wire
        self._http = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        forwarded = _to_modq(request, self._modq, self._key)
        response = self._http.handle_request(forwarded)
        response.read()  # the client reads the same, already read, response
        self._wire.record(forwarded, response)
        return response

    def close(self) -> None:
        self._http.close()


class AsyncToModq(httpx.AsyncBaseTransport):
    def __init__(self, modq: Modq, key: str, wire: Wire) -> None:
        self._modq, self._key, self._wire = modq, key, wire
        self._http = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        forwarded = _to_modq(request, self._modq, self._key)
        response = await self._http.handle_async_request(forwarded)
        await response.aread()
        self._wire.record(forwarded, response)
        return response

    async def aclose(self) -> None:
        await self._http.aclose()


def _http_client(transport: httpx.BaseTransport) -> httpx.Client:
    return httpx.Client(
        transport=transport, timeout=5.0, headers={"User-Agent": akismet.USER_AGENT}
    )


@pytest.fixture(scope="module")
def wire() -> Wire:
    return Wire()


@pytest.fixture(scope="module")
def client(modq: Modq, wire: Wire) -> Iterator[akismet.SyncClient]:
    http = _http_client(ToModq(modq, modq.key, wire))
    yield akismet.SyncClient(config=akismet.Config(key=modq.key, url=BLOG), http_client=http)
    http.close()


def comment(author: Author, body: str) -> dict[str, Any]:
    """The comment-check arguments of a comment, as a site would send them."""
    return {
        "user_ip": author.ip,
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
        "referrer": f"{BLOG}/2026/11/budget",
        "permalink": f"{BLOG}/2026/11/budget",
        "comment_type": "comment",
        "comment_author": author.name,
        "comment_author_email": author.email,
        "comment_content": body,
        "blog_lang": "en_US",
        "blog_charset": "UTF-8",
    }


def show(call: str, result: object, exchanges: list[Exchange]) -> None:
    print(f"akismet.py {call} -> {result!r}")
    for exchange in exchanges:
        print(exchange.line())


def only(exchanges: list[Exchange]) -> Exchange:
    assert len(exchanges) == 1, exchanges
    return exchanges[0]


def test_verify_key(modq: Modq, client: akismet.SyncClient, wire: Wire) -> None:
    start = len(wire.exchanges)
    valid = client.verify_key()
    show("verify_key()", valid, wire.since(start))

    wrong_wire = Wire()
    with _http_client(ToModq(modq, WRONG_KEY, wrong_wire)) as http:
        wrong = akismet.SyncClient(config=akismet.Config(key=WRONG_KEY, url=BLOG), http_client=http)
        invalid = wrong.verify_key()
        show("verify_key() with a wrong 12-character key", invalid, wrong_wire.exchanges)
        with pytest.raises(akismet.APIKeyError):  # what its other calls do with it
            wrong.comment_check(**comment(new_author(), HAM))
        show("comment_check() with it", "APIKeyError", wrong_wire.since(1))

    assert valid is True and invalid is False
    assert only(wire.since(start)).sent == {"key": modq.key, "blog": BLOG}
    assert [e.body for e in wrong_wire.exchanges] == ["invalid", "invalid"]


def test_comment_check_spam(modq: Modq, client: akismet.SyncClient, wire: Wire) -> None:
    start = len(wire.exchanges)
    result = client.comment_check(**comment(new_author(), SPAM))
    exchange = only(wire.since(start))
    show("comment_check(spam)", result, [exchange])

    assert result in SPAMMY
    assert exchange.sent["api_key"] == modq.key and exchange.body == "true"
    stored = modq.comment(exchange.guid)
    assert (stored["status"], stored["decided_by"], stored["body"]) == ("spam", "model", SPAM)
    discard = exchange.headers.get("x-akismet-pro-tip") == "discard"
    assert (result is akismet.CheckResponse.DISCARD) is discard
    assert discard is (stored["score"] >= 0.999)


def test_comment_check_ham(modq: Modq, client: akismet.SyncClient, wire: Wire) -> None:
    start = len(wire.exchanges)
    result = client.comment_check(**comment(new_author(), HAM))
    exchange = only(wire.since(start))
    show("comment_check(ham)", result, [exchange])

    assert result is akismet.CheckResponse.HAM
    assert exchange.body == "false" and "x-akismet-error" not in exchange.headers
    assert modq.comment(exchange.guid)["status"] == "approved"


def test_submit_spam_decides_the_stored_comment_and_teaches(
    modq: Modq, client: akismet.SyncClient, wire: Wire
) -> None:
    author = new_author()
    start = len(wire.exchanges)
    checked = client.comment_check(**comment(author, REPORTED_SPAM))
    check = only(wire.since(start))
    steps = modq.learned_steps()

    start = len(wire.exchanges)
    submitted = client.submit_spam(**comment(author, REPORTED_SPAM))
    submit = only(wire.since(start))
    show("comment_check(ham, later reported)", checked, [check])
    show("submit_spam(the same comment, no guid)", submitted, [submit])

    assert checked is akismet.CheckResponse.HAM and submitted is True
    assert submit.path == "/1.1/submit-spam" and submit.guid == check.guid
    stored = modq.comment(check.guid)
    assert (stored["status"], stored["decided_by"], stored["decision"]) == ("spam", "site", "spam")
    learned = modq.wait_learned(steps)
    print(f"    modq: comment {check.guid} spam by site; learning steps {steps} -> {learned}")


def test_submit_ham_decides_the_stored_comment_and_teaches(
    modq: Modq, client: akismet.SyncClient, wire: Wire
) -> None:
    author = new_author()
    start = len(wire.exchanges)
    checked = client.comment_check(**comment(author, REPORTED_HAM))
    check = only(wire.since(start))
    steps = modq.learned_steps()

    start = len(wire.exchanges)
    submitted = client.submit_ham(**comment(author, REPORTED_HAM))
    submit = only(wire.since(start))
    show("comment_check(spam, later reported)", checked, [check])
    show("submit_ham(the same comment, no guid)", submitted, [submit])

    assert checked in SPAMMY and submitted is True
    assert submit.path == "/1.1/submit-ham" and submit.guid == check.guid
    stored = modq.comment(check.guid)
    assert (stored["status"], stored["decided_by"], stored["decision"]) == (
        "approved",
        "site",
        "approve",
    )
    learned = modq.wait_learned(steps)
    print(f"    modq: comment {check.guid} approved by site; learning steps {steps} -> {learned}")


def test_async_client_comment_check(modq: Modq, wire: Wire) -> None:
    async def check() -> akismet.CheckResponse:
        async with httpx.AsyncClient(
            transport=AsyncToModq(modq, modq.key, wire),
            timeout=5.0,
            headers={"User-Agent": akismet.USER_AGENT},
        ) as http:
            config = akismet.Config(key=modq.key, url=BLOG)
            async_client = akismet.AsyncClient(config=config, http_client=http)
            assert await async_client.verify_key() is True
            return await async_client.comment_check(**comment(new_author(), SPAM_ASYNC))

    start = len(wire.exchanges)
    result = asyncio.run(check())
    exchanges = wire.since(start)
    show("AsyncClient verify_key(), comment_check(spam)", result, exchanges)

    assert result in SPAMMY
    assert [e.path for e in exchanges] == ["/1.1/verify-key", "/1.1/comment-check"]
    assert modq.comment(exchanges[1].guid)["status"] == "spam"


def test_key_sites_and_usage_limit_carry_the_sites_real_counts(
    modq: Modq, client: akismet.SyncClient, wire: Wire
) -> None:
    client.comment_check(**comment(new_author(), HAM + " Really."))  # at least one
    checks = [e for e in wire.exchanges if e.path == "/1.1/comment-check"]
    modq.wait_scored({e.guid for e in wire.exchanges if e.guid})
    month = modq.month()  # what modq's own moderator API says
    start = len(wire.exchanges)

    sites = client.key_sites()
    table = client.key_sites(result_format="csv")
    usage = client.usage_limit()
    show("key_sites()", sites, wire.since(start)[:1])
    show('key_sites(result_format="csv")', table, wire.since(start)[1:2])
    show("usage_limit()", usage, wire.since(start)[2:])

    assert "api_key" not in wire.since(start)[0].sent  # the key went in the host name only
    # What the client was told, comment by comment, is what the month's figures count.
    received = len({e.guid for e in wire.exchanges if e.guid})
    assert received == len(checks) == month["received"]
    row = {
        "site": SITE,
        "api_calls": received,
        "spam": sum(e.body == "true" for e in checks),
        "ham": sum(e.body == "false" and "x-akismet-error" not in e.headers for e in checks),
        "missed_spam": sum(e.path == "/1.1/submit-spam" for e in wire.exchanges),
        "false_positives": sum(e.path == "/1.1/submit-ham" for e in wire.exchanges),
        "is_revoked": False,
    }
    assert row["spam"] == month["spam"] + month["rejected"] and row["ham"] == month["approved"]
    assert (row["missed_spam"], row["false_positives"]) == (
        month["missed_spam"],
        month["false_positives"],
    )
    this_month = f"{datetime.now(UTC):%Y-%m}"
    assert isinstance(sites, dict)
    assert sites == {this_month: [row], "limit": 500, "offset": 0, "total": 1}
    assert isinstance(table, str)
    lines = list(csv.reader(io.StringIO(table)))
    assert lines[0][0].startswith("Active sites for ") and this_month in lines[0][0]
    assert lines[1] == [
        "Site",
        "Total API Calls",
        "Spam",
        "Ham",
        "Missed Spam",
        "False Positives",
        "Is Revoked",
    ]
    assert lines[2:] == [[SITE, *(str(v) for v in list(row.values())[1:6]), "false"]]
    assert usage == {"limit": "none", "usage": received, "percentage": "0", "throttled": False}
