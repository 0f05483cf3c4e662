"""The shapes of the moderators' requests and responses: the queue, decisions, the rules."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from service.api.schemas import ReviewItem, Text, pattern
from service.moderation.comments import Decision
from service.moderation.policy import Calibration
from service.moderation.ports import Cursor
from service.moderation.rules import MAX_WORD_LENGTH, MAX_WORDS, SiteRules
from service.moderation.stats import span


class QueueArgs(Schema):
    SUBJECT: ClassVar[str] = "a valid request for a page of the queue"

    cursor = fields.String(load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))

    @post_load
    def decode_cursor(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["cursor"] = decode_cursor(data["cursor"]) if data["cursor"] else None
        return data


class StatsArgs(Schema):
    SUBJECT: ClassVar[str] = "a valid span of days"

    first = fields.Date(
        data_key="from", load_default=None, metadata={"description": "default: 29 days before"}
    )
    last = fields.Date(data_key="to", load_default=None, metadata={"description": "default: today"})

    @post_load
    def days(self, data: dict[str, Any], **_: Any) -> list[date]:
        """The days asked for (UTC), oldest first."""
        last = data["last"] or datetime.now(UTC).date()
        first = data["first"] or last - timedelta(days=DEFAULT_DAYS - 1)
        try:
            return span(first, last)
        except ValueError as exc:
            raise ValidationError(str(exc), "from") from None


#: The days `GET /v1/moderation/stats` gives when not asked: the review page's chart.
DEFAULT_DAYS = 30


class DayOut(Schema):
    """One day's figures (UTC)."""

    day = fields.Date()
    received = fields.Integer(metadata={"description": "comments scored"})
    approved = fields.Integer(metadata={"description": "published by the model"})
    held = fields.Integer(metadata={"description": "held for a moderator"})
    spam = fields.Integer(metadata={"description": "called spam by the model"})
    rejected = fields.Integer(metadata={"description": "rejected by the site's rules"})
    moderator_approved = fields.Integer()
    moderator_spam = fields.Integer()
    moderator_rejected = fields.Integer()
    missed_spam = fields.Integer(metadata={"description": "the model approved, a person: spam"})
    false_positives = fields.Integer(
        metadata={"description": "the model or rules said spam or reject, a person approved"}
    )
    accuracy = fields.Float(
        allow_none=True,
        metadata={"description": "1 - (missed + false positives) / automatic verdicts"},
    )


class StatsOut(Schema):
    """A site's daily figures over a span of days, and their sum."""

    days = fields.List(fields.Nested(DayOut))
    total = fields.Nested(DayOut, metadata={"description": "the days summed, dated the first"})
    learned = fields.Integer(metadata={"description": "decisions the site's model has learned"})


class QueuePage(Schema):
    items = fields.List(fields.Nested(ReviewItem))
    next_cursor = fields.String(allow_none=True, metadata={"description": "null on the last page"})


class LearnedOut(Schema):
    """How far the site's moderators' decisions have taught its model."""

    steps = fields.Integer(
        metadata={"description": "decisions learned, and changed decisions taken back"}
    )
    features = fields.Integer(
        metadata={"description": "words, word pairs and character grams given a weight"}
    )
    thresholds = fields.Function(
        lambda learned: _thresholds(learned.calibration),
        metadata={"description": "the site's own thresholds; null: the model's (docs/policy.md)"},
    )
    scripts = fields.Function(
        lambda learned: {
            script: {"spam": spam, "ham": ham}
            for script, (spam, ham) in sorted(learned.calibration.scripts.items())
        },
        metadata={"description": "approve and spam decisions per script of the comments"},
    )


def _thresholds(calibration: Calibration) -> dict[str, Any] | None:
    found = calibration.thresholds
    if found is None:
        return None
    return {
        "approve_below": found.approve_below,
        "reject_above": found.reject_above,
        "set_by": calibration.set_by,
    }


def _words(description: str) -> fields.List[str]:
    word = Text(MAX_WORD_LENGTH)
    return fields.List(
        word,
        required=True,
        validate=validate.Length(max=MAX_WORDS),
        metadata={"description": description},
    )


class RulesIO(Schema):
    """A site's rules: all of them, as GET answers and PUT replaces them."""

    SUBJECT: ClassVar[str] = "a valid set of rules"

    max_links = fields.Integer(
        required=True,
        validate=validate.Range(min=0, max=1000),
        metadata={"description": "hold a comment with this many links or more (0: no limit)"},
    )
    moderation_words = _words("hold a comment holding any of these, in any field")
    disallowed_words = _words("a comment holding any of these is spam")
    allowed_scripts = fields.List(
        fields.String(validate=pattern(re.compile(r"^[a-z]{2,30}$"), "a script like 'latin'")),
        required=True,
        validate=validate.Length(max=50),
        metadata={"description": "hold comments in any other script (empty: allow all)"},
    )
    min_seconds_to_post = fields.Float(
        required=True,
        allow_nan=False,
        validate=validate.Range(min=0, max=3600),
        metadata={"description": "hold a comment posted sooner after its page rendered (0: off)"},
    )

    trusted_after = fields.Integer(
        required=True,
        validate=validate.Range(min=0, max=1000),
        metadata={
            "description": "publish an author's comment the model is unsure of once this many of "
            "their comments were approved by a moderator (0: trust nobody)"
        },
    )

    flood_max = fields.Integer(
        required=True,
        validate=validate.Range(min=0, max=1000),
        metadata={
            "description": "hold a comment when more than this many came from its IP "
            "or its author within flood_seconds (0: off)"
        },
    )
    flood_seconds = fields.Float(
        required=True,
        allow_nan=False,
        validate=validate.Range(min=1, max=86_400),
        metadata={"description": "the flood window, in seconds"},
    )
    reject_duplicates = fields.Boolean(
        required=True,
        metadata={"description": "reject the same text from the same author within a day"},
    )

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> SiteRules:
        return SiteRules.of(data)


class DecisionIn(Schema):
    SUBJECT: ClassVar[str] = "a valid decision"

    decision = fields.Enum(Decision, by_value=True, required=True)


class BulkItemIn(DecisionIn):
    """One comment by `id`, or every held copy of a campaign by `campaign`."""

    id = fields.String(validate=validate.Length(max=64))
    campaign = fields.String(validate=validate.Length(max=64))

    @validates_schema
    def exactly_one(self, data: dict[str, Any], **_: Any) -> None:
        if ("id" in data) == ("campaign" in data):
            raise ValidationError("send exactly one of 'id' and 'campaign'")


class BulkDecisionIn(Schema):
    SUBJECT: ClassVar[str] = "a valid list of decisions"

    decisions = fields.List(
        fields.Nested(BulkItemIn), required=True, validate=validate.Length(min=1, max=500)
    )


class BulkItemOut(Schema):
    id = fields.String()
    ok = fields.Boolean()
    status = fields.String(allow_none=True)
    error = fields.Dict(allow_none=True, metadata={"description": "the error shape, if not ok"})


class BulkDecisionOut(Schema):
    results = fields.List(fields.Nested(BulkItemOut))


def encode_cursor(cursor: Cursor | None) -> str | None:
    """Return an opaque string for a queue position."""
    if cursor is None:
        return None
    return base64.urlsafe_b64encode(f"{cursor[0]}:{cursor[1]}".encode()).decode().rstrip("=")


def decode_cursor(text: str) -> Cursor:
    """Parse a cursor from `encode_cursor`, raising ValidationError on anything else."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        millis, comment_id = raw.split(":", 1)
        return int(millis), comment_id
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValidationError({"cursor": ["is not a cursor this API returned"]}) from None
