"""Repository of the append-only audit log of privileged actions.

People are named through pseudonyms (migration 0011): `audit_log` is a view over entries that
never change and a mapping from pseudonym to Telegram id that /forget empties."""

from __future__ import annotations

from datetime import datetime

from storage.database import Database
from storage.models import AuditEntry
from storage.timestamps import stored

_COLUMNS = "id, at, actor_id, actor_number, action, target, subject_number"


class AuditRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def record(self, actor_id: int | None, action: str, target: str, now: datetime) -> None:
        """`target` is `user:<id>` when it is a person: the log then names them by pseudonym."""
        await self._db.execute(
            "INSERT INTO audit_log (at, actor_id, action, target) VALUES (?, ?, ?, ?)",
            (stored(now), actor_id, action, target),
        )

    async def last_actor(self, action: str, target: str) -> int | None:
        """Who last did `action` on `target`: None for the command line or a forgotten person."""
        return await self._db.fetch_value(
            "SELECT actor_id FROM audit_log WHERE action = ? AND target = ? ORDER BY id DESC "
            "LIMIT 1", (action, target),
        )

    async def latest(self, limit: int) -> list[AuditEntry]:
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM audit_log ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [AuditEntry.model_validate(dict(row)) for row in rows]
