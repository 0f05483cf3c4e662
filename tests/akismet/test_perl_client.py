"""Debian's Net::Akismet (libnet-akismet-perl), unchanged, against a real `modq serve`: its
LWP::UserAgent sends what it asks of rest.akismet.com to modq as an HTTP proxy."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.akismet.conftest import (
    HAM,
    REPORTED_HAM,
    REPORTED_SPAM,
    SPAM,
    Author,
    Modq,
    new_author,
)
from tests.debian import require

MODULE = Path("/usr/share/perl5/Net/Akismet.pm")
PACKAGE = "libnet-akismet-perl"
CLIENT = Path(__file__).with_name("client.pl")
URL = "https://news.example/"
WRONG_KEY = "abcdefabcdef"


@pytest.fixture(scope="module", autouse=True)
def net_akismet() -> None:
    require({PACKAGE: MODULE}, "the Net::Akismet suite")


@dataclass
class Run:
    """What client.pl printed: whether new() verified the key, each call's result, and
    every HTTP exchange in order."""

    verified: bool
    results: dict[str, str | None]
    http: list[dict[str, Any]]

    def exchange(self, action: str) -> list[dict[str, Any]]:
        return [e for e in self.http if e["uri"].endswith(f"/1.1/{action}")]


def run_perl(modq: Modq, key: str, calls: list[dict[str, Any]]) -> Run:
    """Run client.pl with LWP's proxy set to modq (absolute-form requests for
    rest.akismet.com, which gunicorn serves like any other)."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update({"PERL_LWP_ENV_PROXY": "1", "http_proxy": f"http://127.0.0.1:{modq.port}/"})
    done = subprocess.run(
        ["perl", str(CLIENT)],
        input=json.dumps({"key": key, "url": URL, "calls": calls}),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    [new] = [line for line in lines if line["event"] == "new"]
    results = {line["label"]: line["result"] for line in lines if line["event"] == "result"}
    return Run(new["verified"], results, [line for line in lines if line["event"] == "http"])


def comment(author: Author, body: str) -> dict[str, str]:
    """A comment as Net::Akismet's check(), spam() and ham() take it."""
    return {
        "USER_IP": author.ip,
        "COMMENT_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64)",
        "REFERRER": "https://news.example/2026/11/budget",
        "PERMALINK": "https://news.example/2026/11/budget",
        "COMMENT_TYPE": "comment",
        "COMMENT_AUTHOR": author.name,
        "COMMENT_AUTHOR_EMAIL": author.email,
        "COMMENT_CONTENT": body,
    }


def show(call: str, result: object, exchanges: list[dict[str, Any]]) -> None:
    print(f"Net::Akismet {call} -> {result!r}")
    for e in exchanges:
        answered = " ".join(
            f"{name}={e[field]}"
            for name, field in [
                ("X-akismet-guid", "guid"),
                ("X-akismet-pro-tip", "pro_tip"),
                ("X-akismet-error", "error"),
            ]
            if e[field]
        )
        print(f"    sent {e['method']} {e['uri']} (via {e['via']}) fields={','.join(e['fields'])}")
        print(f"    got {e['status']} {e['body']!r} {answered}".rstrip())


def test_new_verifies_the_key_and_a_wrong_key_gives_undef(modq: Modq) -> None:
    right = run_perl(modq, modq.key, [])
    wrong = run_perl(modq, WRONG_KEY, [])
    show("new(KEY => <modq --akismet key>)", "object" if right.verified else "undef", right.http)
    show("new(KEY => wrong 12-character key)", "object" if wrong.verified else "undef", wrong.http)

    assert right.verified and not wrong.verified
    for run, body in [(right, "valid"), (wrong, "invalid")]:
        [verify] = run.http
        assert verify["uri"] == "http://rest.akismet.com/1.1/verify-key"
        assert (verify["fields"], verify["status"], verify["body"]) == (["key", "blog"], 200, body)


def test_check_spam_and_ham(modq: Modq) -> None:
    calls = [
        {"call": "check", "label": "spam", "comment": comment(new_author(), SPAM)},
        {"call": "check", "label": "ham", "comment": comment(new_author(), HAM)},
    ]
    run = run_perl(modq, modq.key, calls)
    spam, ham = run.exchange("comment-check")
    show("check(spam)", run.results["spam"], [spam])
    show("check(ham)", run.results["ham"], [ham])

    assert run.results == {"spam": "true", "ham": "false"}
    for exchange in (spam, ham):
        # The key only in the host name: http://KEY.rest.akismet.com/1.1/comment-check.
        assert exchange["uri"] == f"http://{modq.key}.rest.akismet.com/1.1/comment-check"
        assert "api_key" not in exchange["fields"] and "key" not in exchange["fields"]
    assert ham["error"] is None
    assert modq.comment(spam["guid"])["status"] == "spam"
    assert modq.comment(ham["guid"])["status"] == "approved"


@pytest.mark.parametrize(
    "call, body, checked, status, decision",
    [
        ("spam", REPORTED_SPAM, "false", "spam", "spam"),
        ("ham", REPORTED_HAM, "true", "approved", "approve"),
    ],
)
def test_a_report_decides_the_stored_comment_and_teaches(
    modq: Modq, call: str, body: str, checked: str, status: str, decision: str
) -> None:
    author = new_author()
    first = run_perl(
        modq, modq.key, [{"call": "check", "label": "check", "comment": comment(author, body)}]
    )
    [check] = first.exchange("comment-check")
    steps = modq.learned_steps()

    report = run_perl(
        modq, modq.key, [{"call": call, "label": call, "comment": comment(author, body)}]
    )
    [submit] = report.exchange(f"submit-{call}")
    show(
        f"check({'ham' if checked == 'false' else 'spam'}, later reported)",
        first.results["check"],
        [check],
    )
    show(f"{call}(the same comment; Net::Akismet sends no guid)", report.results[call], [submit])

    assert first.results["check"] == checked and report.results[call] == "1"
    assert submit["body"] == "Thanks for making the web a better place."
    assert submit["uri"] == f"http://{modq.key}.rest.akismet.com/1.1/submit-{call}"
    assert submit["guid"] == check["guid"]  # found by its author and body
    stored = modq.comment(check["guid"])
    assert (stored["status"], stored["decided_by"], stored["decision"]) == (
        status,
        "site",
        decision,
    )
    learned = modq.wait_learned(steps)
    print(
        f"    modq: comment {check['guid']} {status} by site; learning steps {steps} -> {learned}"
    )
