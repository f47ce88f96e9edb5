"""/register_org, /orgs, /invite and the Approve / Reject / Suspend / Reinstate buttons."""

from __future__ import annotations

from telegram.ext import Application

from bot.conversation import callbacks
from bot.conversation.roles import Role
from handlers.common import add_routes, button, command, edit

ROUTES = (
    # The application dialogue for a new organisation.
    command("register_org", lambda s, session: s.organisations.begin_application(session)),
    # The organisations, pending first, one page a message.
    command("orgs", lambda s, session: s.organisations.list_page(session, 0)),
    # A single-use invite link for the organiser's organisation.
    command("invite", lambda s, session: s.organisations.invite(session, None)),
    button(callbacks.OrgApprove, lambda s, session, press: s.organisations.approve(
        session, press.org_id), role=Role.COORDINATOR),
    # Reject a pending organisation: the reason is asked first.
    button(callbacks.OrgReject, lambda s, session, press: s.organisations.begin_rejection(
        session, press.org_id), role=Role.COORDINATOR),
    # Suspended, its organisers lose their rights at once; reinstated, they have them back.
    button(callbacks.OrgSuspend, lambda s, session, press: s.organisations.change_status(
        session, press.org_id, "suspended"), role=Role.COORDINATOR),
    button(callbacks.OrgReinstate, lambda s, session, press: s.organisations.change_status(
        session, press.org_id, "approved"), role=Role.COORDINATOR),
    # A coordinator's invite link for the organisation on the card.
    button(callbacks.OrgInvite, lambda s, session, press: s.organisations.invite(
        session, press.org_id), role=Role.COORDINATOR),
    button(callbacks.OrgsPage,
           lambda s, session, press: s.organisations.list_page(session, press.page),
           reply=edit, role=Role.COORDINATOR),
    # One organisation's card with its actions.
    button(callbacks.OrgCard, lambda s, session, press: s.organisations.card(session, press.org_id),
           role=Role.COORDINATOR),
)


def register(application: Application) -> None:
    add_routes(application, __name__, ROUTES)
