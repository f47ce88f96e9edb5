"""One aiosqlite connection per process, with a lock-guarded write transaction helper."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

BUSY_TIMEOUT_MS = 10_000


class Database:
    """The bot's single connection; one transaction (or read) at a time.

    `transaction()` is re-entrant within one asyncio task, so a service can wrap several
    repository calls in one atomic unit while each repository call stays usable on its own.

    A write can be attached to a task's next transaction (`attach`): the update gate records an
    update's id that way, so the id commits with the first change the update makes, or not at
    all. Writes go through `execute` or `transaction()` (a write through `fetch_all` must be
    inside a transaction) so that an attached one is never left out.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._connection: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task | None = None
        self._attached: dict[asyncio.Task, tuple[str, tuple[Any, ...]]] = {}

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(self.path, isolation_level=None)
        connection.row_factory = aiosqlite.Row
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=FULL",
            "PRAGMA foreign_keys=ON",
            f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
        ):
            await connection.execute(pragma)
        self._connection = connection

    async def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await connection.close()

    @property
    def connection(self) -> aiosqlite.Connection:
        if self._connection is None:
            raise RuntimeError("database is not open")
        return self._connection

    def _in_transaction(self) -> bool:
        return self._owner is not None and self._owner is asyncio.current_task()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""
        if self._in_transaction():
            yield self.connection
            return
        task = asyncio.current_task()
        async with self._lock:
            connection = self.connection
            await connection.execute("BEGIN IMMEDIATE")
            self._owner = task
            attached = self._attached.pop(task, None)
            try:
                if attached is not None:
                    await connection.execute(*attached)
                yield connection
            except BaseException:
                await connection.execute("ROLLBACK")
                if attached is not None:
                    self._attached[task] = attached
                raise
            else:
                await connection.execute("COMMIT")
            finally:
                self._owner = None

    def attach(self, sql: str, params: Iterable[Any] = ()) -> None:
        """Make this write part of the current task's next write transaction, whichever it is."""
        self._attached[asyncio.current_task()] = (sql, tuple(params))

    def detach(self) -> None:
        """Drop the current task's attached write, if no transaction took it along yet."""
        self._attached.pop(asyncio.current_task(), None)

    async def flush(self) -> None:
        """Commit the current task's attached write on its own, if no transaction took it."""
        if asyncio.current_task() in self._attached:
            async with self.transaction():
                pass

    @asynccontextmanager
    async def _using(self) -> AsyncIterator[aiosqlite.Connection]:
        if self._in_transaction():
            yield self.connection
        else:
            async with self._lock:
                yield self.connection

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Cursor:
        """Run one write statement, inside the current transaction or as one of its own.

        A single statement outside a transaction commits by itself (SQLite's autocommit): it
        takes the write lock at once, so it needs no BEGIN IMMEDIATE, and it saves the two
        round trips to aiosqlite's thread that BEGIN and COMMIT would cost; unless a write is
        attached, which must commit with it.
        """
        if asyncio.current_task() in self._attached:
            async with self.transaction() as connection:
                return await connection.execute(sql, tuple(params))
        async with self._using() as connection:
            return await connection.execute(sql, tuple(params))

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        # One round trip to aiosqlite's thread, not three (execute, fetch, close the cursor).
        async with self._using() as connection:
            return list(await connection.execute_fetchall(sql, tuple(params)))

    async def fetch_value(self, sql: str, params: Iterable[Any] = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]
