"""Start-up failures of the real process end in one plain line and a documented exit status,
never a traceback (SPEC §8, issue 18): Telegram unreachable, the token refused, another poller,
a webhook left set, and each way the database can be wrong."""

from __future__ import annotations

import asyncio
import signal
import sqlite3

import pytest

from bot.app.startup import EXIT_DATABASE, EXIT_SETTINGS, EXIT_UNAVAILABLE, TOKEN_REFUSED
from bot.sandbox.server import BotApiServer
from tests.e2e.test_processes import _environment, _start


async def _fails(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """Run a command that must stop by itself: its status, last line of stderr, and stderr."""
    process = await _start(*args, env=env)
    _stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    log = stderr.decode()
    assert "Traceback" not in log, log
    return process.returncode, log.strip().splitlines()[-1], log


async def test_telegram_unreachable_is_retried_with_back_off_then_exit_1(tmp_path):
    silent = BotApiServer()
    await silent.start()
    environment = {**_environment(silent, tmp_path), "STARTUP_RETRY_SECONDS": "2.5"}
    await silent.stop()  # nothing listens on its port any more
    status, line, log = await _fails("run", env=environment)
    assert status == EXIT_UNAVAILABLE == 1
    url = environment["TELEGRAM_API_BASE_URL"]
    assert line == (f"coalition-bot: Telegram is unreachable at {url} (httpx.ConnectError: "
                    "All connection attempts failed), tried for 2.5 s — check the network, "
                    "firewall or proxy, and TELEGRAM_API_BASE_URL")
    assert f"Telegram is unreachable at {url} (httpx.ConnectError: All connection attempts " \
           "failed); trying again in 1.0 s" in log
    assert log.count("; trying again in ") == 2  # after 1 s, then until the deadline


@pytest.mark.parametrize("command", ["run", "sender"])
async def test_a_refused_token_exits_2_at_once(server: BotApiServer, tmp_path, command):
    server.inject_error("getMe", error_code=401, description="Unauthorized", times=None)
    status, line, _log = await _fails(command, env=_environment(server, tmp_path))
    assert status == EXIT_SETTINGS == 2
    assert line == f"coalition-bot: {TOKEN_REFUSED}"
    assert line == ("coalition-bot: the token was refused by Telegram — check "
                    "TELEGRAM_BOT_TOKEN")
    assert server.request_count["getMe"] == 1  # no retry


@pytest.mark.parametrize(("conflict", "said"), [
    pytest.param(
        "Conflict: terminated by other getUpdates request; make sure that only one bot "
        "instance is running",
        "coalition-bot: another process is polling Telegram with this token (409 Conflict) — "
        "stop the other `coalition-bot run`, or give each bot its own token",
        id="another process polling"),
    pytest.param(
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
        "delete the webhook first",
        "coalition-bot: a webhook was set again for this token (409 Conflict) — another "
        "deployment uses it in webhook mode: stop it, or start this one with `run --webhook`",
        id="a webhook set again while polling"),
])
async def test_a_409_conflict_while_polling_exits_1_saying_which(
        server: BotApiServer, tmp_path, conflict: str, said: str):
    server.inject_error("getUpdates", error_code=409, times=None, description=conflict)
    status, line, _log = await _fails("run", env=_environment(server, tmp_path))
    assert status == EXIT_UNAVAILABLE
    assert line == said


async def test_a_webhook_left_set_is_deleted_when_run_polls_and_the_log_says_so(
        server: BotApiServer, tmp_path):
    server.webhook_url = "https://old.example.org/hook"
    server.add_user(4242, first_name="Alice", language_code="en")
    process = await _start("run", env=_environment(server, tmp_path))
    try:
        server.user_sends(4242, "/start")
        await server.wait_for(
            lambda: next((r for r in server.outbox if r.chat_id == 4242), None), timeout=60)
    finally:
        process.send_signal(signal.SIGTERM)
        _stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0
    assert server.webhook_url == ""
    assert ("a webhook is set (https://old.example.org/hook) but `run` polls: deleting it now "
            "(start with `run --webhook` to keep it)") in stderr.decode()


async def test_a_database_folder_that_cannot_be_created_exits_3(server, tmp_path):
    (tmp_path / "file").write_text("not a folder")
    environment = {**_environment(server, tmp_path),
                   "DATABASE_PATH": str(tmp_path / "file" / "data" / "bot.db")}
    status, line, _log = await _fails("run", env=environment)
    assert status == EXIT_DATABASE == 3
    assert line == (f"coalition-bot: cannot create or write the database {tmp_path}/file/data/"
                    f"bot.db ([Errno 20] Not a directory: '{tmp_path}/file/data') — check "
                    "DATABASE_PATH and that the user running the bot may write to its folder")


@pytest.mark.parametrize("command", ["run", "migrate"])
async def test_a_file_that_is_not_a_database_exits_3(server, tmp_path, command):
    environment = _environment(server, tmp_path)
    (tmp_path / "run.db").write_text("these are notes, not a database\n" * 100)
    status, line, _log = await _fails(command, env=environment)
    assert status == EXIT_DATABASE
    assert line == (f"coalition-bot: {tmp_path}/run.db is not a SQLite database (file is not "
                    "a database) — check DATABASE_PATH, or restore a backup")


def corrupt_database(path) -> None:
    """A database whose index no longer matches its table: PRAGMA integrity_check fails."""
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE t (a, b)")
    connection.execute("CREATE INDEX i ON t (a)")
    connection.execute("INSERT INTO t VALUES (1, 2)")
    connection.commit()
    connection.execute("PRAGMA writable_schema = ON")
    connection.execute("UPDATE sqlite_master SET sql = 'CREATE INDEX i ON t (b)' "
                       "WHERE name = 'i'")
    connection.commit()
    connection.close()


async def test_a_failed_integrity_check_exits_3(server, tmp_path):
    environment = _environment(server, tmp_path)
    corrupt_database(tmp_path / "run.db")
    status, line, _log = await _fails("run", env=environment)
    assert status == EXIT_DATABASE
    assert line == (f"coalition-bot: {tmp_path}/run.db failed its integrity check (row 1 "
                    "missing from index i) — stop the bot and restore the latest backup")


async def test_a_schema_newer_than_the_code_exits_3(server, tmp_path):
    from storage.schema import available

    environment = _environment(server, tmp_path)
    connection = sqlite3.connect(tmp_path / "run.db")
    connection.execute(f"PRAGMA user_version = {len(available()) + 1}")
    connection.close()
    status, line, _log = await _fails("run", env=environment)
    assert status == EXIT_DATABASE
    assert line == (f"coalition-bot: {tmp_path}/run.db has schema version "
                    f"{len(available()) + 1}, newer than this coalition-bot's "
                    f"{len(available())} — run the version that migrated it, or restore a "
                    "backup made before that upgrade")


async def test_a_postgresql_server_not_listening_exits_1(server, tmp_path):
    silent = BotApiServer()
    await silent.start()
    port = silent.port
    await silent.stop()
    environment = {**_environment(server, tmp_path),
                   "DATABASE_URL": f"postgresql://bot:secret-word@127.0.0.1:{port}/coalition"}
    status, line, log = await _fails("run", env=environment)
    assert status == EXIT_UNAVAILABLE
    assert line == (f"coalition-bot: cannot reach the database server, PostgreSQL database "
                    f"coalition on 127.0.0.1:{port} ([Errno 111] Connect call failed ('127.0.0.1', "
                    f"{port})) — check that PostgreSQL runs and DATABASE_URL")
    assert "secret-word" not in log


async def test_a_postgresql_login_refused_exits_2(server, tmp_path, postgres_server):
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(postgres_server)
    url = urlunsplit(parts._replace(netloc=f"nobody:secret-word@{parts.netloc.rpartition('@')[2]}"))
    environment = {**_environment(server, tmp_path), "DATABASE_URL": url}
    status, line, log = await _fails("run", env=environment)
    assert status == EXIT_SETTINGS
    assert line.startswith("coalition-bot: the database server refused the login to PostgreSQL "
                           "database postgres on ")
    assert line.endswith(' (role "nobody" does not exist) — check the user and password in '
                         "DATABASE_URL")
    assert "secret-word" not in log
