"""`coalition-bot check` against a healthy sandbox set-up, and against each problem it reports
(issue 18 item 2): one line each, exit status 0 only if all are ok."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from bot.sandbox.server import BotApiServer
from storage.database import SqliteDatabase
from storage.schema import available, migrate
from storage.timestamps import stored
from storage.users import UserRepository
from tests.e2e.test_processes import _environment, _start
from tests.e2e.test_startup import corrupt_database

COORDINATOR = 900


async def _prepared(tmp_path, *, started: tuple[int, ...] = (COORDINATOR,)) -> None:
    """The database `run` would have left: migrated, the coordinator has started the bot."""
    database = SqliteDatabase(tmp_path / "run.db")
    await database.open()
    try:
        await migrate(database)
        for tg_id in started:
            await UserRepository(database).ensure(tg_id, datetime.now(UTC))
    finally:
        await database.close()


async def _check(environment: dict[str, str]) -> tuple[int, dict[str, str]]:
    process = await _start("check", env=environment)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert "Traceback" not in stderr.decode(), stderr.decode()
    lines = {}
    for line in stdout.decode().splitlines():
        topic, _, rest = line.partition(":")
        lines[topic] = " ".join(rest.split())
    return process.returncode, lines


def _environment_for(server: BotApiServer, tmp_path, **variables: str) -> dict[str, str]:
    return {**_environment(server, tmp_path), "COORDINATOR_IDS": str(COORDINATOR), **variables}


async def test_a_healthy_set_up_is_all_ok(server: BotApiServer, tmp_path):
    await _prepared(tmp_path)
    status, lines = await _check(_environment_for(server, tmp_path))
    assert lines == {
        "settings": "ok valid",
        "database": f"ok {tmp_path}/run.db reachable",
        "integrity": "ok integrity check passed",
        "migrations": f"ok schema version {len(available())}, up to date",
        "coordinators": "ok all 1 in COORDINATOR_IDS started the bot",
        "delivery queue": "ok nothing waiting",
        "telegram": "ok reachable, the token is valid: @coalition_sandbox_bot",
        "webhook": "ok none set, polling (pending updates: 0)",
    }
    assert status == 0


async def test_a_bad_setting(server, tmp_path):
    status, lines = await _check(_environment_for(server, tmp_path, BROADCAST_RATE="0"))
    assert status == 1
    assert lines == {"settings": "problem BROADCAST_RATE: invalid value, a number of messages "
                                 "per second above 0 and at most 1000"}


async def test_no_database_yet(server, tmp_path):
    status, lines = await _check(_environment_for(server, tmp_path))
    assert status == 1
    assert lines["database"] == (f"problem {tmp_path}/run.db does not exist — `coalition-bot "
                                 "migrate` creates it")
    assert not (tmp_path / "run.db").exists()


async def test_a_file_that_is_not_a_database(server, tmp_path):
    (tmp_path / "run.db").write_text("notes\n" * 1000)
    status, lines = await _check(_environment_for(server, tmp_path))
    assert status == 1
    assert lines["database"] == (f"problem {tmp_path}/run.db is not a SQLite database (file is "
                                 "not a database) — check DATABASE_PATH, or restore a backup")


async def test_a_failed_integrity_check(server, tmp_path):
    corrupt_database(tmp_path / "run.db")
    status, lines = await _check(_environment_for(server, tmp_path))
    assert status == 1
    assert lines["integrity"] == (f"problem {tmp_path}/run.db failed its integrity check (row 1 "
                                  "missing from index i) — stop the bot and restore the latest "
                                  "backup")


async def test_migrations_not_applied(server, tmp_path):
    await _prepared(tmp_path)
    connection = sqlite3.connect(tmp_path / "run.db")
    connection.execute(f"PRAGMA user_version = {len(available()) - 1}")
    connection.close()
    status, lines = await _check(_environment_for(server, tmp_path))
    assert status == 1
    assert lines["migrations"] == (f"problem schema version {len(available()) - 1} of "
                                   f"{len(available())} — run `coalition-bot migrate`")


async def test_a_coordinator_who_never_started_the_bot(server, tmp_path):
    await _prepared(tmp_path)
    status, lines = await _check(_environment_for(server, tmp_path,
                                                  COORDINATOR_IDS=f"{COORDINATOR},901"))
    assert status == 1
    assert lines["coordinators"] == ("problem 901 in COORDINATOR_IDS never started the bot — "
                                     "each should send it /start")


async def test_an_old_unsent_message_in_the_delivery_queue(server, tmp_path):
    await _prepared(tmp_path)
    # 25 min and a few seconds: the check starts within the next 50 s.
    due = datetime.now(UTC) - timedelta(minutes=25, seconds=5)
    connection = sqlite3.connect(tmp_path / "run.db")
    broadcast = connection.execute(
        "INSERT INTO broadcasts (kind, audience, text, status, created_at, not_before, total) "
        "VALUES ('announcement', 'all', 'Hello', 'sending', ?, ?, 1) RETURNING id",
        (stored(due), stored(due))).fetchone()[0]
    connection.execute("INSERT INTO deliveries (broadcast_id, chat_id, next_attempt_at) "
                       "VALUES (?, ?, ?)", (broadcast, COORDINATOR, stored(due)))
    connection.commit()
    connection.close()
    status, lines = await _check(_environment_for(server, tmp_path))
    assert status == 1
    assert lines["delivery queue"] == ("problem the oldest unsent message waits for 25 min — is "
                                       "a sender running (`run`, `coalition-bot sender`)?")


@pytest.mark.parametrize("answer, line", [
    (401, "problem the token was refused by Telegram — check TELEGRAM_BOT_TOKEN"),
    (None, "problem Telegram is unreachable at {url} (httpx.ConnectError: All connection "
           "attempts failed), tried for 0 s — check the network, firewall or proxy, and "
           "TELEGRAM_API_BASE_URL"),
])
async def test_telegram_refusing_the_token_or_unreachable(server, tmp_path, answer, line):
    await _prepared(tmp_path)
    environment = _environment_for(server, tmp_path)
    if answer is None:
        await server.stop()
    else:
        server.inject_error("getMe", error_code=answer, description="Unauthorized", times=None)
    status, lines = await _check(environment)
    assert status == 1
    assert lines["telegram"] == line.format(url=environment["TELEGRAM_API_BASE_URL"])
    if answer is None:
        await server.start()


async def test_a_webhook_set_while_polling(server, tmp_path):
    await _prepared(tmp_path)
    server.webhook_url = "https://old.example.org/hook"
    status, lines = await _check(_environment_for(server, tmp_path))
    assert status == 1
    assert lines["webhook"] == ("problem set to https://old.example.org/hook (pending updates: 0) "
                                "while WEBHOOK_URL is unset — `run` polls and deletes it on "
                                "start; set WEBHOOK_URL for `run --webhook`")


async def test_no_webhook_in_webhook_mode(server, tmp_path):
    await _prepared(tmp_path)
    status, lines = await _check(_environment_for(
        server, tmp_path, WEBHOOK_URL="https://bot.example.org/telegram"))
    assert status == 1
    assert lines["webhook"] == ("problem Telegram posts to no webhook, WEBHOOK_URL is "
                                "https://bot.example.org/telegram — `run --webhook` sets it on "
                                "start")


async def test_a_webhook_whose_posts_fail(server, tmp_path):
    await _prepared(tmp_path)
    server.webhook_url = "https://bot.example.org/telegram"
    server.webhook_last_error = "Connection refused"
    server.add_user(4242, first_name="Alice", language_code="en")
    server.user_sends(4242, "/start")
    status, lines = await _check(_environment_for(
        server, tmp_path, WEBHOOK_URL="https://bot.example.org/telegram"))
    assert status == 1
    assert lines["webhook"].startswith("problem set to https://bot.example.org/telegram (pending "
                                       "updates: 1), last error at ")
    assert lines["webhook"].endswith(" UTC: Connection refused")
