"""Cleaning and checking what people type, before it is stored or shown to anyone."""

from __future__ import annotations

import re
import unicodedata

# Bidi embeddings/overrides/isolates, marks and zero-width characters: they can disguise a name.
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


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
