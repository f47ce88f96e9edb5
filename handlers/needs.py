"""/neednew, /needs, /myneeds, offers of help, "still needed?" and alert choices."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import Application

from bot.conversation import callbacks
from bot.conversation.replies import Reply
from bot.conversation.roles import Role
from bot.conversation.session import Session
from bot.features.needs import parse_state
from handlers.common import (
    BotContext,
    acknowledge,
    add_routes,
    button,
    command,
    edit,
    not_available,
    send,
)
from storage.needs import NeedFilter


async def needs_page(update: Update, context: BotContext, session: Session,
                     press: callbacks.NeedsPage) -> None:
    """Turn the page or change the filters of /needs, in place."""
    await _in_place(update, session, press.state,
                    lambda where: context.services.needs.browse(session, where, press.page))


async def needs_filter(update: Update, context: BotContext, session: Session,
                       press: callbacks.NeedsFilter) -> None:
    """Show the filter choices of /needs in place."""
    await _in_place(update, session, press.state,
                    lambda where: context.services.needs.filter_menu(session, where, press.facet))


async def _in_place(update: Update, session: Session, state: str,
                    show: Callable[[NeedFilter], Awaitable[Reply]]) -> None:
    """Edit the pressed /needs message into what `show` makes of the filters in its button."""
    where = parse_state(*state.split(":"))
    if where is None:
        await not_available(update, session)
        return
    await edit(update, await show(where))


async def need_offers(update: Update, context: BotContext, session: Session,
                      press: callbacks.NeedOffers) -> None:
    """The offers made for one of the organisation's needs."""
    await acknowledge(update.callback_query)
    for reply in await context.services.needs.offers(session, press.need_id):
        await send(update, reply)


ROUTES = (
    command("neednew", lambda s, session: s.needs.begin(session)),
    # Open needs, critical and urgent first.
    command("needs", lambda s, session: s.needs.browse(session, NeedFilter(), 0)),
    # The organisation's needs with their offers.
    command("myneeds", lambda s, session: s.needs.own(session, 0)),
    button(callbacks.NeedsPage, act=needs_page),
    button(callbacks.NeedsFilter, act=needs_filter),
    # A need's card with I can help.
    button(callbacks.NeedCard, lambda s, session, press: s.needs.card(session, press.need_id)),
    # I can help: ask for a short message and whether to share the @username.
    button(callbacks.OfferHelp,
           lambda s, session, press: s.needs.begin_offer(session, press.need_id)),
    # Accept (revealing the private details to that helper) or decline an offer.
    button(callbacks.OfferDecision, lambda s, session, press: s.needs.decide_offer(
        session, press.offer_id, press.accept), role=Role.ORGANISER),
    button(callbacks.MyNeedsPage, lambda s, session, press: s.needs.own(session, press.page),
           reply=edit, role=Role.ORGANISER),
    # One of the organisation's needs with Fulfilled / Close / Edit / Offers.
    button(callbacks.OwnNeed, lambda s, session, press: s.needs.own_card(session, press.need_id),
           role=Role.ORGANISER),
    button(callbacks.NeedClose, lambda s, session, press: s.needs.close(
        session, press.need_id, press.status), role=Role.ORGANISER),
    # Which field of the need to change, then that field's question again.
    button(callbacks.NeedEdit, lambda s, session, press: s.needs.edit_menu(session, press.need_id),
           role=Role.ORGANISER),
    button(callbacks.NeedEditField, lambda s, session, press: s.needs.begin_edit(
        session, press.need_id, press.field), role=Role.ORGANISER),
    button(callbacks.NeedOffers, act=need_offers, role=Role.ORGANISER),
    # Yes keeps an old need open (its clock restarts), No closes it.
    button(callbacks.StillNeeded, lambda s, session, press: s.needs.still_needed(
        session, press.need_id, press.needed), role=Role.ORGANISER),
    # Settings → Alerts: the categories of critical needs to be alerted about.
    button(callbacks.AlertsMenu,
           lambda s, session, press: s.needs.alerts_menu(session), reply=edit),
    button(callbacks.AlertToggle, lambda s, session, press: s.needs.toggle_alert(
        session, press.category), reply=edit),
)

def register(application: Application) -> None:
    add_routes(application, __name__, ROUTES)
