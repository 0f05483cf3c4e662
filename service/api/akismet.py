"""Akismet's REST API (Automattic/akismet-api, spec.yml), answered by modq: form-encoded
requests, plain-text answers, so that an existing Akismet client only changes its host.

The key is a modq site key, in either form (`modq keys create --site S --akismet` makes the
12-character one WordPress's Akismet plugin insists on), sent as `api_key`/`key` or as the
first label of the host name. docs/akismet.md says what maps to what.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
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
from service.moderation.stats import MAX_DAYS, DayStats, month_span, span, total

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


class KeySitesArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    month = fields.Date(format="%Y-%m", load_default=None)
    filter = Text(2048, load_default="")
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))
    order = fields.String(
        load_default="total",
        validate=validate.OneOf(["total", "spam", "ham", "missed_spam", "false_positives"]),
    )
    limit = fields.Integer(load_default=500, validate=validate.Range(min=0, max=10_000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10**9))


_COMMENT_FORM, _KEY_SITES_ARGS = CommentForm(), KeySitesArgs()


class Invalid(Exception):
    """The key is missing, unknown or revoked: Akismet's `invalid`."""


@blp.route("/1.1/verify-key", methods=["POST"])
def verify_key() -> Response:
    """`valid` for a live modq site key (the `blog` is not checked: a key names its site).
    The key verified is `key` when sent: WordPress's Akismet plugin sends the key to verify
    as `key` and adds its stored key as `api_key` to every request."""
    _site(request.values.get("key", ""))
    return _text("valid")


@blp.route("/1.1/test", methods=["GET", "POST"])
def connectivity() -> Response:
    """`connected`: what WordPress's Akismet settings page asks to show it can reach us."""
    return _text("connected")


@blp.route("/1.1/get-subscription", methods=["POST"])
def get_subscription() -> Response:
    """The key's account as WordPress's Akismet settings page reads it: active, no limit."""
    principal = _site(request.values.get("key", ""))
    return _json(
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
    _site(request.values.get("key", ""))
    return _text("deactivated")


@blp.route("/1.1/get-stats", methods=["POST"])
def get_stats() -> Response:
    """The site's spam, ham, missed spam, false positives and accuracy (a percentage) over
    `from` (60-days, 6-months or all: the year and a month modq keeps), broken down by day,
    month or year."""
    principal = _site(request.values.get("key", ""))
    asked = request.values.get("from", "6-months")
    span_days, label = _STATS_SPANS.get(asked, _STATS_SPANS["6-months"])
    today = datetime.now(UTC).date()
    found = services().moderation.usage(principal, span(today - timedelta(days=span_days), today))
    groups: dict[str, list[DayStats]] = {}
    for day in found:
        groups.setdefault(label(day.day), []).append(day)
    breakdown = {
        name: {**_akismet_counts(total(days, days[0].day)), "da": f"{days[0].day:%Y-%m-%d}"}
        for name, days in sorted(groups.items(), reverse=True)
    }
    return _json({**_akismet_counts(total(found, found[0].day)), "breakdown": breakdown})


#: get-stats' spans: days back from today, and how days are grouped.
_STATS_SPANS: dict[str, tuple[int, Callable[[date], str]]] = {
    "60-days": (59, lambda day: f"{day:%Y-%m-%d}"),
    "6-months": (182, lambda day: f"{day:%Y-%m}"),
    "all": (MAX_DAYS - 1, lambda day: f"{day:%Y}"),
}


def _akismet_counts(stats: DayStats) -> dict[str, Any]:
    accuracy = stats.accuracy
    return {
        "spam": stats.spam + stats.rejected,
        "ham": stats.approved,
        "missed_spam": stats.missed_spam,
        "false_positives": stats.false_positives,
        "accuracy": 100.0 if accuracy is None else round(accuracy * 100, 2),
    }


@blp.route("/1.1/comment-check", methods=["POST"])
def comment_check() -> Response:
    """Store and score the comment like any other, and answer from its verdict. A recheck
    (`recheck_reason`) of a comment modq has answers from that comment as it stands now,
    moderators' decisions included, and stores no copy."""
    principal, (content, form) = _site(), _comment()
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
        return _text("false", headers)
    if comment.status in (CommentStatus.SPAM, CommentStatus.REJECTED):
        if comment.status is CommentStatus.SPAM and (comment.score or 0) >= DISCARD_FROM:
            headers["X-akismet-pro-tip"] = "discard"
        return _text("true", headers)
    if comment.status is CommentStatus.APPROVED:
        return _text("false", headers)
    # Held, or not scored in time. WordPress's wp-cron retry after an outage publishes a
    # comment on "false": it gets an answer that is neither, so that the comment stays
    # pending and is asked about again (every 20 minutes) until a moderator decides.
    headers[HELD_HEADER] = HELD
    return _text(HELD_BODY if recheck == RETRY else "false", headers)


@blp.route("/1.1/submit-spam", methods=["POST"])
def submit_spam() -> Response:
    """The site says spam: a decision by `site`, learned from like a moderator's."""
    return _report(Decision.SPAM)


@blp.route("/1.1/submit-ham", methods=["POST"])
def submit_ham() -> Response:
    """The site says not spam: the comment is approved and learned from as ham."""
    return _report(Decision.APPROVE)


def _report(decision: Decision) -> Response:
    principal, (content, form) = _site(), _comment()
    comment = services().moderation.report(principal, content, decision, form["guid"])
    return _text(THANKS, {"X-akismet-guid": comment.id})


@blp.route("/1.2/usage-limit", methods=["GET", "POST"])
def usage_limit() -> Response:
    """This month's comment checks (comments scored); modq sets no monthly limit."""
    principal = _site()
    today = datetime.now(UTC).date()
    month = _month_of(principal, today.replace(day=1), today)
    body = {"limit": "none", "usage": month.received, "percentage": "0", "throttled": False}
    return _json(body)


@blp.route("/1.2/key-sites", methods=["GET", "POST"])
def key_sites() -> Response:
    """The key's site with its month's figures, as JSON or CSV (a key names one site)."""
    principal = _site()
    try:
        args = _KEY_SITES_ARGS.load(request.values.to_dict())
    except ValidationError as error:
        return _bad(f"Invalid field: {next(iter(error.messages))}.")
    today = datetime.now(UTC).date()
    first = args["month"] or today.replace(day=1)
    month_name = f"{first:%Y-%m}"
    stats = _month_of(principal, first, today)
    rows = [] if args["filter"] not in principal.site else [_site_row(principal.site, stats)]
    page = rows[args["offset"] : args["offset"] + args["limit"]]
    if args["format"] == "csv":
        out = io.StringIO()
        out.write(
            f"Active sites for {principal.key_id} during {month_name} "
            f"(limit:{args['limit']}, offset: {args['offset']}, total: {len(rows)})\n"
        )
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            ["Site", "Total API Calls", "Spam", "Ham", "Missed Spam", "False Positives"]
            + ["Is Revoked"]
        )
        for row in page:
            writer.writerow([*list(row.values())[:6], "false"])
        return Response(out.getvalue(), 200, mimetype="text/csv")
    return _json(
        {month_name: page, "limit": args["limit"], "offset": args["offset"], "total": len(rows)}
    )


def _month_of(principal: Principal, first: date, today: date) -> DayStats:
    return total(services().moderation.usage(principal, month_span(first, today)), first)


def _site_row(site: str, month: DayStats) -> dict[str, Any]:
    counts = _akismet_counts(month)
    del counts["accuracy"]
    return {"site": site, "api_calls": month.received, **counts, "is_revoked": False}


# Request ---------------------------------------------------------------------------------


def _site(key: str = "") -> Principal:
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


def _text(body: str, headers: dict[str, str] | None = None, status: int = 200) -> Response:
    return Response(body, status, headers, mimetype="text/plain")


def _json(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), 200, mimetype="application/json")


def _bad(why: str) -> Response:
    return _text(why, {"X-akismet-debug-help": why}, 400)


@blp.errorhandler(Exception)
def _akismet_error(error: Exception) -> Response:
    """Every failure in Akismet's shape: a plain-text body and `X-akismet-debug-help`."""
    if isinstance(error, Invalid | AuthenticationError):
        # As Akismet answers a bad key: 200 and `invalid`, which its clients look for.
        return _text("invalid", {"X-akismet-debug-help": "We were unable to verify your key."})
    if isinstance(error, _BadForm):
        return _bad(str(error))
    if isinstance(error, RateLimited):
        why = error.description or "too many requests"
        return _text(why, {**error.data["headers"], "X-akismet-debug-help": why}, 429)
    if isinstance(error, StorageUnavailableError):
        why = "storage is unavailable; nothing was accepted, retry later"
        return _text(why, {"Retry-After": "2", "X-akismet-debug-help": why}, 503)
    if isinstance(error, ModqError):
        code, why = domain_error(error)
        return _text(why, {"X-akismet-debug-help": why}, code)
    if isinstance(error, HTTPException):
        why = error.description or error.name
        return _text(why, {"X-akismet-debug-help": why}, error.code or 400)
    log.error("event=akismet.unhandled error=%s", type(error).__name__)
    return _text("internal error; it has been logged", status=500)
