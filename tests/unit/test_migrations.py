"""Storage: pragmas, transactions and numbered migrations."""

from __future__ import annotations

import sqlite3

import pytest

from storage.database import Database, SqliteDatabase
from storage.needs import NeedFilter
from storage.personal import PersonalDataRepository
from storage.schema import Migration, available, current_version, migrate


@pytest.fixture
async def database(tmp_path):
    database = SqliteDatabase(tmp_path / "sub" / "test.db")
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


async def test_migration_11_names_people_in_the_audit_log_by_pseudonym(
    database: Database,
) -> None:
    migrations = available()
    await migrate(database, [m for m in migrations if m.version < 11])
    await database.execute("INSERT INTO users (tg_id, created_at) VALUES (5, '2026-01-01')")
    for actor, target in ((5, "user:5"), (6, "org:1"), (None, "user:6")):
        await database.execute(
            "INSERT INTO audit_log (at, actor_id, action, target) VALUES ('2026-01-02', ?, "
            "'coordinator.grant', ?)", (actor, target))
    await migrate(database, migrations)
    rows = await database.fetch_all(
        "SELECT actor_id, actor_number, target, subject_number FROM audit_log ORDER BY id")
    # 6 had used /forget before the rule: the migration forgets them too.
    assert [tuple(row) for row in rows] == [(5, 1, "user:5", 1), (None, 2, "org:1", None),
                                            (None, None, "", 2)]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        await database.execute("UPDATE audit_entries SET actor = 2")
    with pytest.raises(sqlite3.IntegrityError, match="only forget"):
        await database.execute("UPDATE audit_people SET tg_id = 7 WHERE number = 1")
    with pytest.raises(sqlite3.IntegrityError, match="only forget"):
        await database.execute("DELETE FROM audit_people")
    await database.execute("UPDATE audit_people SET tg_id = NULL WHERE tg_id = 5")
    assert await database.fetch_value("SELECT count(*) FROM audit_log WHERE actor_id = 5") == 0


# Columns that name a person without a foreign key to users.
PERSON_COLUMNS = (("organisation_approvals", "coordinator_id"), ("broadcasts", "approved_by"),
                  ("broadcasts", "status_chat_id"), ("deliveries", "chat_id"),
                  ("audit_people", "tg_id"), ("coordinator_grants", "candidate_id"),
                  ("coordinator_grants", "requested_by"), ("coordinator_grants", "decided_by"))


def _scans(plan: list) -> list[str]:
    """The steps of a query plan that read a whole table."""
    return [row[3] for row in plan if row[3].startswith("SCAN") and " USING " not in row[3]]


async def test_every_column_naming_a_person_is_indexed(database: Database) -> None:
    """A /forget cascade (foreign keys to users) and the lookups of /mydata and /forget
    never read a whole table."""
    await migrate(database)
    columns = list(PERSON_COLUMNS)
    for (table,) in await database.fetch_all(
            "SELECT name FROM sqlite_master WHERE type = 'table'"):
        for key in await database.fetch_all(f"PRAGMA foreign_key_list({table})"):
            if key["table"] == "users":
                columns.append((table, key["from"]))
    assert len(columns) > len(PERSON_COLUMNS) + 10
    for table, column in columns:
        plan = await database.fetch_all(
            f"EXPLAIN QUERY PLAN SELECT 1 FROM {table} WHERE {column} = 5")
        assert "USING" in plan[0][3], f"{table}.{column}: {plan[0][3]}"

    statements: list[str] = []
    await database.connection.raw.set_trace_callback(statements.append)
    personal = PersonalDataRepository(database)
    await personal.export(5)
    await personal.is_last_coordinator(5)
    await personal.forget(5)
    await database.connection.raw.set_trace_callback(None)
    looked_up = [sql for sql in statements if sql.lstrip().upper().startswith(
        ("SELECT", "UPDATE", "DELETE"))]
    assert len(looked_up) > 15
    for sql in looked_up:
        plan = await database.fetch_all(f"EXPLAIN QUERY PLAN {sql}")
        assert _scans(plan) == [], sql


async def test_counting_what_members_see_reads_an_index_only(database: Database) -> None:
    """/needs counts every open need members may see: hiding must not make it read each row."""
    await migrate(database)
    condition, params = NeedFilter().where()
    plan = await database.fetch_all(
        f"EXPLAIN QUERY PLAN SELECT count(*) FROM needs AS n WHERE {condition}", params)
    steps = [row[3] for row in plan]
    assert any("USING INDEX needs_visible" in step or "COVERING INDEX needs_visible" in step
               for step in steps), steps
    assert not any(step.startswith("SCAN n") and "COVERING" not in step for step in steps), steps
