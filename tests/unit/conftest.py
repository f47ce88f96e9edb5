"""A feature service alone: its real repositories on a temporary database (on each backend), a
hand-moved clock, no Telegram application and no sandbox server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import pytest

from bot.app.services import Services
from bot.conversation.dialogue import Dialogues
from bot.conversation.session import Session
from bot.features.channel import Channel
from bot.features.members import Members
from bot.features.notices import Notices
from bot.infra.config import load_settings
from bot.infra.delivery import DeliveryQueue
from storage.database import Database
from storage.repositories import Repositories
from storage.schema import migrate
from tests.harness import FakeClock


@dataclass
class World:
    """What a service under test is built from; the service itself is built by the test."""

    database: Database
    repos: Repositories
    clock: FakeClock
    dialogues: Dialogues
    delivery: DeliveryQueue
    members: Members
    notices: Notices
    channel: Channel

    async def member(self, tg_id: int, *, timezone: str | None = None,
                     country: str | None = None) -> Session:
        await self.members.session(tg_id, "en")
        if timezone or country:
            await self.repos.users.update(tg_id, timezone=timezone, country=country)
        return await self.members.session_by_id(tg_id)

    async def organisation(self, name: str, *organisers: int) -> int:
        """An approved organisation with these organisers."""
        now = self.clock.now()
        for tg_id in organisers:
            await self.members.session(tg_id, "en")
        org_id = await self.repos.organisations.create(
            name=name, description="About us", country="DE", city="Berlin", website=None,
            applicant_id=organisers[0], now=now)
        await self.repos.organisations.set_status(org_id, "approved", now, expected="pending")
        for tg_id in organisers:
            await self.repos.organisations.add_member(tg_id, org_id, now)
        return org_id

    async def notices_to(self, tg_id: int) -> list[str]:
        """The texts queued for one person, oldest first."""
        rows = await self.database.fetch_all(
            "SELECT b.text FROM deliveries AS d JOIN broadcasts AS b ON b.id = d.broadcast_id "
            "WHERE d.chat_id = ? ORDER BY b.id", (tg_id,))
        return [row[0] for row in rows]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.fromisoformat("2026-11-30T09:00:00+00:00"))  # a Monday


@pytest.fixture
async def world(tmp_path, clock: FakeClock, backend: str,
                database_url: str | None) -> AsyncIterator[World]:
    # Members and notices (collaborators, not under test here) come as the application
    # assembles them, on the same database, on each backend.
    services = Services(load_settings(database_path=tmp_path / "unit.db",
                                      database_url=database_url), clock)
    database = services.database
    await database.open()
    await migrate(database)
    try:
        yield World(database, services.repos, clock,
                    Dialogues(services.repos.dialogues, database, clock), services.delivery,
                    services.members, services.notices, services.channel)
    finally:
        await database.close()
