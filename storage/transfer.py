"""Moving a SQLite database into an empty PostgreSQL one (`coalition-bot copy-to-postgres`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from graphlib import TopologicalSorter
from typing import Any

from storage.postgres import PostgresDatabase
from storage.schema import migrate

# Rows read from SQLite at a time: memory stays flat whatever the size of a table.
BATCH = 1000
# SQLite keeps a value as it came (an integer in a REAL column, say); PostgreSQL's binary COPY
# takes only the column's own Python type.
_TYPES: dict[str, Callable[[Any], Any]] = {
    "bigint": int, "integer": int, "double precision": float, "text": str}


class TargetNotEmpty(Exception):
    """The PostgreSQL database already holds a schema or rows: nothing was copied."""


@dataclass(frozen=True)
class Copied:
    table: str
    rows: int


def tables(source: sqlite3.Connection) -> list[str]:
    """The source's tables, each after the tables its foreign keys point to."""
    names = [row[0] for row in source.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    order = TopologicalSorter({name: {row[2] for row in source.execute(
        f"PRAGMA foreign_key_list({name})")} - {name} for name in names})
    return list(order.static_order())


def _count(source: sqlite3.Connection, table: str) -> int:
    return source.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _rows(cursor: sqlite3.Cursor, converters: list[Callable[[Any], Any]],
          read: Callable[[int], None]) -> Iterator[tuple]:
    """The cursor's rows converted, telling `read` how many after each batch."""
    while batch := cursor.fetchmany(BATCH):
        for row in batch:
            yield tuple(None if value is None else convert(value)
                        for convert, value in zip(converters, row, strict=True))
        read(len(batch))


async def copy_to_postgres(source: sqlite3.Connection, target: PostgresDatabase,
                           progress: Callable[[int, int], None] | None = None) -> list[Copied]:
    """Migrate the empty `target` and copy every table of `source` (read in one snapshot, at
    the schema version of this code) into it, in one transaction: all of it, or nothing;
    `progress` follows the rows copied of all tables. Raises TargetNotEmpty, or RuntimeError
    if a table's row counts differ."""
    async with target.transaction() as connection:
        raw = connection.raw
        present = await raw.fetch(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_name <> 'schema_version'")
        if present or await target.schema_version():
            names = ", ".join(sorted(row[0] for row in present)[:3]) or "schema_version"
            raise TargetNotEmpty(f"the target database is not empty ({names}…): "
                                 "copy-to-postgres only copies into an empty database")
        await migrate(target)
        copied_tables = tables(source)
        # Rows the migrations seeded (send_slots) give way to the source's.
        await raw.execute(f"TRUNCATE {', '.join(copied_tables)}")
        total = sum(_count(source, table) for table in copied_tables)
        done = 0

        def read(rows: int) -> None:
            nonlocal done
            done += rows
            if progress is not None:
                progress(done, total)

        report = []
        for table in copied_tables:
            # Generated columns (hidden 2 and 3) are computed again by PostgreSQL.
            columns = [row[1] for row in source.execute(f"PRAGMA table_xinfo({table})")
                       if row[6] == 0]
            types = dict(await raw.fetch(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = $1", table))
            cursor = source.execute(f"SELECT {', '.join(columns)} FROM {table}")
            await raw.copy_records_to_table(
                table, columns=columns,
                records=_rows(cursor, [_TYPES[types[column]] for column in columns], read))
            rows = _count(source, table)
            landed = await raw.fetchval(f"SELECT count(*) FROM {table}")
            if landed != rows:
                raise RuntimeError(f"{table}: {rows} rows in SQLite, {landed} in PostgreSQL")
            report.append(Copied(table, rows))
        # The next id each identity column gives follows the copied ones.
        for table, column in await raw.fetch(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND is_identity = 'YES' "
                "AND table_name <> 'schema_version'"):
            await raw.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                f"coalesce(max({column}), 0) + 1, false) FROM {table}")
    return report
