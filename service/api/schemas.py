"""The shapes of requests and responses; marshmallow at the HTTP edge only."""

from __future__ import annotations

import ipaddress
import re
from typing import Any, ClassVar

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from service.moderation.comments import Author, FormEvidence, NewComment, iso_time

#: Field names only modq may set; a client sending one is refused, not ignored.
SERVER_FIELDS = ("id", "site", "status", "score", "reasons", "created_at")

#: Bidi overrides and isolates, directional marks and invisible spaces: in a name they only
#: disguise it ("moc.elgoog" shown as "google.com"). ZWJ and ZWNJ stay: Persian names and
#: emoji need them.
INVISIBLE = dict.fromkeys(
    [0x061C, 0x200B, 0x200E, 0x200F, 0x2060, 0xFEFF, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)

COMMENT_ID = re.compile(r"^[0-9a-f]{32}$")
LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


class Text(fields.String):
    """A string of valid Unicode, limited in UTF-8 bytes like WordPress's columns."""

    def __init__(
        self, max_bytes: int, *, blank: bool = True, strip_invisible: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.max_bytes = max_bytes
        self.blank = blank
        self.strip_invisible = strip_invisible
        # What the OpenAPI document says, so fuzzers and clients see the same limits;
        # bytes are the real limit, and one character is at least one byte.
        self.metadata = {"maxLength": max_bytes, **self.metadata}
        if not blank:
            self.metadata = {"minLength": 1, "pattern": r"\S", **self.metadata}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text: str = super()._deserialize(value, attr, data, **kwargs)
        if self.strip_invisible:
            text = text.translate(INVISIBLE)
        try:
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError:
            raise ValidationError("contains a lone surrogate; send valid Unicode") from None
        if size > self.max_bytes:
            raise ValidationError(f"is {size} bytes long; at most {self.max_bytes} are allowed")
        if not self.blank and not text.strip():
            raise ValidationError("must not be empty")
        return text


def valid_ip(value: str) -> None:
    if value:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise ValidationError("is not an IPv4 or IPv6 address") from None


EMAIL = validate.Email(error="is not an e-mail address")


def pattern(regex: re.Pattern[str], what: str) -> validate.Validator:
    """A validator refusing text that does not match, saying what it should be."""
    return validate.Regexp(regex, error=f"is not {what}")


class AuthorIn(Schema):
    name = Text(245, blank=False, required=True, strip_invisible=True)
    email = Text(100, blank=False, required=True, validate=EMAIL, metadata={"format": "email"})
    url = Text(200, load_default="")

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Author:
        return Author(**data)


class FormIn(Schema):
    """What the site's comment form saw; the WordPress plugin fills it."""

    honeypot = Text(
        1024,
        load_default="",
        metadata={"description": "the hidden field's value: empty unless a bot filled it"},
    )
    rendered_at = fields.Float(
        load_default=None,
        allow_nan=False,
        validate=validate.Range(min=0),
        metadata={"description": "when the page with the form was rendered (Unix seconds)"},
    )

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> FormEvidence:
        return FormEvidence(**data)


class CommentIn(Schema):
    """A comment as a site's backend sends it."""

    SUBJECT: ClassVar[str] = "a valid comment"

    thread = Text(2048, load_default="", metadata={"description": "URL of the page"})
    author = fields.Nested(AuthorIn, required=True)
    body = Text(65_525, blank=False, required=True)
    ip = Text(
        45,
        load_default="",
        validate=valid_ip,
        metadata={"description": "the reader's IPv4 or IPv6 address", "format": "ipv4"},
    )
    user_agent = Text(1024, load_default="")
    referrer = Text(2048, load_default="")
    parent_id = Text(32, load_default="", validate=pattern(COMMENT_ID, "a modq comment id"))
    lang = Text(35, load_default="", validate=pattern(LANG, "a language tag like 'az'"))
    form = fields.Nested(FormIn, load_default=None)

    def handle_error(self, error: ValidationError, data: Any, **_: Any) -> None:
        """Say why a server field is refused; undeclared fields are already errors (RAISE).

        Only failed loads come here, so the check costs a valid comment nothing.
        """
        messages = error.messages
        if isinstance(messages, dict):
            for name in SERVER_FIELDS:
                if name in messages:
                    messages[name] = ["is set by modq; clients may not send it"]

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> NewComment:
        return NewComment(**data)


def _iso(timestamp: float | None) -> str | None:
    return None if timestamp is None else iso_time(timestamp)


class CommentAccepted(Schema):
    id = fields.String()
    status = fields.String()


class CommentOut(Schema):
    """What a site may read of its comment: an allow-list, so no e-mail can slip out."""

    id = fields.String()
    thread = fields.Function(lambda c: c.content.thread)
    status = fields.Function(lambda c: c.status.value)
    score = fields.Float(allow_none=True)
    reasons = fields.List(fields.String())
    decided_by = fields.Function(
        lambda comment: comment.decider, metadata={"description": "model, moderator, site or null"}
    )
    created_at = fields.Function(lambda c: _iso(c.created_at))
    scored_at = fields.Function(lambda c: _iso(c.scored_at))
    decided_at = fields.Function(lambda c: _iso(c.decided_at))


class AuthorOut(Schema):
    name = fields.String()
    email = fields.String()
    url = fields.String()


class ReviewItem(CommentOut):
    """A comment as its site's moderators see it, e-mail included."""

    author = fields.Function(lambda c: AuthorOut().dump(c.content.author))
    body = fields.Function(lambda c: c.content.body)
    ip = fields.Function(lambda c: c.content.ip)
    user_agent = fields.Function(lambda c: c.content.user_agent)
    referrer = fields.Function(lambda c: c.content.referrer)
    parent_id = fields.Function(lambda c: c.content.parent_id)
    lang = fields.Function(lambda c: c.content.lang)
    decision = fields.Function(lambda c: c.decision.value if c.decision else None)
    author_history = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "moderators' earlier decisions on this author's comments"},
    )
    campaign = fields.Function(
        lambda c: CampaignOut().dump(c.campaign) if c.campaign else None,
        metadata={"description": "its near-copies at the site (null: too short to have any)"},
    )


class CampaignOut(Schema):
    """Near-copies of one comment at the site: its number, size and latest moderator's call."""

    id = fields.String()
    size = fields.Integer(metadata={"description": "copies seen, this one included"})
    decision = fields.Function(lambda c: c.decision.value if c.decision else None)


class EraseIn(Schema):
    """Erase every comment of an e-mail address, or one comment, at the caller's site."""

    SUBJECT: ClassVar[str] = "a valid erasure request"

    email = Text(100, validate=EMAIL, metadata={"format": "email"})
    comment_id = fields.String(validate=validate.Length(max=64))

    @validates_schema
    def exactly_one(self, data: dict[str, Any], **_: Any) -> None:
        if len(data) != 1:
            raise ValidationError("send exactly one of 'email' and 'comment_id'")


class EraseOut(Schema):
    erased = fields.Integer(metadata={"description": "how many comments were erased"})


class WebhookIn(Schema):
    """Where modq posts the site's comment events."""

    SUBJECT: ClassVar[str] = "a webhook"

    url = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2048),
        metadata={"format": "uri", "example": "https://news.example/wp-json/modq/v1/events"},
    )


class WebhookSet(Schema):
    """The webhook as set, with the secret that signs its events: shown this once."""

    url = fields.String()
    secret = fields.String(metadata={"description": "whsec_...: verify with standardwebhooks"})
    created_at = fields.Function(lambda e: iso_time(e.created_at))


def _when(name: str) -> fields.Function:
    return fields.Function(lambda h: iso_time(v) if (v := getattr(h, name)) is not None else None)


class WebhookOut(Schema):
    """Where the site's webhook points and how its deliveries go (never its secret)."""

    url = fields.String()
    created_at = _when("created_at")
    pending = fields.Integer(metadata={"description": "events waiting to be delivered"})
    parked = fields.Integer(metadata={"description": "events that failed for a day"})
    delivered = fields.Integer()
    attempts = fields.Integer(metadata={"description": "failures of the oldest waiting event"})
    failing_since = _when("failing_since")
    last_attempt_at = _when("last_attempt_at")
    last_status = fields.String(metadata={"description": "the receiver's last HTTP status"})
    last_error = fields.String()
    last_delivered_at = _when("last_delivered_at")
