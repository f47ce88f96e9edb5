"""What every handler shares: the typed context, the member behind an update, replying."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.dialogue import Reply, Session
from bot.updates import handler_name

if TYPE_CHECKING:
    from bot.services import Services


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    """The callback context, with the application's services at hand."""

    @property
    def services(self) -> Services:
        return self.application.bot_data["services"]


Callback = Callable[[Update, BotContext], Awaitable[None]]


def named(callback: Callback) -> Callback:
    """Record the handler's name for the update's log line."""

    @functools.wraps(callback)
    async def wrapper(update: Update, context: BotContext) -> None:
        handler_name.set(f"{callback.__module__.rpartition('.')[2]}.{callback.__name__}")
        await callback(update, context)

    return wrapper


def services_of(application: Application) -> Services:
    return application.bot_data["services"]


async def session_of(update: Update, context: BotContext) -> Session:
    user = update.effective_user
    assert user is not None
    return await context.services.members.session(user.id, user.language_code)


def markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(button.label, callback_data=button.data) for button in row]
         for row in reply.buttons]
    )


async def send(update: Update, reply: Reply) -> None:
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(reply.text, reply_markup=markup(reply))


async def not_available(update: Update, session: Session) -> None:
    """The answer to a button its presser may not (or no longer) use."""
    query = update.callback_query
    assert query is not None
    await query.answer(session.texts("not_available"), show_alert=True)
