"""End to end: a coalition's SQLite database, written by the bot, moved to PostgreSQL with
`coalition-bot copy-to-postgres` (a real process), then read there through the repositories;
refusals leave the target as it was."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.app.cli import main
from storage.database import Database, SqliteDatabase
from storage.postgres import PostgresDatabase
from storage.repositories import Repositories
from storage.schema import available, migrate
from storage.transfer import tables
from tests.conftest import COORDINATOR_ID
from tests.e2e.orgs import organiser
from tests.e2e.test_events import _event_id, _open_card, _register
from tests.e2e.test_needs import _post
from tests.harness import BotUnderTest
from tests.postgres import drop_database, fresh_database

ROOT = Path(__file__).parent.parent.parent


async def _contents(database: Database, names: list[str]) -> dict[str, list[tuple]]:
    return {name: sorted((tuple(row) for row in await database.fetch_all(
        f"SELECT * FROM {name}")), key=repr) for name in names}


async def _copy(path: Path, url: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "copy-to-postgres", url, cwd=ROOT,
        env={**os.environ, "DATABASE_PATH": str(path), "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    return process.returncode, out.decode(), err.decode()


async def test_a_coalition_moves_to_postgresql_whole_and_reads_the_same_there(
    bot: BotUnderTest, postgres_server: str,
) -> None:
    olga = await organiser(bot)
    helper, waiting = bot.person("en"), bot.person("ru")
    await helper.send("/settings")
    await helper.press("Alerts")
    await helper.press("⚖️ Legal")
    await _post(olga, urgency="Critical")
    await bot.server.wait_for(lambda: any("critical need" in (r.text or "")
                                          for r in helper.received()))
    await _register(olga, capacity="1")
    event_id = await _event_id(bot, "Returning the Names — Berlin")
    await helper.press("Going", (await _open_card(helper, event_id)).last)
    await waiting.press("Иду", (await _open_card(waiting, event_id)).last)
    await bot.services.coordinators.grant(COORDINATOR_ID, helper.tg_id)
    await olga.send("/neednew")  # a dialogue left half-way
    source = bot.services.database
    names = [row[0] for row in await source.fetch_all(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    before = await _contents(source, names)
    for table in ("needs", "events", "rsvps", "deliveries", "audit_entries", "dialogues"):
        assert before[table], table

    name, url = await fresh_database(postgres_server, migrated=False)
    try:
        status, out, err = await _copy(bot.services.settings.database_path, url)
        assert (status, err) == (0, ""), err
        lines = out.splitlines()
        assert [line.split()[0] for line in lines] == [*tables(_connect(bot)), "total"]
        assert {line.split()[0]: int(line.split()[1].replace(",", "")) for line in lines} == {
            **{table: len(rows) for table, rows in before.items()},
            "total": sum(map(len, before.values()))}

        target = PostgresDatabase(url)
        await target.open()
        try:
            assert await _contents(target, names) == before
            assert await target.schema_version() == len(available())
            there, here = Repositories(target), bot.services.repos
            assert await there.events.get(event_id) == await here.events.get(event_id)
            assert await there.events.waiting_position(event_id, waiting.tg_id) == 1
            need_id = before["needs"][0][0]
            assert await there.needs.get(need_id) == await here.needs.get(need_id)
            assert await there.dialogues.get(olga.tg_id) == await here.dialogues.get(olga.tg_id)
            assert await there.audit.latest(10) == await here.audit.latest(10)
            broadcast_id = before["broadcasts"][-1][0]
            assert await there.deliveries.get(broadcast_id) == await here.deliveries.get(
                broadcast_id)
            # The identities go on after the copied ids (a broadcast's, its deliveries').
            assert await there.deliveries.create(
                kind="notice", text="Moved", recipients=[helper.tg_id, waiting.tg_id],
                now=bot.clock.now()) == max(row[0] for row in before["broadcasts"]) + 1
            copied = await _contents(target, names)
        finally:
            await target.close()

        # Again: refused, and the target keeps what it holds.
        status, out, err = await _copy(bot.services.settings.database_path, url)
        assert (status, out) == (2, "")
        assert err == (
            "coalition-bot: the target database is not empty (audit_entries, audit_log, "
            "audit_people…): copy-to-postgres only copies into an empty database\n")
        check = PostgresDatabase(url)
        await check.open()
        try:
            assert await _contents(check, names) == copied
        finally:
            await check.close()
    finally:
        await drop_database(postgres_server, name)


def _connect(bot: BotUnderTest) -> sqlite3.Connection:
    return sqlite3.connect(bot.services.settings.database_path)


def test_a_database_not_at_this_schema_is_refused_and_the_target_left_empty(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture,
    postgres_server: str,
) -> None:
    path = tmp_path / "old.db"
    monkeypatch.setenv("DATABASE_PATH", str(path))

    async def older() -> None:
        database = SqliteDatabase(path)
        await database.open()
        await migrate(database, available()[:-1])
        await database.close()

    asyncio.run(older())
    name, url = asyncio.run(fresh_database(postgres_server, migrated=False))
    try:
        assert main(["copy-to-postgres", url]) == 2
        assert capsys.readouterr().err == (
            f"coalition-bot: {path} has schema version {len(available()) - 1}, this "
            f"coalition-bot expects {len(available())}: run `coalition-bot migrate` first\n")
        assert main(["copy-to-postgres", str(tmp_path / "not-a-url.db")]) == 2
        assert "is not a postgresql:// URL" in capsys.readouterr().err

        async def tables_there() -> int:
            database = PostgresDatabase(url)
            await database.open()
            try:
                return await database.fetch_value(
                    "SELECT count(*) FROM information_schema.tables "
                    "WHERE table_schema = current_schema() AND table_name <> 'schema_version'")
            finally:
                await database.close()

        assert asyncio.run(tables_there()) == 0
    finally:
        asyncio.run(drop_database(postgres_server, name))
