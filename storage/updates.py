"""Repository of update ids already acted on (Telegram re-sends unconfirmed updates)."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.database import Database
from storage.timestamps import stored

KEEP = timedelta(days=2)


class UpdateRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def seen(self, update_id: int) -> bool:
        """Whether the update was acted on before (this is a re-delivery)."""
        return await self._db.fetch_value(
            "SELECT 1 FROM processed_updates WHERE update_id = ?", (update_id,)) is not None

    def claim(self, update_id: int, now: datetime) -> None:
        """Record the update with the first change its handler commits (see `Database.attach`):
        a handler that fails or a bot that dies before that commit leaves the update unrecorded,
        so Telegram's re-delivery acts on it once."""
        self._db.attach(
            "INSERT OR IGNORE INTO processed_updates (update_id, processed_at) VALUES (?, ?)",
            (update_id, stored(now)),
        )

    def abandon(self) -> None:
        """The handler failed: whatever it did not commit leaves the update unrecorded."""
        self._db.detach()

    async def settle(self) -> None:
        """The handler succeeded: record the update even if it changed nothing."""
        await self._db.flush()

    async def latest_id(self) -> int:
        """The highest update id recorded, 0 if none."""
        return await self._db.fetch_value(
            "SELECT COALESCE(MAX(update_id), 0) FROM processed_updates"
        )

    async def prune(self, now: datetime) -> int:
        cursor = await self._db.execute(
            "DELETE FROM processed_updates WHERE processed_at < ?", (stored(now - KEEP),)
        )
        return cursor.rowcount
