"""Reply markup as Telegram accepts it: inline and reply keyboards, their buttons' limits."""

from __future__ import annotations

from typing import Any

from bot.sandbox.errors import bad

MAX_CALLBACK_DATA_BYTES = 64

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
        raise bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad("text buttons are unallowed in the inline keyboard")
    actions = [name for name in _BUTTON_ACTIONS if button.get(name) is not None]
    if not actions:
        raise bad("text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise bad("can't parse inline keyboard button: exactly one optional field must be used")
    if "callback_data" in actions:
        data = button["callback_data"]
        if (
            not isinstance(data, str)
            or not data
            or len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES
        ):
            raise bad("BUTTON_DATA_INVALID")
    if "url" in actions:
        url = button["url"]
        if not isinstance(url, str) or not url.startswith(("http://", "https://", "tg://")):
            raise bad("BUTTON_URL_INVALID")


# What a reply-keyboard button may do besides sending its text: one at most.
_REPLY_BUTTON_ACTIONS = ("request_users", "request_chat", "request_contact", "request_location",
                         "request_poll", "web_app")
_INT32 = 2**31


def _validate_request_users(request: Any) -> None:
    """KeyboardButtonRequestUsers: a signed 32-bit request_id, 1 to 10 people."""
    if not isinstance(request, dict):
        raise bad("can't parse keyboard button: KeyboardButtonRequestUsers must be an Object")
    request_id = request.get("request_id")
    if not isinstance(request_id, int) or isinstance(request_id, bool) or not (
            -_INT32 <= request_id < _INT32):
        raise bad("can't parse keyboard button: request_id must be an Integer")
    quantity = request.get("max_quantity", 1)
    if not isinstance(quantity, int) or not 1 <= quantity <= 10:
        raise bad("REQUEST_PEER_INVALID")
    for flag in ("user_is_bot", "user_is_premium"):
        if flag in request and not isinstance(request[flag], bool):
            raise bad(f"can't parse keyboard button: {flag} must be a Boolean")


def _validate_reply_button(button: Any) -> None:
    text = button.get("text") if isinstance(button, dict) else button
    if not isinstance(text, str) or not text:
        raise bad("keyboard button text is empty")
    if not isinstance(button, dict):
        return
    actions = [name for name in _REPLY_BUTTON_ACTIONS if button.get(name) is not None]
    if len(actions) > 1:
        raise bad("can't parse keyboard button: exactly one optional field must be used")
    if "request_users" in actions:
        _validate_request_users(button["request_users"])


def user_requests(markup: dict[str, Any] | None) -> list[tuple[str, dict[str, Any]]]:
    """The text and request_users of every user-picker button of a reply keyboard."""
    return [(button["text"], button["request_users"])
            for row in (markup or {}).get("keyboard", []) for button in row
            if isinstance(button, dict) and "request_users" in button]


def _rows(markup: dict[str, Any], key: str) -> list[list[Any]]:
    rows = markup[key]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad(f'field "{key}" must be an Array of Arrays')
    return rows


def validate_reply_markup(markup: Any) -> dict[str, Any]:
    """The markup if Telegram would accept it, otherwise ApiError(400)."""
    if not isinstance(markup, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        for row in _rows(markup, "inline_keyboard"):
            for button in row:
                _validate_inline_button(button)
    elif "keyboard" in markup:
        for row in _rows(markup, "keyboard"):
            for button in row:
                _validate_reply_button(button)
    elif markup.get("remove_keyboard") is not True and markup.get("force_reply") is not True:
        raise bad("can't parse reply keyboard markup JSON object")
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
