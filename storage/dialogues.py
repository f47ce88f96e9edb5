"""Repository of dialogues in progress, one per person."""

from __future__ import annotations

import json
from datetime import datetime

from storage.database import Database
from storage.models import Dialogue
from storage.timestamps import stored


def dialogue_of(tg_id: int, flow: str | None, step: str | None, answers: str | None,
                ) -> Dialogue | None:
    """A stored dialogue from its columns; None when there is none (a LEFT JOIN's NULLs)."""
    if flow is None or step is None or answers is None:
        return None
    return Dialogue(tg_id=tg_id, flow=flow, step=step, answers=json.loads(answers))


class DialogueRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self, tg_id: int) -> Dialogue | None:
        row = await self._db.fetch_one(
            "SELECT tg_id, flow, step, answers FROM dialogues WHERE tg_id = ?", (tg_id,)
        )
        return None if row is None else dialogue_of(*row)

    async def save(self, dialogue: Dialogue, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO dialogues (tg_id, flow, step, answers, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (tg_id) DO UPDATE SET flow = excluded.flow, step = excluded.step, "
            "answers = excluded.answers, updated_at = excluded.updated_at",
            (dialogue.tg_id, dialogue.flow, dialogue.step, json.dumps(dialogue.answers),
             stored(now)),
        )

    async def clear(self, tg_id: int) -> bool:
        cursor = await self._db.execute("DELETE FROM dialogues WHERE tg_id = ?", (tg_id,))
        return cursor.rowcount > 0
