"""/eventnew, /events, /myevents, /campaigns, /campaignnew, RSVP and calendar buttons."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.conversation.roles import Role
from bot.conversation.session import Session
from handlers.common import (
    BotContext,
    acknowledge,
    answer,
    edit,
    handler,
    not_available,
    send,
)

_STATE = r"([A-Z]{2}|-):(m|-):(\d{1,9}|-):(7|30|-)"
_BLANK = "-:-:-:-"


@handler(Role.ORGANISER)
async def eventnew(update: Update, context: BotContext, session: Session) -> None:
    """Register an event of the organiser's organisation (or a campaign site)."""
    await send(update, await context.services.events.begin(session))


@handler()
async def events(update: Update, context: BotContext, session: Session) -> None:
    """Upcoming events, soonest first."""
    await send(update, await context.services.events.browse(session, _BLANK, 0))


@handler()
async def events_page(update: Update, context: BotContext, session: Session) -> None:
    """Turn the page or change the filters of /events, in place."""
    state = ":".join(context.match.group(2, 3, 4, 5))
    reply = await context.services.events.browse(session, state, int(context.match.group(1)))
    await edit(update, reply)


@handler()
async def events_filter(update: Update, context: BotContext, session: Session) -> None:
    """The filter choices of /events, in place."""
    facet = context.match.group(1)[1:] or None
    state = ":".join(context.match.group(2, 3, 4, 5))
    page = int(context.match.group(6) or 0)
    await edit(update, await context.services.events.filter_menu(session, state, facet, page))


@handler()
async def event_card(update: Update, context: BotContext, session: Session) -> None:
    """An event's card with Going / Maybe / Not going and Add to calendar."""
    reply = await context.services.events.card(session, int(context.match.group(1)))
    await answer(update, reply)


@handler()
async def rsvp(update: Update, context: BotContext, session: Session) -> None:
    """Answer an event: Going (or the waiting list), Maybe, Not going."""
    reply = await context.services.events.rsvp(session, int(context.match.group(2)),
                                               context.match.group(1))
    await answer(update, reply)


@handler()
async def add_to_calendar(update: Update, context: BotContext, session: Session) -> None:
    """Send the event as an .ics file."""
    made = await context.services.events.calendar(session, int(context.match.group(1)))
    if made is None:
        await not_available(update, session)
        return
    data, filename = made
    await acknowledge(update.callback_query)
    await update.effective_chat.send_document(InputFile(data, filename=filename))


@handler(Role.ORGANISER)
async def myevents(update: Update, context: BotContext, session: Session) -> None:
    """The organisation's events with RSVP counts."""
    await send(update, await context.services.events.own(session, 0))


@handler(Role.ORGANISER)
async def myevents_page(update: Update, context: BotContext, session: Session) -> None:
    """Turn the page of /myevents in place."""
    await edit(update, await context.services.events.own(session, int(context.match.group(1))))


@handler(Role.ORGANISER)
async def own_event(update: Update, context: BotContext, session: Session) -> None:
    """One of the organisation's events with Edit and Cancel event."""
    reply = await context.services.events.own_card(session, int(context.match.group(1)))
    await answer(update, reply)


@handler(Role.ORGANISER)
async def cancel_event(update: Update, context: BotContext, session: Session) -> None:
    """Ask whether to cancel the event, or (confirmed) cancel it: Going and Maybe are told;
    or keep it."""
    events, step, event_id = (context.services.events, context.match.group(1),
                              int(context.match.group(2)))
    act = {"cx": events.confirm_cancel, "cy": events.cancel, "ck": events.keep}[step]
    await answer(update, await act(session, event_id))


@handler(Role.ORGANISER)
async def edit_event(update: Update, context: BotContext, session: Session) -> None:
    """Choose what to change."""
    reply = await context.services.events.edit_menu(session, int(context.match.group(1)))
    await answer(update, reply)


@handler(Role.ORGANISER)
async def edit_field(update: Update, context: BotContext, session: Session) -> None:
    """Ask one question of the event again, with the same checks."""
    event_id, field = int(context.match.group(1)), context.match.group(2)
    await answer(update, await context.services.events.begin_edit(session, event_id, field))


@handler()
async def campaigns(update: Update, context: BotContext, session: Session) -> None:
    """Campaigns and their city sites."""
    await send(update, await context.services.campaigns.overview(session, 0))


@handler()
async def campaigns_page(update: Update, context: BotContext, session: Session) -> None:
    """Turn the page of /campaigns in place."""
    page = int(context.match.group(1))
    await edit(update, await context.services.campaigns.overview(session, page))


@handler()
async def campaign_card(update: Update, context: BotContext, session: Session) -> None:
    """A campaign's sites by country and city, the member's own first."""
    reply = await context.services.campaigns.card(session, int(context.match.group(1)))
    await answer(update, reply)


@handler()
async def campaign_page(update: Update, context: BotContext, session: Session) -> None:
    """Turn the page of a campaign's sites in place."""
    campaign_id, page = int(context.match.group(1)), int(context.match.group(2))
    await edit(update, await context.services.campaigns.card(session, campaign_id, page))


@handler(Role.COORDINATOR)
async def campaignnew(update: Update, context: BotContext, session: Session) -> None:
    """Create a campaign."""
    await send(update, await context.services.campaigns.begin(session))


def register(application: Application) -> None:
    add = application.add_handler
    add(CommandHandler("eventnew", eventnew))
    add(CommandHandler("events", events))
    add(CommandHandler("myevents", myevents))
    add(CommandHandler("campaigns", campaigns))
    add(CommandHandler("campaignnew", campaignnew))
    add(CallbackQueryHandler(events_page, pattern=rf"^ev:l:(\d{{1,6}}):{_STATE}$"))
    add(CallbackQueryHandler(events_filter, pattern=rf"^ev:(f|fk|fc):{_STATE}(?::(\d{{1,6}}))?$"))
    add(CallbackQueryHandler(event_card, pattern=r"^ev:o:(\d{1,12})$"))
    add(CallbackQueryHandler(rsvp, pattern=r"^rsvp:(going|maybe|not_going):(\d{1,12})$"))
    add(CallbackQueryHandler(add_to_calendar, pattern=r"^ics:(\d{1,12})$"))
    add(CallbackQueryHandler(myevents_page, pattern=r"^me:p:(\d{1,6})$"))
    add(CallbackQueryHandler(own_event, pattern=r"^me:o:(\d{1,12})$"))
    add(CallbackQueryHandler(cancel_event, pattern=r"^me:(cx|cy|ck):(\d{1,12})$"))
    add(CallbackQueryHandler(edit_event, pattern=r"^me:ed:(\d{1,12})$"))
    add(CallbackQueryHandler(edit_field, pattern=r"^me:ef:(\d{1,12}):([a-z]{4,12})$"))
    add(CallbackQueryHandler(campaigns_page, pattern=r"^cp:p:(\d{1,6})$"))
    add(CallbackQueryHandler(campaign_card, pattern=r"^cp:o:(\d{1,12})$"))
    add(CallbackQueryHandler(campaign_page, pattern=r"^cp:s:(\d{1,12}):(\d{1,6})$"))
