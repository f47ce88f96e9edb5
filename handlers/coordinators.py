"""/coordinators (grant and revoke), /audit and Hide / Unhide on posts: the secretariat's own
tools."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.conversation.roles import Role
from bot.conversation.session import Session
from handlers.common import BotContext, answer, edit, handler, send


@handler(Role.COORDINATOR)
async def coordinators(update: Update, context: BotContext, session: Session) -> None:
    """List coordinators with Remove buttons and an Add button."""
    await send(update, await context.services.coordinators.overview(session))


@handler(Role.COORDINATOR)
async def coordinators_page(update: Update, context: BotContext, session: Session) -> None:
    """Another page of the coordinators, in place."""
    page = int(context.match.group(1))
    await edit(update, await context.services.coordinators.overview(session, page=page))


@handler(Role.COORDINATOR)
async def add(update: Update, context: BotContext, session: Session) -> None:
    """Ask for the Telegram id of the new coordinator."""
    await answer(update, await context.services.coordinators.begin_adding(session))


@handler(Role.COORDINATOR)
async def remove(update: Update, context: BotContext, session: Session) -> None:
    """Revoke a coordinator (never the last one)."""
    tg_id = int(context.match.group(1))
    await answer(update, await context.services.coordinators.remove(session, tg_id))


@handler(Role.COORDINATOR)
async def approve(update: Update, context: BotContext, session: Session) -> None:
    """A second coordinator approves a new coordinator (four eyes)."""
    grant_id = int(context.match.group(1))
    await answer(update, await context.services.coordinators.decide(session, grant_id, True))


@handler(Role.COORDINATOR)
async def reject(update: Update, context: BotContext, session: Session) -> None:
    """A second coordinator rejects a new coordinator (four eyes)."""
    grant_id = int(context.match.group(1))
    await answer(update, await context.services.coordinators.decide(session, grant_id, False))


@handler(Role.COORDINATOR)
async def audit(update: Update, context: BotContext, session: Session) -> None:
    """The last privileged actions."""
    await send(update, await context.services.coordinators.audit_log(session))


@handler(Role.COORDINATOR)
async def hide(update: Update, context: BotContext, session: Session) -> None:
    """Hide a need or an event from members: ask for the reason first."""
    kind, post_id = context.match.group(1), int(context.match.group(2))
    await answer(update, await context.services.posts.begin_hide(session, kind, post_id))


@handler(Role.COORDINATOR)
async def unhide(update: Update, context: BotContext, session: Session) -> None:
    """Show a hidden need or event to members again."""
    kind, post_id = context.match.group(1), int(context.match.group(2))
    await answer(update, await context.services.posts.unhide(session, kind, post_id))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("coordinators", coordinators))
    application.add_handler(CommandHandler("audit", audit))
    application.add_handler(CallbackQueryHandler(coordinators_page,
                                                 pattern=r"^coord:p:(\d{1,6})$"))
    application.add_handler(CallbackQueryHandler(add, pattern=r"^coord:add$"))
    application.add_handler(CallbackQueryHandler(remove, pattern=r"^coord:rm:(\d{1,16})$"))
    application.add_handler(CallbackQueryHandler(hide, pattern=r"^hide:(need|event):(\d{1,12})$"))
    application.add_handler(CallbackQueryHandler(
        unhide, pattern=r"^unhide:(need|event):(\d{1,12})$"))
    application.add_handler(CallbackQueryHandler(approve, pattern=r"^coord:ap:(\d{1,12})$"))
    application.add_handler(CallbackQueryHandler(reject, pattern=r"^coord:rj:(\d{1,12})$"))
