"""Repository of coordinator rights waiting for a second coordinator's decision."""

from __future__ import annotations

from datetime import datetime

from storage.database import Database
from storage.models import CoordinatorGrant, GrantStatus
from storage.timestamps import stored


class CoordinatorGrantRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def request(self, candidate_id: int, requested_by: int, now: datetime) -> int | None:
        """Open a request; None if one for this candidate is already waiting."""
        cursor = await self._db.execute(
            "INSERT INTO coordinator_grants (candidate_id, requested_by, requested_at) "
            "VALUES (?, ?, ?) ON CONFLICT (candidate_id) WHERE status = 'pending' DO NOTHING "
            "RETURNING id",
            (candidate_id, requested_by, stored(now)),
        )
        return cursor.value

    async def get(self, grant_id: int) -> CoordinatorGrant | None:
        row = await self._db.fetch_one(
            "SELECT * FROM coordinator_grants WHERE id = ?", (grant_id,)
        )
        return None if row is None else CoordinatorGrant.model_validate(dict(row))

    async def decide(
        self, grant_id: int, status: GrantStatus, decided_by: int, now: datetime
    ) -> bool:
        """Close a waiting request; False if it was no longer waiting."""
        cursor = await self._db.execute(
            "UPDATE coordinator_grants SET status = ?, decided_by = ?, decided_at = ? "
            "WHERE id = ? AND status = 'pending'",
            (status, decided_by, stored(now), grant_id),
        )
        return cursor.rowcount == 1
