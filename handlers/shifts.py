"""An event's shifts: the list, a shift's card, Take shift / Give back, and Add (organisers)."""

from __future__ import annotations

from telegram.ext import Application

from bot.conversation import callbacks
from bot.conversation.roles import Role
from handlers.common import add_routes, button, edit

ROUTES = (
    # Shifts on an event's card: its shifts with free places (counts for its organisers).
    button(callbacks.ShiftList,
           lambda s, session, press: s.shifts.shifts(session, press.event_id)),
    button(callbacks.ShiftsPage, lambda s, session, press: s.shifts.shifts(
        session, press.event_id, press.page), reply=edit),
    # One shift: its time in the member's zone, Take shift or Give back.
    button(callbacks.ShiftCard, lambda s, session, press: s.shifts.card(session, press.shift_id)),
    button(callbacks.ShiftTake, lambda s, session, press: s.shifts.take(session, press.shift_id)),
    button(callbacks.ShiftGiveBack,
           lambda s, session, press: s.shifts.give_back(session, press.shift_id)),
    # Add: one shift or a series, with a preview; that the presser organises the event is
    # checked by the service.
    button(callbacks.ShiftAdd, lambda s, session, press: s.shifts.begin_add(
        session, press.event_id), role=Role.ORGANISER),
)


def register(application: Application) -> None:
    add_routes(application, __name__, ROUTES)
