"""Online backup of the SQLite file while the bot keeps writing to it, encrypted with age for
the recipients given, and its restore into a new database file (SPEC §8)."""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyrage
from pyrage import x25519

from storage.reports import read_only, schema_version
from storage.schema import available

# Pages copied per step: small enough for smooth progress, large enough to stay fast.
PAGES_PER_STEP = 1024

# How every age file starts (age-encryption.org/v1): tells an encrypted backup from a plain one.
AGE_HEADER = b"age-encryption.org/v1\n"

Progress = Callable[[int, int], None]


class BackupError(Exception):
    """The backup could not be made or its copy is not sound; the message says why."""


class RestoreRefused(Exception):
    """Restoring was refused before anything was written; the message says why."""


@dataclass(frozen=True)
class BackupReport:
    source: Path
    copy: Path
    pages: int
    source_bytes: int
    copy_bytes: int
    seconds: float
    recipients: int


@dataclass(frozen=True)
class RestoreReport:
    backup: Path
    database: Path
    encrypted: bool
    schema: int
    newest: int
    seconds: float


def file_bytes(path: Path) -> int:
    """The database's size on disk, its write-ahead log included."""
    return sum(part.stat().st_size for part in (path, Path(f"{path}-wal")) if part.exists())


def backup(source: Path | str, target: Path | str, progress: Progress | None = None, *,
           recipients: Sequence[str] = (), encrypting: Progress | None = None) -> BackupReport:
    """Copy `source` page by page, check the copy with integrity_check, and encrypt it with age
    for `recipients` (public keys, age1…) if any; `encrypting` follows that in bytes.

    The copy and the encrypted file are temporary files beside the target, readable by their
    owner only, and the right one is renamed into place once complete, so a failed backup never
    leaves a half-written file under the target's name, nor a plain copy beside it.
    """
    source, target = Path(source), Path(target)
    if target.is_dir():
        raise BackupError(f"{target} is a folder: give the backup file's name")
    if target.exists() and target.resolve() == source.resolve():
        raise BackupError("the backup must not overwrite the database itself")
    keys = _recipients(recipients)
    started = time.perf_counter()
    reader = read_only(source)
    temporary: list[Path] = []
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        copy = _temporary(target, temporary)
        pages, verdict = _copy(reader, copy, progress)
        if verdict != ["ok"]:
            raise BackupError(f"the copy failed integrity_check: {'; '.join(verdict[:5])}")
        if keys:
            sealed = _temporary(target, temporary)
            with copy.open("rb") as plain, sealed.open("wb") as out:
                pyrage.encrypt_io(_Counted(plain, copy.stat().st_size, encrypting), out, keys)
            copy = sealed
        _flush(copy)
        os.replace(copy, target)
    except (sqlite3.Error, OSError, pyrage.EncryptError) as error:
        raise BackupError(f"backup failed: {error}") from error
    finally:
        reader.close()
        for path in temporary:
            path.unlink(missing_ok=True)
    return BackupReport(source, target, pages, file_bytes(source), target.stat().st_size,
                        time.perf_counter() - started, len(keys))


def restore(backup: Path | str, target: Path | str, identity: Path | str | None = None,
            progress: Progress | None = None) -> RestoreReport:
    """Write the backup (decrypted with the age identities in the file `identity`, or a plain
    one) as the new database `target`, after integrity_check and the schema version's check.

    Never overwrites: the restored file takes the target's name by a hard link, which fails if
    the name exists; a schema newer than this code's is refused, an older one is migrated by
    the bot on start."""
    backup, target = Path(backup), Path(target)
    if not backup.is_file():
        raise RestoreRefused(f"no backup at {backup}")
    if target.exists() or Path(f"{target}-wal").exists():
        raise _present(target)
    identities = _identities(Path(identity)) if identity is not None else []
    started = time.perf_counter()
    temporary: list[Path] = []
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        plain = _temporary(target, temporary)
        with backup.open("rb") as stored, plain.open("wb") as out:
            encrypted = stored.read(len(AGE_HEADER)) == AGE_HEADER
            stored.seek(0)
            reading = _Counted(stored, backup.stat().st_size, progress)
            if encrypted and not identities:
                raise RestoreRefused(f"{backup} is encrypted: give its key file with --identity")
            if encrypted:
                pyrage.decrypt_io(reading, out, identities)
            else:
                shutil.copyfileobj(reading, out)
        _flush(plain)
        schema, newest = _checked(plain), len(available())
        if schema > newest:
            raise RestoreRefused(f"{backup} has schema version {schema}, newer than this "
                                 f"coalition-bot's {newest}: restore it with a newer version")
        try:
            os.link(plain, target)
        except FileExistsError:
            raise _present(target) from None
    except pyrage.DecryptError as error:
        raise RestoreRefused(f"{backup} cannot be decrypted with {identity}: {error}") from None
    except (sqlite3.Error, OSError) as error:
        raise BackupError(f"restore failed: {error}") from error
    finally:
        for path in temporary:
            path.unlink(missing_ok=True)
    return RestoreReport(backup, target, encrypted, schema, newest,
                         time.perf_counter() - started)


def _present(target: Path) -> RestoreRefused:
    return RestoreRefused(f"{target} already exists: restore only writes a new database; "
                          "stop the bot and move that file away first")


def _recipients(keys: Sequence[str]) -> list[x25519.Recipient]:
    recipients = []
    for key in keys:
        try:
            recipients.append(x25519.Recipient.from_str(key.strip()))
        except pyrage.RecipientError:
            raise BackupError(f"{key!r} is not an age public key (age1…)") from None
    return recipients


def _identities(path: Path) -> list[x25519.Identity]:
    """The identities of an age key file, as age-keygen writes it (comments start with #)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        found = [x25519.Identity.from_str(line.strip()) for line in lines
                 if line.strip() and not line.startswith("#")]
    except (OSError, UnicodeDecodeError, pyrage.IdentityError) as error:
        raise RestoreRefused(f"{path} is not an age key file: {error}") from None
    if not found:
        raise RestoreRefused(f"{path} holds no age identity (AGE-SECRET-KEY-1…)")
    return found


def _temporary(beside: Path, made: list[Path]) -> Path:
    """A new empty file in `beside`'s folder, readable by its owner only (mkstemp's 0600),
    noted in `made` so that it is deleted whatever happens."""
    handle, name = tempfile.mkstemp(prefix=f".{beside.name}.", suffix=".partial",
                                    dir=beside.parent)
    os.close(handle)
    made.append(Path(name))
    return Path(name)


def _checked(path: Path) -> int:
    """The schema version of the database at `path`, once it passed integrity_check."""
    connection = sqlite3.connect(path)
    try:
        verdict = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        if verdict != ["ok"]:
            raise BackupError(f"the backup failed integrity_check: {'; '.join(verdict[:5])}")
        return schema_version(connection)
    finally:
        connection.close()


class _Counted(io.RawIOBase):
    """A file read through, telling `progress` how many of its `total` bytes were read."""

    def __init__(self, stream: io.BufferedIOBase, total: int, progress: Progress | None) -> None:
        super().__init__()
        self._stream, self._total, self._progress, self._done = stream, total, progress, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        count = self._stream.readinto(buffer)
        self._done += count
        if self._progress is not None:
            self._progress(self._done, self._total)
        return count


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
