"""Repository of members (the users table)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time

from storage.database import Database
from storage.dialogues import dialogue_of
from storage.models import Dialogue, Membership, Person, User
from storage.timestamps import stored

_SETTABLE = frozenset({"language", "country", "city", "timezone", "digest_time", "label"})


def _user(row) -> User:
    return User.model_validate(dict(row))


@dataclass(frozen=True)
class Member:
    """A member with their link to an organisation (and its status) and open dialogue."""

    user: User
    membership: Membership | None
    dialogue: Dialogue | None


def up_to_date(user: User, client_language: str | None) -> bool:
    """Whether contact with this client language changes nothing about the stored member."""
    return user.is_active and client_language in (None, user.client_language)


class UserRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self, tg_id: int) -> User | None:
        row = await self._db.fetch_one("SELECT * FROM users WHERE tg_id = ?", (tg_id,))
        return None if row is None else _user(row)

    async def member(self, tg_id: int) -> Member | None:
        """A member as an update finds them, in one query."""
        row = await self._db.fetch_one(
            "SELECT u.*, o.id AS org_id, o.name AS org_name, o.status AS org_status, "
            "d.flow AS dialogue_flow, d.step AS dialogue_step, d.answers AS dialogue_answers "
            "FROM users AS u LEFT JOIN memberships AS m ON m.tg_id = u.tg_id "
            "LEFT JOIN organisations AS o ON o.id = m.org_id "
            "LEFT JOIN dialogues AS d ON d.tg_id = u.tg_id WHERE u.tg_id = ?", (tg_id,),
        )
        if row is None:
            return None
        values = dict(row)
        return Member(
            user=User.model_validate(values),
            membership=None if values["org_id"] is None else Membership.model_validate(values),
            dialogue=dialogue_of(tg_id, values["dialogue_flow"], values["dialogue_step"],
                                 values["dialogue_answers"]),
        )

    async def ensure(self, tg_id: int, now: datetime, client_language: str | None = None) -> User:
        """The member with this id, created on first contact; contact makes them active again."""
        user = await self.get(tg_id)
        if user is not None and up_to_date(user, client_language):
            return user
        async with self._db.transaction():
            await self._db.execute(
                "INSERT INTO users (tg_id, client_language, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (tg_id) DO UPDATE SET is_active = 1, "
                "client_language = coalesce(excluded.client_language, users.client_language) "
                "WHERE users.is_active = 0 OR (excluded.client_language IS NOT NULL "
                "AND users.client_language IS NOT excluded.client_language)",
                (tg_id, client_language, stored(now)),
            )
            user = await self.get(tg_id)
        assert user is not None
        return user

    async def update(self, tg_id: int, **values: str | time | None) -> None:
        unknown = set(values) - _SETTABLE
        if unknown:
            raise ValueError(f"not a user setting: {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ?" for name in values)
        stored = [value.strftime("%H:%M") if isinstance(value, time) else value
                  for value in values.values()]
        await self._db.execute(
            f"UPDATE users SET {assignments} WHERE tg_id = ?", (*stored, tg_id)
        )

    async def set_coordinator(self, tg_id: int, is_coordinator: bool, now: datetime) -> None:
        async with self._db.transaction():
            await self.ensure(tg_id, now)
            await self._db.execute(
                "UPDATE users SET is_coordinator = ? WHERE tg_id = ?", (int(is_coordinator), tg_id)
            )

    async def languages(self, tg_ids: list[int], default: str) -> dict[int, str]:
        """Each person's language: their choice, else their Telegram client's, else `default`."""
        placeholders = ", ".join("?" * len(tg_ids))
        rows = await self._db.fetch_all(
            f"SELECT tg_id, coalesce(language, client_language, ?) FROM users "
            f"WHERE tg_id IN ({placeholders})", (default, *tg_ids),
        )
        return {row[0]: row[1] for row in rows}

    async def coordinator_ids(self) -> list[int]:
        rows = await self._db.fetch_all(
            "SELECT tg_id FROM users WHERE is_coordinator = 1 ORDER BY tg_id"
        )
        return [row[0] for row in rows]

    async def people(self, tg_ids: Iterable[int]) -> dict[int, Person]:
        """How these people are shown to coordinators and organisers. Someone without a label
        is named by role and the audit log's pseudonym, given to them here if they had none, so
        that the log and the lists name one person alike."""
        ids = sorted(set(tg_ids))
        if not ids:
            return {}
        placeholders = ", ".join("?" * len(ids))
        async with self._db.transaction():
            # Only the missing ones: a conflicting insert would use up a number on PostgreSQL.
            await self._db.execute(
                "INSERT INTO audit_people (tg_id) SELECT v.column1 FROM (VALUES "
                f"{', '.join(['(CAST(? AS BIGINT))'] * len(ids))}) AS v WHERE v.column1 NOT IN "
                "(SELECT tg_id FROM audit_people WHERE tg_id IS NOT NULL)", ids,
            )
            rows = await self._db.fetch_all(
                "SELECT a.tg_id, a.number, u.label, "
                "CASE WHEN u.is_coordinator = 1 THEN 'coordinator' "
                "WHEN o.status = 'approved' THEN 'organiser' ELSE 'member' END AS role "
                "FROM audit_people AS a LEFT JOIN users AS u ON u.tg_id = a.tg_id "
                "LEFT JOIN memberships AS m ON m.tg_id = a.tg_id LEFT JOIN organisations AS o "
                f"ON o.id = m.org_id WHERE a.tg_id IN ({placeholders})",
                ids,
            )
        return {row["tg_id"]: Person.model_validate(dict(row)) for row in rows}
