"""Repository of each person's flood window, when bot processes share the database."""

from __future__ import annotations

from datetime import datetime

from storage.database import Database
from storage.timestamps import loaded, stored


class FloodRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def window(self, tg_id: int) -> tuple[list[datetime], datetime | None]:
        """The moments of the person's latest updates, and when they were last warned."""
        row = await self._db.fetch_one(
            "SELECT seen, warned_at FROM flood_windows WHERE tg_id = ?", (tg_id,))
        if row is None:
            return [], None
        return [loaded(moment) for moment in row["seen"].split()], loaded(row["warned_at"])

    async def keep(self, tg_id: int, seen: list[datetime], warned: datetime | None,
                   now: datetime) -> None:
        # Only this person's update, under their lock (Database.person), reads and writes it.
        await self._db.execute_independent(
            "INSERT INTO flood_windows (tg_id, seen, last_at, warned_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (tg_id) DO UPDATE SET seen = excluded.seen, last_at = excluded.last_at, "
            "warned_at = excluded.warned_at",
            (tg_id, " ".join(stored(moment) for moment in seen), stored(now),
             None if warned is None else stored(warned)))

    async def prune(self, before: datetime) -> int:
        """Forget the windows of people who have not written since `before`."""
        result = await self._db.execute(
            "DELETE FROM flood_windows WHERE last_at < ?", (stored(before),))
        return result.rowcount
