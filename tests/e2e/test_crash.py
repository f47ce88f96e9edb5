"""`coalition-bot run` killed with SIGKILL mid-broadcast, restarted: nobody is skipped."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
from collections import Counter
from datetime import UTC, datetime

from bot.infra.delivery import window
from bot.sandbox.server import BotApiServer

RECIPIENTS = 2000
COORDINATOR = 5000
RATE = 400
TEXT = "Returning the Names: readings start at noon in every city"


def _seed(database) -> None:
    """2,000 members as a long-running bot would have them."""
    now = datetime(2026, 11, 29, tzinfo=UTC).isoformat()
    with sqlite3.connect(database) as connection:
        connection.executemany(
            "INSERT INTO users (tg_id, client_language, created_at) VALUES (?, 'en', ?)",
            [(tg_id, now) for tg_id in range(1, RECIPIENTS + 1)])


async def _bot_process(environment: dict[str, str]):
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=environment,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)


def _delivered(log_path) -> Counter:
    counts: Counter = Counter()
    with open(log_path, encoding="utf-8") as log:
        for line in log:
            record = json.loads(line)
            if record["method"] == "sendMessage" and record["text"] == TEXT:
                counts[record["chat_id"]] += 1
    return counts


async def _reply(server: BotApiServer, after: int):
    return await server.wait_for(lambda: next((
        r for r in server.outbox[after:] if r.chat_id == COORDINATOR), None), timeout=60)


async def test_sigkill_mid_broadcast_then_restart_skips_nobody(tmp_path) -> None:
    log_path = tmp_path / "sent.jsonl"
    server = BotApiServer(log_path=log_path)
    await server.start()
    for tg_id in [*range(1, RECIPIENTS + 1), COORDINATOR]:
        server.add_user(tg_id, first_name="M", username=None, language_code="en")
    database = tmp_path / "crash.db"
    environment = {
        "PATH": os.environ["PATH"], "HOME": str(tmp_path), "NO_PROXY": "127.0.0.1",
        "TELEGRAM_BOT_TOKEN": server.token, "TELEGRAM_API_BASE_URL": server.base_url,
        "DATABASE_PATH": str(database), "COORDINATOR_IDS": str(COORDINATOR),
        "BROADCAST_RATE": str(RATE), "BROADCAST_CANCEL_WINDOW": "0",
    }
    migrate = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "migrate", env=environment,
        stdout=asyncio.subprocess.DEVNULL)
    assert await migrate.wait() == 0
    _seed(database)
    first = await _bot_process(environment)
    try:
        for action in ("/announce", TEXT, "everyone", "~skip", "~pub"):
            mark = len(server.outbox)
            if action.startswith("/") or action == TEXT:
                server.user_sends(COORDINATOR, action)
            else:
                question = next(r for r in reversed(server.outbox)
                                if r.chat_id == COORDINATOR and r.reply_markup)
                step = next(button["callback_data"] for row in question.reply_markup[
                    "inline_keyboard"] for button in row if button["callback_data"].endswith(
                        f":{action}"))
                server.user_presses(COORDINATOR, question.message_id, step)
            await _reply(server, mark)
        await server.wait_for(lambda: sum(_delivered(log_path).values()) >= 500, timeout=60)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        at_kill = _delivered(log_path)
        assert 500 <= sum(at_kill.values()) < RECIPIENTS
        second = await _bot_process(environment)
        try:
            await server.wait_for(lambda: len(_delivered(log_path)) == RECIPIENTS + 1,
                                  timeout=60)
        finally:
            second.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(second.communicate(), 60)
        assert second.returncode == 0, stderr.decode()[-2000:]
    finally:
        if first.returncode is None:
            first.kill()
        await server.stop()
    delivered = _delivered(log_path)
    assert set(delivered) == {*range(1, RECIPIENTS + 1), COORDINATOR}
    duplicates = sum(delivered.values()) - len(delivered)
    assert duplicates <= window(RATE)
    with sqlite3.connect(database) as connection:
        status, sent, resent = connection.execute(
            "SELECT status, sent, resent FROM broadcasts WHERE kind = 'announcement'").fetchone()
    assert (status, sent) == ("done", RECIPIENTS + 1)
    assert duplicates <= resent
