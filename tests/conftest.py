"""Fixtures: the sandbox server, the real bot polling it, a hand-moved clock."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ["PTB_TIMEDELTA"] = "1"

from bot.app.application import build_application, polling
from bot.infra.config import Settings, load_settings
from bot.sandbox.server import BotApiServer
from storage.database import Database, SqliteDatabase
from storage.postgres import PostgresDatabase
from storage.schema import migrate
from tests.harness import BotUnderTest, FakeClock
from tests.postgres import drop_database, fresh_database, postgres_server

__all__ = ["postgres_server"]  # a session fixture, imported to be found

COORDINATOR_ID = 900


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """No developer's .env or exported variables leak into a test."""
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "COORDINATOR_", "BROADCAST", "DATABASE_", "DEFAULT_",
                            "WEBHOOK_", "ORG_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))


@pytest.fixture
async def server() -> AsyncIterator[BotApiServer]:
    server = BotApiServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """Runs a test on both backends: storage tests request it, and end-to-end modules opt in
    with `pytestmark = pytest.mark.usefixtures("backend")`."""
    return request.param


@pytest.fixture
async def database_url(request: pytest.FixtureRequest) -> AsyncIterator[str | None]:
    """A fresh migrated PostgreSQL database when the test runs on that backend, else None."""
    if "backend" not in request.fixturenames or request.getfixturevalue("backend") != "postgres":
        yield None
        return
    server_url = request.getfixturevalue("postgres_server")
    name, url = await fresh_database(server_url)
    yield url
    await drop_database(server_url, name)


@pytest.fixture
async def database(database_url: str | None, tmp_path) -> AsyncIterator[Database]:
    """An open, migrated database of the test's backend."""
    opened = (PostgresDatabase(database_url) if database_url
              else SqliteDatabase(tmp_path / "storage.db"))
    await opened.open()
    await migrate(opened)
    yield opened
    await opened.close()


@pytest.fixture
def make_settings(server: BotApiServer, tmp_path,
                  database_url: str | None) -> Callable[..., Settings]:
    def make(**overrides: object) -> Settings:
        values = {
            "telegram_bot_token": SecretStr(server.token),
            "telegram_api_base_url": server.base_url,
            "database_path": tmp_path / "bot.db",
            "database_url": database_url,
            "coordinator_ids": frozenset({COORDINATOR_ID}),
            **overrides,
        }
        return load_settings(**values)

    return make


@pytest.fixture
async def bot(server: BotApiServer, make_settings, clock: FakeClock) -> AsyncIterator[BotUnderTest]:
    """The bot with default settings; tests needing others build their own with `running_bot`."""
    async with running_bot(server, make_settings(), clock) as under_test:
        yield under_test


@asynccontextmanager
async def running_bot(
    server: BotApiServer, settings: Settings, clock: FakeClock
) -> AsyncIterator[BotUnderTest]:
    server.add_user(COORDINATOR_ID, first_name="Coordinator", language_code="en")
    application = build_application(settings, clock)
    async with polling(application):
        yield BotUnderTest(server, application, clock)
