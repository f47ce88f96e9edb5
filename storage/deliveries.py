"""Repository of broadcasts and their deliveries: the delivery queue's durable state (SPEC §6.2)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import chain, islice
from typing import Literal

from pydantic import BaseModel, ConfigDict

from storage.database import Connection, Database
from storage.timestamps import stored

Kind = Literal["announcement", "digest", "alert", "reminder", "notice"]
# What a message to an event's people (kind 'reminder') is about, for naming it.
Topic = Literal["reminder", "reveal", "change", "cancellation"]
BroadcastStatus = Literal["draft", "awaiting_approval", "scheduled", "sending", "done", "cancelled"]
INITIAL_STATUSES = ("draft", "awaiting_approval", "scheduled")
DIRECT = "direct"
# Recipients per INSERT: one statement a chunk, not one a row (a round trip each on
# PostgreSQL); three parameters a row stay under SQLite's lowest limit on them (999).
CHUNK = 300

_COUNTRY = re.compile(r"[A-Z]{2}")
# Time-critical kinds (alerts, reminders, notices) go out before announcements, and
# announcements before digests, so a reminder never waits behind an hour-long digest.
_PRIORITY = "CASE kind WHEN 'announcement' THEN 1 WHEN 'digest' THEN 2 ELSE 0 END"
_OPEN = "('draft', 'awaiting_approval', 'scheduled', 'sending')"
# The name of the sender inside the bot's own process (`run --senders 0`, the tests).
IN_PROCESS = "bot"
# The chat id of a delivery to the coalition's channel (SPEC §12.3): no person has it, and the
# queue sends it to the channel configured (CHANNEL_ID, a number or an @name).
CHANNEL = 0


class Broadcast(BaseModel):
    """One mass sending and its progress counters."""

    model_config = ConfigDict(frozen=True)

    id: int
    kind: Kind
    author_id: int | None
    audience: str
    text: str
    reply_markup: str | None
    status: BroadcastStatus
    created_at: datetime
    not_before: datetime
    total: int
    sent: int
    blocked: int
    failed: int
    cancelled: int
    resent: int
    finished_at: datetime | None
    topic: Topic | None = None
    channel_subject: str | None = None

    @property
    def pending(self) -> int:
        """Recipients still queued or in flight."""
        return self.total - self.sent - self.blocked - self.failed - self.cancelled


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A delivery leased to the sender: what to send to whom."""

    id: int
    broadcast_id: int
    chat_id: int
    text: str
    reply_markup: str | None
    attempts: int
    # What a channel post is about ('event:12'): posted once, then edited in place.
    subject: str | None = None


class Result(StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"
    RETRY = "retry"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one claimed delivery.

    RETRY counts an attempt and waits until `retry_at`; POSTPONED (Telegram's 429, or rows the
    sender gives back unsent) queues the row again at once without counting one. `uncertain`
    marks a retry after a time-out: the first send may have arrived.
    """

    delivery: ClaimedDelivery
    result: Result
    error: str | None = None
    retry_at: datetime | None = None
    uncertain: bool = False


@dataclass(frozen=True, slots=True)
class Claim:
    deliveries: list[ClaimedDelivery]
    started: list[Broadcast]
    finished: list[Broadcast]




def _audience_condition(audience: str, default_language: str) -> tuple[str, tuple[object, ...]]:
    """The SQL condition on an active member `u` that selects an audience.

    `audience@xx` keeps only members whose language is xx (for texts written per language).
    """
    audience, _, language = audience.partition("@")
    if language:
        condition, params = _audience_condition(audience, default_language)
        return (f"({condition}) AND coalesce(u.language, u.client_language, ?) = ?",
                (*params, default_language, language))
    name, _, argument = audience.partition(":")
    if name == "event":
        event_id, _, who = argument.partition(":")
        answers = {"going": "('going')", "answered": "('going', 'maybe')"}.get(who)
        if event_id.isdigit() and answers:
            return (f"u.tg_id IN (SELECT tg_id FROM rsvps WHERE event_id = ? "
                    f"AND answer IN {answers})"), (int(event_id),)
        if event_id.isdigit() and who == "organisers":
            return ("u.tg_id IN (SELECT m.tg_id FROM memberships AS m JOIN events AS e "
                    "ON e.org_id = m.org_id WHERE e.id = ?)"), (int(event_id),)
    if name == "alert":
        # alert:<category>:<organisation>: who asked for alerts in the category, except the
        # organisation that posted the need.
        category, _, org_id = argument.partition(":")
        if category.isalpha() and org_id.isdigit():
            return ("u.tg_id IN (SELECT tg_id FROM need_alerts WHERE category = ?) AND "
                    "u.tg_id NOT IN (SELECT tg_id FROM memberships WHERE org_id = ?)"), (
                        category, int(org_id))
    if name == "everyone" and not argument:
        return "TRUE", ()
    if name == "country" and _COUNTRY.fullmatch(argument):
        return "u.country = ?", (argument,)
    if name == "organisers" and not argument:
        return ("u.tg_id IN (SELECT m.tg_id FROM memberships AS m JOIN organisations AS o "
                "ON o.id = m.org_id WHERE o.status = 'approved')"), ()
    if name == "subscribers" and not argument:
        return "u.tg_id IN (SELECT tg_id FROM subscriptions)", ()
    raise ValueError(f"unknown audience {audience!r}")


# A recipient: a chat id, or with its own text, or with its own text and buttons (JSON).
Recipient = int | tuple[int, str | None] | tuple[int, str | None, str | None]


def _recipient(item: Recipient) -> tuple[int, str | None, str | None]:
    if isinstance(item, int):
        return item, None, None
    return (*item, None) if len(item) == 2 else item


# How each result changes a row still in flight, and which counter it adds to.
# A send that reached Telegram stamps attempted_at, which paces the chat across senders.
# `o` is the row's outcome: (delivery id, error, retry at), see `record`.
_APPLY: dict[Result, tuple[str, str | None]] = {
    Result.SENT: ("status = 'sent', sent_at = :now, error = NULL, attempted_at = :wall", "sent"),
    Result.BLOCKED: ("status = 'blocked', error = o.column2, attempted_at = :wall", "blocked"),
    Result.FAILED: (
        "status = 'failed', attempts = attempts + 1, error = o.column2, attempted_at = :wall",
        "failed",
    ),
    Result.RETRY: (
        "status = 'queued', attempts = attempts + 1, error = o.column2, "
        "next_attempt_at = o.column3, attempted_at = :wall",
        None,
    ),
    Result.POSTPONED: ("status = 'queued', next_attempt_at = :now", None),
    Result.CANCELLED: ("status = 'cancelled'", "cancelled"),
}


class DeliveryRepository:
    def __init__(self, database: Database, default_language: str = "en") -> None:
        self._db = database
        self._default_language = default_language

    async def create(
        self,
        *,
        kind: Kind,
        text: str,
        now: datetime,
        audience: str | None = None,
        recipients: Iterable[Recipient] | None = None,
        author_id: int | None = None,
        not_before: datetime | None = None,
        reply_markup: str | None = None,
        status: str = "scheduled",
        topic: Topic | None = None,
        channel: bool = False,
        channel_subject: str | None = None,
    ) -> int:
        """A broadcast and a queued row per recipient, in one transaction; returns its id.

        Recipients are either an audience resolved in SQL ('everyone', 'country:DE') or an
        iterable of chat ids, or (chat id, own text[, own buttons]), streamed in chunks (own
        texts and buttons: each person's in their language); `audience` is
        then only a label ('direct' by default). Members known to have blocked the bot are left
        out; a chat id given twice gets one row. `channel` adds a row for the coalition's
        channel; with a `channel_subject` that row edits the subject's earlier channel post, and
        supersedes what is still open about the subject: those broadcasts are cancelled, so an
        older text waiting for a retry never overwrites this one.
        """
        if status not in INITIAL_STATUSES:
            raise ValueError(f"a broadcast starts as one of {INITIAL_STATUSES}, not {status!r}")
        condition = None
        if recipients is None:
            if audience is None:
                raise ValueError("give an audience or recipients")
            condition, params = _audience_condition(audience, self._default_language)
        created = stored(now)
        async with self._db.transaction() as connection:
            if channel_subject is not None:
                await self._cancel(connection, "channel_subject = ?", (channel_subject,), created)
            cursor = await connection.execute(
                "INSERT INTO broadcasts (kind, author_id, audience, text, reply_markup, status, "
                "created_at, not_before, topic, channel_subject) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (kind, author_id, audience or DIRECT, text, reply_markup, status, created,
                 stored(not_before or now), topic, channel_subject),
            )
            broadcast_id = cursor.value
            if condition is not None:
                cursor = await connection.execute(
                    "INSERT INTO deliveries (broadcast_id, chat_id, next_attempt_at) "
                    f"SELECT ?, u.tg_id, ? FROM users AS u WHERE u.is_active = 1 AND {condition} "
                    "ORDER BY u.tg_id",
                    (broadcast_id, created, *params),
                )
                total = cursor.rowcount
            else:
                total = await self._insert_recipients(
                    connection, broadcast_id, recipients or (), created)
            if channel:
                total += await self._insert_recipients(
                    connection, broadcast_id, [CHANNEL], created)
            await connection.execute(
                "UPDATE broadcasts SET total = ? WHERE id = ?", (total, broadcast_id))
        return broadcast_id

    @staticmethod
    async def _insert_recipients(
        connection: Connection,
        broadcast_id: int,
        recipients: Iterable[Recipient],
        created: str,
    ) -> int:
        rows = map(_recipient, recipients)
        total = 0
        while chunk := list(islice(rows, CHUNK)):
            values = ", ".join(["(CAST(? AS BIGINT), ?, ?)"] * len(chunk))
            cursor = await connection.execute(
                "INSERT OR IGNORE INTO deliveries (broadcast_id, chat_id, text, reply_markup, "
                "next_attempt_at) SELECT ?, r.column1, r.column2, r.column3, ? "
                f"FROM (VALUES {values}) AS r WHERE NOT EXISTS "
                "(SELECT 1 FROM users WHERE tg_id = r.column1 AND is_active = 0)",
                (broadcast_id, created, *chain.from_iterable(chunk)),
            )
            total += cursor.rowcount
        return total

    async def count_audience(self, audience: str) -> int:
        """How many active members an audience has right now (for a preview)."""
        condition, params = _audience_condition(audience, self._default_language)
        return await self._db.fetch_value(
            f"SELECT count(*) FROM users AS u WHERE u.is_active = 1 AND {condition}", params
        )

    async def schedule(self, broadcast_id: int, not_before: datetime) -> bool:
        """Release a draft, or a broadcast awaiting approval, to go out from `not_before`."""
        cursor = await self._db.execute(
            "UPDATE broadcasts SET status = 'scheduled', not_before = ? "
            "WHERE id = ? AND status IN ('draft', 'awaiting_approval')",
            (stored(not_before), broadcast_id),
        )
        return cursor.rowcount == 1

    async def channel_message(self, subject: str) -> int | None:
        """The id of the channel message posted for `subject`, if one was."""
        return await self._db.fetch_value(
            "SELECT message_id FROM channel_posts WHERE subject = ?", (subject,))

    async def remember_channel_message(self, subject: str, message_id: int) -> None:
        await self._db.execute(
            "INSERT INTO channel_posts (subject, message_id) VALUES (?, ?) "
            "ON CONFLICT (subject) DO UPDATE SET message_id = excluded.message_id",
            (subject, message_id))

    async def channel_known(self, subject: str) -> bool:
        """Whether anything about `subject` was ever queued for the channel."""
        return bool(await self._db.fetch_value(
            "SELECT count(*) FROM broadcasts WHERE channel_subject = ?", (subject,)))

    async def channel_lost(self, now: datetime) -> bool:
        """Record that the channel refuses the bot; True only for the first refusal since it
        last worked (whoever gets True tells the coordinators)."""
        cursor = await self._db.execute(
            "UPDATE channel_state SET lost_at = ? WHERE id = 1 AND lost_at IS NULL",
            (stored(now),))
        return cursor.rowcount == 1

    async def channel_works(self) -> None:
        await self._db.execute(
            "UPDATE channel_state SET lost_at = NULL WHERE id = 1 AND lost_at IS NOT NULL")

    async def claim(
        self,
        now: datetime,
        *,
        limit: int,
        lease: timedelta,
        held: Collection[int] = (),
        owner: str = IN_PROCESS,
        wall: float = 0.0,
        chat_interval: float | None = None,
    ) -> Claim:
        """Lease up to `limit` due deliveries to the sender `owner`, most urgent broadcast first.

        Due: queued with next_attempt_at ≤ now, of a broadcast that is sending, or scheduled
        with not_before ≤ now (which starts it). Rows whose lease expired (a sender died with
        them) are queued again first and counted as resent, except the rows in `held`, which
        the caller still has in hand (a clock that jumped ahead must not make them go twice).
        With a `chat_interval`, a row is not claimed while its chat has a row in flight at any
        sender, or got a message less than `chat_interval` seconds before `wall` (real time):
        so one a second to a chat holds across senders. Senders claim side by side: see
        `_lease_rows`.
        """
        at = stored(now)
        async with self._db.transaction() as connection:
            started = await self._broadcasts(
                connection,
                "UPDATE broadcasts SET status = 'sending' "
                "WHERE status = 'scheduled' AND not_before <= ? RETURNING *",
                (at,),
            )
            held = sorted(held)
            await self._requeue(
                connection, at,
                "AND lease_until < ?" + (
                    f" AND id NOT IN ({', '.join('?' * len(held))})" if held else ""),
                (at, *held),
            )
            active = await connection.fetch_all(
                "SELECT id, text, reply_markup, channel_subject FROM broadcasts "
                f"WHERE status = 'sending' ORDER BY {_PRIORITY}, id"
            )
            deliveries: list[ClaimedDelivery] = []
            lease_until = stored(now + lease)
            for broadcast_id, text, markup, subject in active:
                wanted = limit - len(deliveries)
                if wanted <= 0:
                    break
                rows = await self._lease_rows(
                    connection, broadcast_id, wanted, at=at, lease_until=lease_until,
                    owner=owner,
                    chat_free_after=None if chat_interval is None else wall - chat_interval)
                deliveries.extend(
                    ClaimedDelivery(row[0], broadcast_id, row[1], row[2] or text,
                                    row[3] or markup, row[4],
                                    subject if row[1] == CHANNEL else None)
                    for row in sorted(rows, key=lambda row: row[0])
                )
            finished = await self._finish(connection, [b.id for b in started], at)
        return Claim(deliveries, started, finished)

    @staticmethod
    async def _lease_rows(
        connection: Connection,
        broadcast_id: int,
        limit: int,
        *,
        at: str,
        lease_until: str,
        owner: str,
        chat_free_after: float | None,
    ) -> list[tuple]:
        """THE claim of rows by a sender: every sender process takes its rows here.

        The claim runs in a write transaction, and write transactions run one at a time on
        both backends (BEGIN IMMEDIATE on SQLite, the write lock of storage/postgres.py across
        processes on PostgreSQL), so a row is leased once and concurrent senders never wait on
        each other's row locks.
        """
        paced, pace = ("", ()) if chat_free_after is None else (
            "AND NOT EXISTS (SELECT 1 FROM deliveries AS other WHERE other.chat_id = d.chat_id "
            "AND (other.status = 'sending' OR other.attempted_at > ?)) ", (chat_free_after,))
        return await connection.fetch_all(
            "UPDATE deliveries SET status = 'sending', lease_until = ?, lease_owner = ? "
            "WHERE id IN (SELECT id FROM deliveries AS d WHERE broadcast_id = ? "
            f"AND status = 'queued' AND next_attempt_at <= ? {paced}"
            "ORDER BY next_attempt_at LIMIT ?) "
            "RETURNING id, chat_id, text, reply_markup, attempts",
            (lease_until, owner, broadcast_id, at, *pace, limit),
        )

    async def requeue_in_flight(self, now: datetime, owner: str = IN_PROCESS) -> int:
        """Queue again every row a previous run of the sender `owner` left in flight (it is gone:
        a sender starting under its name). Each row counts as resent."""
        async with self._db.transaction() as connection:
            return await self._requeue(connection, stored(now), "AND lease_owner = ?", (owner,))

    async def reserve_slots(self, count: int, interval: float, earliest: float) -> float:
        """Reserve `count` send slots `interval` seconds apart of the global rate that every
        sender shares (a token bucket); returns the first slot's time (Unix seconds), not before
        `earliest`. Senders reserve blocks, so the database is not asked for every message."""
        async with self._db.transaction() as connection:
            ((end,),) = await connection.fetch_all(
                "UPDATE send_slots SET next_slot = CASE WHEN next_slot > ? THEN next_slot "
                "ELSE ? END + ? WHERE id = 1 RETURNING next_slot",
                (earliest, earliest, count * interval),
            )
        return end - count * interval

    async def _requeue(
        self, connection: Connection, at: str, condition: str, params: tuple
    ) -> int:
        rows = await connection.fetch_all(
            "UPDATE deliveries SET lease_until = NULL, next_attempt_at = ?, status = CASE "
            "WHEN (SELECT status FROM broadcasts AS b WHERE b.id = broadcast_id) = 'cancelled' "
            f"THEN 'cancelled' ELSE 'queued' END WHERE status = 'sending' {condition} "
            "RETURNING broadcast_id, status",
            (at, *params),
        )
        counts = Counter((broadcast_id, status) for broadcast_id, status in rows)
        for broadcast_id in {broadcast_id for broadcast_id, _ in rows}:
            await connection.execute(
                "UPDATE broadcasts SET resent = resent + ?, cancelled = cancelled + ? "
                "WHERE id = ?",
                (counts[broadcast_id, "queued"], counts[broadcast_id, "cancelled"], broadcast_id),
            )
        return len(rows)

    async def record(
        self, outcomes: Sequence[Outcome], now: datetime, wall: float | None = None
    ) -> list[Broadcast]:
        """Apply a batch of outcomes and the counters they move; returns broadcasts now done.

        `wall` (real time, Unix seconds) is when the sends were answered, at latest: it paces
        their chats (see `claim`).

        Only rows still in flight change, so an outcome arriving twice counts once. A row given
        back (RETRY, POSTPONED) of a broadcast cancelled meanwhile becomes cancelled. A blocked
        recipient's membership becomes inactive.
        """
        if not outcomes:
            return []
        at = stored(now)
        groups: dict[tuple[int, Result, bool], list[Outcome]] = defaultdict(list)
        for outcome in outcomes:
            groups[outcome.delivery.broadcast_id, outcome.result, outcome.uncertain].append(
                outcome)
        async with self._db.transaction() as connection:
            broadcast_ids = sorted({broadcast_id for broadcast_id, _, _ in groups})
            cancelled = {row[0] for row in await connection.fetch_all(
                "SELECT id FROM broadcasts WHERE status = 'cancelled' AND id IN "
                f"({', '.join('?' * len(broadcast_ids))})",
                broadcast_ids,
            )}
            counters: dict[int, Counter[str]] = defaultdict(Counter)
            for (broadcast_id, result, uncertain), batch in groups.items():
                if broadcast_id in cancelled and result in (Result.RETRY, Result.POSTPONED):
                    result = Result.CANCELLED
                changes, counter = _APPLY[result]
                changed = 0
                # One statement a chunk of outcomes, not one a row (a round trip each on
                # PostgreSQL).
                for start in range(0, len(batch), CHUNK):
                    chunk = batch[start:start + CHUNK]
                    params: dict[str, object] = {"now": at, "wall": wall}
                    for number, outcome in enumerate(chunk):
                        params |= {f"id{number}": outcome.delivery.id,
                                   f"error{number}": outcome.error,
                                   f"retry{number}": outcome.retry_at and stored(outcome.retry_at)}
                    values = ", ".join(f"(CAST(:id{n} AS BIGINT), :error{n}, :retry{n})"
                                       for n in range(len(chunk)))
                    cursor = await connection.execute(
                        f"UPDATE deliveries SET {changes}, lease_until = NULL "
                        f"FROM (VALUES {values}) AS o "
                        "WHERE deliveries.id = o.column1 AND deliveries.status = 'sending'",
                        params,
                    )
                    changed += cursor.rowcount
                if counter is not None:
                    counters[broadcast_id][counter] += changed
                elif result is Result.RETRY and uncertain:
                    counters[broadcast_id]["resent"] += changed
                if result is Result.BLOCKED:
                    await connection.execute(
                        "UPDATE users SET is_active = 0 WHERE tg_id IN "
                        f"({', '.join('?' * len(batch))})",
                        [outcome.delivery.chat_id for outcome in batch],
                    )
            for broadcast_id, counts in counters.items():
                await connection.execute(
                    "UPDATE broadcasts SET sent = sent + ?, blocked = blocked + ?, "
                    "failed = failed + ?, cancelled = cancelled + ?, resent = resent + ? "
                    "WHERE id = ?",
                    (counts["sent"], counts["blocked"], counts["failed"], counts["cancelled"],
                     counts["resent"], broadcast_id),
                )
            return await self._finish(connection, broadcast_ids, at)

    async def cancel(self, broadcast_id: int, now: datetime) -> bool:
        """Cancel a broadcast that has not finished; rows in flight may still be delivered."""
        async with self._db.transaction() as connection:
            return bool(await self._cancel(connection, "id = ?", (broadcast_id,), stored(now)))

    @staticmethod
    async def _cancel(
        connection: Connection, condition: str, params: tuple, at: str
    ) -> list[int]:
        """Cancel the open broadcasts that meet `condition`, and their queued rows (a row in
        flight that comes back for a retry is cancelled then: see `record`); their ids."""
        cancelled = [row[0] for row in await connection.fetch_all(
            "UPDATE broadcasts SET status = 'cancelled', finished_at = ? "
            f"WHERE {condition} AND status IN {_OPEN} RETURNING id",
            (at, *params),
        )]
        for broadcast_id in cancelled:
            cursor = await connection.execute(
                "UPDATE deliveries SET status = 'cancelled' "
                "WHERE broadcast_id = ? AND status = 'queued'",
                (broadcast_id,),
            )
            await connection.execute(
                "UPDATE broadcasts SET cancelled = cancelled + ? WHERE id = ?",
                (cursor.rowcount, broadcast_id),
            )
        return cancelled

    async def prune(self, finished_before: datetime) -> int:
        """Delete the recipient rows of broadcasts that ended before then, and the rows of
        people forgotten while their message was in flight; counters stay, so /broadcasts and
        /stats still tell what happened. Forget the texts of finished reminders and venue
        reveals (they hold venues). Returns the rows deleted."""
        async with self._db.transaction() as connection:
            cursor = await connection.execute(
                "DELETE FROM deliveries WHERE broadcast_id IN (SELECT id FROM broadcasts "
                "WHERE status IN ('done', 'cancelled') AND finished_at < ?) OR ("
                "status NOT IN ('queued', 'sending') AND chat_id NOT IN (SELECT tg_id FROM users))",
                (stored(finished_before),),
            )
            await connection.execute(
                "UPDATE broadcasts SET text = '' WHERE kind = 'reminder' "
                "AND status IN ('done', 'cancelled') AND text != ''")
        return cursor.rowcount

    async def forget(self, chat_id: int, now: datetime) -> int:
        """Delete a person's deliveries (for /forget): what was queued for them counts as
        cancelled; counters of what they already received stay. Rows in flight are left to
        their sender, then to `prune`. Returns the number of rows deleted."""
        async with self._db.transaction() as connection:
            rows = await connection.fetch_all(
                "DELETE FROM deliveries WHERE chat_id = ? AND status != 'sending' "
                "RETURNING broadcast_id, status",
                (chat_id,),
            )
            queued = Counter(broadcast_id for broadcast_id, status in rows if status == "queued")
            for broadcast_id, count in queued.items():
                await connection.execute(
                    "UPDATE broadcasts SET cancelled = cancelled + ? WHERE id = ?",
                    (count, broadcast_id),
                )
            await self._finish(connection, sorted(queued), stored(now))
        return len(rows)

    async def get(self, broadcast_id: int) -> Broadcast | None:
        row = await self._db.fetch_one("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        return None if row is None else Broadcast.model_validate(dict(row))

    async def recent(
        self, limit: int = 10, status: BroadcastStatus | None = None
    ) -> list[Broadcast]:
        """The newest broadcasts first, optionally only those with one status."""
        rows = await self._db.fetch_all(
            "SELECT * FROM broadcasts WHERE CAST(? AS TEXT) IS NULL OR status = ? "
            "ORDER BY id DESC LIMIT ?",
            (status, status, limit),
        )
        return [Broadcast.model_validate(dict(row)) for row in rows]

    @staticmethod
    async def _broadcasts(
        connection: Connection, sql: str, params: tuple
    ) -> list[Broadcast]:
        rows = await connection.fetch_all(sql, params)
        return [Broadcast.model_validate(dict(row)) for row in rows]

    async def _finish(
        self, connection: Connection, broadcast_ids: Iterable[int], at: str
    ) -> list[Broadcast]:
        finished: list[Broadcast] = []
        for broadcast_id in broadcast_ids:
            finished += await self._broadcasts(
                connection,
                # A notice to one or two people (an offer, released private details) is
                # forgotten once delivered: only its counters stay.
                "UPDATE broadcasts SET status = 'done', finished_at = ?, "
                "text = CASE kind WHEN 'notice' THEN '' ELSE text END "
                "WHERE id = ? AND status = 'sending' AND NOT EXISTS (SELECT 1 FROM deliveries "
                "WHERE broadcast_id = broadcasts.id AND status IN ('queued', 'sending')) "
                "RETURNING *",
                (at, broadcast_id),
            )
            # …and so are its recipients' own texts (a message to an event's attendees).
            await connection.execute(
                "UPDATE deliveries SET text = NULL, reply_markup = NULL WHERE broadcast_id = ? "
                "AND text IS NOT NULL AND EXISTS (SELECT 1 FROM broadcasts WHERE id = ? "
                "AND kind = 'notice' AND status = 'done')", (broadcast_id, broadcast_id))
        return finished
