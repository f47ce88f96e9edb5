"""/settings: a menu of buttons, each opening one question that returns to the menu."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from handlers.common import BotContext, named, send, session_of


@named
async def settings(update: Update, context: BotContext) -> None:
    """Show the settings menu with the current values."""
    session = await session_of(update, context)
    await send(update, context.services.members.settings_menu(session))


@named
async def open_setting(update: Update, context: BotContext) -> None:
    """Ask the one question behind a settings button."""
    session = await session_of(update, context)
    await update.callback_query.answer()
    await send(update, await context.services.members.open_setting(session, context.match.group(1)))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("settings", settings))
    application.add_handler(CallbackQueryHandler(
        open_setting, pattern=r"^set:(language|country|city|timezone|digest_time)$"
    ))
