"""The database: one interface, two backends (SQLite through aiosqlite, PostgreSQL through
asyncpg in storage.postgres). Repositories write SQLite's dialect with `?` (or `:name`)
parameters; the PostgreSQL backend translates each statement text once."""

from __future__ import annotations

import asyncio
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite

BUSY_TIMEOUT_MS = 10_000

Params = Sequence[Any] | Mapping[str, Any]


@dataclass(frozen=True)
class Result:
    """What a write tells its caller: the rows it changed, and what its RETURNING gave."""

    rowcount: int
    rows: list[Any] = field(default_factory=list)

    @property
    def value(self) -> Any:
        """The first column of the first returned row (`RETURNING id`), or None."""
        return self.rows[0][0] if self.rows else None


class Connection(ABC):
    """The connection a transaction holds; rows read as row["column"] and row[0]."""

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> Result: ...

    @abstractmethod
    async def executemany(self, sql: str, params: Iterable[Params]) -> Result: ...

    @abstractmethod
    async def fetch_all(self, sql: str, params: Params = ()) -> list[Any]: ...


class Database(ABC):
    """The bot's database; one write transaction at a time.

    `transaction()` is re-entrant within one asyncio task, so a service can wrap several
    repository calls in one atomic unit while each repository call stays usable on its own.

    A write can be attached to a task's next transaction (`attach`): the update gate records an
    update's id that way, so the id commits with the first change the update makes, or not at
    all. Writes go through `execute` or `transaction()` (a write through `fetch_all` must be
    inside a transaction) so that an attached one is never left out.
    """

    dialect: str

    def __init__(self) -> None:
        self._attached: dict[asyncio.Task, tuple[str, Params]] = {}

    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Connection]:
        """One write transaction, committed at the end, rolled back on any exception."""

    def person(self, tg_id: int) -> AbstractAsyncContextManager[None]:
        """Held while one person's update is handled: one process (SQLite's only user) handles
        one update at a time, so there is nothing to wait for; see PostgresDatabase.person."""
        return nullcontext()

    @abstractmethod
    async def _execute_alone(self, sql: str, params: Params) -> Result:
        """One write outside any transaction of this task, atomic on its own."""

    @abstractmethod
    async def fetch_all(self, sql: str, params: Params = ()) -> list[Any]: ...

    @abstractmethod
    async def schema_version(self) -> int: ...

    @abstractmethod
    async def run_migration(self, connection: Connection, sqlite_sql: str,
                            postgres_sql: str | None, version: int) -> None:
        """Run one migration's statements and record its version, inside `connection`'s
        transaction."""

    def attach(self, sql: str, params: Params = ()) -> None:
        """Make this write part of the current task's next write transaction, whichever it is.
        It must be independent (see `execute_independent`): `flush` may commit it alone."""
        self._attached[asyncio.current_task()] = (sql, params)

    def detach(self) -> None:
        """Drop the current task's attached write, if no transaction took it along yet."""
        self._attached.pop(asyncio.current_task(), None)

    async def flush(self) -> None:
        """Commit the current task's attached write on its own, if no transaction took it."""
        task = asyncio.current_task()
        attached = self._attached.pop(task, None)
        if attached is None:
            return
        try:
            await self._execute_independent(*attached)
        except BaseException:
            self._attached[task] = attached
            raise

    async def execute_independent(self, sql: str, params: Params = ()) -> Result:
        """One write that no transaction reads and then writes on: a person's flood window,
        written under their lock (`person`), or the id of an update being handled. It needs no
        place in the order of write transactions, so on PostgreSQL it commits without the
        writer lock: one round trip, not three. Inside a transaction it is part of it."""
        if self._in_transaction() or asyncio.current_task() in self._attached:
            return await self.execute(sql, params)
        return await self._execute_independent(sql, params)

    @abstractmethod
    async def _execute_independent(self, sql: str, params: Params) -> Result:
        """One independent write outside any transaction, atomic on its own."""

    @asynccontextmanager
    async def _committed(self, connection: Connection, raw: Callable[[str], Awaitable[object]],
                         begin: str) -> AsyncIterator[Connection]:
        """`begin`, the task's attached write, the body, COMMIT; on any exception ROLLBACK, and
        the attached write waits for the task's next transaction."""
        task = asyncio.current_task()
        await raw(begin)
        attached = self._attached.pop(task, None)
        try:
            if attached is not None:
                await connection.execute(*attached)
            yield connection
        except BaseException:
            await raw("ROLLBACK")
            if attached is not None:
                self._attached[task] = attached
            raise
        else:
            await raw("COMMIT")

    @abstractmethod
    def _in_transaction(self) -> bool: ...

    async def execute(self, sql: str, params: Params = ()) -> Result:
        """Run one write statement, inside the current transaction or as one of its own
        (with the attached write, if there is one, which must commit with it)."""
        if self._in_transaction() or asyncio.current_task() in self._attached:
            async with self.transaction() as connection:
                return await connection.execute(sql, params)
        return await self._execute_alone(sql, params)

    async def fetch_one(self, sql: str, params: Params = ()) -> Any | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]


def _params(params: Params) -> Params:
    return params if isinstance(params, Mapping) else tuple(params)


class _SqliteConnection(Connection):
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.raw = connection

    async def execute(self, sql: str, params: Params = ()) -> Result:
        if "RETURNING" in sql:
            # One round trip to aiosqlite's thread: the rows are the count.
            rows = list(await self.raw.execute_fetchall(sql, _params(params)))
            return Result(len(rows), rows)
        cursor = await self.raw.execute(sql, _params(params))
        return Result(cursor.rowcount)

    async def executemany(self, sql: str, params: Iterable[Params]) -> Result:
        cursor = await self.raw.executemany(sql, [_params(each) for each in params])
        return Result(cursor.rowcount)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Any]:
        # One round trip to aiosqlite's thread, not three (execute, fetch, close the cursor).
        return list(await self.raw.execute_fetchall(sql, _params(params)))


class SqliteDatabase(Database):
    """One aiosqlite connection per process; an asyncio.Lock makes every transaction and read
    wait for the one in progress, and BEGIN IMMEDIATE keeps other processes out."""

    dialect = "sqlite"

    def __init__(self, path: Path | str) -> None:
        super().__init__()
        self.path = Path(path)
        self._connection: _SqliteConnection | None = None
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task | None = None

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(self.path, isolation_level=None)
        connection.row_factory = aiosqlite.Row
        try:
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA synchronous=FULL",
                "PRAGMA foreign_keys=ON",
                f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
            ):
                await connection.execute(pragma)
        except BaseException:
            # A file that is not a database fails here: its connection's thread must not stay.
            await connection.close()
            raise
        self._connection = _SqliteConnection(connection)

    async def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await connection.raw.close()

    @property
    def connection(self) -> _SqliteConnection:
        if self._connection is None:
            raise RuntimeError("database is not open")
        return self._connection

    def _in_transaction(self) -> bool:
        return self._owner is not None and self._owner is asyncio.current_task()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""
        if self._in_transaction():
            yield self.connection
            return
        task = asyncio.current_task()
        async with self._lock:
            connection = self.connection
            self._owner = task
            try:
                async with self._committed(connection, connection.raw.execute,
                                           "BEGIN IMMEDIATE"):
                    yield connection
            finally:
                self._owner = None

    async def _execute_alone(self, sql: str, params: Params) -> Result:
        # A single statement outside a transaction commits by itself (SQLite's autocommit): it
        # takes the write lock at once, so it needs no BEGIN IMMEDIATE, and it saves the two
        # round trips to aiosqlite's thread that BEGIN and COMMIT would cost.
        async with self._lock:
            return await self.connection.execute(sql, params)

    async def _execute_independent(self, sql: str, params: Params) -> Result:
        # One writer at a time in SQLite whatever the write: the same as any other.
        return await self._execute_alone(sql, params)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Any]:
        if self._in_transaction():
            return await self.connection.fetch_all(sql, params)
        async with self._lock:
            return await self.connection.fetch_all(sql, params)

    async def schema_version(self) -> int:
        return int(await self.fetch_value("PRAGMA user_version"))

    async def run_migration(self, connection: Connection, sqlite_sql: str,
                            postgres_sql: str | None, version: int) -> None:
        for statement in _statements(sqlite_sql):
            await connection.execute(statement)
        await connection.execute(f"PRAGMA user_version = {version:d}")


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (executescript would commit the open transaction)."""
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
