"""/neednew, /needs, /myneeds, offers of help, "still needed?" and alert choices."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.conversation.roles import Role
from bot.conversation.session import Session
from bot.features.needs import parse_state
from handlers.common import (
    BotContext,
    acknowledge,
    answer,
    edit,
    handler,
    not_available,
    send,
)
from storage.needs import NeedFilter

_STATE = r"([a-z]{2,12}|-):([A-Z]{2}|online|-):([a-z]{6,8}|-)"


@handler(Role.ORGANISER)
async def neednew(update: Update, context: BotContext, session: Session) -> None:
    """Post a need for the organiser's organisation."""
    await send(update, await context.services.needs.begin(session))


@handler()
async def needs(update: Update, context: BotContext, session: Session) -> None:
    """Browse open needs, critical and urgent first."""
    await send(update, await context.services.needs.browse(session, NeedFilter(), 0))


@handler()
async def needs_page(update: Update, context: BotContext, session: Session) -> None:
    """Turn the page or change the filters of /needs, in place."""
    where = parse_state(*context.match.group(2, 3, 4))
    if where is None:
        await not_available(update, session)
        return
    page = int(context.match.group(1))
    await edit(update, await context.services.needs.browse(session, where, page))


@handler()
async def needs_filter(update: Update, context: BotContext, session: Session) -> None:
    """Show the filter choices of /needs in place."""
    where = parse_state(*context.match.group(2, 3, 4))
    if where is None:
        await not_available(update, session)
        return
    facet = context.match.group(1)[1:] or None
    await edit(update, await context.services.needs.filter_menu(session, where, facet))


@handler()
async def need_card(update: Update, context: BotContext, session: Session) -> None:
    """Open a need's card with I can help."""
    await answer(update, await context.services.needs.card(session, int(context.match.group(1))))


@handler()
async def offer_help(update: Update, context: BotContext, session: Session) -> None:
    """I can help: ask for a short message and whether to share the @username."""
    need_id = int(context.match.group(1))
    await answer(update, await context.services.needs.begin_offer(session, need_id))


@handler(Role.ORGANISER)
async def decide_offer(update: Update, context: BotContext, session: Session) -> None:
    """Accept (revealing the private details to that helper) or decline an offer."""
    accept, offer_id = context.match.group(1) == "ac", int(context.match.group(2))
    await answer(update, await context.services.needs.decide_offer(session, offer_id, accept))


@handler(Role.ORGANISER)
async def myneeds(update: Update, context: BotContext, session: Session) -> None:
    """The organisation's needs with their offers."""
    await send(update, await context.services.needs.own(session, 0))


@handler(Role.ORGANISER)
async def myneeds_page(update: Update, context: BotContext, session: Session) -> None:
    """Turn the page of /myneeds in place."""
    await edit(update, await context.services.needs.own(session, int(context.match.group(1))))


@handler(Role.ORGANISER)
async def own_need(update: Update, context: BotContext, session: Session) -> None:
    """One of the organisation's needs with Fulfilled / Close / Edit / Offers."""
    need_id = int(context.match.group(1))
    await answer(update, await context.services.needs.own_card(session, need_id))


@handler(Role.ORGANISER)
async def close_need(update: Update, context: BotContext, session: Session) -> None:
    """Mark the need fulfilled or close it."""
    status = "fulfilled" if context.match.group(1) == "ful" else "closed"
    need_id = int(context.match.group(2))
    await answer(update, await context.services.needs.close(session, need_id, status))


@handler(Role.ORGANISER)
async def edit_need(update: Update, context: BotContext, session: Session) -> None:
    """Choose which field of the need to change."""
    need_id = int(context.match.group(1))
    await answer(update, await context.services.needs.edit_menu(session, need_id))


@handler(Role.ORGANISER)
async def edit_field(update: Update, context: BotContext, session: Session) -> None:
    """Ask the question of one field again, with the same checks."""
    need_id, field = int(context.match.group(1)), context.match.group(2)
    await answer(update, await context.services.needs.begin_edit(session, need_id, field))


@handler(Role.ORGANISER)
async def need_offers(update: Update, context: BotContext, session: Session) -> None:
    """The offers made for one of the organisation's needs."""
    await acknowledge(update.callback_query)
    for reply in await context.services.needs.offers(session, int(context.match.group(1))):
        await send(update, reply)


@handler(Role.ORGANISER)
async def still_needed(update: Update, context: BotContext, session: Session) -> None:
    """Yes keeps an old need open (its clock restarts), No closes it."""
    needed, need_id = context.match.group(1) == "yes", int(context.match.group(2))
    await answer(update, await context.services.needs.still_needed(session, need_id, needed))


@handler()
async def alerts(update: Update, context: BotContext, session: Session) -> None:
    """Settings → Alerts: the categories of critical needs to be alerted about."""
    await edit(update, await context.services.needs.alerts_menu(session))


@handler()
async def toggle_alert(update: Update, context: BotContext, session: Session) -> None:
    """Switch alerts for one category on or off."""
    category = context.match.group(1)
    await edit(update, await context.services.needs.toggle_alert(session, category))


def register(application: Application) -> None:
    add = application.add_handler
    add(CommandHandler("neednew", neednew))
    add(CommandHandler("needs", needs))
    add(CommandHandler("myneeds", myneeds))
    add(CallbackQueryHandler(needs_page, pattern=rf"^nd:l:(\d{{1,6}}):{_STATE}$"))
    add(CallbackQueryHandler(needs_filter, pattern=rf"^nd:(f|fc|fk|fu):{_STATE}$"))
    add(CallbackQueryHandler(need_card, pattern=r"^nd:o:(\d{1,12})$"))
    add(CallbackQueryHandler(offer_help, pattern=r"^need:help:(\d{1,12})$"))
    add(CallbackQueryHandler(decide_offer, pattern=r"^offer:(ac|dc):(\d{1,12})$"))
    add(CallbackQueryHandler(myneeds_page, pattern=r"^mn:p:(\d{1,6})$"))
    add(CallbackQueryHandler(own_need, pattern=r"^mn:o:(\d{1,12})$"))
    add(CallbackQueryHandler(close_need, pattern=r"^mn:(ful|cls):(\d{1,12})$"))
    add(CallbackQueryHandler(edit_need, pattern=r"^mn:ed:(\d{1,12})$"))
    add(CallbackQueryHandler(edit_field, pattern=r"^mn:ef:(\d{1,12}):([a-z_]{4,16})$"))
    add(CallbackQueryHandler(need_offers, pattern=r"^mn:of:(\d{1,12})$"))
    add(CallbackQueryHandler(still_needed, pattern=r"^need:(yes|no):(\d{1,12})$"))
    add(CallbackQueryHandler(alerts, pattern=r"^set:alerts$"))
    add(CallbackQueryHandler(toggle_alert, pattern=r"^alert:([a-z]{2,12})$"))
