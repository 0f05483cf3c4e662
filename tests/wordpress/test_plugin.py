"""The WordPress plugin in real WordPress 6.1 and MariaDB from Debian, against a real
`modq serve`: readers post through the comment form, moderators decide on either side."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.debian import require
from tests.test_review_page import CHROMIUM, CHROMIUM_ARGS, needs_browser, sync_playwright
from tests.wordpress.harness import (
    ADMIN_PASSWORD,
    PACKAGES,
    Stack,
    wait_for,
)

HAM = "Is this really true? I read elsewhere that the vote was postponed."
SPAM = (
    "CHECK OUT MY CHANNEL!!! Subscribe to my channel and win a free iPhone "
    "http://bit.ly/free-iphone click here now"
)
UNSURE = "Thanks for the clear explanation of the budget vote, very helpful."
# Each test its own comment: near-copies would join one campaign, and one test's decision
# would decide the next test's comment (as it should at a real site).
PUBLISHED = {
    "spammed in wp-admin": "The council should publish the full report so we can all read it.",
    "while modq is down": "I was at the meeting and the mayor said something different.",
    "erased": "Good question, I wonder the same thing about the school budget.",
}
CAUGHT = {
    "not spam": "FREE entry to win a cash prize! Text WIN to 80086 now to claim your reward",
}
HELD = {
    "decided in modq": "Could you explain what the new parking rules mean for residents?",
    "forged events": "My grandmother lived on that street for forty years, lovely photos.",
    "missed webhook": "Thanks for the clear explanation of the new tram timetable, very helpful.",
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require(PACKAGES, "the WordPress suite")
    running = Stack(tmp_path_factory.mktemp("wordpress"))
    try:
        running.start()
        yield running
    finally:
        running.stop()


def _modq(stack: Stack, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(stack.modq_url + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_the_plugin_registers_its_receiver_with_modq(stack: Stack) -> None:
    status, hook = _modq(stack, "GET", "/v1/webhook", stack.site_key)
    assert status == 200 and hook["url"] == stack.php("echo rest_url('modq/v1/events');")
    assert stack.php("echo get_option('modq_webhook_secret');").startswith("whsec_")


def test_readers_comments_get_modqs_verdict_while_they_wait(stack: Stack) -> None:
    ham = stack.post_comment("Leyla", "leyla@mail.example", HAM)
    spam = stack.post_comment("Win Big", "promo@spam.example", SPAM)
    unsure = stack.post_comment("Murad", "murad@mail.example", UNSURE)

    assert stack.comment(ham)["approved"] == "1"
    assert stack.comment(spam)["approved"] == "spam"
    held = stack.comment(unsure)
    assert held["approved"] == "0" and held["modq_status"] == "pending_review"
    for comment_id in (ham, spam, unsure):
        modq_id = stack.comment(comment_id)["modq_id"]
        status, found = _modq(stack, "GET", f"/v1/comments/{modq_id}", stack.site_key)
        assert status == 200 and found["scored_at"] is not None


def test_a_moderators_decision_in_modq_reaches_wordpress(stack: Stack) -> None:
    held = stack.post_comment("Aysel", "aysel@mail.example", HELD["decided in modq"])
    modq_id = stack.comment(held)["modq_id"]
    path = f"/v1/moderation/comments/{modq_id}/decision"

    status, _ = _modq(stack, "POST", path, stack.moderator_token, {"decision": "approve"})
    assert status == 200
    wait_for("WordPress to publish it", lambda: stack.comment(held)["approved"] == "1", 10)


def test_spam_marked_in_wp_admin_becomes_a_modq_decision(stack: Stack) -> None:
    ham = stack.post_comment("Rashad", "rashad@mail.example", PUBLISHED["spammed in wp-admin"])
    modq_id = stack.comment(ham)["modq_id"]
    stack.php(f"wp_spam_comment({ham});")  # what wp-admin's "Spam" link calls

    status, found = _modq(stack, "GET", f"/v1/moderation/comments/{modq_id}", stack.moderator_token)
    assert status == 200 and found["status"] == "spam" and found["decided_by"] == "moderator"

    def learned() -> bool:
        _, progress = _modq(stack, "GET", "/v1/moderation/learning", stack.moderator_token)
        return bool(progress["steps"] >= 1)

    wait_for("modq to learn the decision", learned, 20)
    # the webhook's echo of that decision is not sent back as another decision
    time.sleep(1)
    assert stack.comment(ham)["approved"] == "spam"


def test_a_comment_posted_while_modq_is_down_is_held_then_sent_by_wp_cron(stack: Stack) -> None:
    stack.stop_modq()
    try:
        mails = len(stack.mails())
        held = stack.post_comment("Nigar", "nigar@mail.example", PUBLISHED["while modq is down"])
        comment = stack.comment(held)
        assert comment["approved"] == "0" and comment["unsent"] == "1" and not comment["modq_id"]
        assert stack.mails()[mails:] == []  # no "please moderate" for what modq will judge
    finally:
        stack.start_modq()
    stack.php("do_action('modq_resend');")  # what wp-cron runs

    comment = stack.comment(held)
    assert comment["unsent"] == "" and comment["modq_id"]
    wait_for("its verdict to reach WordPress", lambda: stack.comment(held)["approved"] == "1", 15)


def test_the_personal_data_eraser_erases_the_reader_in_modq(stack: Stack) -> None:
    mine = stack.post_comment("Kamran", "kamran@mail.example", PUBLISHED["erased"])
    modq_id = stack.comment(mine)["modq_id"]
    result = stack.php(
        "$erasers = apply_filters('wp_privacy_personal_data_erasers', array());"
        "$erase = $erasers['modq']['callback'];"
        "echo wp_json_encode(call_user_func($erase, 'kamran@mail.example', 1));"
    )

    assert json.loads(result)["items_removed"] is True
    status, _ = _modq(stack, "GET", f"/v1/comments/{modq_id}", stack.site_key)
    assert status == 404


def test_the_receiver_refuses_forged_stale_and_replayed_events(stack: Stack) -> None:
    held = stack.post_comment("Elvin", "elvin@mail.example", HELD["forged events"])
    modq_id = stack.comment(held)["modq_id"]
    secret = stack.php("echo get_option('modq_webhook_secret');")
    body = json.dumps(
        {"type": "comment.decided", "timestamp": "", "data": {"id": modq_id, "status": "spam"}}
    )
    url = stack.wp_url + "/index.php?rest_route=/modq/v1/events"

    def deliver(event_id: str, timestamp: int, key: str = secret) -> tuple[int, str]:
        signature = _sign(key, event_id, timestamp, body)
        headers = {
            "webhook-id": event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature,
            "Content-Type": "application/json",
        }
        request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    forged = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    assert deliver("msg_forged", int(time.time()), forged)[0] == 401
    assert deliver("msg_stale", int(time.time()) - 3600)[0] == 401
    assert stack.comment(held)["approved"] == "0"
    status, answer = deliver("msg_fresh", int(time.time()))
    assert status == 200 and json.loads(answer)["applied"] is True
    assert stack.comment(held)["approved"] == "spam"
    # Back to held in the database itself (a moderator's "Not Spam" would teach modq).
    stack.php(
        f"global $wpdb; $wpdb->update('wp_comments', array('comment_approved' => '0'),"
        f" array('comment_ID' => {held})); clean_comment_cache({held});"
    )
    status, answer = deliver("msg_fresh", int(time.time()))  # the same id again
    assert status == 200 and json.loads(answer)["applied"] is False
    assert stack.comment(held)["approved"] == "0"


def _sign(secret: str, event_id: str, timestamp: int, body: str) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{event_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def test_not_spam_in_wp_admin_teaches_modq_ham(stack: Stack) -> None:
    caught = stack.post_comment("Prize", "prize@mail.example", CAUGHT["not spam"])
    assert stack.comment(caught)["approved"] == "spam"
    modq_id = stack.comment(caught)["modq_id"]
    stack.php(f"wp_unspam_comment({caught});")  # wp-admin's "Not Spam"

    status, found = _modq(stack, "GET", f"/v1/moderation/comments/{modq_id}", stack.moderator_token)
    assert status == 200 and found["status"] == "approved" and found["decided_by"] == "moderator"


def test_a_held_comment_gets_its_decision_by_wp_cron_when_a_webhook_is_missed(
    stack: Stack,
) -> None:
    mails = len(stack.mails())
    held = stack.post_comment("Turan", "turan@mail.example", HELD["missed webhook"])
    assert stack.comment(held)["approved"] == "0"
    assert any("moderate" in mail["subject"].lower() for mail in stack.mails()[mails:])
    assert _modq(stack, "DELETE", "/v1/webhook", stack.site_key)[0] == 204  # events lost
    try:
        modq_id = stack.comment(held)["modq_id"]
        path = f"/v1/moderation/comments/{modq_id}/decision"
        assert _modq(stack, "POST", path, stack.moderator_token, {"decision": "approve"})[0] == 200
        time.sleep(1)
        assert stack.comment(held)["approved"] == "0"

        stack.php("do_action('modq_poll');")  # what wp-cron runs every five minutes
        assert stack.comment(held)["approved"] == "1"
    finally:
        stack.php("modq_register_webhook();")


def test_the_dashboard_says_what_modq_held_and_caught(stack: Stack) -> None:
    glance = stack.php("echo implode('|', apply_filters('dashboard_glance_items', array()));")
    held, caught = (int(n) for n in re.findall(r"(\d+) held for review, (\d+) caught", glance)[0])
    assert held >= 1 and caught >= 1


@needs_browser
def test_the_comment_list_shows_modqs_verdict_and_reasons(stack: Stack) -> None:
    stack.post_comment("Sevda", "sevda@mail.example", SPAM.replace("iPhone", "tablet"))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(stack.wp_url + "/wp-login.php")
        page.fill("#user_login", "admin")
        page.fill("#user_pass", ADMIN_PASSWORD)
        page.click("#wp-submit")
        page.wait_for_url("**/wp-admin/**")
        page.goto(stack.wp_url + "/wp-admin/edit-comments.php?comment_status=all")
        column = page.locator("td.column-modq").all_inner_texts()
        page.screenshot(path=str(stack.tmp / "wordpress-comments.png"))
        page.goto(stack.wp_url + "/wp-admin/edit-comments.php?comment_status=spam")
        caught = page.locator("td.column-modq").all_inner_texts()
        page.goto(stack.wp_url + "/wp-admin/options-general.php?page=modq")
        shown_url = page.input_value("#modq_url")
        page.click("text=Test connection")
        notice = page.locator(".notice").inner_text()
        browser.close()

    assert any(text.startswith("approved") for text in column)
    assert any(text.startswith("pending_review") for text in column)
    assert any(text.startswith("spam") and "link" in text for text in caught), caught
    assert shown_url == stack.modq_url and "the URL and the moderator token work" in notice
