"""/needs with 100,000 needs in the database: database time of one filtered page.

Run: .venv/bin/python -m benchmarks.needs   (about twenty seconds)

A page is what /needs runs for one view: the count for the title and the five rows shown.
Each filter combination is timed over repeated runs on a 100,000-need database; the figure is
the median and the worst, in milliseconds, against the 50 ms target.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.database import Database, SqliteDatabase
from storage.models import CATEGORIES, URGENCIES
from storage.needs import NeedFilter, NeedRepository
from storage.schema import migrate

NEEDS = 100_000
ORGANISATIONS = 50
REPEATS = 30
TARGET_MS = 50.0
COUNTRIES = ("DE", "GE", "LT", "PL", "FR", "GB", "NL", "CZ", "IL", "AM", "online")
FILTERS = {
    "no filter": NeedFilter(),
    "category": NeedFilter(category="legal"),
    "country": NeedFilter(country="GE"),
    "urgency": NeedFilter(urgency="critical"),
    "category + country": NeedFilter(category="housing", country="DE"),
    "all three": NeedFilter(category="translation", country="LT", urgency="urgent"),
}


async def seed(database: Database) -> None:
    rng = random.Random(7)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    async with database.transaction() as connection:
        await connection.execute(
            "INSERT INTO users (tg_id, created_at) VALUES (1, ?)", (start.isoformat(),))
        await connection.executemany(
            "INSERT INTO organisations (id, name, name_key, country, status, created_at) "
            "VALUES (?, ?, ?, 'DE', 'approved', ?)",
            [(n, f"Org {n}", f"org {n}", start.isoformat()) for n in range(1, ORGANISATIONS + 1)])
        rows = []
        for number in range(NEEDS):
            created = (start + timedelta(minutes=number * 5)).isoformat()
            rows.append((
                rng.randint(1, ORGANISATIONS), f"Need number {number}", "Description " * 10,
                rng.choice(CATEGORIES), rng.choices(URGENCIES, weights=(80, 15, 5))[0],
                rng.choice(COUNTRIES), rng.choices(("open", "fulfilled", "closed"),
                                                   weights=(70, 20, 10))[0],
                created, created))
        await connection.executemany(
            "INSERT INTO needs (org_id, title, description, category, urgency, country, status, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    await database.execute("ANALYZE")


async def time_page(repository: NeedRepository, where: NeedFilter, page: int) -> float:
    started = time.perf_counter()
    await repository.count(where)
    await repository.browse(where, page * 5, 5)
    return (time.perf_counter() - started) * 1000


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = SqliteDatabase(Path(folder) / "needs.db")
        await database.open()
        try:
            await migrate(database)
            seeded = time.perf_counter()
            await seed(database)
            print(f"seeded {NEEDS:,} needs in {time.perf_counter() - seeded:.1f} s")
            repository = NeedRepository(database)
            worst_overall = 0.0
            for label, where in FILTERS.items():
                samples = [await time_page(repository, where, page % 3)
                           for page in range(REPEATS)]
                median, worst = statistics.median(samples), max(samples)
                worst_overall = max(worst_overall, worst)
                total = await repository.count(where)
                print(f"/needs page, {label:<18} ({total:>6,} open): median {median:6.2f} ms, "
                      f"worst {worst:6.2f} ms")
            verdict = "within" if worst_overall < TARGET_MS else "OVER"
            print(f"worst page {worst_overall:.2f} ms = {worst_overall / TARGET_MS:.2f} of the "
                  f"{TARGET_MS:.0f} ms target ({verdict})")
        finally:
            await database.close()


if __name__ == "__main__":
    asyncio.run(main())
