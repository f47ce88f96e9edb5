"""Repository of an event's shifts, who took them or waits, and their reminders."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.database import Database
from storage.models import Shift, ShiftState
from storage.posts import visible
from storage.timestamps import loaded, stored

_SHIFT = (
    "SELECT s.id, s.event_id, s.role, s.starts_at, s.ends_at, s.places, "
    "(SELECT count(*) FROM shift_signups WHERE shift_id = s.id AND state = 'taken') AS taken, "
    "(SELECT count(*) FROM shift_signups WHERE shift_id = s.id AND state = 'waiting') "
    "AS waiting FROM shifts AS s"
)
# One shift, from a series or alone: its role, start, end and places.
NewShift = tuple[str, datetime, datetime, int]


def _shift(row) -> Shift:
    return Shift.model_validate(dict(row))


class ShiftRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def create(self, event_id: int, shifts: list[NewShift],
                     remind_before: timedelta) -> None:
        async with self._db.transaction():
            for role, starts_at, ends_at, places in shifts:
                await self._db.execute(
                    "INSERT INTO shifts (event_id, role, starts_at, ends_at, places, remind_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (event_id, role, stored(starts_at), stored(ends_at), places,
                     stored(starts_at - remind_before)))

    async def move(self, event_id: int, by: timedelta, now: datetime) -> list[Shift]:
        """Move the event's shifts and their reminders by `by`; a reminder already sent is
        owed again when its new time is still to come. The shifts as moved."""
        rows = await self._db.fetch_all(
            "SELECT id, starts_at, ends_at, remind_at FROM shifts WHERE event_id = ?",
            (event_id,))
        for shift_id, starts_at, ends_at, remind_at in rows:
            remind_at = loaded(remind_at) + by
            await self._db.execute(
                "UPDATE shifts SET starts_at = ?, ends_at = ?, remind_at = ?, reminded_at = "
                "CASE WHEN ? THEN NULL ELSE reminded_at END WHERE id = ?",
                (stored(loaded(starts_at) + by), stored(loaded(ends_at) + by), stored(remind_at),
                 remind_at > now, shift_id))
        return await self.of_event(event_id, 0, len(rows))

    async def get(self, shift_id: int) -> Shift | None:
        row = await self._db.fetch_one(f"{_SHIFT} WHERE s.id = ?", (shift_id,))
        return None if row is None else _shift(row)

    async def of_event(self, event_id: int, offset: int, limit: int) -> list[Shift]:
        rows = await self._db.fetch_all(
            f"{_SHIFT} WHERE s.event_id = ? ORDER BY s.starts_at, s.id LIMIT ? OFFSET ?",
            (event_id, limit, offset))
        return [_shift(row) for row in rows]

    async def count_of_event(self, event_id: int) -> int:
        return await self._db.fetch_value(
            "SELECT count(*) FROM shifts WHERE event_id = ?", (event_id,))

    async def coverage(self, event_ids: list[int]) -> dict[int, tuple[int, int]]:
        """Per event with shifts: places taken and places in all, over its shifts."""
        if not event_ids:
            return {}
        rows = await self._db.fetch_all(
            "SELECT s.event_id, CAST(coalesce(sum(t.taken), 0) AS INTEGER), "
            "CAST(sum(s.places) AS INTEGER) FROM shifts AS s LEFT JOIN (SELECT shift_id, "
            "count(*) AS taken FROM shift_signups WHERE state = 'taken' GROUP BY shift_id) "
            f"AS t ON t.shift_id = s.id WHERE s.event_id IN ({', '.join('?' * len(event_ids))}) "
            "GROUP BY s.event_id", tuple(event_ids))
        return {row[0]: (row[1], row[2]) for row in rows}

    # --- sign-ups ----------------------------------------------------------------------------

    async def state_of(self, shift_id: int, tg_id: int) -> ShiftState | None:
        return await self._db.fetch_value(
            "SELECT state FROM shift_signups WHERE shift_id = ? AND tg_id = ?", (shift_id, tg_id))

    async def count_signed(self, event_id: int, tg_id: int) -> int:
        """How many of the event's shifts this person took or waits for."""
        return await self._db.fetch_value(
            "SELECT count(*) FROM shift_signups AS g JOIN shifts AS s ON s.id = g.shift_id "
            "WHERE g.tg_id = ? AND s.event_id = ?", (tg_id, event_id))

    async def sign(self, shift_id: int, tg_id: int, state: ShiftState, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO shift_signups (shift_id, tg_id, state, signed_at) VALUES (?, ?, ?, ?)",
            (shift_id, tg_id, state, stored(now)))

    async def give_back(self, shift_id: int, tg_id: int) -> ShiftState | None:
        """Remove the person from the shift; what they held (None: nothing)."""
        result = await self._db.execute(
            "DELETE FROM shift_signups WHERE shift_id = ? AND tg_id = ? RETURNING state",
            (shift_id, tg_id))
        return result.value

    async def promote_first(self, shift_id: int) -> int | None:
        """The first on the waiting list takes the place; who it was."""
        first = await self._db.fetch_value(
            "SELECT id FROM shift_signups WHERE shift_id = ? AND state = 'waiting' "
            "ORDER BY id LIMIT 1", (shift_id,))
        if first is None:
            return None
        result = await self._db.execute(
            "UPDATE shift_signups SET state = 'taken' WHERE id = ? RETURNING tg_id", (first,))
        return result.value

    async def waiting_position(self, shift_id: int, tg_id: int) -> int:
        return await self._db.fetch_value(
            "SELECT count(*) FROM shift_signups AS w, shift_signups AS me WHERE me.shift_id = ? "
            "AND me.tg_id = ? AND w.shift_id = me.shift_id AND w.state = 'waiting' "
            "AND w.id <= me.id", (shift_id, tg_id))

    async def people(self, shift_id: int) -> list[int]:
        """Who holds a place on the shift."""
        rows = await self._db.fetch_all(
            "SELECT tg_id FROM shift_signups WHERE shift_id = ? AND state = 'taken' ORDER BY id",
            (shift_id,))
        return [row[0] for row in rows]

    async def taken_by(self, tg_id: int, event_id: int) -> list[Shift]:
        """The event's shifts this person holds a place on."""
        rows = await self._db.fetch_all(
            f"{_SHIFT} WHERE s.id IN (SELECT shift_id FROM shift_signups WHERE tg_id = ? "
            "AND state = 'taken') AND s.event_id = ? ORDER BY s.starts_at, s.id",
            (tg_id, event_id))
        return [_shift(row) for row in rows]

    async def coming_for(self, tg_id: int, now: datetime) -> list[Shift]:
        """The shifts not yet begun this person holds a place on, of scheduled events shown
        to members, soonest first."""
        rows = await self._db.fetch_all(
            f"{_SHIFT} JOIN events AS e ON e.id = s.event_id WHERE s.id IN (SELECT shift_id "
            "FROM shift_signups WHERE tg_id = ? AND state = 'taken') AND s.starts_at > ? AND "
            f"e.status = 'scheduled' AND {visible('e')} ORDER BY s.starts_at, s.id",
            (tg_id, stored(now)))
        return [_shift(row) for row in rows]

    async def signed_by(self, tg_id: int) -> list[int]:
        """Every shift this person took or waits for."""
        rows = await self._db.fetch_all(
            "SELECT shift_id FROM shift_signups WHERE tg_id = ? ORDER BY id", (tg_id,))
        return [row[0] for row in rows]

    # --- reminders ---------------------------------------------------------------------------

    async def due(self, now: datetime) -> list[Shift]:
        """Shifts whose reminder is owed by now, of scheduled events members may see."""
        rows = await self._db.fetch_all(
            f"{_SHIFT} JOIN events AS e ON e.id = s.event_id WHERE s.reminded_at IS NULL "
            f"AND s.remind_at <= ? AND e.status = 'scheduled' AND {visible('e')} "
            "ORDER BY s.remind_at", (stored(now),))
        return [_shift(row) for row in rows]

    async def mark_reminded(self, shift_id: int, now: datetime) -> bool:
        """Mark the reminder sent; False if it already was (so it goes once)."""
        cursor = await self._db.execute(
            "UPDATE shifts SET reminded_at = ? WHERE id = ? AND reminded_at IS NULL",
            (stored(now), shift_id))
        return cursor.rowcount == 1
