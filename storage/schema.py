"""Numbered SQL migrations in storage/migrations/, tracked per backend (SQLite's PRAGMA
user_version, PostgreSQL's schema_version table)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from storage.database import Database

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str
    # The migration in PostgreSQL's words, when storage.postgres cannot translate `sql`.
    postgres_sql: str | None = None


def available() -> list[Migration]:
    """Every migration shipped with the package, in version order."""
    found = []
    folder = resources.files("storage.migrations")
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            override = folder / entry.name.replace(".sql", ".postgres.sql")
            found.append(Migration(
                int(match.group(1)), entry.name, entry.read_text("utf-8"),
                override.read_text("utf-8") if override.is_file() else None))
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return found


async def current_version(database: Database) -> int:
    return await database.schema_version()


async def migrate(database: Database, migrations: list[Migration] | None = None) -> list[int]:
    """Apply the pending migrations, each in its own transaction; return the versions applied.

    The version is read again inside each transaction, so that two processes starting at once
    apply each migration once."""
    applied = []
    for migration in migrations if migrations is not None else available():
        async with database.transaction() as connection:
            if migration.version <= await database.schema_version():
                continue
            await database.run_migration(connection, migration.sql, migration.postgres_sql,
                                         migration.version)
        applied.append(migration.version)
    return applied
