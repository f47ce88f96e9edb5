"""Crash safety: kill -9 the sender mid-broadcast; a restart finishes it and skips no one."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections import Counter
from pathlib import Path

from bot.infra.delivery import window
from bot.sandbox.server import DEFAULT_TOKEN
from storage.database import SqliteDatabase
from storage.deliveries import DeliveryRepository
from tests.e2e.delivery_runner import MEMBERS

RUNNER = Path(__file__).with_name("delivery_runner.py")
RATE = 400
KILL_AFTER = 500


def _sent_chats(log: Path) -> list[int]:
    if not log.exists():
        return []
    lines = log.read_text("utf-8").splitlines(keepends=True)
    return [json.loads(line)["chat_id"] for line in lines if line.endswith("\n")]


async def _wait_for_sends(log: Path, count: int) -> None:
    # Another process writes the log: there is nothing to wait on but the file itself.
    while len(_sent_chats(log)) < count:  # noqa: ASYNC110
        await asyncio.sleep(0.02)


async def test_a_killed_sender_resumes_without_skipping_anyone(tmp_path: Path) -> None:
    log, database_path = tmp_path / "sent.jsonl", tmp_path / "crash.db"
    env = {
        **{name: value for name, value in os.environ.items()
           if name in ("PATH", "HOME", "PYTHONPATH")},
        "NO_PROXY": "127.0.0.1,localhost",
        "PTB_TIMEDELTA": "1",
        "BROADCAST_RATE": str(RATE),
    }
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.sandbox.cli", "--port", "0", "--log", str(log),
        "--users", f"1-{MEMBERS}", stdout=asyncio.subprocess.PIPE, env=env,
    )
    try:
        ready = await asyncio.wait_for(server.stdout.readline(), 30)
        port = int(ready.split()[1])
        arguments = (sys.executable, str(RUNNER), str(database_path),
                     f"http://127.0.0.1:{port}/bot", DEFAULT_TOKEN)
        with (tmp_path / "first.log").open("w") as first_log:
            first = await asyncio.create_subprocess_exec(*arguments, env=env, stderr=first_log)
            async with asyncio.timeout(30):
                await _wait_for_sends(log, KILL_AFTER)
            first.kill()
            await first.wait()
        sent_before_restart = len(_sent_chats(log))
        assert sent_before_restart < MEMBERS
        with (tmp_path / "second.log").open("w") as second_log:
            second = await asyncio.create_subprocess_exec(*arguments, env=env, stderr=second_log)
            assert await asyncio.wait_for(second.wait(), 60) == 0, (
                (tmp_path / "second.log").read_text())
    finally:
        server.terminate()
        await server.wait()

    received = Counter(_sent_chats(log))
    assert set(received) == set(range(1, MEMBERS + 1))
    duplicates = sum(received.values()) - MEMBERS
    # Only sends in flight or accepted but not yet recorded can go out twice, and the queue
    # never has more of those than its window.
    assert duplicates <= window(RATE)
    database = SqliteDatabase(database_path)
    await database.open()
    try:
        broadcast = (await DeliveryRepository(database).recent(limit=1))[0]
    finally:
        await database.close()
    assert (broadcast.status, broadcast.sent, broadcast.blocked, broadcast.failed) == (
        "done", MEMBERS, 0, 0)
    assert duplicates <= broadcast.resent
    print(f"killed after {sent_before_restart} sends: {duplicates} duplicates, "
          f"{broadcast.resent} rows counted as resent, bound {window(RATE)}")
