"""The delivery queue in a process of its own, for the crash test: one broadcast to 2,000 people."""

# python tests/e2e/delivery_runner.py DB_PATH BASE_URL TOKEN, at BROADCAST_RATE (default 400);
# run again on the same database, it resumes the broadcast instead of enqueueing another.

from __future__ import annotations

import asyncio
import logging
import os
import sys

from bot.infra.clock import SystemClock
from bot.infra.delivery import DeliveryQueue, courier_for
from storage.database import SqliteDatabase
from storage.deliveries import DeliveryRepository
from storage.schema import migrate

MEMBERS = 2000


async def run(db_path: str, base_url: str, token: str) -> None:
    rate = float(os.environ.get("BROADCAST_RATE", "400"))
    database = SqliteDatabase(db_path)
    await database.open()
    try:
        await migrate(database)
        repository = DeliveryRepository(database)
        queue = DeliveryQueue(repository, SystemClock(), rate=rate)
        existing = await repository.recent(limit=1)
        if existing:
            broadcast_id = existing[0].id
        else:
            # Members and broadcast in one transaction: a kill before it commits leaves neither.
            async with database.transaction() as connection:
                await connection.executemany(
                    "INSERT INTO users (tg_id, created_at) VALUES (?, '2026-11-01T00:00:00+00:00')",
                    [(tg_id,) for tg_id in range(1, MEMBERS + 1)],
                )
                broadcast_id = await queue.enqueue(
                    kind="announcement", text="<b>Rally</b> on Sunday", audience="everyone")
        await queue.start(courier_for(token, base_url, rate))
        try:
            broadcast = await queue.finished(broadcast_id)
        finally:
            await queue.stop()
        print(broadcast.model_dump_json(), flush=True)
    finally:
        await database.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    asyncio.run(run(*sys.argv[1:4]))
