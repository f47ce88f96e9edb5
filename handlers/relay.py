"""Relayed conversations: Write to helper / Write to organisers / Reply, messages to an
event's attendees, and /myoffers."""

from __future__ import annotations

from telegram.ext import Application

from bot.conversation import callbacks
from bot.conversation.roles import Role
from handlers.common import add_routes, button, command, edit

ROUTES = (
    # The offers of help I made, their state, and a way to write to the organisers.
    command("myoffers", lambda s, session: s.relays.my_offers(session, 0)),
    button(callbacks.MyOffersPage,
           lambda s, session, press: s.relays.my_offers(session, press.page), reply=edit),
    button(callbacks.MyOffer, lambda s, session, press: s.relays.my_offer(session, press.offer_id)),
    # Ask for the text to relay; who may write (that offer's helper, its organisation's
    # organisers) is checked by the service, at the press and again as it sends.
    button(callbacks.RelayWrite, lambda s, session, press: s.relays.write_about_offer(
        session, press.to, press.offer_id)),
    # An attendee's Reply, to the event's organisers.
    button(callbacks.AttendeeReply,
           lambda s, session, press: s.relays.reply_to_event(session, press.event_id)),
    # On an event's own card: choose whom (Going, + waiting list, + Maybe), the text, preview.
    button(callbacks.MessageAttendees, lambda s, session, press: s.relays.begin_attendees(
        session, press.event_id), role=Role.ORGANISER),
    # On a shift's card, for the event's organisers: the text to the shift's people, preview.
    button(callbacks.MessageShift, lambda s, session, press: s.relays.begin_shift(
        session, press.shift_id), role=Role.ORGANISER),
)


def register(application: Application) -> None:
    add_routes(application, __name__, ROUTES)
