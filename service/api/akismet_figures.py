"""Akismet's figures, from each site's daily counts: `/1.2/usage-limit`, `/1.2/key-sites`
and `/1.1/get-stats` (routes of the Akismet blueprint, service/api/akismet.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Response, request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from service.api.akismet import as_json, bad, blp, site_of
from service.api.context import services
from service.api.schemas import Text
from service.moderation.access import Principal
from service.moderation.stats import MAX_DAYS, DayStats, month_span, span, total

#: The blueprint these routes are added to, and the routes.
__all__ = ["blp", "get_stats", "key_sites", "usage_limit"]


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


_KEY_SITES_ARGS = KeySitesArgs()


@blp.route("/1.1/get-stats", methods=["POST"])
def get_stats() -> Response:
    """The site's spam, ham, missed spam, false positives and accuracy (a percentage) over
    `from` (60-days, 6-months or all: the year and a month modq keeps), broken down by day,
    month or year."""
    principal = site_of(request.values.get("key", ""))
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
    return as_json({**_akismet_counts(total(found, found[0].day)), "breakdown": breakdown})


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


@blp.route("/1.2/usage-limit", methods=["GET", "POST"])
def usage_limit() -> Response:
    """This month's comment checks (comments scored); modq sets no monthly limit."""
    principal = site_of()
    today = datetime.now(UTC).date()
    month = _month_of(principal, today.replace(day=1), today)
    body = {"limit": "none", "usage": month.received, "percentage": "0", "throttled": False}
    return as_json(body)


@blp.route("/1.2/key-sites", methods=["GET", "POST"])
def key_sites() -> Response:
    """The key's site with its month's figures, as JSON or CSV (a key names one site)."""
    principal = site_of()
    try:
        args = _KEY_SITES_ARGS.load(request.values.to_dict())
    except ValidationError as error:
        return bad(f"Invalid field: {next(iter(error.messages))}.")
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
    return as_json(
        {month_name: page, "limit": args["limit"], "offset": args["offset"], "total": len(rows)}
    )


def _month_of(principal: Principal, first: date, today: date) -> DayStats:
    return total(services().moderation.usage(principal, month_span(first, today)), first)


def _site_row(site: str, month: DayStats) -> dict[str, Any]:
    counts = _akismet_counts(month)
    del counts["accuracy"]
    return {"site": site, "api_calls": month.received, **counts, "is_revoked": False}
