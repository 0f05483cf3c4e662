"""Turn a comment and its form fields into the one text document the model reads."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from service.moderation.text import (
    INVISIBLE_RE,
    SPACE,
    URL,
    has_mixed_word,
    may_have_link,
    normalize,
)
from service.scoring.tokens import (
    DOMAIN_PREFIX,
    EMAIL,
    EMAIL_DOMAIN_PREFIX,
    LINK,
    PHONE,
    PRICE,
    TIME_LINK,
    TYPED_TOKENS,
    USERNAME,
    Signal,
)

_EMAIL_RE = re.compile(r"[\w.+-]+@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}\b")
_HANDLE = re.compile(r"(?<![\w.@/])@[^\W][\w.]{1,30}")
_CURRENCY = r"[$€£¥₽₺₼₹﷼]"
_CURRENCY_WORD = (
    r"usd|eur|gbp|rub|azn|try|tl|manat|lira|dollars?|euros?|pounds?|bucks"
    r"|руб(?:лей|ля)?|ريال|درهم|دينار|جنيه"
)
_AMOUNT = r"\d+(?:[.,]\d+)*"
_PRICE_RE = re.compile(
    rf"{_CURRENCY}\s?{_AMOUNT}(?:\s?[km]\b)?|\b{_AMOUNT}\s?(?:[km]\s?)?(?:{_CURRENCY}|(?:{_CURRENCY_WORD})\b)"
)
_PHONE_RE = re.compile(r"(?<![\w+])(?:\+|\(\s?)?\d(?:[\s().\-]{0,2}\d){6,14}(?!\w)")
_TIME_LINK = re.compile(r"(?:youtube\.com/watch\?\S*v=|youtu\.be/)[\w-]{11}\S*[?&#]t=\d")
_DIGIT = re.compile(r"\d")
_REPEAT = re.compile(r"(.)\1{3,}")
# Maths-bold, fullwidth and circled letters: a favourite way to dodge word filters.
_STYLED = re.compile("[\U0001d400-\U0001d7ff\uff01-\uff5e\u2460-\u24ff\U0001f130-\U0001f189]")
_TRAILING_PUNCT = ".,!?;:)]}'\""
# Comments pasted from web pages carry markup; an anchor's href is the link that matters.
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_ANCHOR = re.compile(r"<a\s[^>]*?href=[\"']?([^\"'\s>]+)[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[a-z][a-z0-9]*(?:\s[^<>]*)?/?>", re.IGNORECASE)
_PLACEHOLDER = re.compile("|".join(re.escape(token) for token in TYPED_TOKENS), re.IGNORECASE)
_CAMEL_PART = re.compile(r"[A-Z][a-z]*")
# Upper-case letters of the cased scripts only: Arabic has no case, so never "shouts".
_CAPS_WORD = re.compile(r"\b[A-Z\u00c0-\u00de\u0391-\u03a9\u0401-\u042f]{3,}\b")


@dataclass(frozen=True)
class ScoringInput:
    """What the model reads of a comment."""

    body: str
    author_name: str = ""
    author_email: str = ""
    author_url: str = ""


@dataclass(frozen=True)
class Tagged:
    """Text with typed entities replaced by tokens, plus feature tokens they produced."""

    text: str
    tokens: tuple[str, ...]
    links: int


def link_domain(url: str) -> str:
    """Return the host of a URL, lowercase, without scheme, port or a leading www."""
    host = re.sub(r"^[a-z]+://", "", url.strip().casefold())
    host = re.split(r"[/?#:]", host, maxsplit=1)[0]
    return host.removeprefix("www.").strip(_TRAILING_PUNCT)


def tag_entities(text: str) -> Tagged:
    """Replace e-mails, links, prices, phones and @handles in normalised text by tokens."""
    # Each pattern needs a character most comments lack; checking for it first is cheap.
    tokens: list[str] = []
    links = 0
    if "@" in text:
        text = _EMAIL_RE.sub(f" {EMAIL} ", text)
    if "." in text and may_have_link(text):
        text, links = URL.subn(lambda m: _link_token(m.group(), tokens), text)
    if _DIGIT.search(text):
        text = _PRICE_RE.sub(f" {PRICE} ", text)
        text = _PHONE_RE.sub(_phone_token, text)
    if "@" in text:
        text = _HANDLE.sub(f" {USERNAME} ", text)
    if "[" in text:  # data that arrived tokenised ("[LINK]") was casefolded: restore it
        text = _PLACEHOLDER.sub(lambda m: f" {m.group().upper()} ", text)
    return Tagged(SPACE.sub(" ", text).strip(), tuple(tokens), links)


def _link_token(url: str, tokens: list[str]) -> str:
    stripped = url.rstrip(_TRAILING_PUNCT)
    if _TIME_LINK.search(stripped):
        tokens.append(TIME_LINK)
        return f" {TIME_LINK} {url[len(stripped) :]}"
    host = link_domain(stripped)
    if host:
        tokens.append(DOMAIN_PREFIX + host)
        labels = host.split(".")
        if len(labels) > 2:
            tokens.append(DOMAIN_PREFIX + ".".join(labels[-2:]))
    return f" {LINK} {url[len(stripped) :]}"


def _phone_token(match: re.Match[str]) -> str:
    raw = match.group()
    digits = sum(ch.isdigit() for ch in raw)
    # A bare 7-8 digit run is as often a date or an amount as a phone number.
    if raw[0] in "+(" or raw.startswith("0") or digits >= 9:
        return f" {PHONE} "
    return raw


def form_signals(body: str, author_name: str, author_email: str, author_url: str) -> list[str]:
    """Return signal tokens from the comment form and from how the body is written."""
    signals = _writing_signals(body)
    name = normalize(author_name) if author_name else ""
    if name and may_have_link(name) and URL.search(name):
        signals.append(Signal.AUTHOR_NAME_URL)
    if _is_slogan(author_name):
        signals.append(Signal.AUTHOR_SLOGAN)
    if author_url.strip():
        signals.append(Signal.AUTHOR_URL)
    if "@" in author_email:
        signals.append(EMAIL_DOMAIN_PREFIX + author_email.rsplit("@", 1)[1].strip().casefold())
    return signals


def strip_markup(text: str) -> str:
    """Replace HTML line breaks and anchors by plain text; drop any other tag."""
    text = _BREAK.sub("\n", text)
    text = _ANCHOR.sub(_anchor_text, text)
    return _TAG.sub(" ", text)


def _anchor_text(match: re.Match[str]) -> str:
    href, label = match.group(1), _TAG.sub(" ", match.group(2)).strip()
    # An anchor whose text is its own URL is one link, not two.
    same = not label or label.rstrip("/…") in href or href in label
    return f" {href} " if same else f" {href} {label} "


def _is_slogan(name: str) -> bool:
    # "HowToMakeALotOfMoneyFast" or "How To Make Money On The Internet": a pitch, not a name.
    words = name.split()
    return len(words) >= 5 or (len(words) == 1 and len(_CAMEL_PART.findall(name)) >= 4)


def _writing_signals(body: str) -> list[str]:
    plain = body.isascii()  # then NFKC changes nothing and no trick below is possible
    text = body if plain else INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", body))
    # Placeholders in pre-tokenised data are upper case but nobody wrote them.
    text = _PLACEHOLDER.sub(" ", text) if "[" in text else text
    signals = _shape_signals(text)
    if not plain:
        signals += _unicode_signals(body, text)
    signals.append(_length_bucket(len(text)))
    return signals


def _shape_signals(text: str) -> list[str]:
    signals: list[str] = []
    upper = sum(map(str.isupper, text))
    # Shouting is 60 % capitals of at least 10 letters, so fewer than 6 capitals never is:
    # most comments skip counting their letters.
    letters = sum(map(str.isalpha, text)) if upper >= 6 else 0
    if letters >= 10 and upper >= 0.6 * letters:
        signals.append(Signal.SHOUTING)
    elif len(_CAPS_WORD.findall(text)) >= 2:
        signals.append(Signal.CAPS_WORDS)
    if _REPEAT.search(text):
        signals.append(Signal.REPEAT_CHARS)
    return signals


def _unicode_signals(body: str, text: str) -> list[str]:
    signals: list[str] = []
    if has_mixed_word(text):
        signals.append(Signal.MIXED_SCRIPT)
    if INVISIBLE_RE.search(body):
        signals.append(Signal.HIDDEN_CHARS)
    if _STYLED.search(body):
        signals.append(Signal.STYLED_LETTERS)
    return signals


def _length_bucket(length: int) -> str:
    if length < 20:
        return Signal.LEN_SHORT
    return Signal.LEN_MEDIUM if length < 200 else Signal.LEN_LONG


def to_document(item: ScoringInput) -> str:
    """Build the document the model reads: tagged body, then feature and signal tokens.

    Training reads its examples through this same function, so the two cannot drift.
    """
    body = strip_markup(item.body)
    tagged = tag_entities(normalize(body))
    extra = list(tagged.tokens)
    if tagged.links >= 2:
        extra.append(Signal.MANY_LINKS)
    extra += form_signals(body, item.author_name, item.author_email, item.author_url)
    return " ".join([tagged.text, *extra]) if tagged.text else " ".join(extra)
