"""/neednew, /needs, /myneeds, offers of help, "still needed?" and alert choices."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.conversation.callbacks import (
    AlertsMenu,
    AlertToggle,
    MyNeedsPage,
    NeedCard,
    NeedClose,
    NeedEdit,
    NeedEditField,
    NeedOffers,
    NeedsFilter,
    NeedsPage,
    OfferDecision,
    OfferHelp,
    OwnNeed,
    StillNeeded,
)
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
                     press: NeedsPage) -> None:
    """Turn the page or change the filters of /needs, in place."""
    where = parse_state(*press.state.split(":"))
    if where is None:
        await not_available(update, session)
        return
    await edit(update, await context.services.needs.browse(session, where, press.page))


async def needs_filter(update: Update, context: BotContext, session: Session,
                       press: NeedsFilter) -> None:
    """Show the filter choices of /needs in place."""
    where = parse_state(*press.state.split(":"))
    if where is None:
        await not_available(update, session)
        return
    await edit(update, await context.services.needs.filter_menu(session, where, press.facet))


async def need_offers(update: Update, context: BotContext, session: Session,
                      press: NeedOffers) -> None:
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
    button(NeedsPage, act=needs_page),
    button(NeedsFilter, act=needs_filter),
    # A need's card with I can help.
    button(NeedCard, lambda s, session, press: s.needs.card(session, press.need_id)),
    # I can help: ask for a short message and whether to share the @username.
    button(OfferHelp, lambda s, session, press: s.needs.begin_offer(session, press.need_id)),
    # Accept (revealing the private details to that helper) or decline an offer.
    button(OfferDecision, lambda s, session, press: s.needs.decide_offer(
        session, press.offer_id, press.accept), role=Role.ORGANISER),
    button(MyNeedsPage, lambda s, session, press: s.needs.own(session, press.page),
           reply=edit, role=Role.ORGANISER),
    # One of the organisation's needs with Fulfilled / Close / Edit / Offers.
    button(OwnNeed, lambda s, session, press: s.needs.own_card(session, press.need_id),
           role=Role.ORGANISER),
    button(NeedClose, lambda s, session, press: s.needs.close(
        session, press.need_id, press.status), role=Role.ORGANISER),
    # Which field of the need to change, then that field's question again.
    button(NeedEdit, lambda s, session, press: s.needs.edit_menu(session, press.need_id),
           role=Role.ORGANISER),
    button(NeedEditField, lambda s, session, press: s.needs.begin_edit(
        session, press.need_id, press.field), role=Role.ORGANISER),
    button(NeedOffers, act=need_offers, role=Role.ORGANISER),
    # Yes keeps an old need open (its clock restarts), No closes it.
    button(StillNeeded, lambda s, session, press: s.needs.still_needed(
        session, press.need_id, press.needed), role=Role.ORGANISER),
    # Settings → Alerts: the categories of critical needs to be alerted about.
    button(AlertsMenu, lambda s, session, press: s.needs.alerts_menu(session), reply=edit),
    button(AlertToggle, lambda s, session, press: s.needs.toggle_alert(
        session, press.category), reply=edit),
)

def register(application: Application) -> None:
    add_routes(application, __name__, ROUTES)
