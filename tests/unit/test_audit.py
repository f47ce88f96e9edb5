"""The audit log is append-only, enforced by the database itself."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from storage.audit import AuditRepository
from storage.database import SqliteDatabase
from storage.schema import migrate


async def test_audit_rows_cannot_be_changed_or_deleted(tmp_path) -> None:
    database = SqliteDatabase(tmp_path / "audit.db")
    await database.open()
    try:
        await migrate(database)
        audit = AuditRepository(database)
        await audit.record(5, "org.approve", "org:1", datetime(2026, 1, 1, tzinfo=UTC))
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            await database.execute("UPDATE audit_log SET actor_id = 6")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            await database.execute("DELETE FROM audit_log")
        [entry] = await audit.latest(20)
        assert (entry.actor_id, entry.action, entry.target) == (5, "org.approve", "org:1")
    finally:
        await database.close()
