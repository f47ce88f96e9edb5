"""/coordinators (grant and revoke), /audit and Hide / Unhide on posts: the secretariat's own
tools."""

from __future__ import annotations

from telegram.ext import Application

from bot.conversation import callbacks
from bot.conversation.roles import Role
from handlers.common import add_routes, button, command, edit

ROUTES = (
    # Coordinators with Remove buttons and an Add button.
    command("coordinators", lambda s, session: s.coordinators.overview(session)),
    # The last privileged actions.
    command("audit", lambda s, session: s.coordinators.audit_log(session)),
    button(callbacks.CoordinatorsPage, lambda s, session, press: s.coordinators.overview(
        session, page=press.page), reply=edit, role=Role.COORDINATOR),
    # Ask for the new coordinator: Telegram's user picker, or a typed id.
    button(callbacks.CoordinatorAdd, lambda s, session, press: s.coordinators.begin_adding(session),
           role=Role.COORDINATOR),
    # Revoke a coordinator (never the last one), once confirmed.
    button(callbacks.CoordinatorRemove, lambda s, session, press: s.coordinators.confirm_removal(
        session, press.tg_id), role=Role.COORDINATOR),
    button(callbacks.CoordinatorRemoveConfirm, lambda s, session, press: s.coordinators.remove(
        session, press.tg_id), role=Role.COORDINATOR),
    # Hide a need or an event from members (the reason asked first), or show it again.
    button(callbacks.PostHide, lambda s, session, press: s.posts.begin_hide(
        session, press.kind, press.post_id), role=Role.COORDINATOR),
    button(callbacks.PostUnhide, lambda s, session, press: s.posts.unhide(
        session, press.kind, press.post_id), role=Role.COORDINATOR),
    # A second coordinator approves or rejects a new coordinator (four eyes).
    button(callbacks.CoordinatorApprove, lambda s, session, press: s.coordinators.decide(
        session, press.grant_id, True), role=Role.COORDINATOR),
    button(callbacks.CoordinatorReject, lambda s, session, press: s.coordinators.decide(
        session, press.grant_id, False), role=Role.COORDINATOR),
)


def register(application: Application) -> None:
    add_routes(application, __name__, ROUTES)
