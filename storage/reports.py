"""What the command line reports: public exports and operating figures, read-only (SPEC §8).

Exports hold what members can see in the bot and nothing else: approved organisations, their
open needs and their upcoming events not cancelled. With `everything` (`export --all`), also
their needs no longer open and their past and cancelled events. Never a need's private
details, never the venue of an event whose disclosure is not public, never a Telegram id, an
author, an applicant or anything a person told the bot about themselves. Pending, rejected and
suspended organisations are left out either way, and so is what suspended ones posted or a
coordinator hid, as members cannot see them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, get_args

from storage.models import OrgStatus
from storage.posts import visible
from storage.timestamps import stored

# Each exported table: its public columns, in order, and the query that yields them.
# A column is added here only after asking "may anyone with the bot see this?".
EXPORTS: dict[str, tuple[tuple[str, ...], str]] = {
    "organisations": (
        ("id", "name", "description", "country", "city", "website", "created_at"),
        "SELECT id, name, description, country, city, website, created_at "
        "FROM organisations WHERE status = 'approved' ORDER BY id",
    ),
    "needs": (
        ("id", "org_id", "organisation", "title", "description", "category", "urgency",
         "country", "city", "deadline", "status", "created_at", "updated_at"),
        "SELECT n.id, n.org_id, o.name, n.title, n.description, n.category, n.urgency, "
        "n.country, n.city, n.deadline, n.status, n.created_at, n.updated_at "
        "FROM needs AS n JOIN organisations AS o ON o.id = n.org_id "
        f"WHERE {visible('n')} AND {{current}} ORDER BY n.id",
    ),
    "events": (
        ("id", "org_id", "organisation", "campaign", "title", "description", "kind",
         "starts_at", "ends_at", "timezone", "country", "city", "venue", "disclosure",
         "capacity", "status", "created_at"),
        # A venue kept for people who answered Going is exported as empty, whatever the time.
        "SELECT e.id, e.org_id, o.name, c.title, e.title, e.description, e.kind, e.starts_at, "
        "e.ends_at, e.timezone, e.country, e.city, "
        "CASE WHEN e.disclosure = 'public' THEN e.venue END, e.disclosure, e.capacity, "
        "e.status, e.created_at "
        "FROM events AS e JOIN organisations AS o ON o.id = e.org_id "
        "LEFT JOIN campaigns AS c ON c.id = e.campaign_id "
        f"WHERE {visible('e')} AND {{current}} ORDER BY e.id",
    ),
}
# What members see of each table now, as in the bot's lists; `export --all` drops it.
CURRENT = {
    "needs": "n.status = 'open'",
    "events": "e.status = 'scheduled' AND e.starts_at > :now",
}
TABLES = tuple(EXPORTS)
ORG_STATUSES: tuple[OrgStatus, ...] = get_args(OrgStatus)
DELIVERY_WINDOW = timedelta(days=7)




class NoDatabase(Exception):
    """There is no database file where the settings point."""


def read_only(path: Path | str) -> sqlite3.Connection:
    """A connection that can only read: the command line's, beside the running bot's writer."""
    path = Path(path)
    if not path.is_file():
        raise NoDatabase(f"no database at {path}")
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                 isolation_level=None)
    connection.execute("PRAGMA busy_timeout = 10000")
    return connection


@contextmanager
def snapshot(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One read transaction: every query inside sees the database at the same moment."""
    connection.execute("BEGIN")
    try:
        yield connection
    finally:
        connection.execute("COMMIT")


def schema_version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def _query(table: str, now: datetime, everything: bool) -> tuple[str, dict[str, str]]:
    _columns, query = EXPORTS[table]
    current = "1" if everything else CURRENT.get(table, "1")
    return query.format(current=current), {"now": stored(now)}


def count(connection: sqlite3.Connection, table: str, now: datetime, *,
          everything: bool = False) -> int:
    """How many rows an export of `table` will have."""
    query, params = _query(table, now, everything)
    return int(connection.execute(f"SELECT count(*) FROM ({query})", params).fetchone()[0])


def rows(connection: sqlite3.Connection, table: str, now: datetime, *,
         everything: bool = False) -> Iterator[dict[str, Any]]:
    """The public rows of one table, streamed: memory stays flat however many there are."""
    columns = EXPORTS[table][0]
    query, params = _query(table, now, everything)
    cursor = connection.execute(query, params)
    try:
        while batch := cursor.fetchmany(500):
            for row in batch:
                yield dict(zip(columns, row, strict=True))
    finally:
        cursor.close()


@dataclass(frozen=True)
class Stats:
    """Operating figures at one moment; needs and events count as members see them."""

    at: datetime
    members: int
    active_members: int
    organisations: dict[str, int] = field(default_factory=dict)
    open_needs: int = 0
    critical_needs: int = 0
    upcoming_events: int = 0
    subscribers: int = 0
    broadcasts: int = 0
    sent: int = 0
    blocked: int = 0
    failed: int = 0


def stats(connection: sqlite3.Connection, now: datetime) -> Stats:
    """The figures of `coalition-bot stats`, read in one snapshot."""
    def value(sql: str, params: tuple = ()) -> int:
        return int(connection.execute(sql, params).fetchone()[0] or 0)

    with snapshot(connection):
        by_status = dict.fromkeys(ORG_STATUSES, 0)
        by_status.update(connection.execute(
            "SELECT status, count(*) FROM organisations GROUP BY status").fetchall())
        broadcasts, sent, blocked, failed = connection.execute(
            "SELECT count(*), coalesce(sum(sent), 0), coalesce(sum(blocked), 0), "
            "coalesce(sum(failed), 0) FROM broadcasts WHERE created_at >= ?",
            (stored(now - DELIVERY_WINDOW),)).fetchone()
        open_needs = f"n.status = 'open' AND {visible('n')}"
        return Stats(
            at=now,
            members=value("SELECT count(*) FROM users"),
            active_members=value("SELECT count(*) FROM users WHERE is_active = 1"),
            organisations=by_status,
            open_needs=value(f"SELECT count(*) FROM needs AS n WHERE {open_needs}"),
            critical_needs=value(
                f"SELECT count(*) FROM needs AS n WHERE {open_needs} AND n.urgency = 'critical'"),
            upcoming_events=value(
                "SELECT count(*) FROM events AS e WHERE e.status = 'scheduled' "
                f"AND e.starts_at > ? AND {visible('e')}", (stored(now),)),
            subscribers=value("SELECT count(*) FROM subscriptions"),
            broadcasts=broadcasts, sent=sent, blocked=blocked, failed=failed,
        )
