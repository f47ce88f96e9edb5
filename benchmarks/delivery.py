"""Delivery queue benchmark: achieved rate, memory with 1k vs 100k recipients, DB time a message,
on SQLite and on PostgreSQL side by side."""

# Run: .venv/bin/python -m benchmarks.delivery (about seven minutes; --backend sqlite or
# postgres for one). PostgreSQL is TEST_DATABASE_URL's server, or a throwaway one started as the
# tests start it (tests/postgres.py), with a fresh database for each run. The sandbox Bot API
# server runs in a process of its own, and so does each sending run, so that neither the
# server's memory nor the benchmark's own is counted in a run's peak RSS.
# With --senders N (about two minutes): the rate runs (a) and (b) sent by N `coalition-bot
# sender` processes sharing the database, as `run --senders N` does.

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from bot.infra.clock import SystemClock
from bot.infra.delivery import DeliveryQueue, courier_for
from bot.sandbox.server import DEFAULT_TOKEN
from storage.backend import open_database
from storage.database import Database
from storage.deliveries import DeliveryRepository
from storage.schema import migrate
from tests.postgres import drop_database, fresh_database
from tests.postgres import server as postgres_server

BACKENDS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
GOALS = {"a": 0.97, "b": 0.95}

TEXT = "<b>Returning the Names</b>: join us on 29 October at 10:00. <a href='https://x.org'>More</a>"


@dataclass
class Run:
    label: str
    recipients: int
    rate: float


RUNS = {
    "a": Run("a", 1_500, 25),
    "b": Run("b", 10_000, 1000),
    "c1": Run("c1", 1_000, 1000),
    "c2": Run("c2", 100_000, 1000),
}


@dataclass
class Measured:
    run: Run
    sent: int
    achieved_rate: float
    peak_rss_kib: int
    db_seconds: dict[str, float]
    wall_seconds: float

    @property
    def ratio(self) -> float:
        return self.achieved_rate / self.run.rate

    def db_ms_per_message(self, *methods: str) -> float:
        return 1000 * sum(self.db_seconds.get(m, 0.0) for m in methods) / self.sent


class TimedDeliveries(DeliveryRepository):
    """The repository, adding up the wall time spent inside each call, by method."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.seconds: dict[str, float] = defaultdict(float)

    async def _timed(self, name: str, call):
        started = time.perf_counter()
        try:
            return await call
        finally:
            self.seconds[name] += time.perf_counter() - started

    async def create(self, **kwargs):
        return await self._timed("create", super().create(**kwargs))

    async def claim(self, *args, **kwargs):
        return await self._timed("claim", super().claim(*args, **kwargs))

    async def record(self, *args, **kwargs):
        return await self._timed("record", super().record(*args, **kwargs))

    async def get(self, *args, **kwargs):
        return await self._timed("get", super().get(*args, **kwargs))


def _open(target: str) -> Database:
    """The database a run uses: a SQLite file, or a postgresql:// URL."""
    postgres = target.startswith("postgresql://")
    return open_database(path=target, url=target if postgres else None)


def _environment(target: str) -> dict[str, str]:
    return {"DATABASE_URL" if target.startswith("postgresql://") else "DATABASE_PATH": target}


class Databases:
    """A fresh database for each run, of one backend; PostgreSQL's dropped after its run."""

    def __init__(self, backend: str, workdir: Path, server_url: str | None) -> None:
        self.backend = backend
        self.workdir = workdir
        self.server_url = server_url
        self._names: list[str] = []

    def new(self, label: str) -> str:
        if self.backend == "sqlite":
            return str(self.workdir / f"{label}.db")
        assert self.server_url is not None
        name, url = asyncio.run(fresh_database(self.server_url, migrated=False))
        self._names.append(name)
        return url

    def drop(self) -> None:
        while self._names:
            asyncio.run(drop_database(self.server_url, self._names.pop()))


# --- the sending process ---------------------------------------------------------------------


async def send(target: str, base_url: str, rate: float) -> dict:
    """One broadcast to everyone in the database, sent to the end by a real DeliveryQueue."""
    database = _open(target)
    await database.open()
    try:
        repository = TimedDeliveries(database)
        queue = DeliveryQueue(repository, SystemClock(), rate=rate)
        broadcast_id = await queue.enqueue(kind="announcement", text=TEXT, audience="everyone")
        started = time.monotonic()
        await queue.start(courier_for(DEFAULT_TOKEN, base_url, rate))
        try:
            broadcast = await queue.finished(broadcast_id)
        finally:
            await queue.stop()
        wall = time.monotonic() - started
    finally:
        await database.close()
    return {
        "sent": broadcast.sent,
        "failed": broadcast.failed + broadcast.blocked,
        "wall_seconds": wall,
        "db_seconds": dict(repository.seconds),
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


# --- the driver ------------------------------------------------------------------------------


async def prepare(target: str, members: int) -> None:
    database = _open(target)
    await database.open()
    try:
        await migrate(database)
        ids = iter(range(1, members + 1))
        async with database.transaction() as connection:
            while chunk := list(islice(ids, 10_000)):
                await connection.executemany(
                    "INSERT INTO users (tg_id, created_at) VALUES (?, '2026-11-01T00:00:00+00:00')",
                    [(tg_id,) for tg_id in chunk],
                )
    finally:
        await database.close()


def measure(run: Run, databases: Databases) -> Measured:
    target = databases.new(run.label)
    log_path = databases.workdir / f"{databases.backend}-{run.label}.jsonl"
    asyncio.run(prepare(target, run.recipients))
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "PTB_TIMEDELTA": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "bot.sandbox.cli", "--port", "0", "--log", str(log_path),
         "--users", f"1-{run.recipients}"],
        stdout=subprocess.PIPE, text=True, env=env,
    )
    try:
        port = int(server.stdout.readline().split()[1])
        child = subprocess.run(
            [sys.executable, "-m", "benchmarks.delivery", "--send", target,
             f"http://127.0.0.1:{port}/bot", str(run.rate)],
            capture_output=True, text=True, env=env, check=False,
        )
    finally:
        server.terminate()
        server.wait()
        databases.drop()
    if child.returncode != 0:
        raise RuntimeError(f"{run.label}: the sending process failed:\n{child.stderr}")
    result = json.loads(child.stdout.splitlines()[-1])
    times = [json.loads(line)["time"] for line in log_path.read_text("utf-8").splitlines()]
    if result["sent"] != run.recipients or result["failed"] or len(times) != run.recipients:
        raise RuntimeError(f"{run.label}: {result['sent']} sent, {len(times)} received, "
                           f"{result['failed']} failed, of {run.recipients}")
    return Measured(run, result["sent"], (len(times) - 1) / (times[-1] - times[0]),
                    result["peak_rss_kib"], result["db_seconds"], result["wall_seconds"])


def measure_senders(run: Run, databases: Databases, senders: int) -> float:
    """The achieved rate of one broadcast sent by `senders` sender processes."""
    target = databases.new(f"{run.label}-{senders}")
    log_path = databases.workdir / f"{databases.backend}-{run.label}-{senders}.jsonl"
    asyncio.run(prepare(target, run.recipients))
    broadcast_id = asyncio.run(_enqueue(target))
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "PTB_TIMEDELTA": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "bot.sandbox.cli", "--port", "0", "--log", str(log_path),
         "--users", f"1-{run.recipients}"],
        stdout=subprocess.PIPE, text=True, env=env,
    )
    workers: list[subprocess.Popen] = []
    try:
        port = int(server.stdout.readline().split()[1])
        env |= {**_environment(target), "TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN,
                "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{port}/bot",
                "BROADCAST_RATE": str(run.rate)}
        workers = [subprocess.Popen([sys.executable, "-m", "bot", "sender", "--name",
                                     f"sender-{number}"], env=env, stderr=subprocess.DEVNULL)
                   for number in range(1, senders + 1)]
        broadcast = asyncio.run(_until_done(target, broadcast_id))
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait()
        server.terminate()
        server.wait()
        databases.drop()
    times = sorted(json.loads(line)["time"] for line in log_path.read_text("utf-8").splitlines())
    if broadcast.sent != run.recipients or len(times) != run.recipients:
        raise RuntimeError(f"{run.label}: {broadcast.sent} sent, {len(times)} received, "
                           f"of {run.recipients}")
    return (len(times) - 1) / (times[-1] - times[0])


async def _enqueue(target: str) -> int:
    database = _open(target)
    await database.open()
    try:
        return await DeliveryRepository(database).create(
            kind="announcement", text=TEXT, audience="everyone", now=SystemClock().now())
    finally:
        await database.close()


async def _until_done(target: str, broadcast_id: int):
    database = _open(target)
    await database.open()
    try:
        repository = DeliveryRepository(database)
        # The senders are other processes: the database is all there is to wait on.
        while (broadcast := await repository.get(broadcast_id)).status != "done":  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        return broadcast
    finally:
        await database.close()


@contextmanager
def _backends(chosen: str) -> Iterator[list[tuple[str, str | None]]]:
    """(backend, PostgreSQL server URL) for each backend measured, the server up meanwhile."""
    backends = list(BACKENDS) if chosen == "both" else [chosen]
    if "postgres" not in backends:
        yield [(backend, None) for backend in backends]
        return
    with postgres_server() as url:
        yield [(backend, url) for backend in backends]


def main_senders(senders: int, chosen: str) -> None:
    runs = {key: RUNS[key] for key in ("a", "b")}
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as workdir, \
            _backends(chosen) as backends:
        for backend, server_url in backends:
            databases = Databases(backend, Path(workdir), server_url)
            for label, run in runs.items():
                print(f"… {BACKENDS[backend]}: {run.recipients:,} recipients at {run.rate:g}/s, "
                      f"{senders} sender processes", flush=True)
                rate = measure_senders(run, databases, senders)
                print(f"({label}) {BACKENDS[backend]}, rate with {senders} sender processes: "
                      f"{run.recipients:,} recipients at BROADCAST_RATE={run.rate:g}: achieved "
                      f"{rate:.1f}/s = {rate / run.rate:.3f} of the configured rate", flush=True)


def report(backend: str, results: dict[str, Measured]) -> None:
    a, b, c1, c2 = results["a"], results["b"], results["c1"], results["c2"]
    print(f"{BACKENDS[backend]}:")
    for label, m in (("(a)", a), ("(b)", b)):
        print(f"{label} rate: {m.run.recipients:,} recipients at BROADCAST_RATE={m.run.rate:g}: "
              f"achieved {m.achieved_rate:.1f}/s = {m.ratio:.3f} of the configured rate "
              f"(first to last send {m.sent / m.achieved_rate:.1f} s)")
    print(f"(c) peak RSS of the sending process: {c1.peak_rss_kib / 1024:.1f} MiB for "
          f"{c1.run.recipients:,} recipients, {c2.peak_rss_kib / 1024:.1f} MiB for "
          f"{c2.run.recipients:,}: ratio {c2.peak_rss_kib / c1.peak_rss_kib:.3f} "
          f"(100k run achieved {c2.ratio:.3f} of 1000/s)")
    for label, m in (("(a)", a), ("(b)", b), ("(c)", c2)):
        print(f"(d) database time per delivered message, run {label} ({m.sent:,} messages): "
              f"{m.db_ms_per_message('claim', 'record'):.3f} ms claiming and recording "
              f"(claim {m.db_ms_per_message('claim'):.3f}, record "
              f"{m.db_ms_per_message('record'):.3f}); writing the rows "
              f"{m.db_ms_per_message('create'):.4f} ms; progress reads "
              f"{m.db_ms_per_message('get'):.3f} ms")


def table(measured: dict[str, dict[str, Measured]]) -> None:
    """The figures of both backends side by side, against the goals."""
    a, b = RUNS["a"], RUNS["b"]
    rows = [
        (f"(a) delivered/configured, {a.recipients:,} at {a.rate:g}/s",
         lambda r: f"{r['a'].ratio:.3f}", f">= {GOALS['a']}"),
        (f"(b) delivered/configured, {b.recipients:,} at {b.rate:g}/s",
         lambda r: f"{r['b'].ratio:.3f}", f">= {GOALS['b']}"),
        ("(c) peak RSS, 100k / 1k recipients",
         lambda r: f"{r['c2'].peak_rss_kib / r['c1'].peak_rss_kib:.3f}", ""),
        ("(d) DB ms a message, claim + record, (b)",
         lambda r: f"{r['b'].db_ms_per_message('claim', 'record'):.3f}", ""),
        ("(d) DB ms a message, writing the rows, (b)",
         lambda r: f"{r['b'].db_ms_per_message('create'):.4f}", ""),
    ]
    print(f"{'':<44}" + "".join(f"{BACKENDS[backend]:>12}" for backend in measured) + "  goal")
    for label, shown, goal in rows:
        print(f"{label:<44}" + "".join(f"{shown(results):>12}"
                                       for results in measured.values()) + f"  {goal}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--send", nargs=3, metavar=("DB", "BASE_URL", "RATE"),
                        help="(internal) be the sending process of one run")
    parser.add_argument("--senders", type=int, metavar="N",
                        help="measure the rate runs with N `coalition-bot sender` processes")
    parser.add_argument("--backend", choices=("both", *BACKENDS), default="both",
                        help="the database to measure (default both, side by side)")
    args = parser.parse_args()
    if args.senders:
        main_senders(args.senders, args.backend)
        return
    if args.send:
        target, base_url, rate = args.send
        print(json.dumps(asyncio.run(send(target, base_url, float(rate)))))
        return

    measured: dict[str, dict[str, Measured]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as workdir, \
            _backends(args.backend) as backends:
        for backend, server_url in backends:
            databases = Databases(backend, Path(workdir), server_url)
            measured[backend] = {}
            for key, run in RUNS.items():
                print(f"… {BACKENDS[backend]}: {run.recipients:,} recipients at {run.rate:g}/s",
                      flush=True)
                measured[backend][key] = measure(run, databases)
    for backend, results in measured.items():
        report(backend, results)
    table(measured)


if __name__ == "__main__":
    main()
