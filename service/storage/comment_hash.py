"""The comment hash: its fields, named as the domain names them, written and read back."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any

from service.moderation.comments import (
    Author,
    Campaign,
    Comment,
    CommentStatus,
    Decision,
    FormEvidence,
    NewComment,
)

#: The author's fields, stored under the names `Author` gives them.
AUTHOR = tuple(f.name for f in fields(Author))
#: The comment's content, as `NewComment` names it; the IP lives in a key of its own.
CONTENT = tuple(f.name for f in fields(NewComment) if f.name not in {"author", "ip", "form"})
#: The fields of the comment itself that are written when it is stored.
_OWN: dict[str, Callable[[Comment], str]] = {
    "id": attrgetter("id"),
    "site": attrgetter("site"),
    "created_us": lambda comment: str(round(comment.created_at * 1e6)),
    "status": lambda comment: comment.status.value,
    "author_key": attrgetter("author_key"),
}
#: What the site's comment form saw, when it sent it (empty fields are not stored).
FORM = ("form_honeypot", "form_rendered_at")
#: Written when a comment is stored, in this order (the intake script takes values only).
INTAKE = (*_OWN, *AUTHOR, *CONTENT, *FORM)
_AUTHOR_VALUES, _CONTENT_VALUES = attrgetter(*AUTHOR), attrgetter(*CONTENT)
#: What a worker reads: where the comment belongs, whether it is scored, what the model and
#: the site's rules read.
TEXT = ("site", "scored_at", "created_us", "author_key", *AUTHOR, "body", "user_agent", *FORM)

#: How each field that a verdict or a decision adds is read back, by `Comment`'s names.
_LATER: dict[str, Callable[[str], Any]] = {
    "status": CommentStatus,
    "score": float,
    "reasons": lambda value: tuple(json.loads(value)),
    "model_version": str,
    "scored_at": float,
    "decision": Decision,
    "decided_by": str,
    "decided_at": float,
    "campaign": Campaign,  # its size and decision live in the site's campaigns hash
}


@dataclass(frozen=True, slots=True)
class CommentText:
    """What a worker reads of a stored comment: where it belongs, when it came, what it says
    (its author, body, IP, user agent and form evidence; the rest of `content` is empty)."""

    id: str
    site: str
    created_at: float
    content: NewComment
    author_key: str = ""


def intake_values(comment: Comment) -> list[str]:
    """The values of a new comment's hash, in the order of INTAKE."""
    own = [get(comment) for get in _OWN.values()]
    content = comment.content
    form = _form_values(content.form)
    return [*own, *_AUTHOR_VALUES(content.author), *_CONTENT_VALUES(content), *form]


def decision_fields(comment: Comment) -> dict[str, str]:
    """The fields a moderator's decision sets."""
    assert comment.decision is not None and comment.decided_at is not None
    return {
        "status": comment.status.value,
        "decision": comment.decision.value,
        "decided_by": comment.decided_by,
        "decided_at": repr(comment.decided_at),
    }


def read_comment(raw: dict[bytes, bytes], ip: bytes | None = None) -> Comment | None:
    """The comment a hash holds (with its IP, kept apart), or None for a missing one."""
    if not raw:
        return None
    h = {k.decode(): v.decode() for k, v in raw.items()}
    content = NewComment(
        author=Author(**{name: h.get(name, "") for name in AUTHOR}),
        ip=ip.decode() if ip else "",
        form=_read_form(*(h.get(name, "") for name in FORM)),
        **{name: h.get(name, "") for name in CONTENT},
    )
    later = {name: read(h[name]) for name, read in _LATER.items() if h.get(name)}
    return Comment(
        id=h["id"],
        site=h["site"],
        content=content,
        created_at=int(h["created_us"]) / 1e6,
        author_key=h.get("author_key", ""),
        **later,
    )


def read_text(
    comment_id: str, raw: Sequence[bytes | None], ip: bytes | None, scored_too: bool
) -> CommentText | None:
    """A comment's text from its TEXT fields; None if gone or, unless `scored_too`, scored."""
    site, scored_at, created_us, *rest = raw
    if site is None or created_us is None or (scored_at is not None and not scored_too):
        return None
    author_key, *author, body, user_agent, honeypot, rendered_at = [
        (v or b"").decode() for v in rest
    ]
    form = _read_form(honeypot, rendered_at)
    content = NewComment(
        Author(*author), body, ip=(ip or b"").decode(), user_agent=user_agent, form=form
    )
    return CommentText(comment_id, site.decode(), int(created_us) / 1e6, content, author_key)


def _form_values(form: FormEvidence | None) -> list[str]:
    if form is None:
        return ["", ""]
    rendered_at = "" if form.rendered_at is None else repr(form.rendered_at)
    return [form.honeypot, rendered_at]


def _read_form(honeypot: str, rendered_at: str) -> FormEvidence | None:
    if not honeypot and not rendered_at:
        return None
    return FormEvidence(honeypot, float(rendered_at) if rendered_at else None)
