"""Repository of update ids already acted on (Telegram re-sends unconfirmed updates)."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.database import Database

KEEP = timedelta(days=2)


class UpdateRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def claim(self, update_id: int, now: datetime) -> bool:
        """Record the update; False if it had been recorded before (a re-delivery)."""
        cursor = await self._db.execute(
            "INSERT OR IGNORE INTO processed_updates (update_id, processed_at) VALUES (?, ?)",
            (update_id, now.isoformat()),
        )
        return cursor.rowcount == 1

    async def latest_id(self) -> int:
        """The highest update id recorded, 0 if none."""
        return await self._db.fetch_value(
            "SELECT COALESCE(MAX(update_id), 0) FROM processed_updates"
        )

    async def prune(self, now: datetime) -> int:
        cursor = await self._db.execute(
            "DELETE FROM processed_updates WHERE processed_at < ?", ((now - KEEP).isoformat(),)
        )
        return cursor.rowcount
