"""/start, /help, /language and /cancel: what every member can do."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.conversation.callbacks import LanguageChoice
from bot.conversation.menu import command_list
from bot.conversation.replies import Reply
from bot.conversation.session import Session
from handlers.common import BotContext, add_routes, answer, button, command, send


async def start(update: Update, context: BotContext, session: Session) -> None:
    """Greet the person and show what they can do; a payload may carry an invite."""
    if context.args:
        reply = await context.services.organisations.redeem_invite(session, context.args[0])
        if reply is not None:
            await send(update, reply)
            return
    await send(update, await context.services.members.greeting(session))


async def help_command(update: Update, context: BotContext, session: Session) -> None:
    """One line a command, for the person's role."""
    await send(update, Reply(session.texts("help", commands=command_list(session.texts, session))))


async def language(update: Update, context: BotContext, session: Session) -> None:
    """Offer the languages as buttons."""
    await send(update, context.services.members.language_picker(session.texts))


async def choose_language(update: Update, context: BotContext, session: Session,
                          press: LanguageChoice) -> None:
    """Store the chosen language and answer in it."""
    members = context.services.members
    session = await members.set_language(session, press.language)
    saved = session.texts("language.saved")
    await answer(update, await members.settings_menu(session, saved) if press.from_settings
                 else Reply(saved))


async def cancel(update: Update, context: BotContext, session: Session) -> None:
    """Leave any dialogue; nothing of it is saved."""
    left = await context.services.dialogues.cancel(session.user.tg_id)
    await send(update, Reply(session.texts("cancel.done" if left else "cancel.nothing")))


ROUTES = (
    command("start", act=start),
    command("help", act=help_command),
    command("language", act=language),
    command("cancel", act=cancel),
    button(LanguageChoice, act=choose_language),
)


def register(application: Application) -> None:
    add_routes(application, __name__, ROUTES)
