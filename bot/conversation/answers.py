"""Parsers of typed answers that several dialogues share: cleaned text within length limits,
whole numbers within bounds, the limits read from the models' fields."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from bot.conversation.dialogue import Invalid, Parser
from bot.conversation.session import Session
from bot.conversation.text import clean_line, clean_text

# Something typed as a link: a scheme (http:, ftp:, …) or www. at the start, or a bare host name
# with a dot and a top-level domain of letters ("freevoices.de", "x.org/path"), as people write one.
_LINK_LIKE = re.compile(r"^([a-z][a-z0-9+.-]*:|www\.)", re.IGNORECASE)
_BARE_HOST = re.compile(r"^(?:[\w-]+\.)+[^\W\d_]{2,}(?:[:/?#]\S*)?$")


def looks_like_link(text: str) -> bool:
    return bool(_BARE_HOST.match(text) or _LINK_LIKE.match(text))


def web_address(text: str) -> str | None:
    """The public web address typed, in full: https:// added when no scheme was typed; None
    unless it is http or https with a host that has a dot (not localhost) and no spaces. The
    one reading of a typed link (an organisation's website, an event's venue link)."""
    if any(char.isspace() for char in text):
        return None
    url = f"https://{text}" if _BARE_HOST.match(text) else text
    parts = urlsplit(url)
    if parts.scheme.lower() in ("http", "https") and "." in (parts.hostname or ""):
        return url
    return None


@dataclass(frozen=True)
class Limit:
    """What a model allows in one field: a text's length or a number's range. Read from the
    field's declared constraints, so the parser, the question that states the range and the
    model that stores the answer agree by construction."""

    minimum: int = 0
    maximum: int | None = None

    @classmethod
    def of(cls, model: type[BaseModel], name: str) -> Limit:
        field = model.model_fields[name]
        # `X | None`: pydantic keeps X's constraints inside the union, not on the field.
        inner = [part for arg in get_args(field.annotation) if get_origin(arg) is Annotated
                 for part in get_args(arg)[1:]]
        return cls._from([*field.metadata, *inner])

    @classmethod
    def of_type(cls, annotation: object) -> Limit:
        """The limit of an `Annotated` type that no model field holds (a value only passed on)."""
        return cls._from(list(get_args(annotation)[1:]))

    @classmethod
    def _from(cls, constraints: list[object]) -> Limit:
        minimum, maximum = 0, None
        for constraint in constraints:
            if isinstance(constraint, FieldInfo):
                constraints.extend(constraint.metadata)
                continue
            low = getattr(constraint, "min_length", None) or getattr(constraint, "ge", None)
            high = getattr(constraint, "max_length", None) or getattr(constraint, "le", None)
            minimum = low if low is not None else minimum
            maximum = high if high is not None else maximum
        return cls(minimum, maximum)

    @property
    def least(self) -> int:
        """The shortest typed answer taken: never empty, whatever the field allows."""
        return max(1, self.minimum)

    def length_values(self, session: Session, answers: dict[str, Any]) -> dict[str, object]:
        """A question's values stating the allowed length (its text is plural in `count`)."""
        return {"count": self.maximum, "minimum": self.least}

    def range_values(self, session: Session, answers: dict[str, Any]) -> dict[str, object]:
        """A question's values stating the allowed range of a number."""
        return {"minimum": self.minimum, "maximum": self.maximum}


def check_length(text: str, limit: Limit) -> str:
    if limit.maximum is not None and len(text) > limit.maximum:
        raise Invalid("invalid.too_long", limit=limit.maximum, count=len(text))
    if len(text) < limit.least:
        raise Invalid("invalid.too_short", count=limit.least)
    return text


def ascii_digits(text: str) -> str:
    """The text with each decimal digit of any script ('٣', '３') as its ASCII digit; digit-like
    characters that are not decimal digits ('²', '½', 'Ⅻ') stay, for a parser to refuse. Every
    typed number goes through here: `number_of`, and dates and times (timeparse.py)."""
    return "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char for char in text)


def number_of(limit: Limit, reason: str) -> Parser:
    """A whole number within `limit`; anything else (a sign, inner spaces, '²', '½', a Roman
    numeral) asks the step again with `reason`, which may state the range."""
    assert limit.maximum is not None, "a typed number needs a maximum"
    maximum = limit.maximum

    def parse(text: str, session: Session, answers: dict[str, Any]) -> int:
        value = ascii_digits(text.strip())
        # str.isdigit() would let '²' through to int(), which refuses it; more digits than the
        # maximum has are out of range anyway, and int() of thousands of digits raises.
        if not (value.isascii() and value.isdigit()) or len(value) > len(str(maximum)):
            raise Invalid(reason, minimum=limit.minimum, maximum=maximum)
        number = int(value)
        if not limit.minimum <= number <= maximum:
            raise Invalid(reason, minimum=limit.minimum, maximum=maximum)
        return number

    return parse


def line_of(limit: Limit) -> Parser:
    """One line (a name, a title): control and bidi characters removed, then measured."""

    def parse(text: str, session: Session, answers: dict[str, Any]) -> str:
        return check_length(clean_line(text), limit)

    return parse


def text_of(limit: Limit) -> Parser:
    """Several lines (a description, a message), cleaned the same way, newlines kept."""

    def parse(text: str, session: Session, answers: dict[str, Any]) -> str:
        return check_length(clean_text(text), limit)

    return parse
