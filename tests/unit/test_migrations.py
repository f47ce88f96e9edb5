"""Storage: pragmas, transactions and numbered migrations."""

from __future__ import annotations

import pytest

from storage.database import Database
from storage.schema import Migration, available, current_version, migrate


@pytest.fixture
async def database(tmp_path):
    database = Database(tmp_path / "sub" / "test.db")
    await database.open()
    yield database
    await database.close()


async def test_connection_pragmas(database: Database) -> None:
    assert await database.fetch_value("PRAGMA journal_mode") == "wal"
    assert await database.fetch_value("PRAGMA synchronous") == 2  # FULL
    assert await database.fetch_value("PRAGMA foreign_keys") == 1
    assert await database.fetch_value("PRAGMA busy_timeout") == 10_000


async def test_migrate_from_empty_then_again_is_a_no_op(database: Database) -> None:
    versions = [migration.version for migration in available()]
    assert await migrate(database) == versions
    assert await current_version(database) == versions[-1]
    tables = {row[0] for row in await database.fetch_all(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"users", "processed_updates", "dialogues"} <= tables
    assert await migrate(database) == []
    assert await current_version(database) == versions[-1]


async def test_each_migration_applies_on_top_of_the_previous_version(database: Database) -> None:
    migrations = available()
    for index, migration in enumerate(migrations):
        assert await migrate(database, migrations[: index + 1]) == [migration.version]
        assert await current_version(database) == migration.version


async def test_delivered_notices_are_forgotten_by_migration_8(database: Database) -> None:
    migrations = available()
    await migrate(database, [m for m in migrations if m.version < 8])
    for kind, status in (("notice", "done"), ("notice", "sending"), ("announcement", "done")):
        await database.execute(
            "INSERT INTO broadcasts (kind, audience, text, status, created_at, not_before) "
            "VALUES (?, 'direct', 'Contact: @helper', ?, '2026-11-01', '2026-11-01')",
            (kind, status))
    await migrate(database, migrations)
    rows = await database.fetch_all("SELECT kind, status, text FROM broadcasts ORDER BY id")
    assert [tuple(row) for row in rows] == [
        ("notice", "done", ""), ("notice", "sending", "Contact: @helper"),
        ("announcement", "done", "Contact: @helper")]


async def test_failing_migration_leaves_the_previous_version(database: Database) -> None:
    migrations = available()
    await migrate(database, migrations)
    version = migrations[-1].version
    broken = Migration(
        version + 1, "broken.sql",
        "CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n",
    )
    with pytest.raises(Exception, match="no such table"):
        await migrate(database, [*migrations, broken])
    assert await current_version(database) == version
    assert await database.fetch_value(
        "SELECT count(*) FROM sqlite_master WHERE name = 'half_done'") == 0


async def test_transaction_rolls_back_on_error_and_nests(database: Database) -> None:
    await migrate(database)
    with pytest.raises(RuntimeError):
        async with database.transaction():
            await database.execute(
                "INSERT INTO users (tg_id, created_at) VALUES (1, '2026-01-01')")
            async with database.transaction():
                await database.execute(
                    "INSERT INTO users (tg_id, created_at) VALUES (2, '2026-01-01')")
            raise RuntimeError("boom")
    assert await database.fetch_value("SELECT count(*) FROM users") == 0
