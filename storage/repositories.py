"""All repositories behind one object, handed to services."""

from __future__ import annotations

from storage.database import Database
from storage.dialogues import DialogueRepository
from storage.updates import UpdateRepository
from storage.users import UserRepository


class Repositories:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.users = UserRepository(database)
        self.updates = UpdateRepository(database)
        self.dialogues = DialogueRepository(database)
