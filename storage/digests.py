"""Repository of digests: subscriptions and their stored schedule, elections, digest content."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import get_args

from storage.database import Database
from storage.models import ElectionName, Topic
from storage.posts import visible
from storage.timestamps import loaded, stored

ALL_TOPICS: tuple[Topic, ...] = get_args(Topic)
SEPARATOR = "|"
# Subscribers a statement updates: one statement a chunk, not one a row (a round trip each on
# PostgreSQL); four parameters a row stay under SQLite's lowest limit on them (999).
CHUNK = 200
# Announcements a digest recalls: those meant for every member or for subscribers.
_RECALLED = "('everyone', 'subscribers')"






@dataclass(frozen=True)
class Subscription:
    tg_id: int
    frequency: str
    topics: tuple[str, ...]
    country: str | None
    next_due_at: datetime | None
    last_until: datetime | None


@dataclass(frozen=True)
class Election:
    id: int
    name: ElectionName
    date: date
    country: str
    name_ru: ElectionName | None = None

    def name_in(self, language: str) -> str:
        """The name in the reader's language when it was given, else the English one."""
        return self.name_ru if language == "ru" and self.name_ru else self.name


@dataclass(frozen=True)
class Unscheduled:
    """A subscriber whose next digest is to be computed, with what the cadence needs."""

    tg_id: int
    frequency: str
    digest_time: time | None
    timezone: str | None
    schedule_from: datetime | None


@dataclass(frozen=True)
class Group:
    """Due subscribers who share one digest text: same language, topics, filter, home
    country, zone and period."""

    key: str
    language: str
    topics: tuple[str, ...]
    country: str | None
    home_country: str | None
    zone: str
    since: datetime | None
    until: datetime

    @classmethod
    def parse(cls, key: str) -> Group:
        language, topics, country, home, zone, since, until = key.split(SEPARATOR)
        return cls(key, language, tuple(t for t in topics.split(",") if t), country or None,
                   home or None, zone, loaded(since or None), loaded(until))


@dataclass(frozen=True)
class Line:
    """One entry of a digest section, only the fields a digest may show."""

    title: str
    organisation: str
    id: int = 0
    country: str | None = None
    city: str | None = None
    urgency: str | None = None
    starts_at: datetime | None = None
    text: str | None = None


@dataclass(frozen=True)
class Section:
    lines: list[Line]
    total: int
    new: int


def _topics(value: str) -> tuple[str, ...]:
    return tuple(topic for topic in value.split(",") if topic)


def _rows(count: int, width: int) -> str:
    """`count` rows of `width` parameters for a VALUES list, the first an id (a BIGINT)."""
    row = "(" + ", ".join(["CAST(? AS BIGINT)", *["?"] * (width - 1)]) + ")"
    return ", ".join([row] * count)


class DigestRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    # --- subscriptions ---------------------------------------------------------------------

    async def subscription(self, tg_id: int) -> Subscription | None:
        row = await self._db.fetch_one(
            "SELECT tg_id, frequency, topics, country, next_due_at, last_until "
            "FROM subscriptions WHERE tg_id = ?", (tg_id,))
        if row is None:
            return None
        return Subscription(row[0], row[1], _topics(row[2]), row[3], loaded(row[4]),
                            loaded(row[5]))

    async def subscribe(
        self, tg_id: int, frequency: str, topics: Sequence[str], country: str | None,
        next_due_at: datetime, now: datetime,
    ) -> None:
        """Create or update the subscription (never a second one); its schedule starts now,
        while the end of the last digest's period is kept."""
        await self._db.execute(
            "INSERT INTO subscriptions (tg_id, frequency, topics, country, created_at, "
            "next_due_at, schedule_from) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (tg_id) DO UPDATE SET frequency = excluded.frequency, "
            "topics = excluded.topics, country = excluded.country, "
            "next_due_at = excluded.next_due_at, schedule_from = excluded.schedule_from, "
            "due_group = NULL",
            (tg_id, frequency, ",".join(topics), country, stored(now), stored(next_due_at),
             stored(now)),
        )

    async def unsubscribe(self, tg_id: int) -> bool:
        cursor = await self._db.execute("DELETE FROM subscriptions WHERE tg_id = ?", (tg_id,))
        return cursor.rowcount == 1

    # --- the schedule ----------------------------------------------------------------------

    async def drop_inactive(self, now: datetime) -> int:
        """Due subscribers who blocked the bot are dropped from future digests."""
        cursor = await self._db.execute(
            "DELETE FROM subscriptions WHERE next_due_at <= ? AND tg_id IN "
            "(SELECT tg_id FROM users WHERE is_active = 0)", (stored(now),))
        return cursor.rowcount

    async def late(self, before: datetime, limit: int) -> list[Unscheduled]:
        """Subscribers whose next digest was due at or before `before` (the bot was down); the
        missed due time is their `schedule_from`."""
        return await self._unscheduled(
            "s.next_due_at", "s.next_due_at <= ? AND s.due_group IS NULL", (stored(before), limit))

    async def skip_to(self, schedule: Sequence[tuple[int, datetime, datetime, datetime]]) -> None:
        """(tg_id, missed due time, last one skipped, next due): each late subscriber's next
        digest moves on, unless their schedule changed since it was read."""
        async with self._db.transaction() as connection:
            for start in range(0, len(schedule), CHUNK):
                chunk = schedule[start:start + CHUNK]
                await connection.execute(
                    "UPDATE subscriptions SET schedule_from = s.column3, next_due_at = s.column4 "
                    f"FROM (VALUES {_rows(len(chunk), 4)}) AS s "
                    "WHERE subscriptions.tg_id = s.column1 AND subscriptions.next_due_at = "
                    "s.column2 AND subscriptions.due_group IS NULL",
                    [value for tg_id, missed, skipped, due in chunk
                     for value in (tg_id, stored(missed), stored(skipped), stored(due))])

    async def unscheduled(self, limit: int) -> list[Unscheduled]:
        return await self._unscheduled(
            "s.schedule_from", "s.next_due_at IS NULL AND s.due_group IS NULL", (limit,))

    async def _unscheduled(self, start: str, condition: str, params: tuple) -> list[Unscheduled]:
        rows = await self._db.fetch_all(
            f"SELECT s.tg_id, s.frequency, u.digest_time, u.timezone, {start} "
            "FROM subscriptions AS s JOIN users AS u ON u.tg_id = s.tg_id "
            f"WHERE {condition} ORDER BY s.tg_id LIMIT ?", params)
        return [Unscheduled(row[0], row[1],
                            time.fromisoformat(row[2]) if row[2] else None, row[3],
                            loaded(row[4])) for row in rows]

    async def set_next_due(self, schedule: Sequence[tuple[int, datetime]]) -> None:
        async with self._db.transaction() as connection:
            for start in range(0, len(schedule), CHUNK):
                chunk = schedule[start:start + CHUNK]
                await connection.execute(
                    "UPDATE subscriptions SET next_due_at = s.column2 "
                    f"FROM (VALUES {_rows(len(chunk), 2)}) AS s "
                    "WHERE subscriptions.tg_id = s.column1 AND subscriptions.next_due_at IS NULL",
                    [value for tg_id, due in chunk for value in (tg_id, stored(due))])

    async def reschedule_auto(self) -> int:
        """The elections changed: every Auto subscriber's next digest is computed again."""
        cursor = await self._db.execute(
            "UPDATE subscriptions SET next_due_at = NULL WHERE frequency = 'auto' "
            "AND due_group IS NULL")
        return cursor.rowcount

    async def mark_due(self, now: datetime, language: str, zone: str) -> int:
        """Stamp each due subscriber with the composition they share (see Group)."""
        sep = f" || '{SEPARATOR}' || "
        key = sep.join((
            "coalesce(u.language, u.client_language, :language)", "s.topics",
            "coalesce(s.country, '')", "coalesce(u.country, '')", "coalesce(u.timezone, :zone)",
            "coalesce(s.last_until, '')", "s.next_due_at"))
        async with self._db.transaction() as connection:
            cursor = await connection.execute(
                f"UPDATE subscriptions AS s SET due_group = (SELECT {key} FROM users AS u "
                "WHERE u.tg_id = s.tg_id) WHERE s.next_due_at <= :now AND s.due_group IS NULL",
                {"now": stored(now), "language": language, "zone": zone})
            return cursor.rowcount

    async def due_groups(self) -> list[Group]:
        rows = await self._db.fetch_all(
            "SELECT DISTINCT due_group FROM subscriptions WHERE due_group IS NOT NULL "
            "ORDER BY due_group")
        return [Group.parse(row[0]) for row in rows]

    async def take_group(self, key: str, limit: int) -> list[int]:
        """The `limit` lowest ids of a group's subscribers still to be queued (call inside the
        transaction that queues them and calls `handled`)."""
        rows = await self._db.fetch_all(
            "SELECT tg_id FROM subscriptions WHERE due_group = ? ORDER BY tg_id LIMIT ?",
            (key, limit))
        return [row[0] for row in rows]

    async def handled(self, tg_ids: Sequence[int], group: Group, *, covered: bool) -> None:
        """The group's period is done for these subscribers (queued, or nothing to send).

        `covered`: whatever was new up to the period's end was shown (or there was nothing),
        so the next digest starts from there."""
        if not tg_ids:
            return
        period = stored(group.until)
        # `take_group` returned the group's lowest ids: one ranged statement marks them all.
        await self._db.execute(
            "UPDATE subscriptions SET due_group = NULL, next_due_at = NULL, "
            "schedule_from = ?, last_period = ?, "
            "last_until = CASE WHEN ? THEN ? ELSE last_until END "
            "WHERE due_group = ? AND tg_id BETWEEN ? AND ?",
            (period, period, covered, period, group.key, min(tg_ids), max(tg_ids)))

    # --- elections -------------------------------------------------------------------------

    async def add_election(self, name: str, day: date, country: str, created_by: int | None,
                           now: datetime, name_ru: str | None = None) -> int:
        cursor = await self._db.execute(
            "INSERT INTO elections (name, name_ru, date, country, created_by, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (name, name_ru, day.isoformat(), country, created_by, stored(now)))
        return cursor.value

    async def remove_election(self, election_id: int) -> Election | None:
        async with self._db.transaction():
            rows = await self._db.fetch_all(
                "DELETE FROM elections WHERE id = ? RETURNING id, name, date, country, name_ru",
                (election_id,))
        return _election(rows[0]) if rows else None

    async def elections(self, from_day: date | None = None) -> list[Election]:
        """Elections on or after a day (all if None), soonest first."""
        rows = await self._db.fetch_all(
            "SELECT id, name, date, country, name_ru FROM elections "
            "WHERE CAST(? AS TEXT) IS NULL OR date >= ? ORDER BY date, id",
            (from_day and from_day.isoformat(),) * 2)
        return [_election(row) for row in rows]

    # --- content ---------------------------------------------------------------------------

    async def urgent_needs(self, country: str | None, since: datetime, limit: int) -> Section:
        """Open critical and urgent needs, critical first, newest first."""
        place, params = _place("n", country)
        where = f"n.status = 'open' AND n.urgency_rank >= 1 AND {visible('n')}{place}"
        return await self._needs(where, params, since, limit)

    async def new_needs(self, country: str | None, since: datetime, until: datetime,
                        limit: int) -> Section:
        place, params = _place("n", country)
        where = (f"n.status = 'open' AND n.created_at > ? AND n.created_at <= ? "
                 f"AND {visible('n')}{place}")
        return await self._needs(where, (stored(since), stored(until), *params), since, limit)

    async def _needs(self, where: str, params: tuple, since: datetime, limit: int) -> Section:
        # Never private_details: the digest only ever reads these columns.
        rows = await self._db.fetch_all(
            "SELECT n.id, n.title, o.name, n.country, n.city, n.urgency FROM needs AS n "
            f"JOIN organisations AS o ON o.id = n.org_id WHERE {where} "
            "ORDER BY n.urgency_rank DESC, n.created_at DESC, n.id DESC LIMIT ?",
            (*params, limit))
        counts = await self._db.fetch_one(
            "SELECT count(*), count(*) FILTER (WHERE n.created_at > ?) FROM needs AS n "
            f"WHERE {where}", (stored(since), *params))
        lines = [Line(id=row[0], title=row[1], organisation=row[2], country=row[3],
                      city=row[4], urgency=row[5]) for row in rows]
        return Section(lines, counts[0], counts[1])

    async def upcoming_events(self, country: str | None, home: str | None, start: datetime,
                              end: datetime, since: datetime, limit: int) -> Section:
        """Scheduled events members may see starting in [start, end): the home
        country's first, then by time. Never the venue: it is not even read."""
        place = " AND e.country = ?" if country else ""
        params = (stored(start), stored(end), *((country,) if country else ()))
        where = (f"e.status = 'scheduled' AND e.starts_at >= ? AND e.starts_at < ? "
                 f"AND {visible('e')}{place}")
        rows = await self._db.fetch_all(
            "SELECT e.title, o.name, e.country, e.city, e.starts_at FROM events AS e "
            f"JOIN organisations AS o ON o.id = e.org_id WHERE {where} "
            "ORDER BY e.country IS NOT ?, e.starts_at, e.id LIMIT ?", (*params, home, limit))
        counts = await self._db.fetch_one(
            "SELECT count(*), count(*) FILTER (WHERE e.created_at > ?) FROM events AS e "
            f"WHERE {where}", (stored(since), *params))
        lines = [Line(title=row[0], organisation=row[1], country=row[2], city=row[3],
                      starts_at=loaded(row[4])) for row in rows]
        return Section(lines, counts[0], counts[1])

    async def announcements(self, since: datetime, until: datetime, limit: int) -> Section:
        """Announcements to everyone or to subscribers that finished going out in the period."""
        where = (f"kind = 'announcement' AND status = 'done' AND audience IN {_RECALLED} "
                 "AND finished_at > ? AND finished_at <= ?")
        params = (stored(since), stored(until))
        rows = await self._db.fetch_all(
            f"SELECT text FROM broadcasts WHERE {where} ORDER BY finished_at DESC, id DESC "
            "LIMIT ?", (*params, limit))
        total = await self._db.fetch_value(f"SELECT count(*) FROM broadcasts WHERE {where}",
                                           params)
        return Section([Line(title="", organisation="", text=row[0]) for row in rows], total,
                       total)


def _place(alias: str, country: str | None) -> tuple[str, tuple]:
    """A country filter keeps that country's needs and the online ones."""
    if country is None:
        return "", ()
    return f" AND {alias}.country IN (?, 'online')", (country,)


def _election(row) -> Election:
    return Election(row[0], row[1], date.fromisoformat(row[2]), row[3], row[4])
