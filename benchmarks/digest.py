"""Digests due for 100,000 subscribers over 50 distinct choices: compose and queue time, memory.

Run: .venv/bin/python -m benchmarks.digest   (about half a minute)

Every subscriber is due at the same minute (Monday 09:00 in Europe/Berlin). One tick of the
digest schedule composes one text per distinct (language, topics, country, period) and queues
a delivery row per subscriber through the delivery queue (which is not started: nothing is
sent). Each run happens in a process of its own, so that its peak RSS is its own; the 1,000
subscriber run is the memory baseline. Targets: composing + queueing 100k ≤ 10 s, and the peak
RSS of 100k within 1.1 × that of 1k.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from itertools import islice, product
from pathlib import Path

from pydantic import SecretStr

from bot.app.services import Services
from bot.infra.config import load_settings
from storage.database import SqliteDatabase
from storage.schema import migrate

SLOT = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # Monday 09:00 in Europe/Berlin
NOW = SLOT + timedelta(seconds=30)
SINCE = SLOT - timedelta(days=7)
LANGUAGES = ("en", "ru")
TOPICS = ("needs,events,announcements", "needs", "events", "announcements", "needs,events")
COUNTRIES = (None, "DE", "GE", "LT", "PL")
CHOICES = list(product(LANGUAGES, TOPICS, COUNTRIES))  # 50
NEEDS, EVENTS, ANNOUNCEMENTS, ORGANISATIONS = 2_000, 200, 20, 20
TARGET_SECONDS = 10.0
TARGET_RSS_RATIO = 1.1


class Clock:
    def now(self) -> datetime:
        return NOW


async def prepare(path: Path, subscribers: int) -> None:
    """Members, their subscriptions (all due at SLOT), and content for the digests."""
    database = SqliteDatabase(path)
    await database.open()
    rng = random.Random(7)
    created = SINCE.isoformat()
    try:
        await migrate(database)
        async with database.transaction() as connection:
            ids = iter(range(1, subscribers + 1))
            while chunk := list(islice(ids, 10_000)):
                await connection.executemany(
                    "INSERT INTO users (tg_id, language, created_at) VALUES (?, ?, ?)",
                    [(tg_id, CHOICES[tg_id % len(CHOICES)][0], created) for tg_id in chunk])
                await connection.executemany(
                    "INSERT INTO subscriptions (tg_id, frequency, topics, country, created_at, "
                    "next_due_at, schedule_from, last_until) VALUES (?, 'auto', ?, ?, ?, ?, ?, ?)",
                    [(tg_id, *CHOICES[tg_id % len(CHOICES)][1:], created, SLOT.isoformat(),
                      created, created) for tg_id in chunk])
            await connection.executemany(
                "INSERT INTO organisations (id, name, name_key, country, status, created_at) "
                "VALUES (?, ?, ?, 'DE', 'approved', ?)",
                [(n, f"Org {n}", f"org {n}", created) for n in range(1, ORGANISATIONS + 1)])
            await connection.executemany(
                "INSERT INTO needs (org_id, title, description, private_details, category, "
                "urgency, country, city, created_at, updated_at) "
                "VALUES (?, ?, 'd', 'secret', 'legal', ?, ?, 'City', ?, ?)",
                [(rng.randint(1, ORGANISATIONS), f"Need number {n} <with & marks>",
                  rng.choices(("normal", "urgent", "critical"), (80, 15, 5))[0],
                  rng.choice([c for c in COUNTRIES if c] + ["online"]),
                  (SLOT - timedelta(minutes=rng.randint(1, 20_000))).isoformat(), created)
                 for n in range(NEEDS)])
            await connection.executemany(
                "INSERT INTO events (org_id, title, description, kind, starts_at, timezone, "
                "country, city, venue, disclosure, created_at, updated_at) VALUES "
                "(?, ?, 'd', 'rally', ?, 'Europe/Berlin', ?, 'City', 'Hidden', 'going', ?, ?)",
                [(rng.randint(1, ORGANISATIONS), f"Event {n}",
                  (SLOT + timedelta(hours=rng.randint(1, 20 * 24))).isoformat(),
                  rng.choice([c for c in COUNTRIES if c]),
                  (SLOT - timedelta(hours=rng.randint(1, 100))).isoformat(), created)
                 for n in range(EVENTS)])
            await connection.executemany(
                "INSERT INTO broadcasts (kind, audience, text, status, created_at, not_before, "
                "finished_at) VALUES ('announcement', 'everyone', ?, 'done', ?, ?, ?)",
                [(f"<b>Announcement {n}</b> " + "text " * 40, created, created,
                  (SLOT - timedelta(hours=n + 1)).isoformat()) for n in range(ANNOUNCEMENTS)])
            await connection.execute(
                "INSERT INTO elections (name, date, country, created_at) VALUES (?, ?, 'RU', ?)",
                ("Duma election", (date(2026, 12, 7) + timedelta(days=30)).isoformat(), created))
    finally:
        await database.close()


async def tick(path: str) -> dict:
    """One tick of the digest schedule over the prepared database, timed by part."""
    settings = load_settings(telegram_bot_token=SecretStr("1:bench"), database_path=Path(path),
                             coordinator_ids=frozenset())
    services = Services(settings, Clock())
    digests = services.digests
    spent = {"compose": 0.0, "schedule": 0.0}

    def timed(name, call):
        async def run(*args, **kwargs):
            started = time.perf_counter()
            try:
                return await call(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - started
        return run

    digests.compose = timed("compose", digests.compose)
    digests.reschedule = timed("schedule", digests.reschedule)
    await services.database.open()
    try:
        started = time.perf_counter()
        report = await digests.tick()
        total = time.perf_counter() - started
        queued = await services.database.fetch_value(
            "SELECT count(*) FROM deliveries AS d JOIN broadcasts AS b ON b.id = d.broadcast_id "
            "WHERE b.kind = 'digest'")
        texts = await services.database.fetch_value(
            "SELECT count(DISTINCT text) FROM broadcasts WHERE kind = 'digest'")
        longest = await services.database.fetch_value(
            "SELECT max(length(text)) FROM broadcasts WHERE kind = 'digest'")
        leaked = await services.database.fetch_value(
            "SELECT count(*) FROM broadcasts WHERE kind = 'digest' AND (text LIKE '%secret%' "
            "OR text LIKE '%Hidden%')")
        pending = await services.database.fetch_value(
            "SELECT count(*) FROM subscriptions WHERE next_due_at IS NULL "
            "OR next_due_at <= ? OR due_group IS NOT NULL", (NOW.isoformat(),))
    finally:
        await services.database.close()
    return {
        "total": total, "compose": spent["compose"], "schedule": spent["schedule"],
        "queued": queued, "report_queued": report.queued, "broadcasts": report.broadcasts,
        "texts": texts, "longest": longest, "leaked": leaked, "pending": pending,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def measure(subscribers: int, workdir: Path) -> dict:
    path = workdir / f"digest-{subscribers}.db"
    asyncio.run(prepare(path, subscribers))
    child = subprocess.run(
        [sys.executable, "-m", "benchmarks.digest", "--tick", str(path)],
        capture_output=True, text=True, env={**os.environ}, check=False)
    if child.returncode != 0:
        raise RuntimeError(f"the tick process failed:\n{child.stderr}")
    result = json.loads(child.stdout.splitlines()[-1])
    if result["queued"] != subscribers or result["pending"]:
        raise RuntimeError(f"{subscribers}: {result}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tick", metavar="DB", help="(internal) run one tick on DB")
    args = parser.parse_args()
    if args.tick:
        print(json.dumps(asyncio.run(tick(args.tick))))
        return
    with tempfile.TemporaryDirectory(prefix="bench-digest-") as workdir:
        small = measure(1_000, Path(workdir))
        large = measure(100_000, Path(workdir))
    for label, result in (("1,000", small), ("100,000", large)):
        queueing = result["total"] - result["compose"] - result["schedule"]
        print(f"{label:>8} subscribers, {len(CHOICES)} choices: {result['texts']} texts in "
              f"{result['broadcasts']} broadcasts (longest {result['longest']} chars); "
              f"compose {result['compose']:.2f} s, queueing {queueing:.2f} s, next due times "
              f"{result['schedule']:.2f} s, tick {result['total']:.2f} s; "
              f"peak RSS {result['peak_rss_kib'] / 1024:.1f} MiB")
    ratio = large["peak_rss_kib"] / small["peak_rss_kib"]
    seconds = large["total"]
    print(f"composing + queueing 100k (whole tick, next due times included): {seconds:.2f} s "
          f"(target ≤ {TARGET_SECONDS:g} s) {'OK' if seconds <= TARGET_SECONDS else 'MISSED'}")
    print(f"peak RSS 100k / 1k: {ratio:.3f} (target ≤ {TARGET_RSS_RATIO}) "
          f"{'OK' if ratio <= TARGET_RSS_RATIO else 'MISSED'}")
    if large["leaked"] or small["leaked"]:
        print("private details or venues found in a digest: MISSED")


if __name__ == "__main__":
    main()
