"""Last in line: dialogue answers, and polite answers to whatever nothing else handled."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.dialogue import NotAvailable, Reply
from handlers.common import BotContext, named, not_available, send, session_of


@named
async def dialogue_button(update: Update, context: BotContext) -> None:
    """A button of a dialogue question (a choice, Skip, Back, Publish, Cancel)."""
    session = await session_of(update, context)
    step, value = context.match.group(1), context.match.group(2)
    try:
        reply = await context.services.dialogues.answer_button(session, step, value)
    except NotAvailable:
        await not_available(update, session)
        return
    await update.callback_query.answer()
    await send(update, reply)


@named
async def text(update: Update, context: BotContext) -> None:
    """A typed answer to the current question, or a hint when there is no dialogue."""
    session = await session_of(update, context)
    reply = await context.services.dialogues.answer_text(session, update.effective_message.text)
    await send(update, reply or Reply(session.texts("fallback.text")))


@named
async def unknown_command(update: Update, context: BotContext) -> None:
    """A command the bot does not have."""
    session = await session_of(update, context)
    await send(update, Reply(session.texts("fallback.command")))


@named
async def other_message(update: Update, context: BotContext) -> None:
    """Photos, stickers and the like: the bot understands text and buttons."""
    session = await session_of(update, context)
    await send(update, Reply(session.texts("fallback.other")))


@named
async def unknown_button(update: Update, context: BotContext) -> None:
    """A button no handler knows: stale or forged."""
    await not_available(update, await session_of(update, context))


def register(application: Application) -> None:
    application.add_handler(
        CallbackQueryHandler(dialogue_button, pattern=r"^d:([a-z_]{1,20}):([~a-z0-9_]{1,30})$")
    )
    application.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(filters.TEXT, text))
    application.add_handler(MessageHandler(filters.ALL, other_message))
    application.add_handler(CallbackQueryHandler(unknown_button))
