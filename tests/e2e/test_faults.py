"""Fault test: eight writers at once for a minute — handlers, the sender, the scheduler and
other processes — and not one "database is locked"."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from pathlib import Path

from tests.conftest import running_bot
from tests.harness import BotUnderTest

SECONDS = 60
PROCESSES = 4
RECIPIENTS = range(10_001, 13_001)
WRITER = Path(__file__).with_name("writer.py")


class Locked(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage() + (str(record.exc_info[1]) if record.exc_info else "")
        if "locked" in text or "busy" in text.lower():
            self.seen.append(text[:200])


async def _handlers(bot: BotUnderTest, deadline: float) -> int:
    """People changing their settings: each answer is a write."""
    people = [bot.person("en") for _ in range(3)]
    count = 0
    while time.monotonic() < deadline:
        for person in people:
            await person.send("/settings")
            await person.press("City")
            await person.send(f"Berlin {'ABCDEFGHIJ'[count % 10]}")
            count += 1
    return count


async def _broadcasts(bot: BotUnderTest, deadline: float) -> int:
    """The sender recording outcomes, broadcast after broadcast."""
    count = 0
    while time.monotonic() < deadline:
        broadcast_id = await bot.services.delivery.enqueue(
            kind="announcement", text="Fault test", recipients=RECIPIENTS)
        await bot.services.delivery.finished(broadcast_id)
        count += 1
    return count


async def _scheduler(bot: BotUnderTest, deadline: float) -> int:
    """The recurring jobs, run as often as they can be."""
    jobs = [bot.application.job_queue.get_jobs_by_name(name)[0]
            for name in ("needs-housekeeping", "event-dues")]
    count = 0
    while time.monotonic() < deadline:
        for job in jobs:
            await job.run(bot.application)
        await bot.services.repos.updates.prune(bot.clock.now())
        count += 1
        await asyncio.sleep(0)
    return count


async def test_eight_writers_for_a_minute_never_lock(server, make_settings, clock) -> None:
    settings = make_settings(broadcast_rate=1000)
    for tg_id in RECIPIENTS:
        server.add_user(tg_id, first_name="R", username=None)
    locked = Locked()
    logging.getLogger().addHandler(locked)
    try:
        async with running_bot(server, settings, clock) as bot:
            database = bot.services.database
            async with database.transaction():
                await database.connection.executemany(
                    "INSERT INTO users (tg_id, created_at) VALUES (?, '2026-11-29')",
                    [(tg_id,) for tg_id in RECIPIENTS])
            deadline = time.monotonic() + SECONDS
            environment = {"PATH": os.environ["PATH"],
                           "PYTHONPATH": str(Path(__file__).parents[2])}
            writers = [await asyncio.create_subprocess_exec(
                sys.executable, str(WRITER), str(settings.database_path), str(SECONDS),
                f"process-{number}", stdout=asyncio.subprocess.PIPE, env=environment)
                for number in range(PROCESSES)]
            handled, broadcasts, ticks = await asyncio.gather(
                _handlers(bot, deadline), _broadcasts(bot, deadline), _scheduler(bot, deadline))
            outputs = [await process.communicate() for process in writers]
            codes = [process.returncode for process in writers]
            assert codes == [0] * PROCESSES, [out.decode() for out, _ in outputs]
            written = await database.fetch_value(
                "SELECT count(*) FROM audit_log WHERE action = 'fault.write'")
            assert written > 0
            assert handled > 0 and broadcasts > 0 and ticks > 0
            assert await database.fetch_value("PRAGMA integrity_check") == "ok"
    finally:
        logging.getLogger().removeHandler(locked)
    assert locked.seen == []
