"""What the bot says back: a reply's HTML text and its rows of inline buttons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.conversation.callbacks import CallbackData


@dataclass(frozen=True)
class Button:
    label: str
    data: CallbackData


@dataclass
class Reply:
    """What the bot says back: HTML text and rows of inline buttons.

    `on_sent` receives the sent message's id, for a message the bot edits later (a status).
    """

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    on_sent: Callable[[int], Awaitable[None]] | None = None


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """The reply's buttons as Telegram's inline keyboard."""
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(button.label, callback_data=button.data.pack()) for button in row]
         for row in reply.buttons]
    )
