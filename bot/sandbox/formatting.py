"""What a user sees of a formatted text: Telegram's parse_mode=HTML rules and length limits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.sandbox.errors import ApiError, bad


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


# --- HTML parse mode -------------------------------------------------------------------------

_SPECIAL = re.compile(r"[<&]")
_ATTRIBUTE = r"[A-Za-z][A-Za-z0-9_-]*(?:\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'|[^\s\"'=<>`]+))?"
_TAG = re.compile(rf"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+{_ATTRIBUTE})*)\s*>")
_ATTRIBUTES = re.compile(
    r"([A-Za-z][A-Za-z0-9_-]*)(?:\s*=\s*(?:\"([^\"<]*)\"|'([^'<]*)'|([^\s\"'=<>`]+)))?"
)
_ENTITY = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9A-Fa-f]{1,6})|(lt|gt|amp|quot));")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}


def _cant_parse(reason: str) -> ApiError:
    return bad(f"can't parse entities: {reason}")


def _decode_entity(match: re.Match[str], byte_offset: int) -> str:
    decimal, hexadecimal, named = match.groups()
    if named is not None:
        return _NAMED_ENTITIES[named]
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise _cant_parse(f"Invalid character entity at byte offset {byte_offset}")
    return chr(code)


def _unescape_attribute(value: str) -> str:
    # Inside an allowed tag a stray "&" is kept literally; valid entities are decoded.
    def replace(match: re.Match[str]) -> str:
        try:
            return _decode_entity(match, 0)
        except ApiError:
            return match.group()

    return _ENTITY.sub(replace, value)


@dataclass(slots=True)
class _OpenTag:
    name: str
    entity: dict[str, Any]
    start: int
    language: str | None = None


def _open_tag(name: str, raw_attributes: str, byte_offset: int, start: int) -> _OpenTag:
    if name not in _TAG_ENTITY_TYPES:
        raise _cant_parse(f'Unsupported start tag "{name}" at byte offset {byte_offset}')
    attributes: dict[str, str] = {}
    for match in _ATTRIBUTES.finditer(raw_attributes):
        value = next((v for v in match.groups()[1:] if v is not None), "")
        attributes[match.group(1).lower()] = _unescape_attribute(value)
    tag = _OpenTag(name, {"type": _TAG_ENTITY_TYPES[name]}, start)
    if name == "a":
        href = attributes.get("href", "").strip()
        if not href:
            raise _cant_parse(f'Tag "a" must have attribute "href" at byte offset {byte_offset}')
        tag.entity["url"] = href
    elif name == "span" and attributes.get("class") != "tg-spoiler":
        raise _cant_parse(f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset}')
    elif name == "tg-emoji":
        emoji_id = attributes.get("emoji-id", "")
        if not emoji_id.isdigit():
            raise _cant_parse(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {byte_offset}'
            )
        tag.entity["custom_emoji_id"] = emoji_id
    elif name == "blockquote" and "expandable" in attributes:
        tag.entity["type"] = "expandable_blockquote"
    elif name == "code" and attributes.get("class", "").startswith("language-"):
        tag.language = attributes["class"].removeprefix("language-")
    return tag


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities of an HTML-formatted text; ApiError(400) where Telegram says so.

    Like Telegram, every "<" must open or close an allowed, well-formed tag and every "&" must
    start a numeric entity or one of &lt; &gt; &amp; &quot;. Offsets are in UTF-16 code units.
    Leading and trailing whitespace is not stripped here.
    """
    parts: list[str] = []
    length = 0
    stack: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []
    position = 0
    while position < len(source):
        special = _SPECIAL.search(source, position)
        end = special.start() if special else len(source)
        if end > position:
            chunk = source[position:end]
            parts.append(chunk)
            length += utf16_len(chunk)
            position = end
            continue
        byte_offset = len(source[:position].encode("utf-8"))
        if source[position] == "&":
            entity = _ENTITY.match(source, position)
            if entity is None:
                raise _cant_parse(f"Unsupported HTML entity at byte offset {byte_offset}")
            character = _decode_entity(entity, byte_offset)
            parts.append(character)
            length += utf16_len(character)
            position = entity.end()
            continue
        tag = _TAG.match(source, position)
        if tag is None:
            following = source[position + 1 : position + 2]
            if following == "/":
                raise _cant_parse(f"Malformed end tag at byte offset {byte_offset}")
            if following.isalpha():
                raise _cant_parse(f"Unclosed start tag at byte offset {byte_offset}")
            raise _cant_parse(f"Unexpected end of name token at byte offset {byte_offset}")
        closing, name, raw_attributes = tag.group(1), tag.group(2).lower(), tag.group(3)
        position = tag.end()
        if not closing:
            stack.append(_open_tag(name, raw_attributes, byte_offset, length))
            continue
        if raw_attributes.strip():
            raise _cant_parse(f"Unexpected attributes in end tag at byte offset {byte_offset}")
        if not stack:
            raise _cant_parse(f'Unexpected end tag "{name}" at byte offset {byte_offset}')
        opened = stack.pop()
        if opened.name != name:
            raise _cant_parse(
                f'Unmatched end tag at byte offset {byte_offset}, expected "</{opened.name}>", '
                f'found "</{name}>"'
            )
        if opened.language is not None and stack and stack[-1].name == "pre":
            stack[-1].entity["language"] = opened.language
            continue
        if length > opened.start:
            span = {"offset": opened.start, "length": length - opened.start}
            entities.append({**opened.entity, **span})
    if stack:
        raise _cant_parse(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(parts), entities


def _strip(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    # Telegram trims surrounding whitespace and shifts/clips entities accordingly.
    left = text.lstrip()
    lead = utf16_len(text) - utf16_len(left)
    stripped = left.rstrip()
    total = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(0, entity["offset"] - lead)
        end = min(total, entity["offset"] + entity["length"] - lead)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def _validate_entities(value: Any, text: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise _cant_parse("entities must be an Array")
    total = utf16_len(text)
    entities = []
    for entity in value:
        if not isinstance(entity, dict) or not isinstance(entity.get("type"), str):
            raise _cant_parse("MessageEntity must be an Object with a type")
        offset, size = entity.get("offset"), entity.get("length")
        if not isinstance(offset, int) or not isinstance(size, int) or offset < 0 or size < 0:
            raise _cant_parse("MessageEntity offset and length must be non-negative Integers")
        if offset + size > total:
            raise _cant_parse("MessageEntity is outside of the text")
        if size:
            entities.append(dict(entity))
    return entities


def format_text(
    text: str, parse_mode: str | None, entities: Any = None
) -> tuple[str, list[dict[str, Any]]]:
    """What a user sees: stripped plain text and its entities, as Telegram derives them."""
    if entities is not None:
        plain, parsed = text, _validate_entities(entities, text)
    elif not parse_mode:
        plain, parsed = text, []
    elif parse_mode.lower() == "html":
        plain, parsed = parse_html(text)
    elif parse_mode.lower() in ("markdown", "markdownv2"):
        raise bad(f'parse_mode "{parse_mode}" is not implemented by the sandbox; use HTML')
    else:
        raise bad("unsupported parse_mode")
    return _strip(plain, parsed)


# --- What a person types ----------------------------------------------------------------------

# A marker opens before a non-space and closes after one, never inside a word (snake_case,
# 2*3*4 stay text); a link needs an http(s) address.
_TYPED = re.compile(
    r"\[(?P<label>[^\]\n]+)\]\((?P<url>https?://[^\s()]+)\)"
    r"|(?<![\w*])\*(?P<bold>\S(?:.*?\S)?)\*(?![\w*])"
    r"|(?<!\w)_(?P<italic>\S(?:.*?\S)?)_(?!\w)"
)


def typed_markup(text: str) -> tuple[str, list[dict[str, Any]]]:
    """The text and entities a Telegram client sends for ``*bold*``, ``_italic_`` and
    ``[text](https://…)`` typed in its input field: the markers removed, offsets in UTF-16."""
    parts: list[str] = []
    entities: list[dict[str, Any]] = []
    length = position = 0
    for match in _TYPED.finditer(text):
        before = text[position : match.start()]
        parts.append(before)
        length += utf16_len(before)
        if match.group("label") is not None:
            inner, entity = match.group("label"), {"type": "text_link", "url": match.group("url")}
        elif match.group("bold") is not None:
            inner, entity = match.group("bold"), {"type": "bold"}
        else:
            inner, entity = match.group("italic"), {"type": "italic"}
        plain, nested = typed_markup(inner)
        entities.append({**entity, "offset": length, "length": utf16_len(plain)})
        entities.extend({**e, "offset": e["offset"] + length} for e in nested)
        parts.append(plain)
        length += utf16_len(plain)
        position = match.end()
    parts.append(text[position:])
    return "".join(parts), entities


# --- Length limits ---------------------------------------------------------------------------

# Measured against Telegram (2026): a text of 4,096 astral emoji (8,192 UTF-16 units) was
# accepted and one of 4,097 refused. The limits count Unicode code points of the text after
# entity parsing (see `shown_length`); entity offsets and lengths are UTF-16 units.
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024


def shown_length(text: str) -> int:
    """Length of a parsed, stripped text as Telegram's message and caption limits count it:
    Unicode code points (not UTF-16 units, see MAX_TEXT_LENGTH)."""
    return len(text)


def message_text(
    raw: str | None, parse_mode: str | None, entities: Any
) -> tuple[str, list[dict[str, Any]]]:
    """The shown text and entities of a message; ApiError(400) if empty or too long."""
    text, parsed = format_text(raw or "", parse_mode, entities)
    if not text:
        raise bad("message text is empty")
    if shown_length(text) > MAX_TEXT_LENGTH:
        raise bad("message is too long")
    return text, parsed


def caption_text(
    raw: str | None, parse_mode: str | None, entities: Any
) -> tuple[str, list[dict[str, Any]]]:
    """The shown caption and entities of a document; ApiError(400) if too long."""
    caption, parsed = format_text(raw or "", parse_mode, entities)
    if shown_length(caption) > MAX_CAPTION_LENGTH:
        raise bad("message caption is too long")
    return caption, parsed
