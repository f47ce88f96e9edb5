"""A person's own data: /mydata exports it, /forget deletes it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from bot.conversation.callbacks import ForgetCancel, ForgetConfirm
from bot.conversation.dialogue import Button, Reply
from bot.conversation.session import Session

if TYPE_CHECKING:
    from bot.app.services import Services


class Privacy:
    def __init__(self, services: Services) -> None:
        self._services = services

    async def export(self, session: Session) -> bytes:
        data = await self._services.repos.personal.export(session.user.tg_id)
        return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()

    async def confirm_forget(self, session: Session) -> Reply:
        t = session.texts
        if await self._services.repos.personal.is_last_coordinator(session.user.tg_id):
            return Reply(t("forget.last_coordinator"))
        organisation = await self._services.repos.personal.last_organiser_of(session.user.tg_id)
        text = t("forget.confirm")
        if organisation is not None:
            text = f"{t('forget.last_organiser', name=organisation)}\n\n{text}"
        return Reply(text, [[Button(t("button.delete_my_data"), ForgetConfirm()),
                             Button(t("button.cancel"), ForgetCancel())]])

    async def forget(self, session: Session) -> Reply:
        tg_id = session.user.tg_id
        services = self._services
        async with services.database.transaction():
            # Checked again: a coordinator may have left since the question was asked.
            if await services.repos.personal.is_last_coordinator(tg_id):
                return Reply(session.texts("forget.last_coordinator"))
            await services.events.leave_all(tg_id)
            await services.repos.deliveries.forget(tg_id, services.clock.now())
            await services.repos.personal.forget(tg_id)
        await self._services.members.clear_menu(tg_id)
        return Reply(session.texts("forget.done"))
