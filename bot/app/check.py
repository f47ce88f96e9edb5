"""`coalition-bot check`: is everything set up right? One line each, ok or problem (SPEC §8).

Each line asks what `run` would find, through the same start-up checks (bot.app.startup), once
and without waiting: exit status 0 only if every line is ok, so that monitoring can run it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.app.startup import (
    StartupFailure,
    check_integrity,
    check_schema,
    database_name,
    open_checked,
    reach_telegram,
    telegram_bot,
)
from bot.infra.clock import SystemClock
from bot.infra.config import Settings, SettingsError
from storage.database import Database
from storage.health import never_started, oldest_unsent
from storage.schema import available

# A message that waited longer than this to be sent means no sender is sending.
STALE_QUEUE = timedelta(minutes=10)


@dataclass(frozen=True)
class Finding:
    topic: str
    ok: bool
    text: str

    def __str__(self) -> str:
        return f"{self.topic + ':':<16}{'ok' if self.ok else 'problem':<9}{self.text}"


async def check(settings: Settings) -> list[Finding]:
    """Every finding, the database's first, then Telegram's."""
    findings = [Finding("settings", True, "valid")]
    findings += await _database(settings)
    findings += await _telegram(settings)
    return findings


async def _database(settings: Settings) -> list[Finding]:
    if not settings.database_url and not settings.database_path.exists():
        return [Finding("database", False, f"{settings.database_path} does not exist — "
                                           "`coalition-bot migrate` creates it")]
    try:
        database = await open_checked(settings)
    except StartupFailure as failure:
        return [Finding("database", False, str(failure))]
    try:
        findings = [Finding("database", True, f"{database_name(settings)} reachable")]
        try:
            await check_integrity(settings, database)
        except StartupFailure as failure:
            return [*findings, Finding("integrity", False, str(failure))]
        findings.append(Finding("integrity", True, "integrity check passed"))
        findings.append(await _migrations(settings, database))
        if not findings[-1].ok:
            return findings
        return [*findings, await _coordinators(settings, database), await _queue(database)]
    finally:
        await database.close()


async def _migrations(settings: Settings, database: Database) -> Finding:
    try:
        version = await check_schema(settings, database)
    except StartupFailure as failure:
        return Finding("migrations", False, str(failure))
    known = len(available())
    if version < known:
        return Finding("migrations", False, f"schema version {version} of {known} — run "
                                            "`coalition-bot migrate`")
    return Finding("migrations", True, f"schema version {version}, up to date")


async def _coordinators(settings: Settings, database: Database) -> Finding:
    if not settings.coordinator_ids:
        return Finding("coordinators", True, "none in COORDINATOR_IDS")
    missing = await never_started(database, settings.coordinator_ids)
    if missing:
        return Finding("coordinators", False, f"{', '.join(map(str, missing))} in "
                       "COORDINATOR_IDS never started the bot — each should send it /start")
    return Finding("coordinators", True,
                   f"all {len(settings.coordinator_ids)} in COORDINATOR_IDS started the bot")


async def _queue(database: Database) -> Finding:
    due = await oldest_unsent(database)
    if due is None:
        return Finding("delivery queue", True, "nothing waiting")
    waiting = SystemClock().now() - due
    minutes = max(0, int(waiting.total_seconds() // 60))
    if waiting > STALE_QUEUE:
        return Finding("delivery queue", False, f"the oldest unsent message waits for "
                       f"{minutes} min — is a sender running (`run`, `coalition-bot sender`)?")
    return Finding("delivery queue", True, f"the oldest unsent message waits for {minutes} min")


async def _telegram(settings: Settings) -> list[Finding]:
    try:
        bot = telegram_bot(settings)
    except SettingsError as error:
        return [Finding("telegram", False, str(error))]
    try:
        try:
            user = await reach_telegram(settings, bot, retry_seconds=0)
        except StartupFailure as failure:
            return [Finding("telegram", False, str(failure))]
        info = await bot.get_webhook_info()
    finally:
        await bot.shutdown()
    findings = [Finding("telegram", True, f"reachable, the token is valid: @{user.username}")]
    pending = f"pending updates: {info.pending_update_count}"
    if not settings.webhook_url:
        if info.url:
            return [*findings, Finding(
                "webhook", False, f"set to {info.url} ({pending}) while WEBHOOK_URL is unset — "
                "`run` polls and deletes it on start; set WEBHOOK_URL for `run --webhook`")]
        return [*findings, Finding("webhook", True, f"none set, polling ({pending})")]
    if info.url != settings.webhook_url:
        return [*findings, Finding(
            "webhook", False, f"Telegram posts to {info.url or 'no webhook'}, WEBHOOK_URL is "
            f"{settings.webhook_url} — `run --webhook` sets it on start")]
    if info.last_error_message:
        return [*findings, Finding(
            "webhook", False, f"set to {info.url} ({pending}), last error at "
            f"{info.last_error_date:%Y-%m-%d %H:%M} UTC: {info.last_error_message}")]
    return [*findings, Finding("webhook", True, f"set to {info.url} ({pending})")]
