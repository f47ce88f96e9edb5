"""Online backup of the SQLite file while the bot keeps writing to it (SPEC §8)."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from storage.reports import read_only

# Pages copied per step: small enough for smooth progress, large enough to stay fast.
PAGES_PER_STEP = 1024

Progress = Callable[[int, int], None]


class BackupError(Exception):
    """The backup could not be made or its copy is not sound; the message says why."""


@dataclass(frozen=True)
class BackupReport:
    source: Path
    copy: Path
    pages: int
    source_bytes: int
    copy_bytes: int
    seconds: float


def file_bytes(path: Path) -> int:
    """The database's size on disk, its write-ahead log included."""
    return sum(part.stat().st_size for part in (path, Path(f"{path}-wal")) if part.exists())


def backup(source: Path | str, target: Path | str, progress: Progress | None = None
           ) -> BackupReport:
    """Copy `source` to `target` page by page, then check the copy with integrity_check.

    The copy is written beside the target and renamed into place only once it passed the
    check, so a failed backup never leaves a half-written file under the target's name.
    """
    source, target = Path(source), Path(target)
    if target.is_dir():
        raise BackupError(f"{target} is a folder: give the backup file's name")
    if target.exists() and target.resolve() == source.resolve():
        raise BackupError("the backup must not overwrite the database itself")
    partial = target.with_name(f".{target.name}.partial")
    started = time.perf_counter()
    reader = read_only(source)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        pages, verdict = _copy(reader, partial, progress)
        if verdict != ["ok"]:
            raise BackupError(f"the copy failed integrity_check: {'; '.join(verdict[:5])}")
        _flush(partial)
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as error:
        raise BackupError(f"backup failed: {error}") from error
    finally:
        reader.close()
        partial.unlink(missing_ok=True)
    return BackupReport(source, target, pages, file_bytes(source), target.stat().st_size,
                        time.perf_counter() - started)


def _copy(reader: sqlite3.Connection, partial: Path, progress: Progress | None
          ) -> tuple[int, list[str]]:
    """Copy the database into `partial`; its page count and integrity_check's verdict."""
    # A read transaction held over every step: the bot's commits meanwhile go to the
    # write-ahead log and the copy stays one consistent snapshot. Without it, SQLite restarts a
    # stepped backup after each commit by another connection, and a busy bot (a broadcast
    # commits every 50 ms) would keep it restarting for ever.
    reader.execute("BEGIN")
    try:
        reader.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        copy = sqlite3.connect(partial)
        try:
            reader.backup(copy, pages=PAGES_PER_STEP, progress=_reporting(progress))
            pages = copy.execute("PRAGMA page_count").fetchone()[0]
            if progress is not None:
                progress(pages, pages)
            return pages, [row[0] for row in copy.execute("PRAGMA integrity_check")]
        finally:
            copy.close()
    finally:
        reader.execute("COMMIT")


def _reporting(progress: Progress | None) -> Callable[[int, int, int], None] | None:
    if progress is None:
        return None

    def report(_status: int, remaining: int, total: int) -> None:
        progress(total - remaining, total)

    return report


def _flush(path: Path) -> None:
    """Make the copy durable before it takes the target's name."""
    with path.open("rb") as copy:
        os.fsync(copy.fileno())
