"""Webhook replicas: two `coalition-bot run --webhook` processes behind one URL, on one
PostgreSQL database (SPEC §11). An update reaching both acts once, one person's updates are
answered in order whichever replica gets each, the scheduled jobs run in one of them, and the
other takes them over when that one is killed."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from bot.infra.i18n import texts
from bot.sandbox.server import BotApiServer
from bot.sandbox.webhooks import WebhookDelivery
from storage.postgres import PostgresDatabase
from tests.postgres import drop_database, fresh_database

SECRET = "replica-secret-0123456789"
PATH = "/telegram/hook"
LEADS = "scheduler: this process leads"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Replica:
    def __init__(self, process: asyncio.subprocess.Process, url: str, log: Path) -> None:
        self.process, self.url, self.log = process, url, log

    def logged(self) -> str:
        return self.log.read_text()


@asynccontextmanager
async def _database(postgres_server: str) -> AsyncIterator[tuple[str, PostgresDatabase]]:
    name, url = await fresh_database(postgres_server)
    database = PostgresDatabase(url)
    await database.open()
    try:
        yield url, database
    finally:
        await database.close()
        await drop_database(postgres_server, name)


@asynccontextmanager
async def _replicas(server: BotApiServer, database_url: str, tmp_path: Path,
                    **settings: str) -> AsyncIterator[list[Replica]]:
    """Two replicas, listening; stopped with SIGTERM at the end (unless killed)."""
    replicas = []
    for number in (1, 2):
        port, log = _free_port(), tmp_path / f"replica-{number}.log"
        env = {
            **{name: value for name, value in os.environ.items()
               if name in ("PATH", "HOME", "PYTHONPATH")},
            "NO_PROXY": "127.0.0.1,localhost", "TELEGRAM_BOT_TOKEN": server.token,
            "TELEGRAM_API_BASE_URL": server.base_url, "DATABASE_URL": database_url,
            "WEBHOOK_URL": f"https://bot.example.org{PATH}", "WEBHOOK_PORT": str(port),
            "WEBHOOK_SECRET": SECRET, "FLOOD_LIMIT": "1000", "REPLICA": f"replica-{number}",
            **settings,
        }
        with log.open("w") as stream:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--webhook", "--senders", "0",
                stdin=asyncio.subprocess.DEVNULL, stdout=stream, stderr=stream, env=env)
        replicas.append(Replica(process, f"http://127.0.0.1:{port}{PATH}", log))
    try:
        async with aiohttp.ClientSession() as session:
            for replica in replicas:
                await _until_listening(session, replica)
        yield replicas
    finally:
        for replica in replicas:
            if replica.process.returncode is None:
                replica.process.send_signal(signal.SIGTERM)
        for replica in replicas:
            status = await asyncio.wait_for(replica.process.wait(), 60)
            assert status in (0, -signal.SIGKILL), replica.logged()[-3000:]


async def _until_listening(session: aiohttp.ClientSession, replica: Replica) -> None:
    async with asyncio.timeout(60):
        while True:
            assert replica.process.returncode is None, replica.logged()[-3000:]
            try:
                async with session.get(replica.url) as response:  # the webhook answers POST only
                    if response.status == 405:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)


async def _until(predicate, timeout: float = 30) -> None:  # noqa: ASYNC109
    """Wait for what other processes write (their logs): nothing to be woken by here."""
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.05)


def _texts(server: BotApiServer, chat_id: int) -> list[str]:
    return [record.text for record in server.outbox if record.chat_id == chat_id]


async def test_an_update_delivered_to_both_replicas_acts_once(server, postgres_server, tmp_path):
    people = range(5001, 5011)
    for tg_id in people:
        server.add_user(tg_id, first_name="Alice", language_code="en")
    async with (_database(postgres_server) as (url, _),
                _replicas(server, url, tmp_path) as replicas,
                WebhookDelivery(server, [r.url for r in replicas], SECRET) as telegram):
        updates = []
        for tg_id in people:
            server.user_sends(tg_id, "/start")
            updates.append(server.pending_updates[-1])
        # Each update reaches both replicas at the same moment (a re-delivery after a timeout).
        statuses = await asyncio.gather(*(telegram.post_everywhere(u) for u in updates))
        assert all(status == [200, 200] for status in statuses)
        # Both replicas have handled both copies: each logged every update.
        await _until(lambda: all(f"update={u['update_id']} " in r.logged()
                                 for u in updates for r in replicas))
    for tg_id in people:
        greetings = [text for text in _texts(server, tg_id) if text.startswith("Hello!")]
        assert len(greetings) == 1, _texts(server, tg_id)


async def test_one_persons_updates_alternating_between_replicas_are_answered_in_order(
        server, postgres_server, tmp_path):
    server.add_user(5100, first_name="Alice", language_code="en")
    said = ["/help", "/nosuch", "hello"]
    async with (_database(postgres_server) as (url, _),
                _replicas(server, url, tmp_path) as replicas,
                WebhookDelivery(server, [r.url for r in replicas], SECRET) as telegram):
        server.user_sends(5100, "/start")
        telegram.start()
        await server.wait_for(lambda: _texts(server, 5100), timeout=30)
        answers = {}
        for text in said:  # what each one is answered, alone
            before = len(_texts(server, 5100))
            server.user_sends(5100, text)
            await server.wait_for(lambda b=before: len(_texts(server, 5100)) > b, timeout=30)
            answers[text] = _texts(server, 5100)[-1]
        assert len(set(answers.values())) == len(said)
        before = len(_texts(server, 5100))
        started = time.perf_counter()
        sent = [said[number % len(said)] for number in range(50)]
        for text in sent:
            server.user_sends(5100, text)
        await server.wait_for(lambda: len(_texts(server, 5100)) >= before + 50, timeout=60)
        elapsed = time.perf_counter() - started
        logs = [r.logged() for r in replicas]
    assert _texts(server, 5100)[before:] == [answers[text] for text in sent]
    # Both replicas answered: the updates went to each in turn.
    assert all(len(re.findall(r"update=\d+ user=5100 ", log)) >= 25 for log in logs)
    print(f"50 updates alternating between two replicas: {elapsed:.2f} s")


async def test_the_flood_limit_holds_per_person_across_replicas(server, postgres_server, tmp_path):
    server.add_user(5200, first_name="Alice", language_code="en")
    async with (_database(postgres_server) as (url, _),
                _replicas(server, url, tmp_path, FLOOD_LIMIT="20") as replicas,
                WebhookDelivery(server, [r.url for r in replicas], SECRET) as telegram):
        telegram.start()
        for _number in range(25):
            server.user_sends(5200, "/help")
        await server.wait_for(lambda: not server.pending_updates, timeout=60)
        logs = [r.logged() for r in replicas]
    answers = _texts(server, 5200)
    # 20 answered, one warning, the rest dropped; each replica saw fewer than 20 of them.
    assert len(answers) == 21 and answers[-1] == texts("en")("flood.warning")
    assert len(set(answers[:20])) == 1
    assert all(len(re.findall(r"update=\d+ user=5200 ", log)) < 20 for log in logs)


async def _seed_digests(server: BotApiServer, database: PostgresDatabase, members: range,
                        now: datetime) -> None:
    """Members whose digest fell due a minute ago, with an election in three days, so that
    their digest goes out even with nothing new."""
    for tg_id in members:
        server.add_user(tg_id, first_name="Member", language_code="en")
    created = now.isoformat()
    async with database.transaction() as connection:
        await connection.executemany(
            "INSERT INTO users (tg_id, created_at) VALUES (?, ?)",
            [(tg_id, created) for tg_id in members])
        await connection.executemany(
            "INSERT INTO subscriptions (tg_id, created_at, next_due_at, schedule_from) "
            "VALUES (?, ?, ?, ?)",
            [(tg_id, created, (now - timedelta(minutes=1)).isoformat(),
              (now - timedelta(days=1)).isoformat()) for tg_id in members])
        if not await connection.fetch_all("SELECT 1 FROM elections"):
            await connection.execute(
                "INSERT INTO elections (name, date, country, created_at) VALUES (?, ?, ?, ?)",
                ("General election", (now + timedelta(days=3)).date().isoformat(), "DE",
                 created))


def _digests(server: BotApiServer) -> Counter[int]:
    return Counter(record.chat_id for record in server.outbox
                   if record.text and "days to General election" in record.text)


async def test_with_two_schedulers_a_digest_goes_out_once_per_member(
        server, postgres_server, tmp_path):
    members = range(6001, 6031)
    async with _database(postgres_server) as (url, database):
        await _seed_digests(server, database, members, datetime.now(UTC))
        async with _replicas(server, url, tmp_path) as replicas:
            await server.wait_for(lambda: len(_digests(server)) == len(members), timeout=30)
            # Every row recorded as sent (by other processes: nothing to be woken by here), so
            # nothing is left in flight that could go out again.
            async with asyncio.timeout(30):
                while await database.fetch_value(  # noqa: ASYNC110
                        "SELECT count(*) FROM deliveries WHERE status <> 'sent'"):
                    await asyncio.sleep(0.05)
            rows = await database.fetch_value(
                "SELECT count(*) FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id "
                "WHERE b.kind = 'digest'")
            logs = [r.logged() for r in replicas]
    assert _digests(server) == Counter(dict.fromkeys(members, 1))
    assert rows == len(members)
    # One leader ran the jobs; the other stood by.
    assert sorted(LEADS in log for log in logs) == [False, True]


async def test_when_the_leader_is_killed_the_other_replica_takes_over_the_jobs(
        server, postgres_server, tmp_path):
    async with (_database(postgres_server) as (url, database),
                _replicas(server, url, tmp_path, SCHEDULER_LEASE="1") as replicas):
        await _until(lambda: any(LEADS in r.logged() for r in replicas))
        leader, other = sorted(replicas, key=lambda r: LEADS not in r.logged())
        assert LEADS not in other.logged()
        leader.process.send_signal(signal.SIGKILL)
        await leader.process.wait()
        killed = time.perf_counter()
        # Due after the leader died: only a leader that took over sends these.
        members = range(7001, 7011)
        await _seed_digests(server, database, members, datetime.now(UTC))
        await _until(lambda: LEADS in other.logged(), timeout=10)
        took_over = time.perf_counter() - killed
        await server.wait_for(lambda: len(_digests(server)) == len(members), timeout=10)
        delivered = time.perf_counter() - killed
    assert _digests(server) == Counter(dict.fromkeys(members, 1))
    print(f"lease 1 s: took over {took_over:.2f} s after SIGKILL, digests out after "
          f"{delivered:.2f} s")
