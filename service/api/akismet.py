"""Akismet's REST API (Automattic/akismet-api, spec.yml), answered by modq: form-encoded
requests, plain-text answers, so that an existing Akismet client only changes its host.

The key is a modq site key, in either form (`modq keys create --site S --akismet` makes the
12-character one WordPress's Akismet plugin insists on), sent as `api_key`/`key` or as the
first label of the host name. docs/akismet.md says what maps to what. The figures' routes
(usage-limit, key-sites, get-stats) are in akismet_figures.py, on this blueprint.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from flask import Blueprint, Response, request
from marshmallow import EXCLUDE, Schema, ValidationError, validate
from werkzeug.exceptions import HTTPException

from service.api.comments import scored_in_time
from service.api.context import services
from service.api.errors import domain_error
from service.api.limits import RateLimited, client_address
from service.api.schemas import COMMENT_ID, LANG, Text, valid_ip
from service.moderation.access import Principal
from service.moderation.comments import (
    Author,
    CommentStatus,
    Decision,
    FormEvidence,
    NewComment,
)
from service.moderation.errors import AuthenticationError, ModqError, StorageUnavailableError

log = logging.getLogger("modq.api")

# A plain Flask blueprint outside flask-smorest's Api: these answers are Akismet's plain
# text, not modq's JSON, and Akismet's own spec documents them.
blp = Blueprint("akismet", __name__)

THANKS = "Thanks for making the web a better place."
#: P(spam) from which spam comes with `X-akismet-pro-tip: discard` (safe to drop unseen).
DISCARD_FROM = 0.999
#: What comes with a comment modq holds for review: `false` and this header, which makes
#: WordPress's Akismet plugin hold the comment (docs/akismet.md).
HELD_HEADER = "X-akismet-error"
HELD = "held for review by modq's moderators"
#: The body for a held comment on WordPress's `retry` recheck: neither `true` nor `false`.
HELD_BODY = "held"
RETRY = "retry"
#: The roles whose comments Akismet never calls spam.
_TRUSTED_ROLES = {"administrator"}
_KEY_IN_HOST = re.compile(r"^([A-Za-z0-9_-]{12,70})\.")
_LOCALE = re.compile(r"[_\s]")


class CommentForm(Schema):
    """The Akismet fields modq reads; every other field (the WordPress plugin's `POST_*` and
    `HTTP_*`, `comment_date_gmt`, `blog_charset`, ...) is accepted and ignored."""

    class Meta:
        unknown = EXCLUDE

    blog = Text(2048, blank=False, required=True)
    user_ip = Text(45, load_default="", validate=valid_ip)  # required by comment-check
    user_agent = Text(1024, load_default="")
    referrer = Text(2048, load_default="")
    permalink = Text(2048, load_default="")
    comment_author = Text(245, load_default="", strip_invisible=True)
    comment_author_email = Text(100, load_default="")
    comment_author_url = Text(200, load_default="")
    comment_content = Text(65_525, load_default="")
    blog_lang = Text(200, load_default="")
    user_role = Text(200, load_default="")
    honeypot_field_name = Text(200, load_default="")
    recheck_reason = Text(200, load_default="")
    guid = Text(32, load_default="", validate=validate.Regexp(COMMENT_ID))


_COMMENT_FORM = CommentForm()


class Invalid(Exception):
    """The key is missing, unknown or revoked: Akismet's `invalid`."""


@blp.route("/1.1/verify-key", methods=["POST"])
def verify_key() -> Response:
    """`valid` for a live modq site key (the `blog` is not checked: a key names its site).
    The key verified is `key` when sent: WordPress's Akismet plugin sends the key to verify
    as `key` and adds its stored key as `api_key` to every request."""
    site_of(request.values.get("key", ""))
    return text("valid")


@blp.route("/1.1/test", methods=["GET", "POST"])
def connectivity() -> Response:
    """`connected`: what WordPress's Akismet settings page asks to show it can reach us."""
    return text("connected")


@blp.route("/1.1/get-subscription", methods=["POST"])
def get_subscription() -> Response:
    """The key's account as WordPress's Akismet settings page reads it: active, no limit."""
    principal = site_of(request.values.get("key", ""))
    return as_json(
        {
            "status": "active",
            "account_type": "modq",
            "account_name": "modq",
            "user_login": principal.site,
            "user_email": "",
            "limit_reached": False,
        }
    )


@blp.route("/1.1/deactivate", methods=["POST"])
def deactivate() -> Response:
    """`deactivated`: the plugin says so when its key is removed (modq keeps the key: revoke
    it with `modq keys revoke`)."""
    site_of(request.values.get("key", ""))
    return text("deactivated")


@blp.route("/1.1/comment-check", methods=["POST"])
def comment_check() -> Response:
    """Store and score the comment like any other, and answer from its verdict. A recheck
    (`recheck_reason`) of a comment modq has answers from that comment as it stands now,
    moderators' decisions included, and stores no copy."""
    principal, (content, form) = site_of(), _comment()
    if not content.ip:
        raise _BadForm("Missing required field: user_ip.")
    wired = services()
    recheck = form["recheck_reason"].strip()
    comment = wired.moderation.reported(principal, content, form["guid"]) if recheck else None
    if comment is None:
        wired.limits.submission(principal.site, content.ip)
        comment = wired.moderation.submit(principal, content)
    if comment.scored_at is None:
        comment = scored_in_time(principal, comment.id, wired.akismet_wait_s) or comment
    headers = {"X-akismet-guid": comment.id}
    if form["user_role"].strip().lower() in _TRUSTED_ROLES:
        return text("false", headers)
    if comment.status in (CommentStatus.SPAM, CommentStatus.REJECTED):
        if comment.status is CommentStatus.SPAM and (comment.score or 0) >= DISCARD_FROM:
            headers["X-akismet-pro-tip"] = "discard"
        return text("true", headers)
    if comment.status is CommentStatus.APPROVED:
        return text("false", headers)
    # Held, or not scored in time. WordPress's wp-cron retry after an outage publishes a
    # comment on "false": it gets an answer that is neither, so that the comment stays
    # pending and is asked about again (every 20 minutes) until a moderator decides.
    headers[HELD_HEADER] = HELD
    return text(HELD_BODY if recheck == RETRY else "false", headers)


@blp.route("/1.1/submit-spam", methods=["POST"])
def submit_spam() -> Response:
    """The site says spam: a decision by `site`, learned from like a moderator's."""
    return _report(Decision.SPAM)


@blp.route("/1.1/submit-ham", methods=["POST"])
def submit_ham() -> Response:
    """The site says not spam: the comment is approved and learned from as ham."""
    return _report(Decision.APPROVE)


def _report(decision: Decision) -> Response:
    principal, (content, form) = site_of(), _comment()
    comment = services().moderation.report(principal, content, decision, form["guid"])
    return text(THANKS, {"X-akismet-guid": comment.id})


# Request ---------------------------------------------------------------------------------


def site_of(key: str = "") -> Principal:
    """The site of `key` if given, else of the request's key: `api_key` or `key` in the form
    or query, else the first label of the host name (Akismet's older form)."""
    key = key or request.values.get("api_key") or request.values.get("key") or ""
    if not key:
        found = _KEY_IN_HOST.match(request.host)
        key = found.group(1) if found else ""
    wired = services()
    try:
        return wired.moderation.authenticate_site_key(key)
    except ModqError:
        forwarded = request.headers.get("X-Forwarded-For", "")
        address = client_address(request.remote_addr or "", forwarded, wired.trusted_proxies)
        wired.limits.auth_failure(address)
        raise Invalid from None


def _comment() -> tuple[NewComment, dict[str, Any]]:
    """The comment the form describes, and the form's other fields that modq reads."""
    try:
        form = _COMMENT_FORM.load(request.form.to_dict())
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {}
        missing = [name for name, why in messages.items() if "Missing data" in str(why)]
        if missing:
            raise _BadForm(f"Missing required field: {missing[0]}.") from None
        name = next(iter(messages), "?")
        raise _BadForm(f"Invalid field: {name} ({_first(messages.get(name))})") from None
    honeypot = (
        request.form.get(form["honeypot_field_name"], "") if form["honeypot_field_name"] else ""
    )
    content = NewComment(
        author=Author(
            form["comment_author"], form["comment_author_email"], form["comment_author_url"]
        ),
        body=form["comment_content"],
        thread=form["permalink"],
        ip=form["user_ip"],
        user_agent=form["user_agent"],
        referrer=form["referrer"],
        lang=_language(form["blog_lang"]),
        form=FormEvidence(honeypot=honeypot[:1024]) if honeypot else None,
    )
    return content, form


def _language(blog_lang: str) -> str:
    """`en_US` (or `en_US, fr_FR`: the first) as a language tag, or "" if none."""
    tag = _LOCALE.sub("-", blog_lang.split(",", 1)[0].strip())
    return tag if len(tag) <= 35 and LANG.fullmatch(tag) else ""


def _first(why: Any) -> str:
    while isinstance(why, list | dict) and why:
        why = why[0] if isinstance(why, list) else next(iter(why.values()))
    return str(why)


# Answers ---------------------------------------------------------------------------------


class _BadForm(Exception):
    """A required field is missing or a field is malformed."""


def text(body: str, headers: dict[str, str] | None = None, status: int = 200) -> Response:
    return Response(body, status, headers, mimetype="text/plain")


def as_json(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), 200, mimetype="application/json")


def bad(why: str) -> Response:
    return text(why, {"X-akismet-debug-help": why}, 400)


@blp.errorhandler(Exception)
def _akismet_error(error: Exception) -> Response:
    """Every failure in Akismet's shape: a plain-text body and `X-akismet-debug-help`."""
    if isinstance(error, Invalid | AuthenticationError):
        # As Akismet answers a bad key: 200 and `invalid`, which its clients look for.
        return text("invalid", {"X-akismet-debug-help": "We were unable to verify your key."})
    if isinstance(error, _BadForm):
        return bad(str(error))
    if isinstance(error, RateLimited):
        why = error.description or "too many requests"
        return text(why, {**error.data["headers"], "X-akismet-debug-help": why}, 429)
    if isinstance(error, StorageUnavailableError):
        why = "storage is unavailable; nothing was accepted, retry later"
        return text(why, {"Retry-After": "2", "X-akismet-debug-help": why}, 503)
    if isinstance(error, ModqError):
        code, why = domain_error(error)
        return text(why, {"X-akismet-debug-help": why}, code)
    if isinstance(error, HTTPException):
        why = error.description or error.name
        return text(why, {"X-akismet-debug-help": why}, error.code or 400)
    log.error("event=akismet.unhandled error=%s", type(error).__name__)
    return text("internal error; it has been logged", status=500)
