"""WordPress 6.1 with its own, unmodified Akismet plugin (5.0.2, Debian's), moderated by a
real `modq serve`: the must-use plugin integrations/akismet/modq-akismet.php sends the
plugin's requests for rest.akismet.com to modq. Readers post through the comment form; the
administrator works in wp-admin as a browser does (a cookie jar, the comments page's nonces,
admin-ajax.php). What WordPress sent to modq and got back is logged by a must-use plugin of
this test's own (`http_api_debug`) and printed (`pytest -s`).
"""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from typing import Any

import pytest

from tests.debian import require
from tests.wordpress.harness import (
    ADMIN_PASSWORD,
    PACKAGES,
    SITE,
    Stack,
    http,
    wait_for,
)

# Each test its own comment (near-copies join one campaign in modq, and an author's repeated
# body is a duplicate). The first three are the texts whose verdicts a fresh modq is known to
# give (tests/test_akismet.py); the comments later tests need held are held by a rule of the
# site's (a moderation word), since the model's verdict on an uncertain text moves as it
# learns from the tests before.
SPAM = (
    "CHECK OUT MY CHANNEL!!! Subscribe to my channel and win a free iPhone "
    "http://bit.ly/free-iphone click here now"
)
HAM = "Is this really true? I read elsewhere that the vote was postponed."
HELD = "Thanks for the clear explanation of the budget vote, very helpful."
REPORTED_SPAM = "The council should publish the full report so we can all read it."
REPORTED_HAM = "FREE entry to win a cash prize! Text WIN to 80086 now to claim your reward"
DISCARDED = (
    "Congratulations!!! You have WON a FREE gift card, claim now at http://bit.ly/claim-gift-now"
)
#: The site holds every comment with this word (`modq sites set --moderation-words`).
HOLD_WORD = "roadworks"
APPROVED_IN_WP = "Will the roadworks on Station Street also close the pavement by the bakery?"
WHILE_DOWN = "How long will the roadworks near the harbour keep the ferry car park closed?"
RECHECKED = "Are the roadworks the reason the number 12 bus skipped our stop all week?"

WARMUP_SITE = "warmup.example"

# Every request WordPress makes to modq, and modq's answer, one JSON line each.
_LOG_PLUGIN = """<?php
add_action( 'http_api_debug', function ( $response, $context, $class, $args, $url ) {
	if ( 0 !== strpos( $url, MODQ_AKISMET_URL ) ) {
		return;
	}
	$line = array( 'url' => $url, 'method' => $args['method'], 'headers' => $args['headers'],
		'body' => $args['body'] );
	if ( is_wp_error( $response ) ) {
		$line['error'] = $response->get_error_message();
	} else {
		$line['status']  = wp_remote_retrieve_response_code( $response );
		$line['answer']  = wp_remote_retrieve_body( $response );
		$line['answer_headers'] = wp_remote_retrieve_headers( $response )->getAll();
	}
	file_put_contents( LOG_FILE, wp_json_encode( $line ) . "\\n", FILE_APPEND );
}, 10, 5 );
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require(PACKAGES, "the WordPress suite")
    running = Stack(tmp_path_factory.mktemp("wordpress-akismet"), akismet=True)
    try:
        running.start()
        running.modq_cli("sites", "set", "--site", SITE, "--moderation-words", HOLD_WORD)
        log = json.dumps(str(running.tmp / "akismet.jsonl"))
        plugin = running.root / "wp-content" / "mu-plugins" / "modq-test-log.php"
        plugin.write_text(_LOG_PLUGIN.replace("LOG_FILE", log))
        _warm_up(running)
        yield running
    finally:
        running.stop()


def _warm_up(stack: Stack) -> None:
    """`/readyz` answers before the scoring worker has loaded the model: wait until it has
    scored a comment (of a site of its own), so that no reader's check runs out of time."""
    key = stack.modq_cli("keys", "create", "--site", WARMUP_SITE, "--akismet")
    moderator = stack.modq_cli("keys", "create", "--site", WARMUP_SITE, "--moderator", "w")
    form = {"api_key": key, "blog": "https://warmup.example", "user_ip": "198.51.100.1"}
    check = urllib.request.Request(
        stack.modq_url + "/1.1/comment-check", urllib.parse.urlencode(form).encode()
    )
    with urllib.request.urlopen(check, timeout=30) as answer:
        guid = answer.headers["X-akismet-guid"]
    wait_for(
        "the scoring worker",
        lambda: _moderation(stack, f"comments/{guid}", moderator)["scored_at"],
        90,
    )


# What WordPress sent and got ----------------------------------------------------------------


def _exchanges(stack: Stack) -> list[dict[str, Any]]:
    """Every request WordPress made to modq, oldest first: its path, form, answer."""
    log = stack.tmp / "akismet.jsonl"
    lines = log.read_text().splitlines() if log.exists() else []
    found = []
    for line in lines:
        entry = json.loads(line)
        body = entry["body"] if isinstance(entry["body"], str) else ""
        entry["path"] = urllib.parse.urlsplit(entry["url"]).path
        entry["sent"] = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
        entry["got"] = {k.lower(): v for k, v in (entry.get("answer_headers") or {}).items()}
        found.append(entry)
    return found


def _since(stack: Stack, mark: int, show: str) -> list[dict[str, Any]]:
    """The exchanges after the first `mark`, printed under the heading `show`."""
    new = _exchanges(stack)[mark:]
    print(f"\n== {show}")
    for entry in new:
        sent = entry["sent"]
        fields = {
            k: sent[k]
            for k in ("key", "comment_author", "comment_content", "user_ip", "recheck_reason")
            if k in sent
        }
        print(f"  WordPress -> {entry['method']} {entry['path']}  {len(sent)} fields, {fields}")
        if "error" in entry:
            print(f"  <- error: {entry['error']}")
        else:
            akismet = {k: v for k, v in entry["got"].items() if k.startswith("x-akismet")}
            print(f"  <- {entry['status']} {entry['answer']!r} {akismet}")
    return new


def _guid(exchanges: list[dict[str, Any]], body: str) -> str:
    """modq's id of a comment, as modq's answer to WordPress's comment-check gave it."""
    guids = [
        e["got"]["x-akismet-guid"]
        for e in exchanges
        if e["path"] == "/1.1/comment-check"
        and e["sent"].get("comment_content") == body
        and "x-akismet-guid" in e["got"]
    ]
    assert guids, exchanges
    return str(guids[-1])


# modq, as its moderators see it --------------------------------------------------------------


def _moderation(stack: Stack, path: str, token: str = "") -> Any:
    request = urllib.request.Request(stack.modq_url + "/v1/moderation/" + path)
    request.add_header("Authorization", f"Bearer {token or stack.moderator_token}")
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def _steps(stack: Stack) -> int:
    return int(_moderation(stack, "learning")["steps"])


def _queued(stack: Stack) -> list[str]:
    return [item["id"] for item in _moderation(stack, "queue")["items"]]


# WordPress ---------------------------------------------------------------------------------


def _comment(stack: Stack, comment_id: int) -> dict[str, Any]:
    """A comment's status in WordPress, and the Akismet plugin's history events of it,
    oldest first."""
    out = stack.php(
        f"$c = get_comment({comment_id});"
        "echo wp_json_encode(array('approved' => $c ? $c->comment_approved : null,"
        f" 'result' => get_comment_meta({comment_id}, 'akismet_result', true),"
        f" 'error' => get_comment_meta({comment_id}, 'akismet_error', true),"
        f" 'history' => array_reverse(wp_list_pluck("
        f"Akismet::get_comment_history({comment_id}) ?: array(), 'event'))));"
    )
    return dict(json.loads(out))


class Admin:
    """wp-admin as the administrator's browser uses it: logged in through wp-login.php with
    a cookie jar, the links' nonces from the comments page, requests to admin-ajax.php."""

    def __init__(self, stack: Stack) -> None:
        self.url = stack.wp_url
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.open("/wp-login.php")  # WordPress's test cookie
        self.open(
            "/wp-login.php",
            {"log": "admin", "pwd": ADMIN_PASSWORD, "wp-submit": "Log In", "testcookie": "1"},
        )
        assert any(c.name.startswith("wordpress_logged_in_") for c in self.jar)

    def open(self, path: str, form: dict[str, str] | None = None) -> str:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        with self.opener.open(self.url + path, data, timeout=60) as answer:
            return str(answer.read().decode(errors="replace"))

    def nonce(self, comment_id: int, action: str) -> str:
        """The nonce of the comment's `action` link (spamcomment, approvecomment, ...), which
        wp-admin's JavaScript sends as `_ajax_nonce`."""
        link = re.compile(rf"c={comment_id}&#038;action={action}&#038;_wpnonce=([0-9a-f]+)")
        for status in ("all", "spam"):
            found = link.search(self.open(f"/wp-admin/edit-comments.php?comment_status={status}"))
            if found:
                return found.group(1)
        raise AssertionError(f"no {action} link for comment {comment_id}")

    def ajax(self, **form: str) -> str:
        return self.open("/wp-admin/admin-ajax.php", form)

    def _comment_action(self, **form: str) -> None:
        answer = self.ajax(**form)
        assert "<wp_ajax>" in answer, answer  # else -1 (refused) or 0

    def spam(self, comment_id: int) -> None:
        """The "Spam" link under a comment."""
        nonce = self.nonce(comment_id, "spamcomment")
        self._comment_action(
            action="delete-comment", id=str(comment_id), spam="1", _ajax_nonce=nonce
        )

    def not_spam(self, comment_id: int) -> None:
        """The "Not Spam" link under a comment in the Spam list."""
        nonce = self.nonce(comment_id, "unspamcomment")
        self._comment_action(
            action="delete-comment", id=str(comment_id), unspam="1", _ajax_nonce=nonce
        )

    def approve(self, comment_id: int) -> None:
        """The "Approve" link under a pending comment."""
        nonce = self.nonce(comment_id, "approvecomment")
        self._comment_action(
            action="dim-comment", id=str(comment_id), new="approved", _ajax_nonce=nonce
        )


@pytest.fixture(scope="module")
def admin(stack: Stack) -> Admin:
    return Admin(stack)


# Tests -------------------------------------------------------------------------------------


def test_the_plugins_key_check_passes_with_the_modq_key_only(stack: Stack) -> None:
    mark = len(_exchanges(stack))
    key = json.dumps(stack.akismet_key)
    good = stack.php(f"echo Akismet::verify_key({key});")
    wrong = stack.php("echo Akismet::verify_key('abcdefabcdef');")
    short = stack.php("echo Akismet::verify_key('abcdef');")  # refused without a request
    # Settings -> Akismet's connectivity check names one of rest.akismet.com's addresses in
    # the URL and the host in the Host header: modq-akismet.php sends that to modq too
    by_address = stack.php(f"echo Akismet::verify_key({key}, '192.0.2.1');")

    sent = _since(stack, mark, "verify-key with the modq key, a wrong one, by address")
    assert (good, wrong, short, by_address) == ("valid", "invalid", "invalid", "valid")
    assert [e["url"] for e in sent] == [stack.modq_url + "/1.1/verify-key"] * 3
    # the plugin adds its stored key as api_key to every request, the key to check as key
    keys = [stack.akismet_key, "abcdefabcdef", stack.akismet_key]
    assert [e["sent"]["key"] for e in sent] == keys
    assert all(e["sent"]["api_key"] == stack.akismet_key for e in sent)
    assert not any(name.lower() == "host" for e in sent for name in e["headers"])


def test_requests_for_other_hosts_are_left_alone(stack: Stack) -> None:
    mark = len(_exchanges(stack))
    answer = stack.php(
        "$r = wp_remote_post('http://127.0.0.1:9/1.1/verify-key', array('body' => 'key=x'));"
        "echo is_wp_error($r) ? $r->get_error_code() : wp_remote_retrieve_response_code($r);"
    )

    assert answer == "http_request_failed" and _exchanges(stack)[mark:] == []


@pytest.mark.parametrize(
    "body, answer, approved, status, mail",
    [
        (SPAM, "true", "spam", "spam", None),
        (HAM, "false", "1", "approved", "Comment:"),
        (HELD, "false", "0", "pending_review", "Please moderate:"),
    ],
    ids=["spam", "ham", "held"],
)
def test_a_readers_comment_gets_modqs_verdict_through_akismet(
    stack: Stack, body: str, answer: str, approved: str, status: str, mail: str | None
) -> None:
    mark, mails = len(_exchanges(stack)), len(stack.mails())
    comment_id = stack.post_comment("Reader", f"{status}@mail.example", body)

    sent = _since(stack, mark, f"a reader's comment ({status} in modq)")
    assert [e["path"] for e in sent] == ["/1.1/comment-check"]
    got = sent[0]
    assert got["sent"]["comment_content"] == body and got["sent"]["user_ip"] == "127.0.0.1"
    assert (got["status"], got["answer"]) == (200, answer)
    assert ("x-akismet-error" in got["got"]) is (status == "pending_review")
    wordpress = _comment(stack, comment_id)
    assert wordpress["approved"] == approved
    # Akismet's history says "cleared" (check-ham) of the held comment too: its body is false
    assert wordpress["history"] == ["check-spam" if answer == "true" else "check-ham"]
    modq = _moderation(stack, f"comments/{_guid(sent, body)}")
    assert modq["status"] == status and modq["scored_at"] is not None
    assert (modq["id"] in _queued(stack)) is (status == "pending_review")
    subjects = [m["subject"] for m in stack.mails()[mails:]]
    assert len(subjects) == (1 if mail else 0) and all(mail in s for s in subjects), subjects


def test_spam_in_wp_admin_is_submit_spam_and_the_sites_decision_in_modq(
    stack: Stack, admin: Admin
) -> None:
    mark = len(_exchanges(stack))
    comment_id = stack.post_comment("Rashad", "rashad@mail.example", REPORTED_SPAM)
    assert _comment(stack, comment_id)["approved"] == "1"
    steps = _steps(stack)

    admin.spam(comment_id)

    sent = _since(stack, mark, '"Spam" in wp-admin on a published comment')
    assert [e["path"] for e in sent] == ["/1.1/comment-check", "/1.1/submit-spam"]
    report = sent[1]
    assert report["sent"]["comment_content"] == REPORTED_SPAM and "guid" not in report["sent"]
    assert report["answer"] == "Thanks for making the web a better place."
    guid = _guid(sent, REPORTED_SPAM)
    assert report["got"]["x-akismet-guid"] == guid  # found by its author and body
    assert _comment(stack, comment_id) == {
        "approved": "spam",
        "result": "false",
        "error": "",
        "history": ["check-ham", "report-spam"],
    }
    modq = _moderation(stack, f"comments/{guid}")
    assert (modq["status"], modq["decided_by"]) == ("spam", "site")
    wait_for("modq to learn the decision", lambda: _steps(stack) > steps, 20)


def test_not_spam_in_wp_admin_is_submit_ham_and_approves_it_in_modq(
    stack: Stack, admin: Admin
) -> None:
    mark = len(_exchanges(stack))
    comment_id = stack.post_comment("Prize", "prize@mail.example", REPORTED_HAM)
    assert _comment(stack, comment_id)["approved"] == "spam"
    steps = _steps(stack)

    admin.not_spam(comment_id)

    sent = _since(stack, mark, '"Not Spam" in wp-admin on a caught comment')
    assert [e["path"] for e in sent] == ["/1.1/comment-check", "/1.1/submit-ham"]
    guid = _guid(sent, REPORTED_HAM)
    assert sent[1]["got"]["x-akismet-guid"] == guid
    # WordPress moves a comment out of Spam to Pending, not Approved; modq approves it
    wordpress = _comment(stack, comment_id)
    assert wordpress["approved"] == "0" and wordpress["history"] == ["check-spam", "report-ham"]
    modq = _moderation(stack, f"comments/{guid}")
    assert (modq["status"], modq["decided_by"]) == ("approved", "site")
    wait_for("modq to learn the decision", lambda: _steps(stack) > steps, 20)


def test_approving_a_held_comment_in_wp_admin_does_not_reach_modq(
    stack: Stack, admin: Admin
) -> None:
    mark = len(_exchanges(stack))
    comment_id = stack.post_comment("Gulnar", "gulnar@mail.example", APPROVED_IN_WP)
    assert _comment(stack, comment_id)["approved"] == "0"
    checked = len(_exchanges(stack))

    admin.approve(comment_id)

    _since(stack, mark, '"Approve" in wp-admin on a held comment')
    assert _comment(stack, comment_id)["approved"] == "1"
    assert len(_exchanges(stack)) == checked  # Akismet reports only spam and not spam
    guid = _guid(_exchanges(stack), APPROVED_IN_WP)
    assert _moderation(stack, f"comments/{guid}")["status"] == "pending_review"
    assert guid in _queued(stack)


def test_obvious_spam_is_discarded_when_akismet_is_strict(stack: Stack) -> None:
    # "Silently discard the worst spam": what Settings -> Akismet stores when first shown
    stack.php("update_option('akismet_strictness', '1');")
    try:
        mark, before = len(_exchanges(stack)), stack.count()
        status, _ = http(
            "POST",
            stack.wp_url + "/wp-comments-post.php",
            {"comment_post_ID": "1", "author": "Winner", "email": "win@spam.example"}
            | {"comment": DISCARDED, "submit": "Post Comment"},
        )
        sent = _since(stack, mark, "obvious spam, Akismet set to discard it")
    finally:
        stack.php("update_option('akismet_strictness', '0');")

    assert status == 302 and stack.count() == before  # sent back, nothing stored
    assert sent[0]["answer"] == "true" and sent[0]["got"]["x-akismet-pro-tip"] == "discard"
    assert _moderation(stack, f"comments/{_guid(sent, DISCARDED)}")["status"] == "spam"


def test_while_modq_is_down_a_comment_is_held_until_modqs_moderator_decides(
    stack: Stack,
) -> None:
    mark, mails = len(_exchanges(stack)), len(stack.mails())
    stack.stop_modq()
    try:
        comment_id = stack.post_comment("Nigar", "nigar@mail.example", WHILE_DOWN)
        held = _comment(stack, comment_id)
        assert held["approved"] == "0" and held["error"] and held["history"] == ["check-error"]
        assert stack.mails()[mails:] == []  # no "please moderate" for what will be rechecked
    finally:
        stack.start_modq()
    _warm_up(stack)
    stack.php("do_action('akismet_schedule_cron_recheck');")  # what wp-cron runs (20 min)

    sent = _since(stack, mark, "a comment while modq is down, then wp-cron's recheck")
    assert [e["path"] for e in sent][:3] == ["/1.1/comment-check"] * 3  # https, again, http
    assert all("error" in e for e in sent[:3])
    assert [e["path"] for e in sent][3:] == ["/1.1/verify-key", "/1.1/comment-check"]
    recheck = sent[-1]
    assert recheck["sent"]["recheck_reason"] == "retry"
    # modq holds it: on this recheck, which would publish on "false", the answer is neither
    assert recheck["answer"] == "held" and "x-akismet-error" in recheck["got"]
    rechecked = _comment(stack, comment_id)
    assert rechecked["approved"] == "0" and rechecked["error"]
    guid = _guid(sent, WHILE_DOWN)
    assert _moderation(stack, f"comments/{guid}")["status"] == "pending_review"

    # A moderator approves it in modq; the next recheck finds it (no copy) and publishes it.
    _decide(stack, guid, "approve")
    mark = len(_exchanges(stack))
    stack.php("do_action('akismet_schedule_cron_recheck');")

    again = _since(stack, mark, "wp-cron's recheck after modq's moderator approved it")
    assert [e["answer"] for e in again if e["path"] == "/1.1/comment-check"] == ["false"]
    assert again[-1]["got"]["x-akismet-guid"] == guid
    published = _comment(stack, comment_id)
    assert published["approved"] == "1" and published["history"][-1] == "cron-retry-ham"


def _decide(stack: Stack, comment_id: str, decision: str) -> None:
    request = urllib.request.Request(
        f"{stack.modq_url}/v1/moderation/comments/{comment_id}/decision",
        data=json.dumps({"decision": decision}).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {stack.moderator_token}",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200


def test_check_for_spam_leaves_a_held_comment_held(stack: Stack, admin: Admin) -> None:
    comment_id = stack.post_comment("Elvin", "elvin@mail.example", RECHECKED)
    assert _comment(stack, comment_id)["approved"] == "0"
    mark = len(_exchanges(stack))
    page = admin.open("/wp-admin/edit-comments.php?comment_status=moderated")
    nonce = re.search(r'class="[^"]*checkforspam[^"]*"[^>]*data-nonce="([0-9a-f]+)"', page)
    assert nonce, "no Check for Spam button"

    admin.ajax(action="akismet_recheck_queue", offset="0", limit="100", nonce=nonce.group(1))

    sent = [
        e
        for e in _since(stack, mark, '"Check for Spam" in wp-admin')
        if e["sent"].get("comment_content") == RECHECKED
    ]
    assert [e["sent"]["recheck_reason"] for e in sent] == ["recheck_queue"]
    assert _comment(stack, comment_id)["approved"] == "0"
    assert sent[0]["got"]["x-akismet-guid"] == _guid(_exchanges(stack)[:mark], RECHECKED)


def test_the_key_is_entered_in_settings_akismet_as_any_akismet_key(
    stack: Stack, admin: Admin
) -> None:
    page = "/wp-admin/options-general.php?page=akismet-key-config"
    key = stack.akismet_key
    stack.php("delete_option('wordpress_api_key');")
    try:
        form = admin.open(page)
        nonce = re.search(r'name="_wpnonce" value="([0-9a-f]+)"', form)
        assert nonce, "no key form on Settings -> Akismet"
        mark = len(_exchanges(stack))

        saved = admin.open(page, {"action": "enter-key", "key": key, "_wpnonce": nonce.group(1)})

        sent = _since(stack, mark, "the key entered in Settings -> Akismet")
        assert stack.php("echo get_option('wordpress_api_key');") == key
        paths = [e["path"] for e in sent]
        assert {"/1.1/verify-key", "/1.1/get-subscription", "/1.1/get-stats"} <= set(paths)
        assert all(e["status"] == 200 for e in sent if "status" in e)
        assert "Akismet is now protecting your site from spam" in saved
        assert "connect to the Akismet servers" not in saved
        # the page's figures are modq's: what it calls spam blocked is get-stats' spam
        stats = next(e for e in sent if e["path"] == "/1.1/get-stats")
        if json.loads(stats["answer"])["spam"]:
            assert "Spam blocked" in saved
    finally:
        stack.php(f"update_option('wordpress_api_key', {json.dumps(key)});")
