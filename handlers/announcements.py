"""/announce and /broadcasts: coordinators' broadcasts, their approval and cancelling."""

from __future__ import annotations

from telegram.ext import Application

from bot.conversation import callbacks
from bot.conversation.roles import Role
from handlers.common import add_routes, button, command, edit

ROUTES = (
    command("announce", lambda s, session: s.announcements.begin(session)),
    # The last broadcasts with their delivery counters.
    command("broadcasts", lambda s, session: s.announcements.overview(session, 0)),
    button(callbacks.BroadcastsPage, lambda s, session, press: s.announcements.overview(
        session, press.page), reply=edit, role=Role.COORDINATOR),
    # One broadcast's counters, with Cancel while it can still be stopped.
    button(callbacks.BroadcastCard, lambda s, session, press: s.announcements.card(
        session, press.broadcast_id), role=Role.COORDINATOR),
    button(callbacks.BroadcastCancel, lambda s, session, press: s.announcements.cancel(
        session, press.broadcast_id), role=Role.COORDINATOR),
    # A second coordinator releases a broadcast to everyone.
    button(callbacks.BroadcastApprove, lambda s, session, press: s.announcements.approve(
        session, press.broadcast_id), role=Role.COORDINATOR),
)


def register(application: Application) -> None:
    add_routes(application, __name__, ROUTES)
