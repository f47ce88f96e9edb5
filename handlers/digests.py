"""/subscribe, /unsubscribe, /digest and /elections: the digest and its calendar."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.conversation import callbacks
from bot.conversation.dialogue import NotAvailable
from bot.conversation.roles import Role
from bot.conversation.session import Session
from handlers.common import BotContext, add_routes, button, command, edit, not_available, send
from storage.digests import ALL_TOPICS


async def toggle_topic(update: Update, context: BotContext, session: Session,
                       press: callbacks.DialogueAnswer) -> None:
    """Switch a topic of the subscription on or off, in place."""
    try:
        reply = await context.services.digests.toggle_topic(session, press.value)
    except NotAvailable:
        await not_available(update, session)
        return
    await edit(update, reply)


async def digest(update: Update, context: BotContext, session: Session) -> None:
    """The member's digest right now, and when the next one comes."""
    for reply in await context.services.digests.digest_now(session):
        await send(update, reply)


ROUTES = (
    # Start (or change) the digest subscription.
    command("subscribe", lambda s, session: s.digests.begin_subscribe(session)),
    # Stop the digest at once.
    command("unsubscribe", lambda s, session: s.digests.unsubscribe(session)),
    command("digest", act=digest),
    # The elections calendar with Add and Remove.
    command("elections", lambda s, session: s.digests.elections_overview(session)),
    # Before the dialogue's own button handler: topics are toggled, not answered.
    button(callbacks.DialogueAnswer,
           act=toggle_topic, only={"step": ("sub_topics",), "value": ALL_TOPICS}),
    # Back to the calendar, or another page of it, in place.
    button(callbacks.ElectionsList, lambda s, session, press: s.digests.elections_overview(
        session, page=press.page), reply=edit, role=Role.COORDINATOR),
    # Ask for the new election's name, date and country.
    button(callbacks.ElectionAdd, lambda s, session, press: s.digests.begin_election(session),
           role=Role.COORDINATOR),
    # One button per upcoming election of a page, to remove it.
    button(callbacks.ElectionsRemoval, lambda s, session, press: s.digests.removal_menu(
        session, press.page), reply=edit, role=Role.COORDINATOR),
    button(callbacks.ElectionRemove, lambda s, session, press: s.digests.remove_election(
        session, press.election_id), reply=edit, role=Role.COORDINATOR),
)


def register(application: Application) -> None:
    add_routes(application, __name__, ROUTES)
