"""The backend the settings choose."""

from __future__ import annotations

from pathlib import Path

from storage.database import Database, SqliteDatabase
from storage.postgres import PostgresDatabase


def open_database(*, path: Path | str, url: str | None = None) -> Database:
    """PostgreSQL when a `postgresql://` URL is given, otherwise SQLite at `path`."""
    return PostgresDatabase(url) if url else SqliteDatabase(path)
