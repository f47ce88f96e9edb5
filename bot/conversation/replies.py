"""What the bot says back: a reply's HTML text and its rows of inline buttons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    KeyboardButtonRequestUsers,
    ReplyKeyboardMarkup,
)

from bot.conversation.callbacks import CallbackData


@dataclass(frozen=True)
class Button:
    label: str
    data: CallbackData


@dataclass(frozen=True)
class PickUser:
    """A reply-keyboard button that opens Telegram's user picker: one person, never a bot.
    The choice comes back as a message with `users_shared` carrying `request_id`."""

    label: str
    request_id: int


@dataclass
class Reply:
    """What the bot says back: HTML text and rows of inline buttons.

    `on_sent` receives the sent message's id, for a message the bot edits later (a status).
    A reply with `pick_user` shows the user picker instead of inline buttons (a message has
    one or the other); `closing` is said first, taking the picker away once it has served.
    """

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    on_sent: Callable[[int], Awaitable[None]] | None = None
    pick_user: PickUser | None = None
    closing: str | None = None


def keyboard(reply: Reply) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    """The reply's buttons as Telegram's inline keyboard, or its user picker."""
    if reply.pick_user is not None:
        assert not reply.buttons, "a message has a reply keyboard or inline buttons, not both"
        return ReplyKeyboardMarkup([[KeyboardButton(
            reply.pick_user.label, request_users=KeyboardButtonRequestUsers(
                reply.pick_user.request_id, user_is_bot=False, max_quantity=1))]],
            resize_keyboard=True, one_time_keyboard=True)
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(button.label, callback_data=button.data.pack()) for button in row]
         for row in reply.buttons]
    )
