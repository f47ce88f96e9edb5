"""What can stop the bot before it runs, said in one plain line with its exit status (SPEC §8).

Every check `run`, `sender` and `migrate` make before they start, and that `coalition-bot check`
reports, raises StartupFailure, whose message names what failed and what to do; `main` prints
it as one line on standard error and exits with its status. The traceback only goes to the
log, at debug level. The exit statuses are documented in README and docs/deployment.md.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from urllib.parse import parse_qs, urlsplit

import asyncpg
from telegram import Bot, User, WebhookInfo
from telegram.error import BadRequest, Conflict, InvalidToken, NetworkError

from bot.infra.config import Settings
from storage.backend import open_database
from storage.database import Database
from storage.health import integrity_problems
from storage.schema import available, migrate

log = logging.getLogger("coalition.startup")

# It may pass by itself (Telegram or the database server unreachable, another process
# polling): systemd's Restart=on-failure tries again.
EXIT_UNAVAILABLE = 1
# A setting must change first: a bad setting, the token refused, the database login refused.
EXIT_SETTINGS = 2
# The database needs an operator: its folder, a file that is not a database, a failed
# integrity check, a schema newer than this version of the bot.
EXIT_DATABASE = 3

FIRST_RETRY = 1.0
LAST_RETRY = 60.0

TOKEN_REFUSED = "the token was refused by Telegram — check TELEGRAM_BOT_TOKEN"


class StartupFailure(Exception):
    """The bot cannot start; the message says what failed and what to do."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def unexpected(error: BaseException) -> StartupFailure:
    """Any other failure before the bot runs: still one line, its traceback in the log."""
    log.debug("start-up failed", exc_info=error)
    return StartupFailure(f"{type(error).__name__}: {error} (the log at debug level has the "
                          "details)", EXIT_UNAVAILABLE)


def database_name(settings: Settings) -> str:
    """The database as an operator knows it, without the password of DATABASE_URL."""
    if settings.database_url:
        parts = urlsplit(settings.database_url)
        # A Unix socket's folder comes as ?host=…; the query may hold the password too.
        host = parts.hostname or parse_qs(parts.query).get("host", ["localhost"])[0]
        return f"PostgreSQL database {parts.path.lstrip('/')} on {host}:{parts.port or 5432}"
    return str(settings.database_path)


async def open_checked(settings: Settings) -> Database:
    """The database, open; closed again and StartupFailure if it cannot be opened."""
    database = open_database(path=settings.database_path, url=settings.database_url)
    name = database_name(settings)
    try:
        await database.open()
    except Exception as error:
        log.debug("opening %s failed", name, exc_info=error)
        await database.close()
        raise _database_failure(settings, name, error) from None
    return database


def _database_failure(settings: Settings, name: str, error: Exception) -> StartupFailure:
    if settings.database_url:
        if isinstance(error, asyncpg.InvalidAuthorizationSpecificationError):
            return StartupFailure(f"the database server refused the login to {name} ({error}) — "
                                  "check the user and password in DATABASE_URL", EXIT_SETTINGS)
        if isinstance(error, asyncpg.InvalidCatalogNameError):
            return StartupFailure(f"{name} does not exist ({error}) — create it, or check the "
                                  "database name in DATABASE_URL", EXIT_SETTINGS)
        return StartupFailure(f"cannot reach the database server, {name} ({error}) — check "
                              "that PostgreSQL runs and DATABASE_URL", EXIT_UNAVAILABLE)
    if isinstance(error, OSError | sqlite3.OperationalError):
        return StartupFailure(
            f"cannot create or write the database {name} ({error}) — check DATABASE_PATH and "
            "that the user running the bot may write to its folder", EXIT_DATABASE)
    if isinstance(error, sqlite3.DatabaseError):
        return StartupFailure(f"{name} is not a SQLite database ({error}) — check "
                              "DATABASE_PATH, or restore a backup", EXIT_DATABASE)
    return unexpected(error)


async def check_integrity(settings: Settings, database: Database) -> None:
    problems = await integrity_problems(database)
    if problems:
        raise StartupFailure(
            f"{database_name(settings)} failed its integrity check ({problems[0]}) — stop the "
            "bot and restore the latest backup", EXIT_DATABASE)


async def check_schema(settings: Settings, database: Database) -> int:
    """The schema version; StartupFailure if it is newer than this code knows."""
    version, known = await database.schema_version(), len(available())
    if version > known:
        raise StartupFailure(
            f"{database_name(settings)} has schema version {version}, newer than this "
            f"coalition-bot's {known} — run the version that migrated it, or restore a backup "
            "made before that upgrade", EXIT_DATABASE)
    return version


async def prepare_database(settings: Settings) -> tuple[list[int], int]:
    """Before `run`, `sender` and `migrate`: the database opens, is whole and not too new;
    then it is migrated. The migrations applied, and the schema version."""
    database = await open_checked(settings)
    try:
        await check_integrity(settings, database)
        await check_schema(settings, database)
        return await migrate(database), await database.schema_version()
    finally:
        await database.close()


def telegram_bot(settings: Settings) -> Bot:
    return Bot(settings.token(), base_url=settings.telegram_api_base_url,
               base_file_url=settings.file_base_url)


async def reach_telegram(settings: Settings, bot: Bot, retry_seconds: float) -> User:
    """getMe, tried again with back-off (1 s doubling to 60 s) for `retry_seconds` while
    Telegram cannot be reached; a refused token is final at once."""
    url = settings.telegram_api_base_url
    deadline = time.monotonic() + retry_seconds
    pause = FIRST_RETRY
    while True:
        try:
            return await bot.get_me()
        except InvalidToken:
            raise StartupFailure(TOKEN_REFUSED, EXIT_SETTINGS) from None
        except NetworkError as error:
            if isinstance(error, BadRequest):
                raise
            log.debug("getMe failed", exc_info=error)
            left = deadline - time.monotonic()
            if left <= 0:
                raise StartupFailure(
                    f"Telegram is unreachable at {url} ({error}), tried for "
                    f"{retry_seconds:g} s — check the network, firewall or proxy, and "
                    "TELEGRAM_API_BASE_URL", EXIT_UNAVAILABLE) from None
            wait = min(pause, left)
            log.warning("Telegram is unreachable at %s (%s); trying again in %.1f s",
                        url, error, wait)
            await asyncio.sleep(wait)
            pause = min(pause * 2, LAST_RETRY)


async def prepare_polling(bot: Bot) -> None:
    """Polling needs no webhook (Telegram refuses getUpdates while one is set) and no other
    process polling with the same token."""
    info: WebhookInfo = await bot.get_webhook_info()
    if info.url:
        log.warning("a webhook is set (%s) but `run` polls: deleting it now "
                    "(start with `run --webhook` to keep it)", info.url)
        await bot.delete_webhook()
    try:
        await bot.get_updates(limit=1, timeout=0)
    except Conflict as error:
        log.debug("getUpdates failed", exc_info=error)
        if "webhook" in str(error).lower():
            raise StartupFailure(
                "a webhook was set again for this token (409 Conflict) — another deployment "
                "uses it in webhook mode: stop it, or start this one with `run --webhook`",
                EXIT_UNAVAILABLE) from None
        raise StartupFailure(
            "another process is polling Telegram with this token (409 Conflict) — stop the "
            "other `coalition-bot run`, or give each bot its own token", EXIT_UNAVAILABLE) \
            from None


async def before_start(
    settings: Settings, *, telegram: bool, polling: bool = False
) -> tuple[list[int], int]:
    """Everything that can stop `run` (`telegram`, `polling`), `sender` (`telegram`) and
    `migrate` before they start, in that order: database, Telegram, polling. The migrations
    applied, and the schema version."""
    migrated = await prepare_database(settings)
    if not telegram:
        return migrated
    bot = telegram_bot(settings)
    try:
        user = await reach_telegram(settings, bot, settings.startup_retry_seconds)
        log.info("Telegram reached at %s as @%s", settings.telegram_api_base_url,
                 user.username)
        if polling:
            await prepare_polling(bot)
    finally:
        await bot.shutdown()
    return migrated
