"""Turn a comment and its form fields into the one text document the model reads."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

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

# Zero-width and bidi controls: invisible, so only ever there to split or disguise words.
_INVISIBLE = dict.fromkeys(
    [0x00AD, 0x034F, 0x061C, 0x180E, 0xFEFF, *range(0x200B, 0x2010), *range(0x202A, 0x202F)]
    + [*range(0x2060, 0x2065), *range(0x2066, 0x206A)]
)
_INVISIBLE_RE = re.compile("[" + "".join(map(chr, _INVISIBLE)) + "]")
# Arabic harakat, Quranic marks, superscript alef and tatweel carry no spam signal but
# multiply the spellings of one word.
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTERS = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ی": "ي", "ئ": "ي", "ة": "ه",
     "ھ": "ه", "ۀ": "ه", "ؤ": "و", "ک": "ك", "ګ": "ك"}
)  # fmt: skip
# Folding the whole i family to one letter is lossy for Turkish/Azerbaijani, but casefold()
# alone maps them inconsistently (I->i, İ->i̇, ı unchanged), which is worse.
_TURKIC_I = str.maketrans({"İ": "i", "ı": "i", "\u0307": ""})
_TURKIC_RE = re.compile("[İı\u0307]")
_ARABIC_RE = re.compile("[\u0600-\u06ff]")
_NON_ASCII_DIGIT = re.compile(r"(?![0-9])\d")
# Cyrillic/Greek letters that look Latin after casefold; applied only inside words that
# already mix scripts, so Russian or Greek text stays as it is.
_CONFUSABLES = str.maketrans(
    {"а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
     "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "һ": "h",
     "ԁ": "d", "ԛ": "q", "ԝ": "w", "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i",
     "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x"}
)  # fmt: skip
_LATIN = re.compile(r"[a-zA-Z\u00c0-\u024f]")
_CYRILLIC_GREEK = re.compile(r"[\u0370-\u03ff\u0400-\u04ff\u0500-\u052f]")
# A whole word holding both a Latin and a Cyrillic/Greek letter: found by the regex engine,
# so only such words reach Python.
_MIXED_WORD = re.compile(
    r"(?<!\S)(?=\S*[a-zA-Z\u00c0-\u024f])(?=\S*[\u0370-\u03ff\u0400-\u04ff\u0500-\u052f])\S+"
)
_SPACE = re.compile(r"\s+")

_TLDS = (
    "com|net|org|info|biz|io|co|me|ly|gl|gd|be|tk|ml|ga|cf|gq|xyz|top|club|online|site|ru|su"
    "|az|tr|uk|de|fr|es|it|nl|us|ca|au|in|id|br|ir|sa|ae|eg|tv|cc|ws|to|link|click|shop"
    "|store|app|dev|live|fun|win|bet|vip|pro|cn|ua|kz|uz|ge|by|mobi|eu|рф"
)
_DOMAIN = rf"(?:[^\W_](?:[\w-]*[^\W_])?\.)+(?:{_TLDS})"
_URL = re.compile(rf"\b(?:https?://|www\.)[^\s<>\"']+|\b{_DOMAIN}\b(?:[/?#][^\s<>\"']*)?")
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


def normalize(text: str) -> str:
    """Fold the many spellings of one comment to a single canonical lowercase form."""
    if text.isascii():  # the common case needs none of the folds below: skip their cost
        return _SPACE.sub(" ", text.lower()).strip()
    # str.translate is slow on non-ASCII text: each fold runs only if it has work to do.
    text = _INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", text))
    if _TURKIC_RE.search(text):
        text = text.translate(_TURKIC_I)
    text = _NON_ASCII_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group())), text.casefold())
    if _ARABIC_RE.search(text):
        text = _ARABIC_MARKS.sub("", text).translate(_ARABIC_LETTERS)
    if _LATIN.search(text) and _CYRILLIC_GREEK.search(text):
        text = _MIXED_WORD.sub(_fold_mixed_word, text)
    return _SPACE.sub(" ", text).strip()


def _fold_mixed_word(match: re.Match[str]) -> str:
    return match.group().translate(_CONFUSABLES)


def has_mixed_script(text: str) -> bool:
    """Tell whether one word mixes Latin with Cyrillic/Greek letters (homoglyph trick)."""
    return _has_mixed_word(unicodedata.normalize("NFKC", text))


def _has_mixed_word(text: str) -> bool:
    # `text` is already NFKC: the writing signals normalise the body once for all checks.
    if not (_LATIN.search(text) and _CYRILLIC_GREEK.search(text)):
        return False
    return _MIXED_WORD.search(text) is not None


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
    if "." in text:
        text, links = _URL.subn(lambda m: _link_token(m.group(), tokens), text)
    if _DIGIT.search(text):
        text = _PRICE_RE.sub(f" {PRICE} ", text)
        text = _PHONE_RE.sub(_phone_token, text)
    if "@" in text:
        text = _HANDLE.sub(f" {USERNAME} ", text)
    if "[" in text:  # data that arrived tokenised ("[LINK]") was casefolded: restore it
        text = _PLACEHOLDER.sub(lambda m: f" {m.group().upper()} ", text)
    return Tagged(_SPACE.sub(" ", text).strip(), tuple(tokens), links)


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
    if author_name and _URL.search(normalize(author_name)):
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
    text = body if plain else _INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", body))
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
    if _has_mixed_word(text):
        signals.append(Signal.MIXED_SCRIPT)
    if _INVISIBLE_RE.search(body):
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
