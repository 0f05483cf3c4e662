"""Each site's own rules, with WordPress's and Antispam Bee's meaning, and what a comment trips.

Word lists match inside words, as WordPress's do ("press" matches "WordPress"), against the
author's name, e-mail and URL, the body, the IP and the user agent, all folded by
`text.normalize` first: a Cyrillic letter inside a Latin word, or another spelling of an
Arabic letter, does not slip past a list.
"""

from __future__ import annotations

import enum
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

from service.moderation.comments import Campaign, Decision, FormEvidence, NewComment
from service.moderation.text import URL, fold_for_links, may_have_link, normalize

#: WordPress's `comment_max_links` default: hold a comment with this many links or more.
DEFAULT_MAX_LINKS = 2
#: Antispam Bee's smallest time from a page to its comment that a person takes.
DEFAULT_MIN_SECONDS = 3.0
#: WordPress and Antispam Bee trust an author once one of their comments was approved.
DEFAULT_TRUSTED_AFTER = 1
#: More than this many comments from one IP or one author within FLOOD_SECONDS is a flood.
DEFAULT_FLOOD_MAX, DEFAULT_FLOOD_SECONDS = 5, 60.0
#: How long the same body from the same author counts as a duplicate (as WordPress refuses).
DUPLICATE_WINDOW_S = 86_400
#: The most words a list may hold, and the longest word.
MAX_WORDS, MAX_WORD_LENGTH = 1000, 200


class Effect(enum.Enum):
    """What a rule does when it fires: sure spam, reject, hold for a moderator (`CAUTION`
    holds even what the model calls spam), or trust."""

    SPAM = "spam"
    REJECT = "reject"
    HOLD = "hold"
    CAUTION = "caution"
    TRUST = "trust"


@dataclass(frozen=True)
class Hit:
    """A rule a comment tripped: its effect and the reason it gives (no personal data)."""

    effect: Effect
    reason: str


@dataclass(frozen=True)
class Seen:
    """What the site saw of a comment's author and IP before it."""

    approved_before: int = 0  # the author's comments its moderators approved
    from_ip: int = 0  # comments from its IP within the flood window, itself included
    from_author: int = 0  # the same, from its author
    duplicate: bool = False  # the author posted the same body within the last day
    campaign: Campaign | None = None  # the near-copies it joined (none: too short for one)


@dataclass(frozen=True)
class SiteRules:
    """A site's moderation settings; the defaults are WordPress's where it has one."""

    max_links: int = DEFAULT_MAX_LINKS  # 0: no limit
    moderation_words: tuple[str, ...] = ()
    disallowed_words: tuple[str, ...] = ()
    allowed_scripts: tuple[str, ...] = ()  # empty: every script
    min_seconds_to_post: float = DEFAULT_MIN_SECONDS  # 0: no check
    trusted_after: int = DEFAULT_TRUSTED_AFTER  # approved comments; 0: trust nobody
    flood_max: int = DEFAULT_FLOOD_MAX  # 0: no flood check
    flood_seconds: float = DEFAULT_FLOOD_SECONDS
    reject_duplicates: bool = True

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> SiteRules:
        """Rules from plain values (lists where the fields hold tuples); other names ignored."""
        known = {f.name for f in fields(cls)}
        given: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if k in known
        }
        return cls(**given)

    def values(self) -> dict[str, Any]:
        """The rules as plain values, for JSON."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @cached_property
    def _moderation(self) -> tuple[str, ...]:
        return _folded(self.moderation_words)

    @cached_property
    def _disallowed(self) -> tuple[str, ...]:
        return _folded(self.disallowed_words)

    def check(self, comment: NewComment, posted_at: float, seen: Seen = Seen()) -> list[Hit]:
        """Every rule this comment trips: sure spam first, then reject, holds, and trust."""
        hits = self._spam(comment, comment.form)
        if seen.campaign is not None and seen.campaign.spam:
            hits.append(Hit(Effect.SPAM, f"copy of a campaign marked spam ({seen.campaign.size})"))
        if seen.campaign is not None and seen.campaign.decision is Decision.APPROVE:
            hits.append(Hit(Effect.CAUTION, "a copy of it was approved"))
        if self.reject_duplicates and seen.duplicate:
            hits.append(Hit(Effect.REJECT, "duplicate of an earlier comment"))
        hits += self._hold(comment, posted_at, comment.form)
        if self.flood_max and max(seen.from_ip, seen.from_author) > self.flood_max:
            count = max(seen.from_ip, seen.from_author)
            hits.append(Hit(Effect.HOLD, f"{count} comments in {self.flood_seconds:g} s"))
        if self.trusted_after and seen.approved_before >= self.trusted_after:
            hits.append(Hit(Effect.TRUST, "author approved before"))
        return hits

    def _spam(self, comment: NewComment, form: FormEvidence | None) -> list[Hit]:
        hits = []
        if form is not None and form.honeypot.strip():
            hits.append(Hit(Effect.SPAM, "honeypot filled"))
        if _matches(self._disallowed, comment):
            hits.append(Hit(Effect.SPAM, "disallowed word"))
        return hits

    def _hold(self, comment: NewComment, posted_at: float, form: FormEvidence | None) -> list[Hit]:
        hits = []
        links = count_links(comment) if self.max_links else 0
        if self.max_links and links >= self.max_links:
            hits.append(Hit(Effect.HOLD, f"{links} links"))
        if _matches(self._moderation, comment):
            hits.append(Hit(Effect.HOLD, "moderation word"))
        script = dominant_script(comment.body) if self.allowed_scripts else ""
        if script and script not in self.allowed_scripts:
            hits.append(Hit(Effect.HOLD, f"written in {script}, not allowed here"))
        if form is not None and form.rendered_at is not None and self.min_seconds_to_post:
            seconds = posted_at - form.rendered_at
            if 0 <= seconds < self.min_seconds_to_post:
                hits.append(Hit(Effect.HOLD, f"posted {seconds:.1f} s after the page loaded"))
        return hits


def count_links(comment: NewComment) -> int:
    """Links in the body, and the author's website if given (as WordPress's filter counts)."""
    body = comment.body
    # Links are ASCII once NFKC has made fullwidth dots and letters plain: the other folds
    # of `normalize` cannot make or unmake one, so they are not paid for here.
    text = body.lower() if body.isascii() else fold_for_links(body)
    links = len(URL.findall(text)) if may_have_link(text) else 0
    return links + bool(comment.author.url.strip())


def dominant_script(text: str) -> str:
    """The script most of the text's letters are written in ("latin", "arabic", ...), or ""."""
    if text.isascii():
        return "latin" if any(ch.isalpha() for ch in text) else ""
    scripts: Counter[str] = Counter()
    for ch, n in Counter(unicodedata.normalize("NFKC", text)).items():  # each letter once
        if ch.isalpha():
            scripts[_SCRIPT.get(ch) or _script(ch)] += n
    scripts.pop("", None)
    return scripts.most_common(1)[0][0] if scripts else ""


#: Each letter's script once looked up: the Unicode name of every letter costs the most.
_SCRIPT: dict[str, str] = {}


def _script(letter: str) -> str:
    script = unicodedata.name(letter, "").split(" ", 1)[0].lower()
    if len(_SCRIPT) < 1 << 16:
        _SCRIPT[letter] = script
    return script


def _folded(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(folded for word in words if (folded := normalize(word)))


def _matches(words: tuple[str, ...], comment: NewComment) -> bool:
    if not words:
        return False
    author = comment.author
    fields = (author.name, author.email, author.url, comment.body, comment.ip, comment.user_agent)
    haystack = "\n".join(normalize(value) for value in fields if value)
    return any(word in haystack for word in words)
