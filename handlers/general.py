"""/start, /help, /language and /cancel: what every member can do."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.dialogue import Reply
from bot.menu import command_list, set_chat_commands
from handlers.common import BotContext, named, send, session_of


@named
async def start(update: Update, context: BotContext) -> None:
    """Greet the person and show what they can do."""
    session = await session_of(update, context)
    role = context.services.members.role(session.user)
    text = session.texts("start.greeting", commands=command_list(session.texts, role))
    await send(update, Reply(text))


@named
async def help_command(update: Update, context: BotContext) -> None:
    """One line a command, for the person's role."""
    session = await session_of(update, context)
    role = context.services.members.role(session.user)
    await send(update, Reply(session.texts("help", commands=command_list(session.texts, role))))


@named
async def language(update: Update, context: BotContext) -> None:
    """Offer the languages as buttons."""
    session = await session_of(update, context)
    await send(update, context.services.members.language_picker(session.texts))


@named
async def choose_language(update: Update, context: BotContext) -> None:
    """Store the chosen language and answer in it."""
    query = update.callback_query
    session = await session_of(update, context)
    session = await context.services.members.set_language(session, context.match.group(1))
    await query.answer()
    await set_chat_commands(context.bot, session, context.services.members.role(session.user))
    await send(update, Reply(session.texts("language.saved")))


@named
async def cancel(update: Update, context: BotContext) -> None:
    """Leave any dialogue; nothing of it is saved."""
    session = await session_of(update, context)
    left = await context.services.dialogues.cancel(session.user.tg_id)
    await send(update, Reply(session.texts("cancel.done" if left else "cancel.nothing")))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("help", help_command))
    application.add_handler(CommandHandler("language", language))
    application.add_handler(CommandHandler("cancel", cancel))
    application.add_handler(CallbackQueryHandler(choose_language, pattern=r"^lang:(en|ru)$"))
