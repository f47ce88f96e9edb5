"""The global error handler: log without message text, apologise, keep running."""

from __future__ import annotations

import logging
import traceback

from telegram import Update
from telegram.error import TelegramError

from bot.features.members import language_for
from bot.infra.i18n import texts
from bot.infra.updates import handler_name
from handlers.common import BotContext, acknowledge

log = logging.getLogger("coalition.errors")


async def on_error(update: object, context: BotContext) -> None:
    """Log where it happened (ids only) and tell the person something went wrong.

    What the failed handler did not commit leaves the update unrecorded, so Telegram's
    re-delivery acts on it (storage/updates.py).
    """
    context.services.repos.updates.abandon()
    error = context.error
    # The error's own message may quote what the person typed, so only its type and frames.
    where = "".join(traceback.format_tb(error.__traceback__)) if error else ""
    if not isinstance(update, Update):
        log.error("error outside an update: %s\n%s", type(error).__name__, where)
        return
    user = update.effective_user
    log.error(
        "update=%s user=%s handler=%s error=%s\n%s",
        update.update_id, user.id if user else "-", handler_name.get() or "-",
        type(error).__name__, where,
    )
    chat = update.effective_chat
    if chat is None or user is None:
        return
    stored = await context.services.repos.users.get(user.id)
    language = language_for(stored, user.language_code, context.services.settings.default_language)
    try:
        await chat.send_message(texts(language)("error.generic"))
        if update.callback_query:
            # Last: the handler may have answered the press already, and a second answer fails.
            await acknowledge(update.callback_query)
    except TelegramError:
        log.warning("update=%s could not tell the user about the error", update.update_id)


def register(application) -> None:
    application.add_error_handler(on_error)
