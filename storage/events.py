"""Repository of events, campaigns, RSVPs and the messages events owe at given times."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime

from storage.models import Answer, Campaign, Event
from storage.posts import PostRepository, visible
from storage.timestamps import stored

_EVENT = (
    "SELECT e.id, e.org_id, o.name AS org_name, o.status AS org_status, e.campaign_id, "
    "e.title, e.description, e.kind, e.starts_at, e.ends_at, e.timezone, e.country, e.city, "
    "e.venue, e.disclosure, e.disclose_hours, e.capacity, e.status, e.hidden_at, "
    "e.hidden_reason, e.attendance, e.attendance_note, e.attendance_by, e.attendance_at, "
    "(SELECT count(*) FROM rsvps WHERE event_id = e.id AND answer = 'going') AS going, "
    "(SELECT count(*) FROM rsvps WHERE event_id = e.id AND answer = 'maybe') AS maybe, "
    "(SELECT count(*) FROM rsvps WHERE event_id = e.id AND answer = 'waiting') AS waiting "
    "FROM events AS e CROSS JOIN organisations AS o ON o.id = e.org_id"
)
EDITABLE = frozenset({"title", "description", "starts_at", "ends_at", "venue", "capacity"})
# Event ids read at a time when all of an organisation's events are gone through.
_PAGE = 500




@dataclass(frozen=True)
class EventFilter:
    """What /events shows: upcoming events, narrowed by place, campaign and period."""

    country: str | None = None
    city: str | None = None
    campaign_id: int | None = None
    until: datetime | None = None

    def where(self, now: datetime) -> tuple[str, tuple]:
        conditions = ["e.status = 'scheduled'", "e.starts_at > ?", visible("e")]
        params: list[object] = [stored(now)]
        for sql, value in (("e.country = ?", self.country), ("e.city = ?", self.city),
                           ("e.campaign_id = ?", self.campaign_id),
                           ("e.starts_at <= ?", self.until and stored(self.until))):
            if value is not None:
                conditions.append(sql)
                params.append(value)
        return " AND ".join(conditions), tuple(params)


class EventRepository(PostRepository):
    _table = "events"

    async def create(self, org_id: int, author_id: int, fields: dict, now: datetime) -> int:
        cursor = await self._db.execute(
            "INSERT INTO events (org_id, author_id, campaign_id, title, description, kind, "
            "starts_at, ends_at, timezone, country, city, venue, disclosure, disclose_hours, "
            "capacity, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?, ?) RETURNING id",
            (org_id, author_id, fields.get("campaign_id"), fields["title"], fields["description"],
             fields["kind"], stored(fields["starts_at"]),
             fields["ends_at"] and stored(fields["ends_at"]), fields["timezone"], fields["country"],
             fields["city"], fields["venue"], fields["disclosure"], fields.get("disclose_hours"),
             fields.get("capacity"), stored(now), stored(now)),
        )
        return cursor.value

    async def get(self, event_id: int) -> Event | None:
        row = await self._db.fetch_one(f"{_EVENT} WHERE e.id = ?", (event_id,))
        return None if row is None else Event.model_validate(dict(row))

    async def ids_of_organisation(self, org_id: int) -> AsyncIterator[int]:
        """Every event of an organisation, a page at a time: never all of them in memory."""
        after = 0
        while page := await self._db.fetch_all(
            "SELECT id FROM events WHERE org_id = ? AND id > ? ORDER BY id LIMIT ?",
            (org_id, after, _PAGE),
        ):
            for (event_id,) in page:
                yield event_id
            after = page[-1][0]

    async def upcoming(self, where: EventFilter, now: datetime, offset: int,
                       limit: int) -> list[Event]:
        condition, params = where.where(now)
        rows = await self._db.fetch_all(
            f"{_EVENT} WHERE {condition} ORDER BY e.starts_at, e.id LIMIT ? OFFSET ?",
            (*params, limit, offset))
        return [Event.model_validate(dict(row)) for row in rows]

    async def count_upcoming(self, where: EventFilter, now: datetime) -> int:
        condition, params = where.where(now)
        return await self._db.fetch_value(f"SELECT count(*) FROM events AS e WHERE {condition}",
                                          params)

    async def upcoming_countries(self, now: datetime, limit: int) -> list[str]:
        rows = await self._db.fetch_all(
            "SELECT e.country FROM events AS e WHERE e.status = 'scheduled' AND e.starts_at > ? "
            f"AND {visible('e')} GROUP BY e.country ORDER BY count(*) DESC, e.country LIMIT ?",
            (stored(now), limit))
        return [row[0] for row in rows]

    async def of_organisation(self, org_id: int, now: datetime, offset: int,
                              limit: int) -> list[Event]:
        rows = await self._db.fetch_all(
            f"{_EVENT} WHERE e.org_id = ? ORDER BY e.starts_at < ?, e.starts_at LIMIT ? OFFSET ?",
            (org_id, stored(now), limit, offset))
        return [Event.model_validate(dict(row)) for row in rows]

    async def count_of_organisation(self, org_id: int) -> int:
        return await self._db.fetch_value("SELECT count(*) FROM events WHERE org_id = ?",
                                          (org_id,))

    async def update(self, event_id: int, now: datetime, **values: object) -> None:
        unknown = set(values) - EDITABLE
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        columns = [stored(value) if isinstance(value, datetime) else value
                   for value in values.values()]
        assignments = "".join(f"{name} = ?, " for name in values)
        await self._db.execute(
            f"UPDATE events SET {assignments}updated_at = ? WHERE id = ?",
            (*columns, stored(now), event_id))

    async def cancel(self, event_id: int, now: datetime) -> bool:
        async with self._db.transaction():
            cursor = await self._db.execute(
                "UPDATE events SET status = 'cancelled', updated_at = ? "
                "WHERE id = ? AND status = 'scheduled'", (stored(now), event_id))
            await self._db.execute(
                "UPDATE event_dues SET done_at = ? WHERE event_id = ? AND done_at IS NULL",
                (stored(now), event_id))
        return cursor.rowcount == 1

    async def report_attendance(self, event_id: int, people: int | None, note: str | None,
                                tg_id: int, now: datetime, *, first: bool) -> bool:
        """Store how many came (None: skipped); with `first`, only if nobody answered yet.
        False when it was not stored."""
        cursor = await self._db.execute(
            "UPDATE events SET attendance = ?, attendance_note = ?, attendance_by = ?, "
            "attendance_at = ? WHERE id = ? AND (? = 0 OR attendance_at IS NULL)",
            (people, note, tg_id, stored(now), event_id, int(first)))
        return cursor.rowcount == 1

    # --- RSVPs -----------------------------------------------------------------------------

    async def answer_of(self, event_id: int, tg_id: int) -> Answer | None:
        return await self._db.fetch_value(
            "SELECT answer FROM rsvps WHERE event_id = ? AND tg_id = ?", (event_id, tg_id))

    async def set_answer(self, event_id: int, tg_id: int, answer: Answer, now: datetime) -> None:
        """Store an answer; the time and the place in the event's order only change with the
        answer, so the queue keeps order."""
        await self._db.execute(
            "INSERT INTO rsvps (event_id, tg_id, answer, answered_at, answered_seq) "
            "VALUES (?1, ?2, ?3, ?4, "
            "(SELECT coalesce(max(answered_seq), 0) + 1 FROM rsvps WHERE event_id = ?1)) "
            "ON CONFLICT (event_id, tg_id) DO UPDATE SET answer = excluded.answer, "
            "answered_at = excluded.answered_at, answered_seq = excluded.answered_seq "
            "WHERE rsvps.answer != excluded.answer",
            (event_id, tg_id, answer, stored(now)))

    async def attendees(self, event_id: int, answers: tuple[Answer, ...]) -> list[int]:
        """Who gave one of these answers, in the order they answered."""
        rows = await self._db.fetch_all(
            "SELECT tg_id FROM rsvps WHERE event_id = ? AND answer IN "
            "(SELECT value FROM json_each(?)) ORDER BY answered_at, tg_id",
            (event_id, json.dumps(answers)))
        return [row[0] for row in rows]

    async def going_to(self, tg_id: int, now: datetime) -> list[Event]:
        """The scheduled events not yet begun where this person holds a place."""
        rows = await self._db.fetch_all(
            f"{_EVENT} WHERE e.id IN (SELECT event_id FROM rsvps WHERE tg_id = ? "
            "AND answer = 'going') AND e.status = 'scheduled' AND e.starts_at > ? ORDER BY e.id",
            (tg_id, stored(now)))
        return [Event.model_validate(dict(row)) for row in rows]

    async def answered_by(self, tg_id: int, now: datetime) -> list[tuple[Event, Answer]]:
        """The scheduled events not yet begun, shown to members, that this person answered
        Going or Maybe to, soonest first, with the answer."""
        rows = await self._db.fetch_all(
            f"{_EVENT} WHERE e.id IN (SELECT event_id FROM rsvps WHERE tg_id = ? "
            "AND answer IN ('going', 'maybe')) AND e.status = 'scheduled' AND e.starts_at > ? "
            f"AND {visible('e')} ORDER BY e.starts_at, e.id", (tg_id, stored(now)))
        answers = dict(await self._db.fetch_all(
            "SELECT event_id, answer FROM rsvps WHERE tg_id = ?", (tg_id,)))
        return [(event, answers[event.id]) for event in (
            Event.model_validate(dict(row)) for row in rows) if event.id in answers]

    async def first_waiting(self, event_id: int) -> int | None:
        return await self._db.fetch_value(
            "SELECT tg_id FROM rsvps WHERE event_id = ? AND answer = 'waiting' "
            "ORDER BY answered_at, answered_seq LIMIT 1", (event_id,))

    async def waiting_position(self, event_id: int, tg_id: int) -> int:
        return await self._db.fetch_value(
            "SELECT count(*) FROM rsvps AS w, rsvps AS me WHERE me.event_id = ? AND me.tg_id = ? "
            "AND w.event_id = me.event_id AND w.answer = 'waiting' "
            "AND (w.answered_at, w.answered_seq) <= (me.answered_at, me.answered_seq)",
            (event_id, tg_id))

    # --- dues ------------------------------------------------------------------------------

    async def set_dues(self, event_id: int, dues: dict[str, datetime]) -> None:
        """(Re)plan what the event owes and when; a changed time makes it owed again."""
        async with self._db.transaction():
            await self._db.execute("DELETE FROM event_dues WHERE event_id = ?", (event_id,))
            for what, due_at in dues.items():
                await self._db.execute(
                    "INSERT INTO event_dues (event_id, what, due_at) VALUES (?, ?, ?)",
                    (event_id, what, stored(due_at)))

    async def due(self, now: datetime) -> list[tuple[int, str]]:
        """What is owed by now; an event members may not see keeps its dues for when they
        may again."""
        rows = await self._db.fetch_all(
            "SELECT d.event_id, d.what FROM event_dues AS d JOIN events AS e "
            f"ON e.id = d.event_id WHERE d.done_at IS NULL AND d.due_at <= ? AND {visible('e')} "
            "ORDER BY d.due_at", (stored(now),))
        return [(row[0], row[1]) for row in rows]

    async def mark_done(self, event_id: int, what: str, now: datetime) -> bool:
        """Mark one due done; False if it already was (so it is acted on once)."""
        cursor = await self._db.execute(
            "UPDATE event_dues SET done_at = ? WHERE event_id = ? AND what = ? "
            "AND done_at IS NULL", (stored(now), event_id, what))
        return cursor.rowcount == 1

    # --- campaigns -------------------------------------------------------------------------

    async def create_campaign(self, fields: dict, author_id: int, now: datetime) -> int:
        cursor = await self._db.execute(
            "INSERT INTO campaigns (title, description, starts_on, ends_on, created_by, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (fields["title"], fields["description"], fields["starts_on"], fields["ends_on"],
             author_id, stored(now)))
        return cursor.value

    async def campaign(self, campaign_id: int) -> Campaign | None:
        row = await self._db.fetch_one(
            "SELECT id, title, description, starts_on, ends_on FROM campaigns WHERE id = ?",
            (campaign_id,))
        return None if row is None else Campaign.model_validate(dict(row))

    async def campaigns(self, today: date, *, open_only: bool) -> list[Campaign]:
        rows = await self._db.fetch_all(
            "SELECT id, title, description, starts_on, ends_on FROM campaigns "
            "WHERE ? = 0 OR ends_on >= ? ORDER BY ends_on < ?, starts_on",
            (int(open_only), today.isoformat(), today.isoformat()))
        return [Campaign.model_validate(dict(row)) for row in rows]

    async def sites(self, campaign_id: int) -> list[Event]:
        rows = await self._db.fetch_all(
            f"{_EVENT} WHERE e.campaign_id = ? AND e.status = 'scheduled' AND {visible('e')} "
            "ORDER BY e.country, e.city, e.starts_at", (campaign_id,))
        return [Event.model_validate(dict(row)) for row in rows]
