"""What needs and events share: the one rule of who may see them, and hiding by coordinators."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from storage.database import Database
from storage.timestamps import stored


def visible(alias: str) -> str:
    """SQL condition: the need or event `alias` may be shown to members, because its
    organisation is approved and no coordinator has hidden it.

    Every list, campaign, digest, reminder and reveal filters through this; `Post.visible`
    is the same rule for a post already loaded."""
    return (f"{alias}.hidden_at IS NULL AND "
            f"{alias}.org_id IN (SELECT id FROM organisations WHERE status = 'approved')")


class PostRepository:
    """A table of posts (needs or events) that coordinators can hide and unhide."""

    _table: ClassVar[str]

    def __init__(self, database: Database) -> None:
        self._db = database

    async def hide(self, post_id: int, coordinator_id: int, reason: str, now: datetime) -> bool:
        """Hide the post from members; False if it is already hidden (or does not exist)."""
        cursor = await self._db.execute(
            f"UPDATE {self._table} SET hidden_at = ?, hidden_by = ?, hidden_reason = ? "
            "WHERE id = ? AND hidden_at IS NULL",
            (stored(now), coordinator_id, reason, post_id))
        return cursor.rowcount == 1

    async def unhide(self, post_id: int) -> bool:
        """Show the post again; False if it was not hidden."""
        cursor = await self._db.execute(
            f"UPDATE {self._table} SET hidden_at = NULL, hidden_by = NULL, hidden_reason = NULL "
            "WHERE id = ? AND hidden_at IS NOT NULL", (post_id,))
        return cursor.rowcount == 1
