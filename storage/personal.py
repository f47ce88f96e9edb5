"""Everything stored about one person, in one place: for /mydata and /forget (SPEC §9)."""

from __future__ import annotations

import json
from typing import Any

from storage.database import Database


class PersonalDataRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def export(self, tg_id: int) -> dict[str, Any]:
        db = self._db
        user = await db.fetch_one(
            "SELECT tg_id AS telegram_id, language, client_language, country, city, timezone, "
            "digest_time, is_coordinator, is_active, created_at FROM users WHERE tg_id = ?",
            (tg_id,),
        )
        membership = await db.fetch_one(
            "SELECT o.name AS organisation, o.status AS organisation_status, m.joined_at "
            "FROM memberships m JOIN organisations o ON o.id = m.org_id WHERE m.tg_id = ?",
            (tg_id,),
        )
        applications = await db.fetch_all(
            "SELECT name, status, created_at, decided_at FROM organisations "
            "WHERE applicant_id = ? ORDER BY id", (tg_id,),
        )
        invites = await db.fetch_all(
            "SELECT o.name AS organisation, i.created_at, i.expires_at, "
            "i.used_at IS NOT NULL AS used FROM invites i JOIN organisations o ON o.id = i.org_id "
            "WHERE i.created_by = ? ORDER BY i.created_at", (tg_id,),
        )
        redeemed = await db.fetch_all(
            "SELECT o.name AS organisation, i.used_at FROM invites i "
            "JOIN organisations o ON o.id = i.org_id WHERE i.used_by = ?", (tg_id,),
        )
        subscription = await db.fetch_one(
            "SELECT frequency, topics, country, created_at, next_due_at AS next_digest_at, "
            "last_until AS last_digest_period_end FROM subscriptions WHERE tg_id = ?", (tg_id,),
        )
        dialogue = await db.fetch_one(
            "SELECT flow, step, answers, updated_at FROM dialogues WHERE tg_id = ?", (tg_id,)
        )
        offers = await db.fetch_all(
            "SELECT n.title AS need, f.message, f.username AS shared_username, f.status, "
            "f.created_at FROM offers f JOIN needs n ON n.id = f.need_id WHERE f.helper_id = ? "
            "ORDER BY f.id", (tg_id,),
        )
        rsvps = await db.fetch_all(
            "SELECT e.title AS event, e.starts_at, r.answer, r.answered_at FROM rsvps r "
            "JOIN events e ON e.id = r.event_id WHERE r.tg_id = ? ORDER BY e.starts_at", (tg_id,),
        )
        needs_posted = await db.fetch_all(
            "SELECT title, status, created_at FROM needs WHERE author_id = ? ORDER BY id",
            (tg_id,),
        )
        events_posted = await db.fetch_all(
            "SELECT title, starts_at, status FROM events WHERE author_id = ? ORDER BY id",
            (tg_id,),
        )
        alerts = await db.fetch_all(
            "SELECT category FROM need_alerts WHERE tg_id = ? ORDER BY category", (tg_id,)
        )
        return {
            "user": _plain(user),
            "membership": _plain(membership),
            "organisation_applications": [_plain(row) for row in applications],
            "invites_created": [_plain(row) for row in invites],
            "invites_redeemed": [_plain(row) for row in redeemed],
            "subscription": _plain(subscription),
            "critical_need_alerts": [row[0] for row in alerts],
            "offers_of_help": [_plain(row) for row in offers],
            "rsvps": [_plain(row) for row in rsvps],
            "needs_posted": [_plain(row) for row in needs_posted],
            "events_posted": [_plain(row) for row in events_posted],
            "dialogue_in_progress": None if dialogue is None else {
                **_plain(dialogue), "answers": json.loads(dialogue["answers"])},
        }

    async def last_organiser_of(self, tg_id: int) -> str | None:
        """The name of the approved organisation this person is the only organiser of."""
        return await self._db.fetch_value(
            "SELECT o.name FROM memberships m JOIN organisations o ON o.id = m.org_id "
            "WHERE m.tg_id = ? AND o.status = 'approved' AND "
            "(SELECT count(*) FROM memberships other WHERE other.org_id = m.org_id) = 1",
            (tg_id,),
        )

    async def forget(self, tg_id: int) -> None:
        """Delete the person; what they posted stays, without them (foreign keys SET NULL)."""
        async with self._db.transaction():
            await self._db.execute(
                "DELETE FROM organisation_approvals WHERE coordinator_id = ?", (tg_id,)
            )
            await self._db.execute(
                "DELETE FROM coordinator_grants WHERE ? IN (candidate_id, requested_by)", (tg_id,)
            )
            await self._db.execute("DELETE FROM users WHERE tg_id = ?", (tg_id,))


def _plain(row) -> dict[str, Any] | None:
    return None if row is None else dict(row)
