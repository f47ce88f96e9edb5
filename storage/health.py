"""What `coalition-bot check` and the start-up checks read from the database (SPEC §8)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from storage.database import Database
from storage.timestamps import loaded


async def integrity_problems(database: Database) -> list[str]:
    """SQLite's `PRAGMA integrity_check` (nothing when it says ok); PostgreSQL checks its own
    pages, so a query answered is all there is to ask of it."""
    if database.dialect != "sqlite":
        await database.fetch_value("SELECT 1")
        return []
    problems = [row[0] for row in await database.fetch_all("PRAGMA integrity_check")]
    return [] if problems == ["ok"] else problems


async def never_started(database: Database, tg_ids: Iterable[int]) -> list[int]:
    """Those of `tg_ids` who have not started the bot: no row in users."""
    wanted = sorted(set(tg_ids))
    if not wanted:
        return []
    rows = await database.fetch_all(
        f"SELECT tg_id FROM users WHERE tg_id IN ({', '.join('?' * len(wanted))})", wanted)
    known = {row[0] for row in rows}
    return [tg_id for tg_id in wanted if tg_id not in known]


async def oldest_unsent(database: Database) -> datetime | None:
    """When the longest-waiting delivery still to send became due, if any is waiting."""
    return loaded(await database.fetch_value(
        "SELECT min(b.not_before) FROM deliveries AS d JOIN broadcasts AS b "
        "ON b.id = d.broadcast_id WHERE d.status IN ('queued', 'sending') "
        "AND b.status = 'sending'"))
