"""/settings: a menu of buttons, each opening one question that returns to the menu."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.conversation.session import Session
from handlers.common import BotContext, answer, edit, handler, send


@handler()
async def settings(update: Update, context: BotContext, session: Session) -> None:
    """Show the settings menu with the current values."""
    await send(update, await context.services.members.settings_menu(session))


@handler()
async def open_setting(update: Update, context: BotContext, session: Session) -> None:
    """Ask the one question behind a settings button."""
    await answer(update, await context.services.members.open_setting(session,
                                                                     context.match.group(1)))


@handler()
async def back_to_menu(update: Update, context: BotContext, session: Session) -> None:
    """Back from a sub-menu (alerts) to the settings menu, in place."""
    await edit(update, await context.services.members.settings_menu(session))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("settings", settings))
    application.add_handler(CallbackQueryHandler(back_to_menu, pattern=r"^set:menu$"))
    application.add_handler(CallbackQueryHandler(
        open_setting, pattern=r"^set:(language|country|city|timezone|digest_time)$"
    ))
