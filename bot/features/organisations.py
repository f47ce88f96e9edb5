"""Organisations: applying, vetting by coordinators, suspension, and invites for organisers."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from bot.conversation.answers import Limit, line_of, text_of, web_address
from bot.conversation.callbacks import (
    OrgApprove,
    OrgCard,
    OrgInvite,
    OrgReinstate,
    OrgReject,
    OrgsPage,
    OrgSuspend,
)
from bot.conversation.dialogue import Dialogues, Flow, Invalid, Step
from bot.conversation.listing import PAGE_SIZE, Entry, clamp_page, render_page
from bot.conversation.places import country_name
from bot.conversation.replies import Button, Reply
from bot.conversation.roles import Role
from bot.conversation.session import Session
from bot.features.members import CITY, Members, parse_city, parse_country_answer, shown
from bot.features.notices import Notices
from bot.infra.botlink import BotLink
from bot.infra.clock import Clock
from bot.infra.i18n import Html, Texts
from storage.audit import AuditRepository
from storage.database import Database
from storage.models import Organisation, OrgStatus, RejectionReason
from storage.organisations import OrganisationRepository
from storage.users import UserRepository

NAME = Limit.of(Organisation, "name")
DESCRIPTION = Limit.of(Organisation, "description")
WEBSITE = Limit.of(Organisation, "website")
REASON = Limit.of_type(RejectionReason)
INVITE_VALIDITY = timedelta(hours=72)
INVITE_PREFIX = "inv_"
_INVITE = re.compile(r"^inv_[A-Za-z0-9_-]{43}$")
# The audit action that put an organisation in each decided status.
_DECISIONS = {"approved": "org.approve", "rejected": "org.reject", "suspended": "org.suspend"}
_STATUS_ICON = {"pending": "⏳", "approved": "✅", "suspended": "⛔", "rejected": "✖️"}


parse_name = line_of(NAME)
parse_description = text_of(DESCRIPTION)
parse_reason = text_of(REASON)


def parse_website(text: str, session: Session, answers: dict[str, Any]) -> str:
    url = web_address(text.strip())
    if url is None or len(url) > WEBSITE.maximum:
        raise Invalid("invalid.website")
    return url


def invite_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Organisations:
    def __init__(
        self, database: Database, organisations: OrganisationRepository, users: UserRepository,
        audit: AuditRepository, dialogues: Dialogues, members: Members, notices: Notices,
        clock: Clock, link: BotLink,
        events_on_channel: Callable[[int], Awaitable[None]], *, approvals_required: int,
    ) -> None:
        self._database = database
        self._repo = organisations
        self._users = users
        self._audit = audit
        self._dialogues = dialogues
        self._members = members
        self._notices = notices
        self._clock = clock
        self._link = link
        self._events_on_channel = events_on_channel
        self._approvals_required = approvals_required
        dialogues.register(
            Flow(
                name="register_org",
                steps=(
                    Step("name", "org.ask.name", parse=self._parse_new_name,
                         question_values=NAME.length_values, label="org.field.name"),
                    Step("description", "org.ask.description", parse=parse_description,
                         optional=True, question_values=DESCRIPTION.length_values,
                         label="org.field.description"),
                    Step("country", "org.ask.country", parse=parse_country_answer,
                         label="org.field.country", then=("city",)),
                    Step("city", "org.ask.city", parse=parse_city, optional=True,
                         question_values=CITY.length_values, label="org.field.city"),
                    Step("website", "org.ask.website", parse=parse_website, optional=True,
                         question_values=WEBSITE.length_values, label="org.field.website"),
                ),
                preview=self._preview,
                finish=self._apply,
            ),
            Flow(
                name="reject_org",
                steps=(Step("reason", "org.ask.reject_reason", parse=parse_reason,
                            question_values=REASON.length_values),),
                finish=self._reject,
            ),
        )

    async def _parse_new_name(self, text: str, session: Session, answers: dict[str, Any]) -> str:
        name = parse_name(text, session, answers)
        if await self._repo.name_taken(name):
            raise Invalid("org.invalid.name_taken")
        return name

    # --- applying --------------------------------------------------------------------------

    async def begin_application(self, session: Session) -> Reply:
        """/register_org: one organisation per organiser, one pending application per person."""
        t = session.texts
        if session.membership is not None:
            return Reply(t("org.already_member", organisation=session.membership.org_name))
        pending = await self._repo.pending_application(session.user.tg_id)
        if pending is not None:
            return Reply(t("org.already_pending", organisation=pending.name))
        return await self._dialogues.start(session, "register_org")

    async def _preview(self, session: Session, answers: dict[str, Any]) -> str:
        t = session.texts
        return t("org.preview", card=self._details(t, answers))

    def _details(self, t: Texts, fields: dict[str, Any]) -> Html:
        none = t("org.none")
        return Html(t(
            "org.details",
            name=fields["name"],
            country=country_name(fields["country"], t.language),
            city=fields.get("city") or none,
            website=fields.get("website") or none,
            description=fields.get("description") or none,
        ))

    async def _apply(self, session: Session, answers: dict[str, Any]) -> Reply:
        t = session.texts
        if await self._repo.name_taken(answers["name"]):
            return Reply(t("org.name_taken_now", name=answers["name"]))
        # The session was read for this very update, and updates are handled one at a time.
        if session.membership is not None:
            return Reply(t("org.already_member", organisation=session.membership.org_name))
        org_id = await self._repo.create(
            name=answers["name"], description=answers.get("description") or "",
            country=answers["country"], city=answers.get("city"),
            website=answers.get("website"), applicant_id=session.user.tg_id,
            now=self._clock.now(),
        )
        organisation = await self._repo.get(org_id)
        coordinators = await self._users.coordinator_ids()
        await self._notices.send(coordinators, lambda tx: self._application_notice(
            tx, organisation))
        return Reply(t("org.applied", name=answers["name"]))

    def _application_notice(self, t: Texts, organisation: Organisation) -> Reply:
        return Reply(
            t("org.application", card=self._details(t, organisation.model_dump())),
            self._decision_buttons(t, organisation.id),
        )

    def _decision_buttons(self, t: Texts, org_id: int) -> list[list[Button]]:
        return [[Button(t("button.approve"), OrgApprove(org_id)),
                 Button(t("button.reject"), OrgReject(org_id))]]

    # --- vetting ---------------------------------------------------------------------------

    async def approve(self, session: Session, org_id: int) -> Reply:
        """A coordinator's approval; enough of them (from different coordinators) approve."""
        t = session.texts
        now = self._clock.now()
        async with self._database.transaction():
            organisation = await self._repo.get(org_id)
            if organisation is None or organisation.status != "pending":
                return await self._already_decided(t, organisation)
            if session.user.tg_id in await self._repo.approved_by(org_id):
                return Reply(t("org.approval_already_yours", name=organisation.name))
            approvals = await self._repo.add_approval(org_id, session.user.tg_id, now)
            await self._audit.record(session.user.tg_id, "org.approve", f"org:{org_id}", now)
            required = self._approvals_required
            if approvals < required:
                return Reply(t.plural("org.approval_recorded", required - approvals,
                                      name=organisation.name))
            await self._repo.set_status(org_id, "approved", now, expected="pending")
            applicant = organisation.applicant_id
            joined = applicant is not None and await self._repo.add_member(applicant, org_id, now)
            if joined:
                await self._notices.send([applicant], await self._members.welcome(
                    applicant, lambda tx: tx("org.approved_notice", name=organisation.name)))
        if joined:
            await self._members.refresh_menu(applicant)
        return Reply(t("org.approved", name=organisation.name))

    async def begin_rejection(self, session: Session, org_id: int) -> Reply:
        organisation = await self._repo.get(org_id)
        if organisation is None or organisation.status != "pending":
            return await self._already_decided(session.texts, organisation)
        return await self._dialogues.start(session, "reject_org", {"org": org_id})

    async def _reject(self, session: Session, answers: dict[str, Any]) -> Reply:
        t = session.texts
        now = self._clock.now()
        organisation = await self._repo.get(answers["org"])
        if organisation is None or not session.may(Role.COORDINATOR):
            return Reply(t("not_available"))
        if not await self._repo.set_status(organisation.id, "rejected", now, expected="pending"):
            return await self._already_decided(t, organisation)
        await self._audit.record(session.user.tg_id, "org.reject", f"org:{organisation.id}",
                                 now)
        if organisation.applicant_id is not None:
            await self._notices.send([organisation.applicant_id], lambda tx: Reply(tx(
                "org.rejected_notice", name=organisation.name, reason=answers["reason"])))
        return Reply(t("org.rejected", name=organisation.name))

    async def change_status(self, session: Session, org_id: int, target: OrgStatus) -> Reply:
        """Suspend an approved organisation or reinstate a suspended one; rights, and its events
        on the channel, follow at once."""
        t = session.texts
        expected: OrgStatus = "approved" if target == "suspended" else "suspended"
        now = self._clock.now()
        async with self._database.transaction():
            organisation = await self._repo.get(org_id)
            if organisation is None or not await self._repo.set_status(
                org_id, target, now, expected=expected
            ):
                return Reply(t("not_available"))
            action = "org.suspend" if target == "suspended" else "org.reinstate"
            await self._audit.record(session.user.tg_id, action, f"org:{org_id}", now)
            await self._events_on_channel(org_id)
            organisers = await self._repo.members(org_id)
            key = "org.suspended_notice" if target == "suspended" else "org.reinstated_notice"
            await self._notices.send(organisers, lambda tx: Reply(tx(
                key, name=organisation.name)))
        for tg_id in organisers:
            await self._members.refresh_menu(tg_id)
        done = "org.suspended" if target == "suspended" else "org.reinstated"
        return Reply(t(done, name=organisation.name))

    async def _already_decided(self, t: Texts, organisation: Organisation | None) -> Reply:
        """Another coordinator was first: what they decided and who, by label (the audit log
        keeps who did it; it forgets a person who used /forget)."""
        action = _DECISIONS.get(organisation.status) if organisation is not None else None
        if organisation is None or action is None:
            return Reply(t("not_available"))
        decider = await self._audit.last_actor(action, f"org:{organisation.id}")
        return Reply(await self._members.answered_by(
            t, f"org.already_{organisation.status}", decider, name=organisation.name))

    # --- browsing (coordinators) -----------------------------------------------------------

    async def list_page(self, session: Session, page: int) -> Reply:
        t = session.texts
        total = await self._repo.count()
        page = clamp_page(page, total)
        organisations = await self._repo.page(page * PAGE_SIZE, PAGE_SIZE)
        entries = [Entry(org.id, Html(t(
            "org.line", icon=_STATUS_ICON[org.status], name=org.name,
            status=t(f"org.status.{org.status}"), country=org.country,
        ))) for org in organisations]
        return render_page(t, title=t.plural("org.list.title", total), empty=t("org.list.empty"),
                           opens=OrgCard, turn=OrgsPage, entries=entries, page=page, total=total)

    async def card(self, session: Session, org_id: int) -> Reply:
        t = session.texts
        organisation = await self._repo.get(org_id)
        if organisation is None:
            return Reply(t("not_available"))
        names = await self._members.names(t, await self._repo.members(org_id))
        organisers = ", ".join(names.values()) or t("org.none")
        approvals = len(await self._repo.approved_by(org_id))
        text = t("org.card", status=t(f"org.status.{organisation.status}"),
                 card=self._details(t, organisation.model_dump()), organisers=organisers,
                 approvals=approvals, required=self._approvals_required)
        buttons = {
            "pending": self._decision_buttons(t, org_id),
            "approved": [[Button(t("button.suspend"), OrgSuspend(org_id)),
                          Button(t("button.invite"), OrgInvite(org_id))]],
            "suspended": [[Button(t("button.reinstate"), OrgReinstate(org_id))]],
            "rejected": [],
        }[organisation.status]
        return Reply(text, buttons)

    # --- invites ---------------------------------------------------------------------------

    async def invite(self, session: Session, org_id: int | None) -> Reply:
        """A single-use link valid 72 h, for the organiser's own organisation (or, for a
        coordinator, any approved one)."""
        t = session.texts
        if org_id is None:
            if session.org_id is None:
                return Reply(t("invite.coordinator_hint"))
            org_id = session.org_id
        organisation = await self._repo.get(org_id)
        if organisation is None or organisation.status != "approved":
            return Reply(t("not_available"))
        token = INVITE_PREFIX + secrets.token_urlsafe(32)
        now = self._clock.now()
        async with self._database.transaction():
            await self._repo.create_invite(invite_hash(token), org_id, session.user.tg_id, now,
                                           now + INVITE_VALIDITY)
            await self._audit.record(session.user.tg_id, "invite.create", f"org:{org_id}", now)
        link = f"https://t.me/{self._link.bot.username}?start={token}"
        return Reply(t.plural("invite.link", int(INVITE_VALIDITY.total_seconds() // 3600),
                              name=organisation.name, link=link))

    async def redeem_invite(self, session: Session, payload: str) -> Reply | None:
        """`/start inv_…`: None when the payload is not an invite at all."""
        if not payload.startswith(INVITE_PREFIX):
            return None
        t = session.texts
        invalid = Reply(t("invite.invalid"))
        if not _INVITE.match(payload):
            return invalid
        if session.membership is not None:
            return Reply(t("org.already_member", organisation=session.membership.org_name))
        now = self._clock.now()
        token_hash = invite_hash(payload)
        async with self._database.transaction():
            invite = await self._repo.invite(token_hash, now)
            organisation = await self._repo.get(invite.org_id) if invite is not None else None
            if organisation is None or organisation.status != "approved":
                return invalid
            tg_id = session.user.tg_id
            await self._repo.use_invite(token_hash, tg_id, now)
            await self._repo.add_member(tg_id, organisation.id, now)
            await self._audit.record(tg_id, "invite.redeem", f"org:{organisation.id}", now)
            if invite.created_by is not None:
                joined = (await self._members.people([tg_id]))[tg_id]
                await self._notices.send([invite.created_by], lambda tx: Reply(tx(
                    "invite.joined", person=shown(tx, joined), name=organisation.name)))
        await self._members.refresh_menu(tg_id)
        welcome = await self._members.welcome(
            tg_id, lambda tx: tx("invite.welcome", name=organisation.name))
        return welcome(t)
