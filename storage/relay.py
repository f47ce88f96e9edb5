"""Repository of relayed messages: only when each person sent one (the hourly limit) and how
many went through each offer; never the texts."""

from __future__ import annotations

from datetime import datetime

from storage.database import Database
from storage.timestamps import loaded, stored


class RelayRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def sent_since(self, tg_id: int, since: datetime) -> list[datetime]:
        """When this person relayed messages after `since`, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT sent_at FROM relay_sends WHERE tg_id = ? AND sent_at > ? ORDER BY sent_at",
            (tg_id, stored(since)))
        return [loaded(row[0]) for row in rows]

    async def record(self, tg_id: int, now: datetime, forget_before: datetime,
                     offer_id: int | None = None) -> None:
        """Count one relayed message (and, for an offer, on the offer); the person's sends
        older than the limit's window are no longer needed."""
        async with self._db.transaction():
            await self._db.execute(
                "DELETE FROM relay_sends WHERE tg_id = ? AND sent_at <= ?",
                (tg_id, stored(forget_before)))
            await self._db.execute(
                "INSERT INTO relay_sends (tg_id, sent_at) VALUES (?, ?)", (tg_id, stored(now)))
            if offer_id is not None:
                await self._db.execute(
                    "UPDATE offers SET relayed = relayed + 1 WHERE id = ?", (offer_id,))
