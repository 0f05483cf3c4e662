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
    """A fact about the comment form or how the body is written, as a document token."""

    AUTHOR_NAME_URL = SIGNAL_PREFIX + "author_name_url"
    AUTHOR_URL = SIGNAL_PREFIX + "author_url"
    AUTHOR_SLOGAN = SIGNAL_PREFIX + "author_slogan"
    MANY_LINKS = SIGNAL_PREFIX + "many_links"
    SHOUTING = SIGNAL_PREFIX + "shouting"
    CAPS_WORDS = SIGNAL_PREFIX + "caps_words"
    REPEAT_CHARS = SIGNAL_PREFIX + "repeat_chars"
    MIXED_SCRIPT = SIGNAL_PREFIX + "mixed_script"
    HIDDEN_CHARS = SIGNAL_PREFIX + "hidden_chars"
    STYLED_LETTERS = SIGNAL_PREFIX + "styled_letters"
    LENGTH_SHORT = SIGNAL_PREFIX + "len_short"
    LENGTH_MEDIUM = SIGNAL_PREFIX + "len_medium"
    LENGTH_LONG = SIGNAL_PREFIX + "len_long"
