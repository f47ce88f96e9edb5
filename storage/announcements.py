"""Repository of what announcements add to broadcasts: status messages and approvals."""

from __future__ import annotations

from datetime import datetime

from storage.database import Database
from storage.deliveries import Broadcast
from storage.timestamps import stored


class AnnouncementRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def started_by(self, author_id: int, since: datetime) -> int:
        """Announcements the author created since then, except those cancelled."""
        return await self._db.fetch_value(
            "SELECT count(*) FROM broadcasts WHERE kind = 'announcement' AND author_id = ? "
            "AND created_at >= ? AND status != 'cancelled'",
            (author_id, stored(since)),
        )

    async def set_status_message(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        await self._db.execute(
            "UPDATE broadcasts SET status_chat_id = ?, status_message_id = ? WHERE id = ?",
            (chat_id, message_id, broadcast_id),
        )

    async def status_message(self, broadcast_id: int) -> tuple[int, int] | None:
        row = await self._db.fetch_one(
            "SELECT status_chat_id, status_message_id FROM broadcasts WHERE id = ? "
            "AND status_message_id IS NOT NULL", (broadcast_id,),
        )
        return None if row is None else (row[0], row[1])

    async def set_approved_by(self, broadcast_id: int, coordinator_id: int) -> None:
        await self._db.execute(
            "UPDATE broadcasts SET approved_by = ? WHERE id = ?", (coordinator_id, broadcast_id)
        )

    async def open_with_status_message(self) -> list[int]:
        rows = await self._db.fetch_all(
            "SELECT id FROM broadcasts WHERE status_message_id IS NOT NULL "
            "AND status IN ('awaiting_approval', 'scheduled', 'sending') ORDER BY id"
        )
        return [row[0] for row in rows]

    async def recent(self, limit: int, *, with_recipients: bool = False) -> list[Broadcast]:
        """The newest mass broadcasts (notices to one or two people are left out), optionally
        only those that had anyone to go to."""
        rows = await self._db.fetch_all(
            "SELECT * FROM broadcasts WHERE kind != 'notice' AND (? = 0 OR total > 0) "
            "ORDER BY id DESC LIMIT ?", (int(with_recipients), limit),
        )
        return [Broadcast.model_validate(dict(row)) for row in rows]

    async def number(self, broadcast_id: int) -> int:
        """An announcement's number among announcements (1 for the first), as coordinators
        count them; other kinds are named by their date."""
        return await self._db.fetch_value(
            "SELECT count(*) FROM broadcasts WHERE kind = 'announcement' AND id <= ?",
            (broadcast_id,),
        )
