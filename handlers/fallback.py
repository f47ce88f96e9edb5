"""Last in line: dialogue answers, and polite answers to whatever nothing else handled."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.conversation.callbacks import DialogueAnswer
from bot.conversation.dialogue import NotAvailable
from bot.conversation.replies import Reply
from bot.conversation.session import Session
from handlers.common import (
    BotContext,
    add_routes,
    answer,
    button,
    handler,
    not_available,
    send,
)


async def dialogue_button(update: Update, context: BotContext, session: Session,
                          press: DialogueAnswer) -> None:
    """A button of a dialogue question (a choice, Skip, Back, Publish, Cancel)."""
    try:
        reply = await context.services.dialogues.answer_button(session, press.step, press.value)
    except NotAvailable:
        await not_available(update, session)
        return
    await answer(update, reply)


@handler()
async def text(update: Update, context: BotContext, session: Session) -> None:
    """A typed answer to the current question, or a hint when there is no dialogue."""
    message = update.effective_message
    reply = await context.services.dialogues.answer_text(session, message.text, message.text_html)
    await send(update, reply or Reply(session.texts("fallback.text")))


@handler()
async def shared_user(update: Update, context: BotContext, session: Session) -> None:
    """A person chosen with a question's user picker (Telegram's `users_shared`)."""
    shared = update.effective_message.users_shared
    try:
        reply = await context.services.dialogues.answer_pick(
            session, shared.request_id, shared.users[0].user_id)
    except NotAvailable:
        reply = Reply(session.texts("not_available"))
    await send(update, reply)


@handler()
async def unknown_command(update: Update, context: BotContext, session: Session) -> None:
    """A command the bot does not have."""
    await send(update, Reply(session.texts("fallback.command")))


@handler()
async def other_message(update: Update, context: BotContext, session: Session) -> None:
    """Photos, stickers and the like: the bot understands text and buttons."""
    await send(update, Reply(session.texts("fallback.other")))


@handler()
async def unknown_button(update: Update, context: BotContext, session: Session) -> None:
    """A button no handler knows: stale or forged."""
    await not_available(update, session)


def register(application: Application) -> None:
    add_routes(application, __name__, (button(DialogueAnswer, act=dialogue_button),))
    application.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(filters.TEXT, text))
    application.add_handler(MessageHandler(filters.StatusUpdate.USERS_SHARED, shared_user))
    application.add_handler(MessageHandler(filters.ALL, other_message))
    application.add_handler(CallbackQueryHandler(unknown_button))
