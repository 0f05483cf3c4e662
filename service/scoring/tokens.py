"""The tokens a document carries besides its words: typed entities, domains and signals."""

from __future__ import annotations

import enum

LINK, EMAIL, PHONE, USERNAME, PRICE = "[LINK]", "[EMAIL]", "[PHONE]", "[USERNAME]", "[PRICE]"
# A link to a moment of a video ("watch?v=...&t=2m19s"): how viewers cite the video they are
# on, not how spammers promote theirs, so it is not read as [LINK].
TIME_LINK = "[TIMELINK]"
TYPED_TOKENS = (LINK, EMAIL, PHONE, USERNAME, PRICE)

DOMAIN_PREFIX = "link_domain_"
EMAIL_DOMAIN_PREFIX = "email_domain_"
SIGNAL_PREFIX = "sig_"
#: Every prefix of a feature token: such a token is one word to the model, never split.
PREFIXES = (DOMAIN_PREFIX, EMAIL_DOMAIN_PREFIX, SIGNAL_PREFIX)

#: How the model's word block splits a document: typed tokens and feature tokens whole, then
#: words. The shipped model stores this pattern; tests hold the two equal.
WORD_TOKEN_PATTERN = (
    r"\[[A-Z]+\]|(?:" + "|".join(p.removesuffix("_") for p in PREFIXES) + r")_\S+|\w+"
)


class Signal(enum.StrEnum):
    """A fact about the comment form or how the body is written, as a document token.

    Each is its name in lower case after SIGNAL_PREFIX: SHOUTING is "sig_shouting".
    """

    @staticmethod
    def _generate_next_value_(name: str, start: int, count: int, last_values: list[str]) -> str:
        return SIGNAL_PREFIX + name.lower()

    AUTHOR_NAME_URL = enum.auto()
    AUTHOR_URL = enum.auto()
    AUTHOR_SLOGAN = enum.auto()
    MANY_LINKS = enum.auto()
    SHOUTING = enum.auto()
    CAPS_WORDS = enum.auto()
    REPEAT_CHARS = enum.auto()
    MIXED_SCRIPT = enum.auto()
    HIDDEN_CHARS = enum.auto()
    STYLED_LETTERS = enum.auto()
    LEN_SHORT = enum.auto()
    LEN_MEDIUM = enum.auto()
    LEN_LONG = enum.auto()
