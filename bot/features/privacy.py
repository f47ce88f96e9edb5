"""A person's own data: /mydata exports it, /forget deletes it."""

from __future__ import annotations

import json

from bot.conversation.callbacks import ForgetCancel, ForgetConfirm
from bot.conversation.replies import Button, Reply
from bot.conversation.session import Session
from bot.features.events import Events
from bot.features.members import Members
from bot.features.shifts import Shifts
from bot.infra.clock import Clock
from bot.infra.flood import FloodGuard, SharedFloodGuard
from storage.database import Database
from storage.deliveries import DeliveryRepository
from storage.personal import PersonalDataRepository


class Privacy:
    def __init__(
        self, database: Database, personal: PersonalDataRepository,
        deliveries: DeliveryRepository, events: Events, shifts: Shifts, members: Members,
        flood: FloodGuard | SharedFloodGuard, clock: Clock,
    ) -> None:
        self._database = database
        self._personal = personal
        self._deliveries = deliveries
        self._events = events
        self._shifts = shifts
        self._members = members
        self._flood = flood
        self._clock = clock

    async def export(self, session: Session) -> bytes:
        data = await self._personal.export(session.user.tg_id)
        return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()

    async def confirm_forget(self, session: Session) -> Reply:
        t = session.texts
        if await self._personal.is_last_coordinator(session.user.tg_id):
            return Reply(t("forget.last_coordinator"))
        organisation = await self._personal.last_organiser_of(session.user.tg_id)
        text = t("forget.confirm")
        if organisation is not None:
            text = f"{t('forget.last_organiser', name=organisation)}\n\n{text}"
        return Reply(text, [[Button(t("button.delete_my_data"), ForgetConfirm()),
                             Button(t("button.cancel"), ForgetCancel())]])

    async def forget(self, session: Session) -> Reply:
        tg_id = session.user.tg_id
        async with self._database.transaction():
            # Checked again: a coordinator may have left since the question was asked.
            if await self._personal.is_last_coordinator(tg_id):
                return Reply(session.texts("forget.last_coordinator"))
            await self._events.leave_all(tg_id)
            await self._shifts.leave_all(tg_id)
            await self._deliveries.forget(tg_id, self._clock.now())
            await self._personal.forget(tg_id)
        self._flood.forget(tg_id)
        await self._members.clear_menu(tg_id)
        return Reply(session.texts("forget.done"))
