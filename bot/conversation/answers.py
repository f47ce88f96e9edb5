"""Parsers of typed answers that several dialogues share: cleaned text within length limits,
whole numbers within bounds."""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from bot.conversation.dialogue import Invalid, Parser
from bot.conversation.session import Session
from bot.conversation.text import clean_line, clean_text

# Something typed as a link: a scheme (http:, ftp:, …) or www. at the start.
_LINK_LIKE = re.compile(r"^([a-z][a-z0-9+.-]*:|www\.)", re.IGNORECASE)


def looks_like_link(text: str) -> bool:
    return bool(_LINK_LIKE.match(text))


def is_web_address(text: str) -> bool:
    """A public web address: http or https, a host with a dot (not localhost), no spaces."""
    if " " in text:
        return False
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and "." in (parts.hostname or "")


def check_length(text: str, minimum: int, maximum: int) -> str:
    if len(text) > maximum:
        raise Invalid("invalid.too_long", limit=maximum, count=len(text))
    if len(text) < minimum:
        raise Invalid("invalid.too_short", count=minimum)
    return text


def ascii_digits(text: str) -> str:
    """The text with each decimal digit of any script ('٣', '３') as its ASCII digit; digit-like
    characters that are not decimal digits ('²', '½', 'Ⅻ') stay, for a parser to refuse. Every
    typed number goes through here: `number_of`, and dates and times (timeparse.py)."""
    return "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char for char in text)


def number_of(minimum: int, maximum: int, reason: str) -> Parser:
    """A whole number from `minimum` to `maximum`; anything else (a sign, inner spaces, '²',
    '½', a Roman numeral) asks the step again with `reason`."""

    def parse(text: str, session: Session, answers: dict[str, Any]) -> int:
        value = ascii_digits(text.strip())
        # str.isdigit() would let '²' through to int(), which refuses it; more digits than the
        # maximum has are out of range anyway, and int() of thousands of digits raises.
        if not (value.isascii() and value.isdigit()) or len(value) > len(str(maximum)):
            raise Invalid(reason)
        number = int(value)
        if not minimum <= number <= maximum:
            raise Invalid(reason)
        return number

    return parse


def line_of(minimum: int, maximum: int) -> Parser:
    """One line (a name, a title): control and bidi characters removed, then measured."""

    def parse(text: str, session: Session, answers: dict[str, Any]) -> str:
        return check_length(clean_line(text), minimum, maximum)

    return parse


def text_of(minimum: int, maximum: int) -> Parser:
    """Several lines (a description, a message), cleaned the same way, newlines kept."""

    def parse(text: str, session: Session, answers: dict[str, Any]) -> str:
        return check_length(clean_text(text), minimum, maximum)

    return parse


parse_title = line_of(3, 120)
parse_description = text_of(1, 2000)
