"""/announce and /broadcasts: coordinators' broadcasts, their approval and cancelling."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.conversation.roles import Role
from bot.conversation.session import Session
from handlers.common import BotContext, answer, edit, handler, send


@handler(Role.COORDINATOR)
async def announce(update: Update, context: BotContext, session: Session) -> None:
    """Start writing an announcement."""
    await send(update, await context.services.announcements.begin(session))


@handler(Role.COORDINATOR)
async def broadcasts(update: Update, context: BotContext, session: Session) -> None:
    """The last broadcasts with their delivery counters."""
    await send(update, await context.services.announcements.overview(session, 0))


@handler(Role.COORDINATOR)
async def broadcasts_page(update: Update, context: BotContext, session: Session) -> None:
    """Turn the page of /broadcasts in place."""
    page = int(context.match.group(1))
    await edit(update, await context.services.announcements.overview(session, page))


@handler(Role.COORDINATOR)
async def broadcast_card(update: Update, context: BotContext, session: Session) -> None:
    """One broadcast's counters, with Cancel while it can still be stopped."""
    broadcast_id = int(context.match.group(1))
    await answer(update, await context.services.announcements.card(session, broadcast_id))


@handler(Role.COORDINATOR)
async def cancel(update: Update, context: BotContext, session: Session) -> None:
    """Stop a broadcast that has not finished."""
    broadcast_id = int(context.match.group(1))
    await answer(update, await context.services.announcements.cancel(session, broadcast_id))


@handler(Role.COORDINATOR)
async def approve(update: Update, context: BotContext, session: Session) -> None:
    """A second coordinator releases a broadcast to everyone."""
    broadcast_id = int(context.match.group(1))
    await answer(update, await context.services.announcements.approve(session, broadcast_id))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("announce", announce))
    application.add_handler(CommandHandler("broadcasts", broadcasts))
    application.add_handler(CallbackQueryHandler(broadcasts_page, pattern=r"^bcs:p:(\d{1,3})$"))
    application.add_handler(CallbackQueryHandler(broadcast_card, pattern=r"^bcs:o:(\d{1,12})$"))
    application.add_handler(CallbackQueryHandler(cancel, pattern=r"^bc:x:(\d{1,12})$"))
    application.add_handler(CallbackQueryHandler(approve, pattern=r"^bc:ap:(\d{1,12})$"))
