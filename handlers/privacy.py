"""/mydata and /forget: a person's own data."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.conversation.dialogue import Reply
from bot.conversation.session import Session
from handlers.common import BotContext, answer, handler, send


@handler()
async def mydata(update: Update, context: BotContext, session: Session) -> None:
    """Send everything stored about the person as a JSON file."""
    data = await context.services.privacy.export(session)
    await update.effective_chat.send_document(
        InputFile(data, filename="mydata.json"), caption=session.texts("mydata.caption")
    )


@handler()
async def forget(update: Update, context: BotContext, session: Session) -> None:
    """Ask for confirmation before deleting the person's data."""
    await send(update, await context.services.privacy.confirm_forget(session))


@handler()
async def forget_confirmed(update: Update, context: BotContext, session: Session) -> None:
    """Delete the person's data."""
    await answer(update, await context.services.privacy.forget(session))


@handler()
async def forget_cancelled(update: Update, context: BotContext, session: Session) -> None:
    """Keep everything."""
    await answer(update, Reply(session.texts("forget.kept")))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("mydata", mydata))
    application.add_handler(CommandHandler("forget", forget))
    application.add_handler(CallbackQueryHandler(forget_confirmed, pattern=r"^forget:yes$"))
    application.add_handler(CallbackQueryHandler(forget_cancelled, pattern=r"^forget:no$"))
