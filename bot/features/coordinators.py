"""Coordinators: from configuration, granted and revoked by coordinators or the CLI."""

from __future__ import annotations

from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from bot.conversation.answers import Limit, number_of
from bot.conversation.callbacks import (
    CoordinatorAdd,
    CoordinatorApprove,
    CoordinatorReject,
    CoordinatorRemove,
    CoordinatorsPage,
)
from bot.conversation.dialogue import Dialogues, Flow, Step
from bot.conversation.listing import PAGE_SIZE, page_count, page_of, turning
from bot.conversation.replies import Button, Reply
from bot.conversation.roles import Role
from bot.conversation.session import Session
from bot.features.members import Members
from bot.features.notices import Notices
from bot.infra.clock import Clock
from bot.infra.i18n import Texts
from storage.audit import AuditRepository
from storage.coordinator_grants import CoordinatorGrantRepository
from storage.database import Database
from storage.models import AuditEntry
from storage.users import UserRepository

MAX_TELEGRAM_ID = 2**52
AUDIT_SHOWN = 20


class Revocation(Enum):
    DONE = "done"
    NOT_COORDINATOR = "not_coordinator"
    LAST = "last"


parse_tg_id = number_of(Limit(1, MAX_TELEGRAM_ID - 1), "coordinators.invalid_id")


class Coordinators:
    def __init__(
        self, database: Database, users: UserRepository, grants: CoordinatorGrantRepository,
        audit: AuditRepository, dialogues: Dialogues, members: Members, notices: Notices,
        clock: Clock, *, configured: frozenset[int], four_eyes: bool,
    ) -> None:
        self._database = database
        self._users = users
        self._grants = grants
        self._audit = audit
        self._dialogues = dialogues
        self._members = members
        self._notices = notices
        self._clock = clock
        self._configured = configured
        self._four_eyes = four_eyes
        dialogues.register(Flow(
            name="add_coordinator",
            steps=(Step("tg_id", "coordinators.ask.id", parse=parse_tg_id),),
            finish=self._add_from_dialogue,
        ))

    async def apply_configured(self) -> None:
        for tg_id in sorted(self._configured):
            await self.grant(None, tg_id)

    async def grant(self, actor_id: int | None, tg_id: int) -> bool:
        """Make `tg_id` a coordinator (audited); False if they already were one."""
        users, now = self._users, self._clock.now()
        async with self._database.transaction():
            user = await users.get(tg_id)
            if user is not None and user.is_coordinator:
                return False
            await users.set_coordinator(tg_id, True, now)
            await self._audit.record(actor_id, "coordinator.grant", f"user:{tg_id}", now)
        return True

    async def revoke(self, actor_id: int | None, tg_id: int) -> Revocation:
        """Take coordination away (audited), never from the last coordinator."""
        users, now = self._users, self._clock.now()
        async with self._database.transaction():
            coordinators = await users.coordinator_ids()
            if tg_id not in coordinators:
                return Revocation.NOT_COORDINATOR
            if len(coordinators) == 1:
                return Revocation.LAST
            await users.set_coordinator(tg_id, False, now)
            await self._audit.record(actor_id, "coordinator.revoke", f"user:{tg_id}", now)
        return Revocation.DONE

    async def overview(self, session: Session, notice: str | None = None,
                       page: int = 0) -> Reply:
        t = session.texts
        ids = await self._users.coordinator_ids()
        page, shown = page_of(ids, page)
        lines = "\n".join(t("coordinators.line", number=n, tg_id=tg_id)
                          for n, tg_id in enumerate(shown, page * PAGE_SIZE + 1))
        text = t("coordinators.list", lines=lines)
        if len(ids) > PAGE_SIZE:
            text = f"{text}\n\n{t('list.page', page=page + 1, pages=page_count(len(ids)))}"
        rows = [[Button(t("coordinators.remove", tg_id=tg_id), CoordinatorRemove(tg_id))]
                for tg_id in shown]
        if turned := turning(t, page, len(ids), CoordinatorsPage):
            rows.append(turned)
        rows.append([Button(t("button.add"), CoordinatorAdd())])
        return Reply(f"{notice}\n\n{text}" if notice else text, rows)

    async def _deciders(self, requester_id: int) -> list[int]:
        """The coordinators who may decide on a request: every one but its requester."""
        return [tg_id for tg_id in await self._users.coordinator_ids()
                if tg_id != requester_id]

    async def begin_adding(self, session: Session) -> Reply:
        if self._four_eyes and not await self._deciders(session.user.tg_id):
            return Reply(session.texts("coordinators.second_needed"))
        return await self._dialogues.start(session, "add_coordinator")

    async def _add_from_dialogue(self, session: Session, answers: dict[str, Any]) -> Reply:
        t, tg_id = session.texts, answers["tg_id"]
        if not session.may(Role.COORDINATOR):
            return Reply(t("not_available"))
        if self._four_eyes:
            return await self.overview(session, await self._request(session, tg_id))
        granted = await self.grant(session.user.tg_id, tg_id)
        if granted:
            await self._welcome(tg_id)
        key = "coordinators.added" if granted else "coordinators.already"
        return await self.overview(session, t(key, tg_id=tg_id))

    async def _welcome(self, tg_id: int) -> None:
        await self._notices.send([tg_id], lambda tx: Reply(tx("coordinators.welcome")))
        await self._members.refresh_menu(tg_id)

    async def _request(self, session: Session, tg_id: int) -> str:
        """Ask the other coordinators to approve `tg_id` (four eyes); what to tell the asker."""
        t = session.texts
        requester, now = session.user.tg_id, self._clock.now()
        async with self._database.transaction():
            if tg_id in await self._users.coordinator_ids():
                return t("coordinators.already", tg_id=tg_id)
            deciders = await self._deciders(requester)
            if not deciders:
                return t("coordinators.second_needed")
            grant_id = await self._grants.request(tg_id, requester, now)
            if grant_id is None:
                return t("coordinators.request_waiting", tg_id=tg_id)
            await self._audit.record(requester, "coordinator.request", f"user:{tg_id}", now)
            await self._notices.send(deciders, lambda tx: Reply(
                tx("coordinators.approval_request", requester=requester, tg_id=tg_id),
                [[Button(tx("button.approve"), CoordinatorApprove(grant_id)),
                  Button(tx("button.reject"), CoordinatorReject(grant_id))]]))
        return t("coordinators.requested", tg_id=tg_id)

    async def decide(self, session: Session, grant_id: int, approve: bool) -> Reply:
        """A second coordinator approves (the rights are granted) or rejects a request."""
        t = session.texts
        decider, now = session.user.tg_id, self._clock.now()
        async with self._database.transaction():
            request = await self._grants.get(grant_id)
            if request is None:
                return Reply(t("not_available"))
            candidate = request.candidate_id
            if request.status != "pending":
                return Reply(t("coordinators.request_decided", tg_id=candidate))
            if request.requested_by == decider:
                return Reply(t("coordinators.decide_own"))
            await self._grants.decide(
                grant_id, "approved" if approve else "rejected", decider, now)
            if approve:
                granted = await self.grant(decider, candidate)
            else:
                granted = False
                await self._audit.record(decider, "coordinator.reject", f"user:{candidate}",
                                         now)
            outcome = "coordinators.request_approved" if approve else (
                "coordinators.request_rejected")
            await self._notices.send([request.requested_by], lambda tx: Reply(
                tx(outcome, tg_id=candidate, decider=decider)))
        if granted:
            await self._welcome(candidate)
        if not approve:
            return Reply(t("coordinators.rejected", tg_id=candidate))
        return Reply(t("coordinators.added" if granted else "coordinators.already",
                       tg_id=candidate))

    async def remove(self, session: Session, tg_id: int) -> Reply:
        result = await self.revoke(session.user.tg_id, tg_id)
        if result is Revocation.DONE:
            await self._members.refresh_menu(tg_id)
        key = {Revocation.DONE: "coordinators.removed", Revocation.LAST: "coordinators.last",
               Revocation.NOT_COORDINATOR: "not_available"}[result]
        return await self.overview(session, session.texts(key, tg_id=tg_id))

    async def audit_log(self, session: Session) -> Reply:
        """The last privileged actions, times in the coordinator's zone."""
        t = session.texts
        entries = await self._audit.latest(AUDIT_SHOWN)
        if not entries:
            return Reply(t("audit.empty"))
        zone = ZoneInfo(self._members.timezone(session.user))
        lines = "\n".join(t(
            "audit.line", at=entry.at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            actor=_actor(t, entry), action=t(f"audit.action.{entry.action}"),
            target=t("audit.forgotten", number=entry.subject_number)
            if entry.subject_forgotten else entry.target,
        ) for entry in entries)
        return Reply(t.plural("audit.title", len(entries), lines=lines))


def _actor(t: Texts, entry: AuditEntry) -> str | int:
    """Who acted: a Telegram id, a forgotten person's pseudonym, or the command line."""
    if entry.actor_id is not None:
        return entry.actor_id
    if entry.actor_forgotten:
        return t("audit.forgotten", number=entry.actor_number)
    return t("audit.cli")
