"""/register_org, /orgs, /invite and the Approve / Reject / Suspend / Reinstate buttons."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.conversation.roles import Role
from bot.conversation.session import Session
from handlers.common import BotContext, answer, edit, handler, send


@handler()
async def register_org(update: Update, context: BotContext, session: Session) -> None:
    """Start the application dialogue for a new organisation."""
    await send(update, await context.services.organisations.begin_application(session))


@handler(Role.COORDINATOR)
async def approve(update: Update, context: BotContext, session: Session) -> None:
    """A coordinator approves a pending organisation."""
    org_id = int(context.match.group(1))
    await answer(update, await context.services.organisations.approve(session, org_id))


@handler(Role.COORDINATOR)
async def reject(update: Update, context: BotContext, session: Session) -> None:
    """A coordinator rejects a pending organisation: ask for the reason first."""
    org_id = int(context.match.group(1))
    await answer(update, await context.services.organisations.begin_rejection(session, org_id))


@handler(Role.COORDINATOR)
async def suspend(update: Update, context: BotContext, session: Session) -> None:
    """Suspend an approved organisation: its organisers lose their rights at once."""
    org_id = int(context.match.group(1))
    reply = await context.services.organisations.change_status(session, org_id, "suspended")
    await answer(update, reply)


@handler(Role.COORDINATOR)
async def reinstate(update: Update, context: BotContext, session: Session) -> None:
    """Reinstate a suspended organisation."""
    org_id = int(context.match.group(1))
    reply = await context.services.organisations.change_status(session, org_id, "approved")
    await answer(update, reply)


@handler(Role.COORDINATOR)
async def orgs(update: Update, context: BotContext, session: Session) -> None:
    """The organisations, pending first, one page a message."""
    await send(update, await context.services.organisations.list_page(session, 0))


@handler(Role.COORDINATOR)
async def orgs_page(update: Update, context: BotContext, session: Session) -> None:
    """Turn the page of /orgs in place."""
    page = int(context.match.group(1))
    await edit(update, await context.services.organisations.list_page(session, page))


@handler(Role.COORDINATOR)
async def org_card(update: Update, context: BotContext, session: Session) -> None:
    """Open one organisation's card with its actions."""
    org_id = int(context.match.group(1))
    await answer(update, await context.services.organisations.card(session, org_id))


@handler(Role.ORGANISER)
async def invite(update: Update, context: BotContext, session: Session) -> None:
    """A single-use invite link for the organiser's organisation."""
    await send(update, await context.services.organisations.invite(session, None))


@handler(Role.COORDINATOR)
async def invite_for(update: Update, context: BotContext, session: Session) -> None:
    """A coordinator's invite link for the organisation on the card."""
    org_id = int(context.match.group(1))
    await answer(update, await context.services.organisations.invite(session, org_id))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("register_org", register_org))
    application.add_handler(CommandHandler("orgs", orgs))
    application.add_handler(CommandHandler("invite", invite))
    for callback, code in ((approve, "ap"), (reject, "rj"), (suspend, "su"),
                           (reinstate, "re"), (invite_for, "iv")):
        pattern = rf"^org:{code}:(\d{{1,12}})$"
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern))
    application.add_handler(CallbackQueryHandler(orgs_page, pattern=r"^orgs:p:(\d{1,6})$"))
    application.add_handler(CallbackQueryHandler(org_card, pattern=r"^orgs:o:(\d{1,12})$"))
