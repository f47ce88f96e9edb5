"""The services handlers talk to, built once per application and opened at start-up."""

from __future__ import annotations

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.dialogue import Dialogues
from bot.members import Members
from storage.database import Database
from storage.repositories import Repositories
from storage.schema import migrate


class Services:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.database = Database(settings.database_path)
        self.repos = Repositories(self.database)
        self.dialogues = Dialogues(self)
        self.members = Members(self)

    async def open(self) -> None:
        """Open the database, bring its schema up to date, apply configured coordinators."""
        await self.database.open()
        await migrate(self.database)
        now = self.clock.now()
        for tg_id in sorted(self.settings.coordinator_ids):
            await self.repos.users.set_coordinator(tg_id, True, now)

    async def close(self) -> None:
        await self.database.close()
