"""Encrypted backups end to end: a coalition written by the bot, `coalition-bot backup
--recipient` and `restore --identity` as real processes with their output to pipes (as under
cron): the rows come back equal, the file holds none of the stored texts, refusals explain."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

from pyrage import x25519

from tests.e2e.orgs import organiser
from tests.e2e.test_needs import _post
from tests.harness import BotUnderTest

ROOT = Path(__file__).parent.parent.parent
TITLE = "Lawyer for the Kestrel appeal"
PRIVATE = "Safe flat: Vogelweide 17, ring twice"


async def _command(*args: str, database: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *map(str, args), cwd=ROOT,
        env={**os.environ, "DATABASE_PATH": str(database), "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    return process.returncode, out.decode(), err.decode()


def _rows(path: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(path) as db:
        names = [row[0] for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {name: sorted(map(tuple, db.execute(f"SELECT * FROM {name}")), key=repr)
                for name in names}


def _names(folder: Path) -> list[str]:
    """What a folder holds: no temporary file, no plain copy left behind."""
    return sorted(path.name for path in folder.iterdir())


def _keys(tmp_path: Path, name: str) -> tuple[str, Path]:
    identity = x25519.Identity.generate()
    key_file = tmp_path / f"{name}.key"
    key_file.write_text(f"# public key: {identity.to_public()}\n{identity}\n")
    return str(identity.to_public()), key_file


async def test_encrypted_backup_restores_equal_and_hides_every_stored_text(
    bot: BotUnderTest, tmp_path: Path
) -> None:
    olga = await organiser(bot)
    await _post(olga, title=TITLE, private=PRIVATE)
    database = bot.services.settings.database_path
    before = _rows(database)
    assert any(TITLE in repr(row) for row in before["needs"])
    public, key_file = _keys(tmp_path, "coordinator")
    other, _ = _keys(tmp_path, "second")
    backup = tmp_path / "backups" / "coalition.db.age"

    status, out, err = await _command("backup", backup, "--recipient", public,
                                      "--recipient", other, database=database)
    assert (status, err) == (0, ""), err
    assert out.startswith("backup ok:") and "encrypted for 2 recipients" in out
    assert out.count("\n") == 1 and "\r" not in out
    sealed = backup.read_bytes()
    assert sealed.startswith(b"age-encryption.org/v1\n")
    for stored in (TITLE, PRIVATE, str(olga.tg_id), "SQLite format"):
        assert stored.encode() not in sealed, stored
    assert _names(backup.parent) == ["coalition.db.age"]

    target = tmp_path / "restored" / "coalition.db"
    status, out, err = await _command("restore", backup, "--identity", key_file,
                                      database=target)
    assert (status, err) == (0, ""), err
    assert out.startswith(f"restore ok: {backup} (encrypted) -> {target}, integrity_check ok")
    assert out.count("\n") == 1 and "\r" not in out
    assert _names(target.parent) == ["coalition.db"]
    assert _rows(target) == before


async def test_restore_refuses_a_wrong_key_an_existing_database_and_a_missing_key(
    bot: BotUnderTest, tmp_path: Path
) -> None:
    database = bot.services.settings.database_path
    public, key_file = _keys(tmp_path, "right")
    _, wrong = _keys(tmp_path, "wrong")
    backup = tmp_path / "coalition.db.age"
    assert (await _command("backup", backup, "--recipient", public, database=database))[0] == 0
    target = tmp_path / "new" / "coalition.db"

    status, out, err = await _command("restore", backup, "--identity", wrong, database=target)
    assert (status, out) == (2, "")
    assert err == f"coalition-bot: {backup} cannot be decrypted with {wrong}: " \
                  "No matching keys found\n"
    status, out, err = await _command("restore", backup, database=target)
    assert (status, err) == (2, f"coalition-bot: {backup} is encrypted: give its key file "
                                "with --identity\n")
    assert _names(target.parent) == []

    status, out, err = await _command("restore", backup, "--identity", key_file,
                                      database=database)
    assert (status, out) == (2, "")
    assert err == (f"coalition-bot: {database} already exists: restore only writes a new "
                   "database; stop the bot and move that file away first\n")
    assert "Traceback" not in err


async def test_backup_without_a_recipient_warns_and_restores_plain(
    bot: BotUnderTest, tmp_path: Path
) -> None:
    database = bot.services.settings.database_path
    backup = tmp_path / "plain.db"
    status, out, err = await _command("backup", backup, database=database)
    assert status == 0 and out.startswith("backup ok:")
    assert err == (f"coalition-bot: warning: {backup} will not be encrypted: whoever gets the "
                   "file can read everything in it; give --recipient AGE_PUBLIC_KEY to "
                   "encrypt it\n")
    assert backup.stat().st_mode & 0o077 == 0
    target = tmp_path / "restored.db"
    status, out, err = await _command("restore", backup, database=target)
    assert (status, err) == (0, ""), err
    assert "(plain)" in out
    assert _rows(target) == _rows(database)


async def test_a_backup_newer_than_the_code_is_refused(bot: BotUnderTest, tmp_path: Path):
    backup = tmp_path / "future.db"
    status, _out, _err = await _command("backup", backup,
                                        database=bot.services.settings.database_path)
    assert status == 0
    db = sqlite3.connect(backup)
    version = db.execute("PRAGMA user_version").fetchone()[0]
    db.execute(f"PRAGMA user_version = {version + 1}")
    db.close()
    target = tmp_path / "restored" / "coalition.db"
    status, _out, err = await _command("restore", backup, database=target)
    assert status == 2 and f"schema version {version + 1}, newer than" in err
    assert _names(target.parent) == []
