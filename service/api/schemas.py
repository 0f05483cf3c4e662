"""The shapes of requests and responses; marshmallow at the HTTP edge only."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from datetime import UTC, datetime
from typing import Any, ClassVar

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from service.moderation.comments import Author, Comment, Decision, FormEvidence, NewComment
from service.moderation.ports import Cursor
from service.moderation.rules import MAX_WORD_LENGTH, MAX_WORDS, SiteRules

#: Field names only modq may set; a client sending one is refused, not ignored.
SERVER_FIELDS = ("id", "site", "status", "score", "reasons", "created_at")

#: Bidi overrides and isolates, directional marks and invisible spaces: in a name they only
#: disguise it ("moc.elgoog" shown as "google.com"). ZWJ and ZWNJ stay: Persian names and
#: emoji need them.
INVISIBLE = dict.fromkeys(
    [0x061C, 0x200B, 0x200E, 0x200F, 0x2060, 0xFEFF, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)

_COMMENT_ID = re.compile(r"^[0-9a-f]{32}$")
_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


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


def _ip(value: str) -> None:
    if value:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise ValidationError("is not an IPv4 or IPv6 address") from None


EMAIL = validate.Email(error="is not an e-mail address")


def _pattern(regex: re.Pattern[str], what: str) -> validate.Validator:
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
        validate=_ip,
        metadata={"description": "the reader's IPv4 or IPv6 address", "format": "ipv4"},
    )
    user_agent = Text(1024, load_default="")
    referrer = Text(2048, load_default="")
    parent_id = Text(32, load_default="", validate=_pattern(_COMMENT_ID, "a modq comment id"))
    lang = Text(35, load_default="", validate=_pattern(_LANG, "a language tag like 'az'"))
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
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC).isoformat()


def _decided_by(comment: Comment) -> str | None:
    if comment.decision is not None:
        return "moderator"
    return "model" if comment.scored_at is not None else None


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
    decided_by = fields.Function(_decided_by, metadata={"description": "model, moderator or null"})
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


class QueueArgs(Schema):
    SUBJECT: ClassVar[str] = "a valid request for a page of the queue"

    cursor = fields.String(load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))

    @post_load
    def decode_cursor(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["cursor"] = decode_cursor(data["cursor"]) if data["cursor"] else None
        return data


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
        fields.String(validate=_pattern(re.compile(r"^[a-z]{2,30}$"), "a script like 'latin'")),
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
    id = fields.String(required=True, validate=validate.Length(max=64))


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
