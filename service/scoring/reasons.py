"""Reasons: the weightiest features of a score, as short phrases a moderator can read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from service.scoring import tokens
from service.scoring.tokens import Signal

MAX_REASONS = 5
MIN_REASON_WEIGHT = 0.05  # log-odds; below this a feature is noise, not a reason

_TOKEN_TEXT = {
    tokens.LINK: "contains a link",
    tokens.EMAIL: "contains an e-mail address",
    tokens.PHONE: "contains a phone number",
    tokens.USERNAME: "mentions an @handle",
    tokens.PRICE: "mentions a price",
    tokens.TIME_LINK: "links to a moment of a video",
    Signal.AUTHOR_NAME_URL: "author name is a URL",
    Signal.AUTHOR_URL: "author gave a website",
    Signal.MANY_LINKS: "several links",
    Signal.SHOUTING: "written in capitals",
    Signal.CAPS_WORDS: "words in capitals",
    Signal.AUTHOR_SLOGAN: "author name is a slogan",
    Signal.REPEAT_CHARS: "repeated characters",
    Signal.MIXED_SCRIPT: "mixed alphabets in one word",
    Signal.HIDDEN_CHARS: "hidden characters",
    Signal.STYLED_LETTERS: "styled letters",
}

_TOKEN_STARTS = ("[", *tokens.PREFIXES)


def explain(
    terms: Iterable[tuple[str, float]], text: str, filler: frozenset[str] = frozenset()
) -> tuple[str, ...]:
    """The reasons for a score from its terms and the log-odds each added, heaviest first.

    `text` is the comment's words, to join overlapping phrases; `filler` are single words too
    common to explain anything.
    """
    ordered = sorted(terms, key=lambda term: -term[1])  # stable: earlier terms first on ties
    ranked = [
        term
        for term, weight in ordered
        if weight >= MIN_REASON_WEIGHT and term not in filler and len(term) >= 2
    ]
    return pick_reasons(ranked, text)


def describe_token(term: str) -> str | None:
    """Return a short human string for a document term or phrase, None if it explains nothing."""
    words = term.split()
    if len(words) > 1:
        # Phrases half made of tokens (or spanning the signal tail) read as noise.
        return None if any(w.startswith(_TOKEN_STARTS) for w in words) else f'"{term}"'
    if term in _TOKEN_TEXT:
        return _TOKEN_TEXT[term]
    if term.startswith(tokens.DOMAIN_PREFIX):
        return f"link to {term.removeprefix(tokens.DOMAIN_PREFIX)}"
    # The e-mail's domain may weigh in the score, but reasons reach sites: it never shows.
    return None if term.startswith(_TOKEN_STARTS) else f'"{term}"'


def pick_reasons(ranked: Sequence[str], text: str) -> tuple[str, ...]:
    """Turn features ranked by weight into at most MAX_REASONS phrases a moderator can read."""
    chosen: list[str] = []
    for term in ranked:
        reason = describe_token(term)
        if reason is None or reason in chosen:
            continue
        if reason.startswith('"'):
            chosen = _add_phrase(chosen, term, text)
        else:
            chosen.append(reason)
        if len(chosen) == MAX_REASONS:
            break
    return tuple(chosen)


def _add_phrase(chosen: list[str], phrase: str, text: str) -> list[str]:
    # "check out my" and "my channel" read better as the one phrase the comment holds.
    result: list[str] = []
    merged_at = None
    for old in chosen:
        joined = _join_phrases(old.strip('"'), phrase, text) if old.startswith('"') else None
        if joined is None:
            result.append(old)
            continue
        phrase = joined
        if merged_at is None:
            merged_at = len(result)
            result.append(old)
    if merged_at is None:
        return [*result, f'"{phrase}"']
    result[merged_at] = f'"{phrase}"'
    return result


def _join_phrases(a: str, b: str, text: str) -> str | None:
    if f" {b} " in f" {a} ":
        return a
    if f" {a} " in f" {b} ":
        return b
    for first, second in ((a.split(), b.split()), (b.split(), a.split())):
        for k in range(min(len(first), len(second)) - 1, 0, -1):
            joined = " ".join(first + second[k:])
            if first[-k:] == second[:k] and f" {joined} " in f" {text} ":
                return joined
    return None
