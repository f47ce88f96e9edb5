"""Repository of leases: one process among those sharing the database holds a named role."""

from __future__ import annotations

from datetime import datetime

from storage.database import Database
from storage.timestamps import stored


class LeaseRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def hold(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take the lease if it is free or has expired, or renew it if `holder` has it; whether
        `holder` has it now (until `until`). One write transaction, so two processes never
        both take it."""
        async with self._db.transaction() as connection:
            await connection.execute(
                "INSERT OR IGNORE INTO leases (name, holder, expires_at) VALUES (?, ?, ?)",
                (name, holder, stored(until)))
            taken = await connection.execute(
                "UPDATE leases SET holder = ?, expires_at = ? "
                "WHERE name = ? AND (holder = ? OR expires_at <= ?)",
                (holder, stored(until), name, holder, stored(now)))
        return taken.rowcount > 0

    async def release(self, name: str, holder: str) -> None:
        """Give the lease up (a clean stop), so another process takes it at its next try."""
        await self._db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))
