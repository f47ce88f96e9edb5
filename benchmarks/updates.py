"""Update handling: the full bot against a no-op python-telegram-bot Application, on SQLite and
on PostgreSQL side by side.

Run: .venv/bin/python -m benchmarks.updates   (about four minutes; --backend sqlite or
postgres for one). PostgreSQL is TEST_DATABASE_URL's server, or a throwaway one started as the
tests start it (tests/postgres.py), with a fresh database for each run.

The sandbox Bot API server runs in this process; each bot runs in a process of its own and
polls it, exactly as `coalition-bot run` polls Telegram. Both bots handle updates one at a time
(the full bot must, so one person's messages act in order; PTB's default does too).

1. Throughput: N people each send /help once (first contact, not timed), then three timed
   rounds in which all N send /help again at once; the figure is the median round's updates/s.
   The no-op bot is one MessageHandler that replies "ok". Target: full / no-op >= 0.35.
2. Latency: one person at a time sends /help (20 a second) and waits for the reply, first with
   nothing else going on, then while a 10,000-recipient broadcast goes out at
   BROADCAST_RATE=1000, enqueued through services.delivery.enqueue inside the bot's process and
   sent by one sender process, as `coalition-bot run` does by default. Idle and broadcast
   phases alternate BROADCASTS times and each p95 is over all its phases' replies, so that a
   moment of noise on the machine weighs on both sides alike and one p95 is not decided by
   its seven slowest replies. Target: p95 while broadcasting <= 1.5 x p95 idle.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.sandbox.server import BotApiServer
from tests.postgres import drop_database, fresh_database
from tests.postgres import server as postgres_server

PEOPLE = 2000
ROUNDS = 3
RECIPIENTS = 10_000
RATE = 1000
PROBES_IDLE = 200
BROADCASTS = 3
PROBE_INTERVAL = 0.05
PROBERS = 60
SETTLE = 3.0
THROUGHPUT_TARGET = 0.35
LATENCY_TARGET = 1.5
SENDERS = 1
BACKENDS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
FIRST_PERSON = 100_001
FIRST_PROBER = 200_001
ROOT = Path(__file__).resolve().parent.parent
TEXT = "<b>Returning the Names</b>: readings start at noon in every city."


# --- the bots, each in its own process ---------------------------------------------------------


async def _worker(kind: str) -> None:
    """Run one bot against TELEGRAM_API_BASE_URL; obey 'broadcast' and 'quit' on stdin."""
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    from bot.app.application import build_application, polling
    from bot.infra.config import load_settings
    from bot.infra.logs import configure_logging

    settings = load_settings()
    if kind == "full":
        configure_logging(settings)
        application = build_application(settings, senders=SENDERS)
        running = polling(application)
    else:
        async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            await update.effective_message.reply_text("ok")

        application = (ApplicationBuilder().token(settings.token())
                       .base_url(settings.telegram_api_base_url).build())
        application.add_handler(MessageHandler(filters.ALL, reply))
        running = _noop_polling(application)
    loop = asyncio.get_running_loop()
    async with running:
        print("READY", flush=True)
        while line := (await loop.run_in_executor(None, sys.stdin.readline)).strip():
            if line == "broadcast":
                services = application.bot_data["services"]
                broadcast_id = await services.delivery.enqueue(
                    kind="announcement", text=TEXT, recipients=range(1, RECIPIENTS + 1))
                print(f"ENQUEUED {broadcast_id}", flush=True)
            elif line == "quit":
                break


class _noop_polling:
    """Polling as bot.application.polling does it, for an Application with nothing to open."""

    def __init__(self, application) -> None:
        self.application = application

    async def __aenter__(self):
        await self.application.initialize()
        await self.application.updater.start_polling(poll_interval=0.0, timeout=1)
        await self.application.start()
        return self.application

    async def __aexit__(self, *exc_info) -> None:
        await self.application.updater.stop()
        await self.application.stop()
        await self.application.shutdown()


# --- the driver ----------------------------------------------------------------------------------


class Replies:
    """Counts the bot's sends to some chats, scanning the server's outbox once."""

    def __init__(self, server: BotApiServer, chats: Callable[[int], bool]) -> None:
        self.server = server
        self.chats = chats
        self.seen = len(server.outbox)
        self.count = 0

    def __call__(self) -> int:
        outbox = self.server.outbox
        for record in outbox[self.seen:]:
            if self.chats(record.chat_id):
                self.count += 1
        self.seen = len(outbox)
        return self.count


async def _start_bot(kind: str, server: BotApiServer, folder: Path,
                     url: str | None) -> asyncio.subprocess.Process:
    environment = {
        "PATH": os.environ.get("PATH", ""), "HOME": str(folder), "NO_PROXY": "127.0.0.1",
        "TELEGRAM_BOT_TOKEN": server.token, "TELEGRAM_API_BASE_URL": server.base_url,
        "DATABASE_PATH": str(folder / "bot.db"), "BROADCAST_RATE": str(RATE),
        "PTB_TIMEDELTA": "1", **({"DATABASE_URL": url} if url else {}),
        # The sender processes it starts run `python -m bot` from here, as the bot does.
        "PYTHONPATH": str(ROOT),
    }
    log = (folder / f"{kind}.log").open("w")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.updates", "--worker", kind, env=environment,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=log)
    log.close()
    line = await asyncio.wait_for(process.stdout.readline(), 60)
    if line.strip() != b"READY":
        raise RuntimeError(f"the {kind} bot did not start; see its log")
    return process


async def _stop_bot(process: asyncio.subprocess.Process) -> None:
    process.stdin.write(b"quit\n")
    await process.stdin.drain()
    await asyncio.wait_for(process.wait(), 60)


async def _throughput(server: BotApiServer) -> tuple[float, float]:
    """First-contact updates/s, and the median of the timed rounds' updates/s."""
    people = range(FIRST_PERSON, FIRST_PERSON + PEOPLE)
    rates = []
    for _round in range(ROUNDS + 1):
        replies = Replies(server, lambda chat: chat >= FIRST_PERSON and chat < FIRST_PROBER)
        started = time.perf_counter()
        for person in people:
            server.user_sends(person, "/help")
        await server.wait_for(lambda replies=replies: replies() >= PEOPLE, timeout=600)
        rates.append(PEOPLE / (time.perf_counter() - started))
    return rates[0], statistics.median(rates[1:])


async def _probe(server: BotApiServer, prober: int) -> float:
    replies = Replies(server, lambda chat: chat == prober)
    started = time.monotonic()
    server.user_sends(prober, "/help")
    await server.wait_for(replies, timeout=60)
    answered = next(r for r in reversed(server.outbox) if r.chat_id == prober)
    return answered.time - started


async def _latencies(server: BotApiServer, keep_going: Callable[[int], bool]) -> list[float]:
    samples: list[float] = []
    while keep_going(len(samples)):
        prober = FIRST_PROBER + len(samples) % PROBERS
        samples.append(await _probe(server, prober))
        await asyncio.sleep(PROBE_INTERVAL)
    return samples


async def _during_broadcast(
        server: BotApiServer, bot: asyncio.subprocess.Process) -> tuple[float, list[float]]:
    """Start a broadcast, probe while it goes out at full rate; its msg/s and the replies."""
    broadcast = Replies(server, lambda chat: chat <= RECIPIENTS)
    bot.stdin.write(b"broadcast\n")
    await bot.stdin.drain()
    await asyncio.wait_for(bot.stdout.readline(), 60)
    await server.wait_for(lambda: broadcast() >= RATE // 2, timeout=60)
    started, before = time.perf_counter(), broadcast()
    busy = await _latencies(server, lambda done: broadcast() < RECIPIENTS - RATE)
    rate = (broadcast() - before) / (time.perf_counter() - started)
    await server.wait_for(lambda: broadcast() >= RECIPIENTS, timeout=120)
    return rate, busy


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] * 1000


async def _seed(path: Path, url: str | None) -> None:
    from storage.backend import open_database
    from storage.schema import migrate

    database = open_database(path=path, url=url)
    await database.open()
    try:
        await migrate(database)
        now = datetime.now(UTC).isoformat()
        async with database.transaction() as connection:
            await connection.executemany(
                "INSERT INTO users (tg_id, client_language, created_at) VALUES (?, 'en', ?)",
                [(tg_id, now) for tg_id in range(1, RECIPIENTS + 1)])
    finally:
        await database.close()


def _server() -> BotApiServer:
    server = BotApiServer()
    for tg_id in [*range(1, RECIPIENTS + 1), *range(FIRST_PERSON, FIRST_PERSON + PEOPLE),
                  *range(FIRST_PROBER, FIRST_PROBER + PROBERS)]:
        server.add_user(tg_id, first_name="M", username=None, language_code="en")
    return server


async def _measure(kind: str, folder: Path, url: str | None = None) -> dict[str, float]:
    figures: dict[str, float] = {}
    async with _server() as server:
        if kind == "full":
            await _seed(folder / "bot.db", url)
        bot = await _start_bot(kind, server, folder, url)
        try:
            figures["first"], figures["rate"] = await _throughput(server)
            if kind == "full":
                await _latencies(server, lambda done: done < PROBERS)  # each prober's first
                idle: list[float] = []
                busy: list[float] = []
                rates = []
                for _broadcast in range(BROADCASTS):
                    await asyncio.sleep(SETTLE)  # let the earlier work's writes settle
                    idle += await _latencies(server, lambda done: done < PROBES_IDLE)
                    rate, replies = await _during_broadcast(server, bot)
                    rates.append(rate)
                    busy += replies
                figures["broadcast_rate"] = statistics.median(rates)
                figures.update(idle_p50=statistics.median(idle) * 1000, idle_p95=_p95(idle),
                               busy_p50=statistics.median(busy) * 1000, busy_p95=_p95(busy),
                               idle_n=len(idle), busy_n=len(busy))
        finally:
            await _stop_bot(bot)
    return figures


async def _full(backend: str, folder: Path, server_url: str | None) -> dict[str, float]:
    if backend == "sqlite":
        return await _measure("full", folder)
    assert server_url is not None
    name, url = await fresh_database(server_url, migrated=False)
    try:
        return await _measure("full", folder, url)
    finally:
        await drop_database(server_url, name)


async def measure_all(folder: Path, backends: list[str], server_url: str | None) -> None:
    noop = await _measure("noop", folder / "noop")
    full = {backend: await _full(backend, folder / backend, server_url)
            for backend in backends}
    print(f"no-op PTB application: {noop['rate']:7.0f} updates/s "
          f"({noop['first']:.0f}/s at first contact)")
    print(f"{'':<38}" + "".join(f"{BACKENDS[backend]:>12}" for backend in full) + "  goal")
    rows = [
        ("full bot, updates/s", lambda f: f"{f['rate']:.0f}", ""),
        ("  at first contact (registers)", lambda f: f"{f['first']:.0f}", ""),
        ("full / no-op", lambda f: f"{f['rate'] / noop['rate']:.2f}",
         f">= {THROUGHPUT_TARGET}"),
        ("reply p50 idle, ms", lambda f: f"{f['idle_p50']:.1f}", ""),
        ("reply p95 idle, ms", lambda f: f"{f['idle_p95']:.1f}", ""),
        ("reply p50 during broadcast, ms", lambda f: f"{f['busy_p50']:.1f}", ""),
        ("reply p95 during broadcast, ms", lambda f: f"{f['busy_p95']:.1f}", ""),
        ("p95 during / idle", lambda f: f"{f['busy_p95'] / f['idle_p95']:.2f}",
         f"<= {LATENCY_TARGET}"),
        (f"broadcast meanwhile, msg/s of {RATE}", lambda f: f"{f['broadcast_rate']:.0f}", ""),
        ("replies idle / during", lambda f: f"{f['idle_n']:.0f}/{f['busy_n']:.0f}", ""),
    ]
    for label, shown, goal in rows:
        print(f"{label:<38}" + "".join(f"{shown(figures):>12}" for figures in full.values())
              + f"  {goal}")


def main(chosen: str) -> None:
    backends = list(BACKENDS) if chosen == "both" else [chosen]
    with tempfile.TemporaryDirectory() as workdir:
        folder = Path(workdir)
        for name in ("noop", *backends):
            (folder / name).mkdir()
        if "postgres" not in backends:
            asyncio.run(measure_all(folder, backends, None))
            return
        with postgres_server() as url:
            asyncio.run(measure_all(folder, backends, url))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--worker", choices=("full", "noop"), help=argparse.SUPPRESS)
    parser.add_argument("--backend", choices=("both", *BACKENDS), default="both",
                        help="the database to measure (default both, side by side)")
    arguments = parser.parse_args()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    if arguments.worker:
        asyncio.run(_worker(arguments.worker))
    else:
        main(arguments.backend)
