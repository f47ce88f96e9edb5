"""/start, /help, /language and /cancel: what every member can do."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.conversation.dialogue import Reply
from bot.conversation.menu import command_list
from bot.conversation.session import Session
from handlers.common import BotContext, answer, handler, send


@handler()
async def start(update: Update, context: BotContext, session: Session) -> None:
    """Greet the person and show what they can do; a payload may carry an invite."""
    if context.args:
        reply = await context.services.organisations.redeem_invite(session, context.args[0])
        if reply is not None:
            await send(update, reply)
            return
    text = session.texts("start.greeting", commands=command_list(session.texts, session.role))
    await send(update, Reply(text))


@handler()
async def help_command(update: Update, context: BotContext, session: Session) -> None:
    """One line a command, for the person's role."""
    await send(update, Reply(session.texts("help", commands=command_list(session.texts,
                                                                        session.role))))


@handler()
async def language(update: Update, context: BotContext, session: Session) -> None:
    """Offer the languages as buttons."""
    await send(update, context.services.members.language_picker(session.texts))


@handler()
async def choose_language(update: Update, context: BotContext, session: Session) -> None:
    """Store the chosen language and answer in it."""
    members = context.services.members
    session = await members.set_language(session, context.match.group(1))
    saved = session.texts("language.saved")
    from_settings = context.match.group(2) is not None
    await answer(update, await members.settings_menu(session, saved) if from_settings
                 else Reply(saved))


@handler()
async def cancel(update: Update, context: BotContext, session: Session) -> None:
    """Leave any dialogue; nothing of it is saved."""
    left = await context.services.dialogues.cancel(session.user.tg_id)
    await send(update, Reply(session.texts("cancel.done" if left else "cancel.nothing")))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("help", help_command))
    application.add_handler(CommandHandler("language", language))
    application.add_handler(CommandHandler("cancel", cancel))
    application.add_handler(CallbackQueryHandler(choose_language, pattern=r"^lang:(en|ru)(:s)?$"))
