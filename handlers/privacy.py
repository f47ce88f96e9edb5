"""/mydata and /forget: a person's own data."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import Application

from bot.conversation.callbacks import ForgetCancel, ForgetConfirm
from bot.conversation.replies import Reply
from bot.conversation.session import Session
from handlers.common import BotContext, add_routes, answer, button, command


async def mydata(update: Update, context: BotContext, session: Session) -> None:
    """Send everything stored about the person as a JSON file."""
    data = await context.services.privacy.export(session)
    await update.effective_chat.send_document(
        InputFile(data, filename="mydata.json"), caption=session.texts("mydata.caption")
    )


async def forget_cancelled(update: Update, context: BotContext, session: Session,
                           press: ForgetCancel) -> None:
    """Keep everything."""
    await answer(update, Reply(session.texts("forget.kept")))


ROUTES = (
    command("mydata", act=mydata),
    # Ask for confirmation before deleting the person's data, then delete it.
    command("forget", lambda s, session: s.privacy.confirm_forget(session)),
    button(ForgetConfirm, lambda s, session, press: s.privacy.forget(session)),
    button(ForgetCancel, act=forget_cancelled),
)


def register(application: Application) -> None:
    add_routes(application, __name__, ROUTES)
