"""Sender workers as real processes (`python -m bot sender`, `run --senders 1`) on one database:
nobody missed or sent twice, a SIGKILLed sender loses nothing, one message a second to a chat."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from itertools import pairwise
from pathlib import Path

import pytest

from bot.infra.delivery import CATCH_UP
from bot.infra.i18n import texts
from bot.sandbox.server import BotApiServer
from storage.backend import open_database
from storage.database import Database
from storage.deliveries import DeliveryRepository
from storage.schema import migrate
from tests.conftest import COORDINATOR_ID
from tests.harness import button_data

RATE = 1000
MEMBERS = 2000
# A person's reply held back this long (Telegram slow to take it), HOLDS times: less than the
# delivery queue's CATCH_UP, so a sender on schedule gives way all along; sends already in
# flight when the update began have the first SETTLE of it to arrive. One LONG_HOLD outlasts
# what pacing can make up for.
HOLD = CATCH_UP * 0.8
HOLDS = 8
SETTLE = 0.01
LONG_HOLD = 0.6
CREATED = "2026-11-01T00:00:00+00:00"


def _environment(server: BotApiServer, database_path: Path, url: str | None = None,
                 **extra: str) -> dict[str, str]:
    return {
        **{name: value for name, value in os.environ.items() if name in ("PATH", "HOME", "PYTHONPATH")},  # noqa: E501
        "NO_PROXY": "127.0.0.1,localhost",
        "PTB_TIMEDELTA": "1",
        "TELEGRAM_BOT_TOKEN": server.token,
        "TELEGRAM_API_BASE_URL": server.base_url,
        "DATABASE_PATH": str(database_path),
        "BROADCAST_RATE": str(RATE),
        **({"DATABASE_URL": url} if url else {}),
        **extra,
    }


async def _start(env: dict[str, str], log: Path, *args: str) -> asyncio.subprocess.Process:
    with log.open("w") as stream:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, stdin=asyncio.subprocess.DEVNULL,
            stdout=stream, stderr=stream, env=env)


async def _until(check: Callable[[], Awaitable[object]], timeout: float,  # noqa: ASYNC109
                 interval: float) -> None:
    """Until `check()` is truthy. Other processes change what it looks at (the database, their
    logs): nothing here can wake this loop, so it looks again every `interval`."""
    async with asyncio.timeout(timeout):
        while not await check():  # noqa: ASYNC110
            await asyncio.sleep(interval)


async def _up(logs: list[Path]) -> None:
    """Until each sender (named after its log) has started: one that starts slowly on a busy
    machine would otherwise find the other has claimed everything."""
    async def started() -> bool:
        return all(f"sender {log.stem} started" in log.read_text() for log in logs)

    await _until(started, timeout=30, interval=0.05)


async def _stop(process: asyncio.subprocess.Process, log: Path) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    status = await asyncio.wait_for(process.wait(), 60)
    assert status == 0, log.read_text()  # noqa: ASYNC240 (the process has ended)


async def _database(path: Path, members: range, url: str | None = None) -> Database:
    database = open_database(path=path, url=url)
    await database.open()
    await migrate(database)
    async with database.transaction() as connection:
        await connection.executemany(
            "INSERT INTO users (tg_id, created_at) VALUES (?, ?)",
            [(tg_id, CREATED) for tg_id in members])
    return database


async def _broadcast(database: Database, text: str) -> int:
    return await DeliveryRepository(database).create(
        kind="announcement", text=text, audience="everyone", now=_now())


def _now():
    from bot.infra.clock import SystemClock

    return SystemClock().now()


async def _until_done(database: Database, senders: list, *broadcast_ids: int) -> None:
    repository = DeliveryRepository(database)

    async def done() -> bool:
        assert all(sender.returncode is None for sender in senders), "a sender ended"
        states = [await repository.get(b) for b in broadcast_ids]
        return all(state.status == "done" for state in states)

    await _until(done, timeout=60, interval=0.1)


async def _in_flight(database: Database, owner: str) -> int:
    return await database.fetch_value(
        "SELECT count(*) FROM deliveries WHERE status = 'sending' AND lease_owner = ?", (owner,))


async def _holding(database: Database, owner: str) -> None:
    await _until(lambda: _in_flight(database, owner), timeout=30, interval=0.005)


def _received(server: BotApiServer, text: str) -> Counter:
    return Counter(r.chat_id for r in server.outbox if r.method == "sendMessage" and r.text == text)


def _add_users(server: BotApiServer, members: range) -> None:
    for tg_id in members:
        server.add_user(tg_id, first_name=f"P{tg_id}", username=None)


@pytest.mark.usefixtures("backend")
async def test_two_senders_deliver_2000_recipients_each_once(
    server: BotApiServer, tmp_path: Path, database_url: str | None
) -> None:
    members = range(1, MEMBERS + 1)
    _add_users(server, members)
    database = await _database(tmp_path / "bot.db", members, database_url)
    try:
        env = _environment(server, tmp_path / "bot.db", database_url)
        logs = [tmp_path / "a.log", tmp_path / "b.log"]
        senders = [await _start(env, log, "sender", "--name", log.stem) for log in logs]
        try:
            await _up(logs)
            broadcast_id = await _broadcast(database, "Rally on Sunday")
            await _until_done(database, senders, broadcast_id)
        finally:
            for sender, log in zip(senders, logs, strict=True):
                await _stop(sender, log)
        broadcast = await DeliveryRepository(database).get(broadcast_id)
        owners = await database.fetch_all(
            "SELECT lease_owner, count(*) AS n FROM deliveries GROUP BY lease_owner")
    finally:
        await database.close()
    assert _received(server, "Rally on Sunday") == Counter(dict.fromkeys(members, 1))
    assert (broadcast.sent, broadcast.resent) == (MEMBERS, 0)
    # Both took part.
    assert {row["lease_owner"] for row in owners} == {"a", "b"}, [dict(r) for r in owners]


@pytest.mark.usefixtures("backend")
async def test_a_sender_killed_mid_broadcast_loses_nobody(
    server: BotApiServer, tmp_path: Path, database_url: str | None
) -> None:
    members = range(1, MEMBERS + 1)
    _add_users(server, members)
    database = await _database(tmp_path / "bot.db", members, database_url)
    try:
        broadcast_id = await _broadcast(database, "Rally on Sunday")
        env = _environment(server, tmp_path / "bot.db", database_url)
        logs = [tmp_path / "killed.log", tmp_path / "survivor.log"]
        # A short lease: the killed sender's rows come back to the survivor after 2 s.
        killed, survivor = None, None
        try:
            killed = await _start(env, logs[0], "sender", "--name", "killed", "--lease", "2")
            # Killed with rows in hand: not before its first claim (it starts first, so a slow
            # start on a busy machine cannot leave it nothing to claim) nor between claims.
            await _holding(database, "killed")
            survivor = await _start(env, logs[1], "sender", "--name", "survivor", "--lease", "2")
            await server.wait_for(
                lambda: len(_received(server, "Rally on Sunday")) >= MEMBERS // 4, timeout=30)
            await _holding(database, "killed")
            killed.kill()
            await killed.wait()
            in_flight = await _in_flight(database, "killed")
            await _until_done(database, [survivor], broadcast_id)
        finally:
            if killed is not None and killed.returncode is None:
                killed.kill()
                await killed.wait()
            if survivor is not None:
                await _stop(survivor, logs[1])
        broadcast = await DeliveryRepository(database).get(broadcast_id)
    finally:
        await database.close()
    received = _received(server, "Rally on Sunday")
    missing = MEMBERS - len(received)
    duplicates = sum(received.values()) - len(received)
    print(f"killed sender: missing {missing}, duplicates {duplicates}, in flight {in_flight}")
    assert missing == 0
    assert in_flight > 0
    assert duplicates <= in_flight
    assert broadcast.resent == in_flight
    assert broadcast.sent == MEMBERS


@pytest.mark.usefixtures("backend")
async def test_two_senders_never_send_to_one_chat_within_a_second(
    server: BotApiServer, tmp_path: Path, database_url: str | None
) -> None:
    # More people than one claim takes (a quarter second at RATE), so both senders work.
    members = range(1, 601)
    _add_users(server, members)
    database = await _database(tmp_path / "bot.db", members, database_url)
    try:
        env = _environment(server, tmp_path / "bot.db", database_url)
        logs = [tmp_path / "a.log", tmp_path / "b.log"]
        senders = [await _start(env, log, "sender", "--name", log.stem) for log in logs]
        try:
            await _up(logs)
            # Three broadcasts to the same people, sent side by side by two senders.
            texts = ["First", "Second", "Third"]
            broadcast_ids = [await _broadcast(database, text) for text in texts]
            await _until_done(database, senders, *broadcast_ids)
        finally:
            for sender, log in zip(senders, logs, strict=True):
                await _stop(sender, log)
        owners = await database.fetch_value(
            "SELECT count(DISTINCT lease_owner) FROM deliveries")
    finally:
        await database.close()
    times: dict[int, list[float]] = defaultdict(list)
    for record in server.outbox:
        if record.method == "sendMessage" and record.text in texts:
            times[record.chat_id].append(record.time)
    assert {chat: len(sent) for chat, sent in times.items()} == dict.fromkeys(members, 3)
    closest = min(b - a for sent in times.values() for a, b in pairwise(sent))
    assert closest >= 1.0, closest
    assert owners == 2


async def _answer(server: BotApiServer, tg_id: int, act, predicate=lambda record: True):
    """Do `act` as the person and wait for the bot's next message to them that fits."""
    seen = len(server.outbox)
    act()
    return await server.wait_for(lambda: next(
        (r for r in server.outbox[seen:] if r.chat_id == tg_id and predicate(r)), None),
        timeout=60)


async def test_run_with_a_sender_process_delivers_an_announcement_and_shows_progress(
    server: BotApiServer, tmp_path: Path
) -> None:
    members = [COORDINATOR_ID, *range(1, 6)]
    for tg_id in members:
        server.add_user(tg_id, first_name=f"P{tg_id}", username=None)
    env = _environment(server, tmp_path / "run.db", COORDINATOR_IDS=str(COORDINATOR_ID),
                       BROADCAST_CANCEL_WINDOW="0")
    log = tmp_path / "run.log"
    process = await _start(env, log, "run", "--senders", "1")
    try:
        for tg_id in members:
            await _answer(server, tg_id, lambda tg_id=tg_id: server.user_sends(tg_id, "/start"))

        def says(tg_id: int, text: str):
            return lambda: server.user_sends(tg_id, text)

        def presses(label: str, record):
            return lambda: server.user_presses(
                COORDINATOR_ID, record.message_id, button_data(record, label))

        prompt = await _answer(server, COORDINATOR_ID, says(COORDINATOR_ID, "/announce"))
        choice = await _answer(server, COORDINATOR_ID,
                               says(COORDINATOR_ID, "Vigil on Friday"),
                               lambda r: bool(r.reply_markup))
        assert prompt and choice
        when = await _answer(server, COORDINATOR_ID, presses("Everyone", choice))
        preview = await _answer(server, COORDINATOR_ID, presses("Skip", when))
        status = await _answer(server, COORDINATOR_ID, presses("Send", preview),
                               lambda r: r.text.startswith("Announcement 1:"))
        final = await server.wait_for(lambda: server.messages[
            (COORDINATOR_ID, status.message_id)]["text"] == texts("en").plural(
            "announce.status.done", 6, name="Announcement 1", sent=6, blocked=0, failed=0),
            timeout=60)
        assert final
    finally:
        await _stop(process, log)
    assert _received(server, "Vigil on Friday") == Counter(dict.fromkeys(members, 1))
    output = log.read_text()
    assert "started sender-1" in output and "sender sender-1 stopped" in output


async def test_run_restarts_a_sender_that_died_and_it_takes_its_rows_back(
    server: BotApiServer, tmp_path: Path
) -> None:
    members = range(1, MEMBERS + 1)
    _add_users(server, members)
    database = await _database(tmp_path / "run.db", members)
    log = tmp_path / "run.log"
    process = await _start(_environment(server, tmp_path / "run.db"), log, "run")
    try:
        broadcast_id = await _broadcast(database, "Rally on Sunday")
        await server.wait_for(
            lambda: len(_received(server, "Rally on Sunday")) >= MEMBERS // 4, timeout=30)
        [pid] = re.findall(r"started sender-1 \(pid (\d+)\)", log.read_text())
        os.kill(int(pid), signal.SIGKILL)
        # Well within the 5-minute lease: the restarted sender-1 takes its rows back at once.
        await _until_done(database, [process], broadcast_id)
        broadcast = await DeliveryRepository(database).get(broadcast_id)
    finally:
        await _stop(process, log)
        await database.close()
    output = log.read_text()
    assert "ended with status -9; restarting" in output
    assert len(re.findall(r"started sender-1 \(pid \d+\)", output)) == 2
    received = _received(server, "Rally on Sunday")
    assert len(received) == MEMBERS
    assert sum(received.values()) - MEMBERS <= broadcast.resent


async def test_the_sender_process_gives_way_while_run_handles_an_update(
    server: BotApiServer, tmp_path: Path
) -> None:
    """While `run` waits for Telegram to take a person's reply, the sender process it started
    starts no send; when the wait outlasts what pacing can make up for, it sends on."""
    members = range(1, MEMBERS + 1)
    person = MEMBERS + 1
    _add_users(server, range(1, person + 1))
    database = await _database(tmp_path / "run.db", members)
    rate = 500
    log = tmp_path / "run.log"
    process = await _start(_environment(server, tmp_path / "run.db", BROADCAST_RATE=str(rate)),
                           log, "run")

    async def sent_while_held(hold: float) -> int:
        server.hold(person)
        seen = len(server.outbox)
        server.user_sends(person, "/help")
        await server.wait_for(lambda: server.held[person], timeout=30)
        held_at = time.monotonic()
        await asyncio.sleep(hold)
        server.release(person)
        await server.wait_for(lambda: any(r.chat_id == person for r in server.outbox[seen:]))
        # Time to send what it owes, so that the next hold finds it on schedule.
        await asyncio.sleep(CATCH_UP * 2)
        return sum(held_at + SETTLE <= r.time <= held_at + hold
                   for r in server.outbox if r.text == "Rally on Sunday")

    try:
        await _answer(server, person, lambda: server.user_sends(person, "/start"))
        broadcast_id = await _broadcast(database, "Rally on Sunday")
        await server.wait_for(lambda: len(_received(server, "Rally on Sunday")) >= rate // 5,
                              timeout=30)
        short = [await sent_while_held(HOLD) for _ in range(HOLDS)]
        long = await sent_while_held(LONG_HOLD)
        await _until_done(database, [process], broadcast_id)
    finally:
        await _stop(process, log)
        await database.close()
    # Had the sender not given way: about rate * (HOLD - SETTLE) = 15 each time.
    assert sum(short) <= HOLDS, short
    # It gave way CATCH_UP at a time and caught up after each: at least half the rate held.
    assert long >= rate * LONG_HOLD / 2, long
    # The person, who started the bot, is a member too.
    assert _received(server, "Rally on Sunday") == Counter(dict.fromkeys([*members, person], 1))
