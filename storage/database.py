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
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._connection: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task | None = None

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
        async with self._lock:
            connection = self.connection
            await connection.execute("BEGIN IMMEDIATE")
            self._owner = asyncio.current_task()
            try:
                yield connection
            except BaseException:
                await connection.execute("ROLLBACK")
                raise
            else:
                await connection.execute("COMMIT")
            finally:
                self._owner = None

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
        round trips to aiosqlite's thread that BEGIN and COMMIT would cost.
        """
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
