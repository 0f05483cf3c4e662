"""Text as the rules and the model both read it: one spelling per word, and its links.

Folding is what lets a word list catch a Cyrillic "і" inside a Latin word or an Arabic word
written with another alef, and lets the model see one word where readers type many.
"""

from __future__ import annotations

import re
import unicodedata

# Zero-width and bidi controls: invisible, so only ever there to split or disguise words.
_INVISIBLE = dict.fromkeys(
    [0x00AD, 0x034F, 0x061C, 0x180E, 0xFEFF, *range(0x200B, 0x2010), *range(0x202A, 0x202F)]
    + [*range(0x2060, 0x2065), *range(0x2066, 0x206A)]
)
INVISIBLE_RE = re.compile("[" + "".join(map(chr, _INVISIBLE)) + "]")
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
SPACE = re.compile(r"\s+")

_TLDS = (
    "com|net|org|info|biz|io|co|me|ly|gl|gd|be|tk|ml|ga|cf|gq|xyz|top|club|online|site|ru|su"
    "|az|tr|uk|de|fr|es|it|nl|us|ca|au|in|id|br|ir|sa|ae|eg|tv|cc|ws|to|link|click|shop"
    "|store|app|dev|live|fun|win|bet|vip|pro|cn|ua|kz|uz|ge|by|mobi|eu|рф"
)
_DOMAIN = rf"(?:[^\W_](?:[\w-]*[^\W_])?\.)+(?:{_TLDS})"
URL = re.compile(rf"\b(?:https?://|www\.)[^\s<>\"']+|\b{_DOMAIN}\b(?:[/?#][^\s<>\"']*)?")
# Every URL match holds "://", "www." or a dot before one of the TLDs: looking for those
# first spares most comments the full pattern, which tries a domain at every word.
_LINK_HINT = re.compile(rf"://|www\.|\.(?:{_TLDS})\b")


def may_have_link(text: str) -> bool:
    """False only if URL cannot match anywhere in `text` (lowercase)."""
    return _LINK_HINT.search(text) is not None


def normalize(text: str) -> str:
    """Fold the many spellings of one comment to a single canonical lowercase form."""
    if text.isascii():  # the common case needs none of the folds below: skip their cost
        return SPACE.sub(" ", text.lower()).strip()
    # str.translate is slow on non-ASCII text: each fold runs only if it has work to do.
    text = INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", text))
    if _TURKIC_RE.search(text):
        text = text.translate(_TURKIC_I)
    text = _NON_ASCII_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group())), text.casefold())
    if _ARABIC_RE.search(text):
        text = _ARABIC_MARKS.sub("", text).translate(_ARABIC_LETTERS)
    if _LATIN.search(text) and _CYRILLIC_GREEK.search(text):
        text = _MIXED_WORD.sub(_fold_mixed_word, text)
    return SPACE.sub(" ", text).strip()


def fold_for_links(text: str) -> str:
    """The folds that can make or unmake a link: NFKC, invisible characters, case."""
    return INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", text)).casefold()


def _fold_mixed_word(match: re.Match[str]) -> str:
    return match.group().translate(_CONFUSABLES)


def has_mixed_script(text: str) -> bool:
    """Tell whether one word mixes Latin with Cyrillic/Greek letters (homoglyph trick)."""
    return has_mixed_word(unicodedata.normalize("NFKC", text))


def has_mixed_word(text: str) -> bool:
    """`has_mixed_script` for text already in NFKC (the writing signals fold it once)."""
    if not (_LATIN.search(text) and _CYRILLIC_GREEK.search(text)):
        return False
    return _MIXED_WORD.search(text) is not None
