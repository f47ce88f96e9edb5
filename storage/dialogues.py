"""Repository of dialogues in progress, one per person."""

from __future__ import annotations

import json
from datetime import datetime

from storage.database import Database
from storage.models import Dialogue


class DialogueRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self, tg_id: int) -> Dialogue | None:
        row = await self._db.fetch_one(
            "SELECT tg_id, flow, step, answers FROM dialogues WHERE tg_id = ?", (tg_id,)
        )
        if row is None:
            return None
        return Dialogue(tg_id=row[0], flow=row[1], step=row[2], answers=json.loads(row[3]))

    async def save(self, dialogue: Dialogue, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO dialogues (tg_id, flow, step, answers, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (tg_id) DO UPDATE SET flow = excluded.flow, step = excluded.step, "
            "answers = excluded.answers, updated_at = excluded.updated_at",
            (dialogue.tg_id, dialogue.flow, dialogue.step, json.dumps(dialogue.answers),
             now.isoformat()),
        )

    async def clear(self, tg_id: int) -> bool:
        cursor = await self._db.execute("DELETE FROM dialogues WHERE tg_id = ?", (tg_id,))
        return cursor.rowcount > 0
