"""Repository of organisations, their approvals, memberships and invites."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from storage.database import Database
from storage.models import Organisation, OrgStatus
from storage.timestamps import stored


class Invite(NamedTuple):
    org_id: int
    created_by: int | None  # None once its author is forgotten


def name_key(name: str) -> str:
    """Names are unique ignoring case and surrounding spaces."""
    return " ".join(name.split()).casefold()


def _organisation(row) -> Organisation:
    return Organisation.model_validate(dict(row))


_COLUMNS = ("id, name, description, country, city, website, status, applicant_id, created_at, "
            "decided_at")


class OrganisationRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def create(
        self, *, name: str, description: str, country: str, city: str | None,
        website: str | None, applicant_id: int, now: datetime,
    ) -> int:
        cursor = await self._db.execute(
            "INSERT INTO organisations (name, name_key, description, country, city, website, "
            "applicant_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (name, name_key(name), description, country, city, website, applicant_id,
             stored(now)),
        )
        return cursor.value

    async def get(self, org_id: int) -> Organisation | None:
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM organisations WHERE id = ?", (org_id,)
        )
        return None if row is None else _organisation(row)

    async def name_taken(self, name: str) -> bool:
        return await self._db.fetch_one(
            "SELECT 1 FROM organisations WHERE name_key = ?", (name_key(name),)
        ) is not None

    async def pending_application(self, applicant_id: int) -> Organisation | None:
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM organisations WHERE applicant_id = ? AND status = 'pending'",
            (applicant_id,),
        )
        return None if row is None else _organisation(row)

    async def set_status(
        self, org_id: int, status: OrgStatus, now: datetime, *, expected: OrgStatus
    ) -> bool:
        """Move from `expected` to `status`; False if the organisation was not in `expected`."""
        cursor = await self._db.execute(
            "UPDATE organisations SET status = ?, decided_at = ? WHERE id = ? AND status = ?",
            (status, stored(now), org_id, expected),
        )
        return cursor.rowcount == 1

    async def add_approval(self, org_id: int, coordinator_id: int, now: datetime) -> int:
        """Record a coordinator's approval (once each); the number of distinct approvals."""
        await self._db.execute(
            "INSERT OR IGNORE INTO organisation_approvals (org_id, coordinator_id, approved_at) "
            "VALUES (?, ?, ?)", (org_id, coordinator_id, stored(now)),
        )
        return await self._db.fetch_value(
            "SELECT count(*) FROM organisation_approvals WHERE org_id = ?", (org_id,)
        )

    async def approved_by(self, org_id: int) -> list[int]:
        rows = await self._db.fetch_all(
            "SELECT coordinator_id FROM organisation_approvals WHERE org_id = ? "
            "ORDER BY approved_at", (org_id,),
        )
        return [row[0] for row in rows]

    async def count(self) -> int:
        return await self._db.fetch_value("SELECT count(*) FROM organisations")

    async def page(self, offset: int, limit: int) -> list[Organisation]:
        """Pending first, then approved, suspended and rejected; by name within each."""
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM organisations ORDER BY CASE status WHEN 'pending' THEN 0 "
            "WHEN 'approved' THEN 1 WHEN 'suspended' THEN 2 ELSE 3 END, name_key "
            "LIMIT ? OFFSET ?", (limit, offset),
        )
        return [_organisation(row) for row in rows]

    async def add_member(self, tg_id: int, org_id: int, now: datetime) -> bool:
        """Make the person an organiser; False if they already belong to an organisation."""
        cursor = await self._db.execute(
            "INSERT OR IGNORE INTO memberships (tg_id, org_id, joined_at) VALUES (?, ?, ?)",
            (tg_id, org_id, stored(now)),
        )
        return cursor.rowcount == 1

    async def members(self, org_id: int) -> list[int]:
        rows = await self._db.fetch_all(
            "SELECT tg_id FROM memberships WHERE org_id = ? ORDER BY joined_at", (org_id,)
        )
        return [row[0] for row in rows]

    async def create_invite(
        self, token_hash: str, org_id: int, created_by: int, now: datetime, expires: datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO invites (token_hash, org_id, created_by, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (token_hash, org_id, created_by, stored(now), stored(expires)),
        )

    async def invite(self, token_hash: str, now: datetime) -> Invite | None:
        """An unused, unexpired invite; None for any other token."""
        row = await self._db.fetch_one(
            "SELECT org_id, created_by FROM invites WHERE token_hash = ? AND used_at IS NULL "
            "AND expires_at > ?", (token_hash, stored(now)),
        )
        return None if row is None else Invite(row["org_id"], row["created_by"])

    async def prune_invites(self, now: datetime) -> int:
        """Delete expired invites, used or not: nothing can be done with them any more."""
        cursor = await self._db.execute(
            "DELETE FROM invites WHERE expires_at <= ?", (stored(now),)
        )
        return cursor.rowcount

    async def use_invite(self, token_hash: str, tg_id: int, now: datetime) -> None:
        await self._db.execute(
            "UPDATE invites SET used_by = ?, used_at = ? WHERE token_hash = ?",
            (tg_id, stored(now), token_hash),
        )
