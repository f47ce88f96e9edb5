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
            "digest_time, is_coordinator, is_active, created_at, label FROM users WHERE tg_id = ?",
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
            "f.relayed AS messages_relayed, f.created_at FROM offers f "
            "JOIN needs n ON n.id = f.need_id WHERE f.helper_id = ? ORDER BY f.id", (tg_id,),
        )
        relayed = await db.fetch_all(
            "SELECT sent_at FROM relay_sends WHERE tg_id = ? ORDER BY sent_at", (tg_id,))
        rsvps = await db.fetch_all(
            "SELECT e.title AS event, e.starts_at, r.answer, r.answered_at FROM rsvps r "
            "JOIN events e ON e.id = r.event_id WHERE r.tg_id = ? ORDER BY e.starts_at", (tg_id,),
        )
        shifts = await db.fetch_all(
            "SELECT e.title AS event, s.role, s.starts_at, s.ends_at, g.state, g.signed_at "
            "FROM shift_signups g JOIN shifts s ON s.id = g.shift_id "
            "JOIN events e ON e.id = s.event_id WHERE g.tg_id = ? ORDER BY s.starts_at",
            (tg_id,),
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
        announcements = await db.fetch_all(
            "SELECT id, audience, text, status, created_at, not_before AS sent_from, "
            "status_chat_id IS NOT NULL AS status_message_in_your_chat FROM broadcasts "
            "WHERE kind = 'announcement' AND author_id = ? ORDER BY id", (tg_id,),
        )
        approvals = await db.fetch_all(
            "SELECT 'organisation' AS what, o.name AS name, a.approved_at AS at "
            "FROM organisation_approvals a JOIN organisations o ON o.id = a.org_id "
            "WHERE a.coordinator_id = ? UNION ALL "
            "SELECT 'announcement', 'broadcast ' || id, created_at FROM broadcasts "
            "WHERE approved_by = ? ORDER BY at", (tg_id, tg_id),
        )
        deliveries = await db.fetch_all(
            "SELECT b.kind, d.status, d.sent_at FROM deliveries d "
            "JOIN broadcasts b ON b.id = d.broadcast_id WHERE d.chat_id = ? ORDER BY d.id",
            (tg_id,),
        )
        campaigns = await db.fetch_all(
            "SELECT title, starts_on, ends_on, created_at FROM campaigns WHERE created_by = ? "
            "ORDER BY id", (tg_id,),
        )
        elections = await db.fetch_all(
            "SELECT name, name_ru, date, country, created_at FROM elections WHERE created_by = ? "
            "ORDER BY id", (tg_id,),
        )
        coordinator_requests = await db.fetch_all(
            "SELECT requested_at, status, decided_at, candidate_id = ?1 AS about_you, "
            "requested_by = ?1 AS asked_by_you, decided_by = ?1 AS decided_by_you "
            "FROM coordinator_grants WHERE candidate_id = ?1 OR requested_by = ?1 "
            "OR decided_by = ?1 ORDER BY id", (tg_id,),
        )
        # Entries in which they acted, or which name them (`user:<id>`), through the pseudonym.
        audit = await db.fetch_all(
            "SELECT at, action, target, actor_id IS ? AS by_you FROM audit_log WHERE id IN ("
            "SELECT e.id FROM audit_people AS p JOIN audit_entries AS e "
            "ON e.actor = p.number OR e.subject = p.number WHERE p.tg_id = ?) ORDER BY id",
            (tg_id, tg_id),
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
            "relayed_messages_sent_at": [row[0] for row in relayed],
            "rsvps": [_plain(row) for row in rsvps],
            "shifts": [_plain(row) for row in shifts],
            "needs_posted": [_plain(row) for row in needs_posted],
            "events_posted": [_plain(row) for row in events_posted],
            "announcements_written": [_plain(row) for row in announcements],
            "approvals_given": [_plain(row) for row in approvals],
            "coordinator_requests": [_plain(row) for row in coordinator_requests],
            "campaigns_created": [_plain(row) for row in campaigns],
            "elections_added": [_plain(row) for row in elections],
            "messages_to_you_still_recorded": [_plain(row) for row in deliveries],
            "audit_log_entries": [{**_plain(row), "by_you": bool(row["by_you"])}
                                  for row in audit],
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

    async def is_last_coordinator(self, tg_id: int) -> bool:
        """Whether the coalition would be left without a coordinator if this person left."""
        return bool(await self._db.fetch_value(
            "SELECT is_coordinator = 1 "
            "AND (SELECT count(*) FROM users WHERE is_coordinator = 1) = 1 "
            "FROM users WHERE tg_id = ?", (tg_id,),
        ))

    async def forget(self, tg_id: int) -> None:
        """Delete the person; what they posted stays, without them (foreign keys SET NULL name
        them nowhere else: invites, needs, events, campaigns, elections, announcements). The
        columns without a foreign key, and the audit log's pseudonym, are cleared here."""
        async with self._db.transaction():
            await self._db.execute(
                "DELETE FROM organisation_approvals WHERE coordinator_id = ?", (tg_id,)
            )
            await self._db.execute(
                "DELETE FROM coordinator_grants WHERE candidate_id = ?1 OR requested_by = ?1",
                (tg_id,),
            )
            await self._db.execute(
                "UPDATE coordinator_grants SET decided_by = NULL WHERE decided_by = ?", (tg_id,)
            )
            await self._db.execute(
                "UPDATE broadcasts SET approved_by = NULL WHERE approved_by = ?", (tg_id,)
            )
            # The broadcast goes on; its status message in their chat is no longer updated.
            await self._db.execute(
                "UPDATE broadcasts SET status_chat_id = NULL, status_message_id = NULL "
                "WHERE status_chat_id = ?", (tg_id,)
            )
            await self._db.execute(
                "UPDATE audit_people SET tg_id = NULL WHERE tg_id = ?", (tg_id,)
            )
            await self._db.execute("DELETE FROM flood_windows WHERE tg_id = ?", (tg_id,))
            await self._db.execute("DELETE FROM users WHERE tg_id = ?", (tg_id,))


def _plain(row) -> dict[str, Any] | None:
    return None if row is None else dict(row)
