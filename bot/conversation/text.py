"""Cleaning and checking what people type, before it is stored or shown to anyone."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable

# Telegram's limits on what it shows, counted by `shown_length`.
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024

# Bidi embeddings/overrides/isolates, marks and zero-width characters: they can disguise a name.
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_TAG = re.compile(r"<[^>]*>")
ELLIPSIS = "…"


def clean_line(text: str) -> str:
    """One line of text without control or bidi-override characters, spaces collapsed."""
    text = _INVISIBLE.sub("", text)
    text = "".join(" " if unicodedata.category(char) == "Cc" else char for char in text)
    return " ".join(text.split())


def clean_text(text: str) -> str:
    """Multi-line text without control (except newlines) or bidi-override characters."""
    text = _INVISIBLE.sub("", text).replace("\r\n", "\n")
    text = "".join(
        char for char in text if char == "\n" or unicodedata.category(char) != "Cc"
    )
    return text.strip()


def has_invisible(text: str) -> bool:
    return bool(_INVISIBLE.search(text)) or any(
        unicodedata.category(char) == "Cc" for char in text
    )


def shown_length(markup: str) -> int:
    """The length Telegram checks of a text sent with parse_mode HTML: tags parsed away, each
    entity (&lt;) one character, surrounding whitespace trimmed, counted in code points.

    Measured against Telegram (2026): 4,096 astral emoji (8,192 UTF-16 units) in one message
    were accepted and 4,097 refused, so the 4096 limit counts Unicode code points of the text
    after entity parsing (only entity offsets and lengths are UTF-16 units).
    """
    return len(html.unescape(_TAG.sub("", markup)).strip())


def fits(markup: str, limit: int = TEXT_LIMIT) -> bool:
    """Whether Telegram takes the HTML text in one message (a caption: CAPTION_LIMIT)."""
    return shown_length(markup) <= limit


def excerpt(markup: str, limit: int) -> str:
    """The opening of an HTML text as plain text, at most `limit` characters, cut on a
    character boundary and ending in "…" when cut: HTML itself cannot be cut safely."""
    plain = clean_line(html.unescape(_TAG.sub(" ", markup)))
    return plain if len(plain) <= limit else plain[:limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def fit_field(render: Callable[[str], str], value: str, limit: int = TEXT_LIMIT) -> str:
    """`render(value)`, with the free-text `value` cut short (ending in "…") as far as the text
    must be to fit: a card with long stored fields is shortened, never refused."""
    text = render(value)
    keep = len(value) - (shown_length(text) - limit) - len(ELLIPSIS)
    while not fits(text, limit) and keep > 0:
        text = render(value[:keep].rstrip() + ELLIPSIS)
        keep -= 1
    return text
