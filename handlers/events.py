"""/eventnew, /events, /myevents, /campaigns, /campaignnew, RSVP and calendar buttons."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import Application

from bot.conversation import callbacks
from bot.conversation.roles import Role
from bot.conversation.session import Session
from handlers.common import (
    BotContext,
    acknowledge,
    add_routes,
    answer,
    button,
    command,
    edit,
    not_available,
)

_BLANK = "-:-:-:-"


async def add_to_calendar(update: Update, context: BotContext, session: Session,
                          press: callbacks.EventCalendar) -> None:
    """Send the event as an .ics file."""
    made = await context.services.events.calendar(session, press.event_id)
    if made is None:
        await not_available(update, session)
        return
    data, filename = made
    await acknowledge(update.callback_query)
    await update.effective_chat.send_document(InputFile(data, filename=filename))


async def campaign_overview(update: Update, context: BotContext, session: Session,
                            press: callbacks.CampaignOverview) -> None:
    """The overview's first page, then its chart as a photo."""
    campaigns = context.services.campaigns
    await answer(update, await campaigns.site_overview(session, press.campaign_id))
    chart = await campaigns.overview_chart(session, press.campaign_id)
    if chart is not None:
        picture, caption = chart
        await update.effective_chat.send_photo(
            InputFile(picture, filename=f"campaign-{press.campaign_id}.png"), caption=caption)


ROUTES = (
    # Register an event of the organiser's organisation (or a campaign site).
    command("eventnew", lambda s, session: s.events.begin(session)),
    # Upcoming events, soonest first.
    command("events", lambda s, session: s.events.browse(session, _BLANK, 0)),
    # The organisation's events with RSVP counts for its organisers; for everyone the events
    # they answered Going or Maybe to and the shifts they took.
    command("myevents", lambda s, session: s.events.own(session, 0)),
    # Campaigns and their city sites.
    command("campaigns", lambda s, session: s.campaigns.overview(session, 0)),
    command("campaignnew", lambda s, session: s.campaigns.begin(session)),
    # Turn the page or change the filters of /events, in place.
    button(callbacks.EventsPage, lambda s, session, press: s.events.browse(
        session, press.state, press.page), reply=edit),
    button(callbacks.EventsFilter, lambda s, session, press: s.events.filter_menu(
        session, press.state, press.facet, press.page or 0), reply=edit),
    # An event's card with Going / Maybe / Not going and Add to calendar.
    button(callbacks.EventCard, lambda s, session, press: s.events.card(session, press.event_id)),
    # Going (or the waiting list), Maybe, Not going.
    button(callbacks.Rsvp,
           lambda s, session, press: s.events.rsvp(session, press.event_id, press.answer)),
    button(callbacks.EventCalendar, act=add_to_calendar),
    button(callbacks.MyEventsPage, lambda s, session, press: s.events.own(session, press.page),
           reply=edit, role=Role.ORGANISER),
    button(callbacks.MyPlansPage, lambda s, session, press: s.events.plans(session, press.page),
           reply=edit),
    # One of the organisation's events with Edit and Cancel event.
    button(callbacks.OwnEvent, lambda s, session, press: s.events.own_card(session, press.event_id),
           role=Role.ORGANISER),
    # Cancel event asks for a reason (or Skip), then once more; confirmed, Going and Maybe
    # are told.
    button(callbacks.EventCancelAsk, lambda s, session, press: s.events.ask_cancel(
        session, press.event_id), role=Role.ORGANISER),
    # What to change, then that question again with the same checks.
    button(callbacks.EventEdit,
           lambda s, session, press: s.events.edit_menu(session, press.event_id),
           role=Role.ORGANISER),
    button(callbacks.EventEditField, lambda s, session, press: s.events.begin_edit(
        session, press.event_id, press.field), role=Role.ORGANISER),
    # How many people came: answering the organisers' question, or changing it later.
    button(callbacks.AttendanceReport, lambda s, session, press: s.events.begin_attendance(
        session, press.event_id, press.change), role=Role.ORGANISER),
    button(callbacks.CampaignsPage,
           lambda s, session, press: s.campaigns.overview(session, press.page),
           reply=edit),
    # A campaign's sites by country and city, the member's own first; then their pages.
    button(callbacks.CampaignCard, lambda s, session, press: s.campaigns.card(
        session, press.campaign_id)),
    button(callbacks.CampaignSitesPage, lambda s, session, press: s.campaigns.card(
        session, press.campaign_id, press.page), reply=edit),
    # Coordinators and organisers of a site: numbers by site with totals, and a bar chart.
    button(callbacks.CampaignOverview, act=campaign_overview),
    button(callbacks.CampaignOverviewPage, lambda s, session, press: s.campaigns.site_overview(
        session, press.campaign_id, press.page), reply=edit),
)


def register(application: Application) -> None:
    add_routes(application, __name__, ROUTES)
