"""A small Bot-API-compatible HTTP server on localhost that stands in for Telegram."""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import copy
import json
import logging
import mimetypes
import re
import signal
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple, TypeVar

from aiohttp import web

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456:SANDBOX"
DEFAULT_BOT_USERNAME = "coalition_sandbox_bot"
# Measured against Telegram (2026): a text of 4,096 astral emoji (8,192 UTF-16 units) was
# accepted and one of 4,097 refused. The limits count Unicode code points of the text after
# entity parsing (see `shown_length`); entity offsets and lengths are UTF-16 units.
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_UPDATES_PER_POLL = 100

BLOCKED_DESCRIPTION = "Forbidden: bot was blocked by the user"
CHAT_NOT_FOUND_DESCRIPTION = "Bad Request: chat not found"
NOT_MODIFIED_DESCRIPTION = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)

# Methods that act on a chat: a user who blocked the bot makes them fail with 403.
_BLOCKABLE_METHODS = frozenset(
    {"sendMessage", "sendDocument", "sendChatAction", "editMessageText", "editMessageReplyMarkup"}
)
_API_PATH = re.compile(r"/bot([^/]+)/([A-Za-z0-9_]+)/?")
_FILE_PATH = re.compile(r"/file/bot([^/]+)/(.+)")
_BOT_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{1,64})?(?![A-Za-z0-9_@])")
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")

T = TypeVar("T")


class ApiError(Exception):
    """An error answer of the Bot API; the HTTP status equals ``error_code``."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def shown_length(text: str) -> int:
    """Length of a parsed, stripped text as Telegram's message and caption limits count it:
    Unicode code points (not UTF-16 units, see MAX_TEXT_LENGTH)."""
    return len(text)


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
    return _bad(f"can't parse entities: {reason}")


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
        raise _bad(f'parse_mode "{parse_mode}" is not implemented by the sandbox; use HTML')
    else:
        raise _bad("unsupported parse_mode")
    return _strip(plain, parsed)


# --- Keyboards -------------------------------------------------------------------------------

_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def _validate_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _bad("text buttons are unallowed in the inline keyboard")
    actions = [name for name in _BUTTON_ACTIONS if button.get(name) is not None]
    if not actions:
        raise _bad("text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise _bad("can't parse inline keyboard button: exactly one optional field must be used")
    if "callback_data" in actions:
        data = button["callback_data"]
        if (
            not isinstance(data, str)
            or not data
            or len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES
        ):
            raise _bad("BUTTON_DATA_INVALID")
    if "url" in actions:
        url = button["url"]
        if not isinstance(url, str) or not url.startswith(("http://", "https://", "tg://")):
            raise _bad("BUTTON_URL_INVALID")


def _rows(markup: dict[str, Any], key: str) -> list[list[Any]]:
    rows = markup[key]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad(f'field "{key}" must be an Array of Arrays')
    return rows


def validate_reply_markup(markup: Any) -> dict[str, Any]:
    """The markup if Telegram would accept it, otherwise ApiError(400)."""
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        for row in _rows(markup, "inline_keyboard"):
            for button in row:
                _validate_inline_button(button)
    elif "keyboard" in markup:
        for row in _rows(markup, "keyboard"):
            for button in row:
                text = button.get("text") if isinstance(button, dict) else button
                if not isinstance(text, str) or not text:
                    raise _bad("keyboard button text is empty")
    elif markup.get("remove_keyboard") is not True and markup.get("force_reply") is not True:
        raise _bad("can't parse reply keyboard markup JSON object")
    return markup


def callback_data_of(message: dict[str, Any]) -> list[str]:
    """The callback_data of every inline button of a message, in keyboard order."""
    markup = message.get("reply_markup") or {}
    return [
        button["callback_data"]
        for row in markup.get("inline_keyboard", [])
        for button in row
        if "callback_data" in button
    ]


def command_key(scope: dict[str, Any] | None = None, language_code: str = "") -> tuple[str, str]:
    """Key of ``BotApiServer.commands``: canonical JSON of the scope and the language code."""
    scope = scope if scope is not None else {"type": "default"}
    return json.dumps(scope, sort_keys=True, separators=(",", ":")), language_code


# --- Records ---------------------------------------------------------------------------------


@dataclass
class SentRecord:
    """One accepted send or edit, as the user's client would show it."""

    seq: int
    method: str
    chat_id: int
    message_id: int
    text: str | None
    html: str | None
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    document: bytes | None
    filename: str | None
    caption: str | None
    time: float
    edited: bool = False
    entities: list[dict[str, Any]] = field(default_factory=list)


class RejectedRecord(NamedTuple):
    method: str
    chat_id: int | None
    error_code: int
    description: str


class CallbackAnswer(NamedTuple):
    callback_query_id: str
    text: str | None
    show_alert: bool


@dataclass
class _Injection:
    method: str
    chat_id: int | None
    error: ApiError
    remaining: int | None


@dataclass
class _Upload:
    data: bytes
    filename: str | None
    mime_type: str | None


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    filename: str | None
    mime_type: str | None


class _Params:
    """Request parameters: strings raw, anything else JSON-encoded (form) or typed (JSON body)."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, _Upload]):
        self.values = values
        self.uploads = uploads

    def get_str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise _bad(f'field "{name}" must be of type String')

    def get_int(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return int(value.strip())
        raise _bad(f'field "{name}" must be an Integer')

    def get_number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return float(value.strip())
        raise _bad(f'field "{name}" must be a Number')

    def get_bool(self, name: str) -> bool:
        value = self.values.get(name)
        if value is None or isinstance(value, bool):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "1", "false", "0", ""):
            return value.lower() in ("true", "1")
        raise _bad(f'field "{name}" must be a Boolean')

    def get_json(self, name: str) -> Any:
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise _bad(f"can't parse {name} JSON object") from None


Handler = Callable[[_Params], Awaitable[Any]]


# --- The server ------------------------------------------------------------------------------


class BotApiServer:
    """Bot API over HTTP on localhost, with a user side that tests and the terminal chat drive.

    All methods must be called from the event loop the server runs on.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = DEFAULT_BOT_USERNAME,
        host: str = "127.0.0.1",
        port: int = 0,
        log_path: str | Path | None = None,
        *,
        bot_first_name: str = "Coalition (sandbox)",
        first_update_id: int = 1,
    ):
        bot_id, _, _ = token.partition(":")
        if not bot_id.isdigit():
            raise ValueError(f"token must look like '<bot id>:<secret>', got {token!r}")
        self.token = token
        self.host = host
        self.log_path = Path(log_path) if log_path is not None else None
        self.bot_user: dict[str, Any] = {
            "id": int(bot_id),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self._requested_port = port
        self._runner: web.AppRunner | None = None
        self._log_file: IO[str] | None = None
        self._closing = False

        self.users: dict[int, dict[str, Any]] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.user_messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.deleted: list[tuple[int, int]] = []
        self.outbox: list[SentRecord] = []
        self.rejected: list[RejectedRecord] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.request_count: Counter[str] = Counter()
        self.files: dict[str, _StoredFile] = {}
        self.webhook_url = ""
        self.polls_waiting = 0

        self._last_message_id: dict[int, int] = {}
        self._seq = 0
        self._next_update_id = first_update_id
        self._pending: list[dict[str, Any]] = []
        self._history: dict[int, dict[str, Any]] = {}
        self._redelivered: set[int] = set()
        self._poll_generation = 0
        self._open_queries: set[str] = set()
        self._callback_seq = 0
        self._injections: list[_Injection] = []
        self._blocked: set[int] = set()
        self._changed = asyncio.Event()
        self._updates_arrived = asyncio.Event()

        handlers: dict[str, Handler] = {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendDocument": self._send_document,
            "getFile": self._get_file,
            "sendChatAction": self._send_chat_action,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "setMyDescription": self._true,
            "setMyShortDescription": self._true,
            "setMyName": self._true,
        }
        self._handlers = {name.lower(): (name, handler) for name, handler in handlers.items()}

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("the sandbox server is already running")
        self._closing = False
        self._open_log()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, self.host, self._requested_port).start()
        self._runner = runner

    async def stop(self) -> None:
        self._closing = True
        self._wake_pollers()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    async def __aenter__(self) -> BotApiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._runner is None:
            raise RuntimeError("the sandbox server is not running")
        return self._runner.addresses[0][1]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def file_base_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    def _open_log(self) -> None:
        if self.log_path is not None and self._log_file is None:
            self._log_file = self.log_path.open("a", encoding="utf-8")

    # --- user side ---------------------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str = "Alice",
        username: str | None = "alice",
        language_code: str | None = "en",
    ) -> dict[str, Any]:
        """Register a Telegram user (idempotent); their private chat has the same id."""
        if user_id in self.users:
            return self.users[user_id]
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        return user

    def user_sends(self, user_id: int, text: str) -> dict[str, Any]:
        """The user writes ``text`` to the bot; returns the user's message."""
        if not text.strip():
            raise ValueError("a Telegram client cannot send an empty message")
        message = self._new_message(user_id, self._user(user_id))
        message["text"] = text
        command = _BOT_COMMAND.match(text)
        if command:
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command.group())}
            ]
        self.user_messages[(user_id, message["message_id"])] = message
        self.enqueue_update({"message": copy.deepcopy(message)})
        return message

    def user_presses(self, user_id: int, message_id: int, callback_data: str) -> str:
        """The user presses the button with ``callback_data``; returns the callback query id."""
        message = self.messages.get((user_id, message_id))
        if message is None:
            raise ValueError(f"there is no bot message {message_id} in chat {user_id}")
        buttons = callback_data_of(message)
        if callback_data not in buttons:
            raise ValueError(
                f"message {message_id} in chat {user_id} has no button with callback_data "
                f"{callback_data!r}; its buttons carry {buttons!r}"
            )
        return self._press(user_id, message_id, callback_data)

    def user_presses_forged(self, user_id: int, message_id: int, callback_data: str) -> str:
        """Like user_presses, for data no real button carries (a forged or stale client)."""
        return self._press(user_id, message_id, callback_data)

    def _press(self, user_id: int, message_id: int, callback_data: str) -> str:
        user = self._user(user_id)
        self._callback_seq += 1
        query_id = str(self.bot_user["id"] * 1_000_000 + self._callback_seq)
        message = self.messages.get((user_id, message_id))
        query: dict[str, Any] = {
            "id": query_id,
            "from": dict(user),
            "chat_instance": str(user_id * 7919 + self.bot_user["id"]),
            "data": callback_data,
            # An unknown message reaches the bot as an InaccessibleMessage (date 0).
            "message": copy.deepcopy(message)
            if message is not None
            else {"chat": self._chat(user_id), "message_id": message_id, "date": 0},
        }
        self._open_queries.add(query_id)
        self.enqueue_update({"callback_query": query})
        return query_id

    def enqueue_update(self, update: dict[str, Any]) -> int:
        """Queue a raw update for getUpdates; assigns and returns its update_id."""
        update = {**update, "update_id": self._next_update_id}
        self._next_update_id += 1
        self._history[update["update_id"]] = update
        self._pending.append(update)
        self._wake_pollers()
        self._notify()
        return update["update_id"]

    def resend_update(self, update_id: int) -> None:
        """Deliver an update again, as Telegram does when the bot did not confirm it."""
        update = self._history.get(update_id)
        if update is None:
            raise ValueError(f"no update {update_id} was ever queued")
        if all(pending["update_id"] != update_id for pending in self._pending):
            bisect.insort(self._pending, update, key=lambda u: u["update_id"])
        # The bot's offset may already be past it; deliver it once regardless.
        self._redelivered.add(update_id)
        self._wake_pollers()
        self._notify()

    @property
    def last_update_id(self) -> int:
        """The update_id given to the latest queued update (first_update_id - 1 before any)."""
        return self._next_update_id - 1

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot."""
        return list(self._pending)

    # --- error injection ---------------------------------------------------------------------

    def inject_error(
        self,
        method: str,
        *,
        chat_id: int | None = None,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
        times: int | None = 1,
    ) -> None:
        """Fail the next ``times`` calls of ``method`` (to ``chat_id``); None = until cleared."""
        if times is not None and times < 1:
            raise ValueError("times must be positive or None")
        if error_code == 429:
            retry_after = 1 if retry_after is None else retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
        elif description is None:
            description = {
                400: CHAT_NOT_FOUND_DESCRIPTION,
                403: BLOCKED_DESCRIPTION,
                409: "Conflict: terminated by other getUpdates request",
            }.get(error_code, f"Error {error_code}")
        error = ApiError(error_code, description, retry_after)
        self._injections.append(_Injection(method, chat_id, error, times))

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: every send to them fails with 403 from now on."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def clear_errors(self) -> None:
        """Forget injected errors and blocks."""
        self._injections.clear()
        self._blocked.clear()

    def _check_injected(self, method: str, chat_id: int | None) -> None:
        match = next(
            (
                injection
                for injection in self._injections
                if injection.method.lower() == method.lower()
                and (injection.chat_id is None or injection.chat_id == chat_id)
            ),
            None,
        )
        if match is not None:
            if match.remaining is not None:
                match.remaining -= 1
                if match.remaining <= 0:
                    self._injections.remove(match)
            raise match.error
        if chat_id in self._blocked and method in _BLOCKABLE_METHODS:
            raise ApiError(403, BLOCKED_DESCRIPTION)

    # --- observation -------------------------------------------------------------------------

    # The timeout argument is the documented interface of the test driver.
    async def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:  # noqa: ASYNC109
        """Wait until ``predicate()`` is truthy (re-checked after every request and update)."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    changed = self._changed
                    value = predicate()
                    if value:
                        return value
                    await changed.wait()
        except TimeoutError:
            recent = "\n".join(
                f"  #{r.seq} {r.method} chat={r.chat_id} msg={r.message_id}"
                f"{' (edit)' if r.edited else ''}: {(r.text or r.caption or '')[:80]!r}"
                for r in self.outbox[-5:]
            )
            rejected = "\n".join(f"  {r}" for r in self.rejected[-3:])
            raise TimeoutError(
                f"condition not met within {timeout} s; last sends:\n{recent or '  (none)'}"
                f"\nlast rejected requests:\n{rejected or '  (none)'}"
            ) from None

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _wake_pollers(self) -> None:
        self._updates_arrived.set()
        self._updates_arrived = asyncio.Event()

    def _record(
        self,
        method: str,
        chat_id: int,
        message: dict[str, Any],
        *,
        html: str | None,
        parse_mode: str | None,
        reply_markup: dict[str, Any] | None,
        edited: bool = False,
        document: bytes | None = None,
        filename: str | None = None,
    ) -> None:
        self._seq += 1
        record = SentRecord(
            seq=self._seq,
            method=method,
            chat_id=chat_id,
            message_id=message["message_id"],
            text=message.get("text"),
            html=html,
            parse_mode=parse_mode,
            reply_markup=reply_markup,
            document=document,
            filename=filename,
            caption=message.get("caption"),
            time=time.monotonic(),
            edited=edited,
            entities=list(message.get("entities") or message.get("caption_entities") or []),
        )
        self.outbox.append(record)
        if self._log_file is not None:
            line = {
                "seq": record.seq,
                "method": method,
                "chat_id": chat_id,
                "message_id": record.message_id,
                "text": record.text if record.text is not None else record.caption,
                "time": time.time(),
            }
            self._log_file.write(json.dumps(line, ensure_ascii=False) + "\n")
            self._log_file.flush()

    # --- HTTP --------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        file_match = _FILE_PATH.fullmatch(path)
        if file_match is not None:
            return self._serve_file(*file_match.groups())
        api_match = _API_PATH.fullmatch(path)
        if api_match is None:
            return _error_response(ApiError(404, "Not Found"))
        token, raw_method = api_match.groups()
        if token != self.token:
            return _error_response(ApiError(401, "Unauthorized"))
        name, handler = self._handlers.get(raw_method.lower(), (raw_method, None))
        self.request_count[name] += 1
        chat_id: int | None = None
        try:
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            values, uploads = await _read_params(request)
            chat_id = self._chat_id_of(values.get("chat_id"))
            self._check_injected(name, chat_id)
            result = await handler(_Params(values, uploads))
        except ApiError as error:
            self.rejected.append(RejectedRecord(name, chat_id, error.error_code, error.description))
            return _error_response(error)
        except Exception as exc:
            log.exception("sandbox: %s failed", name)
            error = _bad(f"the sandbox could not process the request: {exc!r}")
            self.rejected.append(RejectedRecord(name, chat_id, error.error_code, error.description))
            return _error_response(error)
        finally:
            self._notify()
        return web.json_response({"ok": True, "result": result})

    def _serve_file(self, token: str, file_path: str) -> web.Response:
        if token != self.token:
            return _error_response(ApiError(401, "Unauthorized"))
        stored = self.files.get(file_path.rpartition("/")[2])
        if stored is None:
            return _error_response(ApiError(404, "Not Found"))
        return web.Response(body=stored.data, content_type=stored.mime_type)

    # --- chats and messages ------------------------------------------------------------------

    def _user(self, user_id: int) -> dict[str, Any]:
        try:
            return self.users[user_id]
        except KeyError:
            raise ValueError(f"unknown user {user_id}; call add_user first") from None

    def _chat(self, chat_id: int) -> dict[str, Any]:
        user = self.users[chat_id]
        chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
        if "username" in user:
            chat["username"] = user["username"]
        return chat

    def _chat_id_of(self, raw: Any) -> int | None:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if not isinstance(raw, str):
            return None
        raw = raw.strip()
        if raw.startswith("@"):
            wanted = raw[1:].lower()
            return next(
                (uid for uid, u in self.users.items() if u.get("username", "").lower() == wanted),
                None,
            )
        with contextlib.suppress(ValueError):
            return int(raw)
        return None

    def _resolve_chat(self, params: _Params) -> int:
        raw = params.values.get("chat_id")
        if raw is None or raw == "":
            raise _bad("chat_id is empty")
        chat_id = self._chat_id_of(raw)
        if chat_id is None or chat_id not in self.users:
            raise ApiError(400, CHAT_NOT_FOUND_DESCRIPTION)
        return chat_id

    def _new_message(self, chat_id: int, sender: dict[str, Any]) -> dict[str, Any]:
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        return {
            "message_id": message_id,
            "from": dict(sender),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
        }

    def _reply_markup(self, params: _Params) -> dict[str, Any] | None:
        markup = params.get_json("reply_markup")
        return None if markup is None else validate_reply_markup(markup)

    def _replied_message(self, params: _Params, chat_id: int) -> dict[str, Any] | None:
        reply = params.get_json("reply_parameters")
        allow_missing = params.get_bool("allow_sending_without_reply")
        if reply is None:
            message_id = params.get_int("reply_to_message_id")
        elif isinstance(reply, dict):
            message_id = _Params(reply, {}).get_int("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply"))
        else:
            raise _bad("can't parse reply parameters JSON object")
        if message_id is None:
            return None
        key = (chat_id, message_id)
        target = self.messages.get(key) or self.user_messages.get(key)
        if target is None:
            if allow_missing:
                return None
            raise _bad("message to be replied not found")
        return {k: v for k, v in target.items() if k != "reply_to_message"}

    def _message_to_edit(self, params: _Params) -> tuple[int, dict[str, Any]]:
        if params.values.get("inline_message_id"):
            raise _bad("inline messages are not supported by the sandbox")
        chat_id = self._resolve_chat(params)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise _bad("message identifier is not specified")
        message = self.messages.get((chat_id, message_id))
        if message is None:
            raise _bad("message to edit not found")
        return chat_id, message

    # --- methods -----------------------------------------------------------------------------

    async def _true(self, params: _Params) -> bool:
        return True

    async def _get_me(self, params: _Params) -> dict[str, Any]:
        return self.bot_user

    async def _get_updates(self, params: _Params) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get_int("offset") or 0
        limit = params.get_int("limit") or MAX_UPDATES_PER_POLL
        limit = max(1, min(limit, MAX_UPDATES_PER_POLL))
        timeout = max(0.0, params.get_number("timeout") or 0.0)
        self._confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake_pollers()  # an older long poll ends, as Telegram terminates it
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation or self._closing:
                return []
            if self._pending:
                batch = self._pending[:limit]
                self._redelivered.difference_update(u["update_id"] for u in batch)
                return batch
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            arrived = self._updates_arrived
            self.polls_waiting += 1
            self._notify()
            try:
                async with asyncio.timeout(remaining):
                    await arrived.wait()
            except TimeoutError:
                pass
            finally:
                self.polls_waiting -= 1

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._pending = [
                u
                for u in self._pending
                if u["update_id"] >= offset or u["update_id"] in self._redelivered
            ]
        elif offset < 0:
            self._pending = self._pending[offset:]

    async def _set_webhook(self, params: _Params) -> bool:
        url = params.get_str("url") or ""
        if url and not url.startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url = url
        if params.get_bool("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _delete_webhook(self, params: _Params) -> bool:
        self.webhook_url = ""
        if params.get_bool("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _get_webhook_info(self, params: _Params) -> dict[str, Any]:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }

    def _keep(self, message: dict[str, Any], replied: dict[str, Any] | None,
              markup: dict[str, Any] | None) -> None:
        """Attach what the bot's new message replies to and its inline keyboard, and keep it."""
        if replied is not None:
            message["reply_to_message"] = replied
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self.messages[(message["chat"]["id"], message["message_id"])] = message

    async def _send_message(self, params: _Params) -> dict[str, Any]:
        chat_id = self._resolve_chat(params)
        raw = params.get_str("text")
        parse_mode = params.get_str("parse_mode") or None
        text, entities = format_text(raw or "", parse_mode, params.get_json("entities"))
        if not text:
            raise _bad("message text is empty")
        if shown_length(text) > MAX_TEXT_LENGTH:
            raise _bad("message is too long")
        markup = self._reply_markup(params)
        replied = self._replied_message(params, chat_id)
        message = self._new_message(chat_id, self.bot_user)
        message["text"] = text
        if entities:
            message["entities"] = entities
        self._keep(message, replied, markup)
        self._record(
            "sendMessage", chat_id, message, html=raw, parse_mode=parse_mode, reply_markup=markup
        )
        return message

    async def _edit_message_text(self, params: _Params) -> dict[str, Any]:
        chat_id, current = self._message_to_edit(params)
        if "text" not in current:
            raise _bad("there is no text in the message to edit")
        raw = params.get_str("text")
        parse_mode = params.get_str("parse_mode") or None
        text, entities = format_text(raw or "", parse_mode, params.get_json("entities"))
        if not text:
            raise _bad("message text is empty")
        if shown_length(text) > MAX_TEXT_LENGTH:
            raise _bad("message is too long")
        markup = self._reply_markup(params)
        if markup is not None and "inline_keyboard" not in markup:
            raise _bad("inline keyboard expected")
        if (
            text == current["text"]
            and entities == current.get("entities", [])
            and markup == current.get("reply_markup")
        ):
            raise _bad(NOT_MODIFIED_DESCRIPTION.removeprefix("Bad Request: "))
        edited = {
            k: v for k, v in current.items() if k not in ("entities", "reply_markup", "edit_date")
        }
        edited.update(text=text, edit_date=int(time.time()))
        if entities:
            edited["entities"] = entities
        if markup is not None:
            edited["reply_markup"] = markup
        self.messages[(chat_id, current["message_id"])] = edited
        self._record(
            "editMessageText",
            chat_id,
            edited,
            html=raw,
            parse_mode=parse_mode,
            reply_markup=markup,
            edited=True,
        )
        return edited

    async def _edit_message_reply_markup(self, params: _Params) -> dict[str, Any]:
        chat_id, current = self._message_to_edit(params)
        markup = self._reply_markup(params)
        if markup is not None and "inline_keyboard" not in markup:
            raise _bad("inline keyboard expected")
        if markup == current.get("reply_markup"):
            raise _bad(NOT_MODIFIED_DESCRIPTION.removeprefix("Bad Request: "))
        edited = {k: v for k, v in current.items() if k not in ("reply_markup", "edit_date")}
        edited["edit_date"] = int(time.time())
        if markup is not None:
            edited["reply_markup"] = markup
        self.messages[(chat_id, current["message_id"])] = edited
        self._record(
            "editMessageReplyMarkup",
            chat_id,
            edited,
            html=None,
            parse_mode=None,
            reply_markup=markup,
            edited=True,
        )
        return edited

    async def _delete_message(self, params: _Params) -> bool:
        chat_id = self._resolve_chat(params)
        message_id = params.get_int("message_id")
        key = (chat_id, message_id or 0)
        if self.messages.pop(key, None) is None and self.user_messages.pop(key, None) is None:
            raise _bad("message to delete not found")
        self.deleted.append(key)
        return True

    async def _answer_callback_query(self, params: _Params) -> bool:
        query_id = params.get_str("callback_query_id") or ""
        if query_id not in self._open_queries:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        text = params.get_str("text")
        if text is not None and utf16_len(text) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        self._open_queries.discard(query_id)
        self.callback_answers.append(CallbackAnswer(query_id, text, params.get_bool("show_alert")))
        return True

    async def _send_document(self, params: _Params) -> dict[str, Any]:
        chat_id = self._resolve_chat(params)
        stored = self._document(params)
        raw_caption = params.get_str("caption")
        parse_mode = params.get_str("parse_mode") or None
        caption, caption_entities = format_text(
            raw_caption or "", parse_mode, params.get_json("caption_entities")
        )
        if shown_length(caption) > MAX_CAPTION_LENGTH:
            raise _bad("message caption is too long")
        markup = self._reply_markup(params)
        replied = self._replied_message(params, chat_id)
        message = self._new_message(chat_id, self.bot_user)
        document: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.filename:
            document["file_name"] = stored.filename
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        message["document"] = document
        if caption:
            message["caption"] = caption
        if caption_entities:
            message["caption_entities"] = caption_entities
        self._keep(message, replied, markup)
        self._record(
            "sendDocument",
            chat_id,
            message,
            html=raw_caption,
            parse_mode=parse_mode,
            reply_markup=markup,
            document=stored.data,
            filename=stored.filename,
        )
        return message

    def _document(self, params: _Params) -> _StoredFile:
        value = params.values.get("document")
        upload = params.uploads.get("document")
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = params.uploads.get(value.removeprefix("attach://"))
        if upload is not None:
            if not upload.data:
                raise _bad("file must be non-empty")
            number = len(self.files) + 1
            mime_type = upload.mime_type
            if not mime_type or mime_type == "application/octet-stream":
                mime_type = mimetypes.guess_type(upload.filename or "")[0] or mime_type
            stored = _StoredFile(
                file_id=f"SBXDOC{number:06d}",
                file_unique_id=f"SBXU{number:06d}",
                data=upload.data,
                filename=upload.filename,
                mime_type=mime_type,
            )
            self.files[stored.file_id] = stored
            return stored
        if value is None or value == "":
            raise _bad("there is no document in the request")
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        raise _bad("wrong file identifier/HTTP URL specified")

    async def _get_file(self, params: _Params) -> dict[str, Any]:
        stored = self.files.get(params.get_str("file_id") or "")
        if stored is None:
            raise _bad("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": f"documents/{stored.file_id}",
        }

    async def _send_chat_action(self, params: _Params) -> bool:
        self._resolve_chat(params)
        if not params.get_str("action"):
            raise _bad("wrong parameter action in request")
        return True

    def _command_key(self, params: _Params) -> tuple[str, str]:
        scope = params.get_json("scope")
        if scope is not None and not (isinstance(scope, dict) and "type" in scope):
            raise _bad("can't parse BotCommandScope JSON object")
        return command_key(scope, params.get_str("language_code") or "")

    async def _set_my_commands(self, params: _Params) -> bool:
        commands = params.get_json("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        cleaned = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand JSON object")
            name, description = command.get("command"), command.get("description")
            if not isinstance(name, str) or not _COMMAND_NAME.fullmatch(name):
                raise _bad("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = self._command_key(params)
        if cleaned:
            self.commands[key] = cleaned
        else:
            self.commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: _Params) -> list[dict[str, str]]:
        return self.commands.get(self._command_key(params), [])

    async def _delete_my_commands(self, params: _Params) -> bool:
        self.commands.pop(self._command_key(params), None)
        return True

    async def _set_chat_menu_button(self, params: _Params) -> bool:
        chat_id = self._resolve_chat(params) if params.values.get("chat_id") else None
        button = params.get_json("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or "type" not in button:
            raise _bad("can't parse menu button JSON object")
        self.menu_buttons[chat_id] = button
        return True

    async def _get_chat_menu_button(self, params: _Params) -> dict[str, Any]:
        chat_id = self._resolve_chat(params) if params.values.get("chat_id") else None
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "default"}


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, _Upload]]:
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, _Upload] = {}
    if not request.can_read_body:
        return values, uploads
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = json.loads(await request.text())
        except ValueError:
            raise _bad("can't parse JSON encoded request body") from None
        if not isinstance(body, dict):
            raise _bad("the JSON request body must be an object")
        values.update(body)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                uploads[key] = _Upload(value.file.read(), value.filename, value.content_type)
            else:
                values[key] = value
    return values, uploads


def _error_response(error: ApiError) -> web.Response:
    return web.json_response(error.payload(), status=error.error_code)


# --- command line ----------------------------------------------------------------------------


def _user_ids(spec: str) -> list[int]:
    ids: list[int] = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        first, _, last = part.partition("-")
        start = int(first)
        ids.extend(range(start, int(last) + 1) if last else [start])
    return ids


async def _serve(args: argparse.Namespace) -> int:
    server = BotApiServer(
        token=args.token,
        bot_username=args.bot_username,
        host=args.host,
        port=args.port,
        log_path=args.log,
    )
    for user_id in _user_ids(args.users):
        server.add_user(user_id, f"User {user_id}", f"user{user_id}", "en")
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await server.start()
    try:
        print(f"READY {server.port}", flush=True)
        await stopping.wait()
    finally:
        await server.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the sandbox Bot API server until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.sandbox.server", description=(__doc__ or "").strip()
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--log", type=Path, help="append every accepted send as a JSON line")
    parser.add_argument("--users", default="", help="user ids to pre-add, e.g. 1-2000,5000")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--bot-username", default=DEFAULT_BOT_USERNAME)
    args = parser.parse_args(argv)
    try:
        _user_ids(args.users)
    except ValueError:
        parser.error(f"--users: expected ranges like 1-2000,5000, got {args.users!r}")
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(_serve(args))


if __name__ == "__main__":
    sys.exit(main())
