"""Repository of the append-only audit log of privileged actions."""

from __future__ import annotations

from datetime import datetime

from storage.database import Database
from storage.models import AuditEntry


class AuditRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def record(self, actor_id: int | None, action: str, target: str, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO audit_log (at, actor_id, action, target) VALUES (?, ?, ?, ?)",
            (now.isoformat(), actor_id, action, target),
        )

    async def latest(self, limit: int) -> list[AuditEntry]:
        rows = await self._db.fetch_all(
            "SELECT id, at, actor_id, action, target FROM audit_log ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [AuditEntry.model_validate(dict(row)) for row in rows]
