"""/subscribe, /unsubscribe, /digest and /elections: the digest and its calendar."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.conversation.dialogue import NotAvailable
from bot.conversation.roles import Role
from bot.conversation.session import Session
from handlers.common import BotContext, answer, edit, handler, not_available, send


@handler()
async def subscribe(update: Update, context: BotContext, session: Session) -> None:
    """Start (or change) the digest subscription."""
    await send(update, await context.services.digests.begin_subscribe(session))


@handler()
async def toggle_topic(update: Update, context: BotContext, session: Session) -> None:
    """Switch a topic of the subscription on or off, in place."""
    try:
        reply = await context.services.digests.toggle_topic(session, context.match.group(1))
    except NotAvailable:
        await not_available(update, session)
        return
    await edit(update, reply)


@handler()
async def unsubscribe(update: Update, context: BotContext, session: Session) -> None:
    """Stop the digest at once."""
    await send(update, await context.services.digests.unsubscribe(session))


@handler()
async def digest(update: Update, context: BotContext, session: Session) -> None:
    """The member's digest right now, and when the next one comes."""
    for reply in await context.services.digests.digest_now(session):
        await send(update, reply)


@handler(Role.COORDINATOR)
async def elections(update: Update, context: BotContext, session: Session) -> None:
    """The elections calendar with Add and Remove."""
    await send(update, await context.services.digests.elections_overview(session))


@handler(Role.COORDINATOR)
async def elections_list(update: Update, context: BotContext, session: Session) -> None:
    """Back to the calendar, or another page of it, in place."""
    page = int(context.match.group(1) or 0)
    await edit(update, await context.services.digests.elections_overview(session, page=page))


@handler(Role.COORDINATOR)
async def add_election(update: Update, context: BotContext, session: Session) -> None:
    """Ask for the new election's name, date and country."""
    await answer(update, await context.services.digests.begin_election(session))


@handler(Role.COORDINATOR)
async def removal_menu(update: Update, context: BotContext, session: Session) -> None:
    """One button per upcoming election of a page, to remove it."""
    page = int(context.match.group(1) or 0)
    await edit(update, await context.services.digests.removal_menu(session, page))


@handler(Role.COORDINATOR)
async def remove_election(update: Update, context: BotContext, session: Session) -> None:
    """Remove an election from the calendar."""
    election_id = int(context.match.group(1))
    await edit(update, await context.services.digests.remove_election(session, election_id))


def register(application: Application) -> None:
    add = application.add_handler
    add(CommandHandler("subscribe", subscribe))
    add(CommandHandler("unsubscribe", unsubscribe))
    add(CommandHandler("digest", digest))
    add(CommandHandler("elections", elections))
    # Before the dialogue's own button handler: topics are toggled, not answered.
    add(CallbackQueryHandler(toggle_topic, pattern=r"^d:sub_topics:(needs|events|announcements)$"))
    add(CallbackQueryHandler(elections_list, pattern=r"^el:list(?::(\d{1,6}))?$"))
    add(CallbackQueryHandler(add_election, pattern=r"^el:add$"))
    add(CallbackQueryHandler(removal_menu, pattern=r"^el:rm(?:p:(\d{1,6}))?$"))
    add(CallbackQueryHandler(remove_election, pattern=r"^el:rm:(\d{1,12})$"))
