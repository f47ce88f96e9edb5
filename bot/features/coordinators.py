"""Coordinators: from configuration, granted and revoked by coordinators or the CLI."""

from __future__ import annotations

from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from bot.conversation.answers import Limit, ascii_digits, number_of
from bot.conversation.callbacks import (
    CoordinatorAdd,
    CoordinatorApprove,
    CoordinatorReject,
    CoordinatorRemove,
    CoordinatorRemoveConfirm,
    CoordinatorsPage,
)
from bot.conversation.dialogue import Dialogues, Flow, Invalid, Step
from bot.conversation.listing import PAGE_SIZE, page_count, page_of, turning
from bot.conversation.replies import Button, Reply
from bot.conversation.roles import Role
from bot.conversation.session import Session
from bot.features.members import Members, shown
from bot.features.notices import Notices
from bot.infra.botlink import BotLink
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
        clock: Clock, link: BotLink, *, configured: frozenset[int], four_eyes: bool,
    ) -> None:
        self._database = database
        self._users = users
        self._grants = grants
        self._audit = audit
        self._dialogues = dialogues
        self._members = members
        self._notices = notices
        self._clock = clock
        self._link = link
        self._configured = configured
        self._four_eyes = four_eyes
        dialogues.register(Flow(
            name="add_coordinator",
            steps=(Step("tg_id", "coordinators.ask.id", parse=self._parse_candidate,
                        pick_user="coordinators.pick"),),
            preview=self._confirm_adding,
            publish_label="button.yes",
            cancel_label="button.no",
            finish=self._add_from_dialogue,
        ))

    def _parse_candidate(self, text: str, session: Session, answers: dict[str, Any]) -> int:
        """A Telegram id, picked or typed; never one's own, nor this bot's (the only bot an
        id tells: the picker offers no bots, a typed id of another bot looks like a person's)."""
        digits = ascii_digits(text.strip())
        if digits.isascii() and digits.isdigit() and len(digits) > len(str(MAX_TELEGRAM_ID)):
            raise Invalid("coordinators.id_too_long", count=len(digits))
        tg_id = parse_tg_id(text, session, answers)
        if tg_id == session.user.tg_id:
            raise Invalid("coordinators.self")
        if tg_id == self._link.bot.id:
            raise Invalid("coordinators.bot")
        return tg_id

    async def _candidate(self, t: Texts, tg_id: int) -> str:
        """Who is proposed: their label if they have one (a former coordinator, an organiser),
        otherwise the account the coordinator picked or typed, to check whose it is."""
        user = await self._users.get(tg_id)
        return user.label if user is not None and user.label else t(
            "coordinators.account", tg_id=tg_id)

    async def _confirm_adding(self, session: Session, answers: dict[str, Any]) -> str:
        t = session.texts
        key = "coordinators.confirm_request" if self._four_eyes else "coordinators.confirm_add"
        return t(key, person=await self._candidate(t, answers["tg_id"]))

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
        names = await self._members.names(t, shown)
        lines = "\n".join(t("coordinators.line", number=n, person=names[tg_id])
                          for n, tg_id in enumerate(shown, page * PAGE_SIZE + 1))
        text = t("coordinators.list", lines=lines)
        if len(ids) > PAGE_SIZE:
            text = f"{text}\n\n{t('list.page', page=page + 1, pages=page_count(len(ids)))}"
        rows = [[Button(t("coordinators.remove", person=names[tg_id]), CoordinatorRemove(tg_id))]
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
        return await self.overview(session, t(key, person=await self._members.name(t, tg_id)))

    async def _welcome(self, tg_id: int) -> None:
        await self._notices.send([tg_id], await self._members.welcome(
            tg_id, lambda tx: tx("coordinators.welcome")))
        await self._members.refresh_menu(tg_id)

    async def _request(self, session: Session, tg_id: int) -> str:
        """Ask the other coordinators to approve `tg_id` (four eyes); what to tell the asker."""
        t = session.texts
        requester, now = session.user.tg_id, self._clock.now()
        async with self._database.transaction():
            if tg_id in await self._users.coordinator_ids():
                return t("coordinators.already", person=await self._members.name(t, tg_id))
            candidate = await self._candidate(t, tg_id)
            deciders = await self._deciders(requester)
            if not deciders:
                return t("coordinators.second_needed")
            grant_id = await self._grants.request(tg_id, requester, now)
            if grant_id is None:
                return t("coordinators.request_waiting", person=candidate)
            await self._audit.record(requester, "coordinator.request", f"user:{tg_id}", now)
            asker = (await self._members.people([requester]))[requester]
            await self._notices.send(deciders, lambda tx: Reply(
                tx("coordinators.approval_request", requester=shown(tx, asker),
                   person=candidate),
                [[Button(tx("button.approve"), CoordinatorApprove(grant_id)),
                  Button(tx("button.reject"), CoordinatorReject(grant_id))]]))
        return t("coordinators.requested", person=candidate)

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
                return Reply(await self._members.answered_by(
                    t, f"coordinators.already_{request.status}", request.decided_by,
                    candidate=await self._members.name(t, candidate)))
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
            people = await self._members.people([candidate, decider])
            await self._notices.send([request.requested_by], lambda tx: Reply(tx(
                outcome, person=shown(tx, people[candidate]), decider=shown(tx, people[decider]))))
        if granted:
            await self._welcome(candidate)
        person = shown(t, people[candidate])
        if not approve:
            return Reply(t("coordinators.rejected", person=person))
        return Reply(t("coordinators.added" if granted else "coordinators.already",
                       person=person))

    async def confirm_removal(self, session: Session, tg_id: int) -> Reply:
        """Remove asks first: Yes removes, No shows the list again."""
        t = session.texts
        if tg_id not in await self._users.coordinator_ids():
            return Reply(t("not_available"))
        return Reply(t("coordinators.confirm_remove", person=await self._members.name(t, tg_id)),
                     [[Button(t("button.yes"), CoordinatorRemoveConfirm(tg_id)),
                       Button(t("button.no"), CoordinatorsPage(0))]])

    async def remove(self, session: Session, tg_id: int) -> Reply:
        t = session.texts
        # Named before: once removed, they are no longer shown as a coordinator.
        person = await self._members.name(t, tg_id)
        result = await self.revoke(session.user.tg_id, tg_id)
        if result is Revocation.DONE:
            await self._members.refresh_menu(tg_id)
        key = {Revocation.DONE: "coordinators.removed", Revocation.LAST: "coordinators.last",
               Revocation.NOT_COORDINATOR: "not_available"}[result]
        return await self.overview(session, t(key, person=person))

    async def audit_log(self, session: Session) -> Reply:
        """The last privileged actions, times in the coordinator's zone."""
        t = session.texts
        entries = await self._audit.latest(AUDIT_SHOWN)
        if not entries:
            return Reply(t("audit.empty"))
        zone = ZoneInfo(self._members.timezone(session.user))
        names = await self._members.names(t, [
            tg_id for entry in entries for tg_id in (entry.actor_id, entry.subject_id)
            if tg_id is not None])
        lines = "\n".join(t(
            "audit.line", at=entry.at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            actor=_actor(t, entry, names), action=t(f"audit.action.{entry.action}"),
            target=t("audit.forgotten", number=entry.subject_number)
            if entry.subject_forgotten else names.get(entry.subject_id, entry.target),
        ) for entry in entries)
        return Reply(t.plural("audit.title", len(entries), lines=lines))


def _actor(t: Texts, entry: AuditEntry, names: dict[int, str]) -> str:
    """Who acted: by label (or role and pseudonym), a forgotten person's pseudonym, or the
    command line."""
    if entry.actor_id is not None:
        return names[entry.actor_id]
    if entry.actor_forgotten:
        return t("audit.forgotten", number=entry.actor_number)
    return t("audit.cli")
