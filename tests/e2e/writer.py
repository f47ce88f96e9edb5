"""A second process writing to the bot's database for a while (run by the fault test)."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time
from datetime import UTC, datetime

from storage.database import SqliteDatabase


async def main(path: str, seconds: float, name: str) -> int:
    database = SqliteDatabase(path)
    await database.open()
    writes = 0
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            async with database.transaction():
                await database.execute(
                    "INSERT INTO audit_log (at, actor_id, action, target) VALUES (?, NULL, ?, ?)",
                    (datetime.now(UTC).isoformat(), "fault.write", f"{name}:{writes}"))
            writes += 1
    except sqlite3.OperationalError as error:
        print(f"{name}: {error} after {writes} writes", flush=True)
        return 1
    finally:
        await database.close()
    print(f"{name}: {writes} writes", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], float(sys.argv[2]), sys.argv[3])))
