"""Both backends: migrations and their version, the upgrade of today's SQLite files, the
guarantees the repositories rely on (append-only audit log, Telegram ids beyond 32 bits,
re-entrant transactions that roll back whole, independent writes, the person lock)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from storage.audit import AuditRepository
from storage.database import Database, SqliteDatabase
from storage.postgres import PERSON_LOCK, PostgresDatabase, translate, translate_schema
from storage.repositories import Repositories
from storage.schema import available, current_version, migrate
from tests.postgres import drop_database, fresh_database

FIXTURE = Path(__file__).parent.parent / "fixtures" / "schema_13.db"
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
BIG_ID = 4_000_000_001  # Telegram ids no longer fit in 32 bits


@pytest.fixture
async def empty(backend: str, tmp_path, request: pytest.FixtureRequest
                ) -> AsyncIterator[Database]:
    """An open database of the test's backend without any migration applied."""
    if backend == "sqlite":
        database: Database = SqliteDatabase(tmp_path / "empty.db")
        await database.open()
        yield database
        await database.close()
        return
    server = request.getfixturevalue("postgres_server")
    name, url = await fresh_database(server, migrated=False)
    database = PostgresDatabase(url)
    await database.open()
    yield database
    await database.close()
    await drop_database(server, name)


async def test_each_migration_applies_on_top_of_the_previous_version(empty: Database) -> None:
    migrations = available()
    assert await current_version(empty) == 0
    for index, migration in enumerate(migrations):
        assert await migrate(empty, migrations[: index + 1]) == [migration.version]
        assert await current_version(empty) == migration.version
    assert await migrate(empty) == []


async def test_a_failing_migration_leaves_the_previous_version(empty: Database) -> None:
    migrations = available()
    await migrate(empty, migrations)
    broken = type(migrations[0])(
        migrations[-1].version + 1, "broken.sql",
        "CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n")
    with pytest.raises(Exception, match=r"no_such_table|no such table"):
        await migrate(empty, [*migrations, broken])
    assert await current_version(empty) == migrations[-1].version
    with pytest.raises(Exception, match="half_done"):
        await empty.fetch_all("SELECT * FROM half_done")


async def test_migration_17_keeps_the_waiting_list_in_the_order_rows_were_written(
    empty: Database,
) -> None:
    migrations = available()
    await migrate(empty, [m for m in migrations if m.version < 17])
    async with empty.transaction() as connection:
        await connection.executemany(
            "INSERT INTO users (tg_id, created_at) VALUES (?, '2026-01-01')",
            [(tg_id,) for tg_id in (1, 7, 3, 5)])
        await connection.execute(
            "INSERT INTO organisations (id, name, name_key, country, created_at) "
            "VALUES (1, 'Memorial', 'memorial', 'DE', '2026-01-01')")
        await connection.execute(
            "INSERT INTO events (id, org_id, title, description, kind, starts_at, timezone, "
            "country, city, venue, disclosure, capacity, created_at, updated_at) VALUES (1, 1, "
            "'Vigil', '', 'rally', '2026-12-01', 'UTC', 'DE', 'Berlin', 'Square', 'public', 1, "
            "'2026-01-01', '2026-01-01')")
        # Waiting since the same second: the order they were written in decides.
        await connection.executemany(
            "INSERT INTO rsvps (event_id, tg_id, answer, answered_at) VALUES (1, ?, ?, ?)",
            [(1, "going", "2026-11-01"), (7, "waiting", "2026-11-02"),
             (3, "waiting", "2026-11-02"), (5, "waiting", "2026-11-01T23:00")])
    await migrate(empty, migrations)
    events = Repositories(empty).events
    assert await events.first_waiting(1) == 5
    assert [await events.waiting_position(1, tg_id) for tg_id in (5, 7, 3)] == [1, 2, 3]
    await events.set_answer(1, 7, "maybe", NOW)
    await events.set_answer(1, 7, "waiting", NOW)
    assert [await events.waiting_position(1, tg_id) for tg_id in (5, 3, 7)] == [1, 2, 3]


@pytest.mark.usefixtures("backend")
async def test_the_audit_log_is_append_only_and_names_people_by_pseudonym(
    database: Database,
) -> None:
    audit = AuditRepository(database)
    await audit.record(900, "org.approve", "org:1", NOW)
    await audit.record(900, "coordinator.grant", f"user:{BIG_ID}", NOW)
    with pytest.raises(Exception, match="append-only"):
        await database.execute("UPDATE audit_log SET actor_id = 6")
    with pytest.raises(Exception, match="append-only"):
        await database.execute("DELETE FROM audit_entries")
    with pytest.raises(Exception, match="only forget"):
        await database.execute("DELETE FROM audit_people")
    rows = await database.fetch_all(
        "SELECT actor_id, actor_number, target, subject_number FROM audit_log ORDER BY id")
    assert [tuple(row) for row in rows] == [(900, 1, "org:1", None),
                                            (900, 1, f"user:{BIG_ID}", 2)]


@pytest.mark.usefixtures("backend")
async def test_transactions_nest_and_roll_back_whole_with_the_attached_write(
    database: Database,
) -> None:
    database.attach("INSERT INTO processed_updates (update_id, processed_at) VALUES (?, ?)",
                    (7, "2026-11-30"))
    with pytest.raises(RuntimeError):
        async with database.transaction():
            await database.execute(
                "INSERT INTO users (tg_id, created_at) VALUES (?, '2026-01-01')", (BIG_ID,))
            async with database.transaction():
                await database.execute(
                    "INSERT INTO users (tg_id, created_at) VALUES (2, '2026-01-01')")
            raise RuntimeError("boom")
    assert await database.fetch_value("SELECT count(*) FROM users") == 0
    assert await database.fetch_value("SELECT count(*) FROM processed_updates") == 0
    # The attached write went back to wait for the next transaction, and commits with it.
    result = await database.execute(
        "INSERT INTO users (tg_id, created_at) VALUES (?, '2026-01-01') RETURNING tg_id",
        (BIG_ID,))
    assert (result.rowcount, result.value) == (1, BIG_ID)
    assert await database.fetch_value("SELECT update_id FROM processed_updates") == 7


@pytest.mark.usefixtures("backend")
async def test_an_independent_write_is_part_of_a_transaction_it_is_made_in(
    database: Database,
) -> None:
    flood = "INSERT INTO flood_windows (tg_id, seen, last_at) VALUES (?, '', '2026-11-30')"
    with pytest.raises(RuntimeError):
        async with database.transaction():
            await database.execute_independent(flood, (1,))
            raise RuntimeError("boom")
    assert await database.fetch_value("SELECT count(*) FROM flood_windows") == 0
    await database.execute_independent(flood, (2,))
    assert await database.fetch_value("SELECT tg_id FROM flood_windows") == 2


async def _while_a_writer_waits(database: Database, write) -> None:
    """Run `write` while another task holds a write transaction open."""
    inside, done = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with database.transaction():
            inside.set()
            await done.wait()

    holder = asyncio.create_task(writer())
    await inside.wait()
    try:
        await asyncio.wait_for(write(), 5)
    finally:
        done.set()
        await holder


async def test_independent_writes_on_postgresql_do_not_wait_for_the_writer_lock(
    postgres_server: str,
) -> None:
    """A person's flood window and an update's id need no place in the order of write
    transactions: they commit while another transaction holds the writer lock (one round trip
    instead of three), where any other write waits for it."""
    name, url = await fresh_database(postgres_server)
    database = PostgresDatabase(url)
    await database.open()
    try:
        await _while_a_writer_waits(database, lambda: database.execute_independent(
            "INSERT INTO flood_windows (tg_id, seen, last_at) VALUES (1, '', '2026-11-30')"))

        async def settle() -> None:
            database.attach("INSERT INTO processed_updates (update_id, processed_at) "
                            "VALUES (7, '2026-11-30')")
            await database.flush()

        await _while_a_writer_waits(database, settle)
        with pytest.raises(TimeoutError):
            await _while_a_writer_waits(database, lambda: database.execute(
                "INSERT INTO users (tg_id, created_at) VALUES (6, '2026-01-01')"))
        assert await database.fetch_value("SELECT count(*) FROM flood_windows") == 1
        assert await database.fetch_value("SELECT count(*) FROM processed_updates") == 1
    finally:
        await database.close()
        await drop_database(postgres_server, name)


@pytest.mark.parametrize("backend", ["postgres"])
async def test_an_update_under_a_person_lock_runs_on_the_lock_s_connection(
    backend: str, database: Database,
) -> None:
    """No trip back to the pool between an update's statements: reads, independent writes and
    transactions made under the person's lock all run on its connection; other tasks do not."""
    pid = "SELECT pg_backend_pid()"
    assert isinstance(database, PostgresDatabase)
    async with database.person(1):
        lock_holder = await database.fetch_value(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = ?",
            (PERSON_LOCK,))
        async with database.transaction() as connection:
            (in_transaction,), = await connection.fetch_all(pid)
        written = await database.execute_independent(
            "INSERT INTO flood_windows (tg_id, seen, last_at) VALUES (1, '', '2026-11-30') "
            "RETURNING pg_backend_pid()")
        elsewhere = await asyncio.create_task(database.fetch_value(pid))
        assert {await database.fetch_value(pid), in_transaction, written.value} == {lock_holder}
        assert elsewhere != lock_holder


async def test_a_person_lock_is_never_left_behind_in_the_pool(
    postgres_server: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Connections go back to the pool without asyncpg's reset query (a round trip each), so a
    person lock whose release failed must not stay with its connection: that connection is
    closed, which releases it."""
    name, url = await fresh_database(postgres_server)
    database = PostgresDatabase(url, pool_size=1)
    await database.open()
    other = await asyncpg.connect(url)

    async def taken_elsewhere() -> bool:
        taken = await other.fetchval("SELECT pg_try_advisory_lock($1, hashtext('42'))",
                                     PERSON_LOCK)
        if taken:
            await other.execute("SELECT pg_advisory_unlock($1, hashtext('42'))", PERSON_LOCK)
        return not taken

    try:
        async with database.person(42):
            assert await taken_elsewhere()
        assert not await taken_elsewhere()

        execute = asyncpg.connection.Connection.execute

        async def failing_unlock(connection, query, *args, **kwargs):
            if "pg_advisory_unlock" in query:
                raise ConnectionError("the network went away")
            return await execute(connection, query, *args, **kwargs)

        monkeypatch.setattr(asyncpg.connection.Connection, "execute", failing_unlock)
        with pytest.raises(ConnectionError):
            async with database.person(42):
                pass
        monkeypatch.undo()
        # Its connection was closed: the lock is released as soon as the server notices.
        await asyncio.wait_for(other.execute(
            "SELECT pg_advisory_lock($1, hashtext('42'))", PERSON_LOCK), 5)
        # The pool's one connection was replaced and works.
        assert await database.fetch_value("SELECT 1") == 1
    finally:
        await other.close()
        await database.close()
        await drop_database(postgres_server, name)


async def test_a_sqlite_file_of_schema_13_upgrades_in_place_with_its_rows(tmp_path) -> None:
    """tests/fixtures/schema_13.db was written by the code before the PostgreSQL backend
    (commit c925f14: its migrations and repositories)."""
    path = tmp_path / "old.db"
    shutil.copy(FIXTURE, path)
    database = SqliteDatabase(path)
    await database.open()
    try:
        assert await current_version(database) == 13
        assert await migrate(database) == [m.version for m in available() if m.version > 13]
        repos = Repositories(database, "en")
        user = await repos.users.get(BIG_ID)
        assert user is not None and user.client_language == "ru"
        need = await repos.needs.get(1)
        assert need is not None
        assert (need.title, need.org_name) == ("Lawyer for a prisoner", "Memorial Berlin")
        entries = await AuditRepository(database).latest(10)
        assert [(e.actor_id, e.action, e.target) for e in entries] == [
            (900, "coordinator.grant", f"user:{BIG_ID}"), (900, "org.approve", "org:1")]
        # New rows follow the old ones.
        await AuditRepository(database).record(900, "org.suspend", "org:1", NOW)
        assert (await AuditRepository(database).latest(1))[0].id == 3
    finally:
        await database.close()


def test_statements_are_translated_once_into_postgresql() -> None:
    assert translate("INSERT OR IGNORE INTO t (a) VALUES (?) RETURNING id") == (
        "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id", ())
    assert translate("UPDATE t SET a = :now WHERE b IS NOT c AND d = '?'") == (
        "UPDATE t SET a = $1 WHERE b IS DISTINCT FROM c AND d = '?'", ("now",))
    assert translate("SELECT ?1 = a OR ?1 = b AND ? = c") == (
        "SELECT $1 = a OR $1 = b AND $2 = c", ())
    assert translate("SELECT 1") is translate("SELECT 1")  # cached per statement text
    script = translate_schema(
        "CREATE TABLE x (id INTEGER PRIMARY KEY, tg_id INTEGER, t TEXT CHECK (t GLOB '[0-9]*'));")
    assert script == ('CREATE TABLE x (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, '
                      'tg_id BIGINT, t TEXT COLLATE "C" CHECK (t SIMILAR TO \'[0-9]%\'));\n')
    with pytest.raises(ValueError, match=r"\.postgres\.sql"):
        translate_schema("CREATE VIEW v AS SELECT 1;")
