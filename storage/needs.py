"""Repository of needs, offers of help and critical-need alert choices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from storage.models import Need, NeedStatus, Offer
from storage.posts import PostRepository, visible
from storage.timestamps import stored

_NEED = ("SELECT n.id, n.org_id, o.name AS org_name, o.status AS org_status, n.author_id, "
         "n.title, n.description, n.private_details, n.category, n.urgency, n.country, n.city, "
         "n.deadline, n.status, n.hidden_at, n.hidden_reason, n.created_at, n.updated_at, "
         "(SELECT count(*) FROM offers WHERE need_id = n.id) AS offers "
         # CROSS JOIN keeps needs as the outer loop, so the filter's index drives the query.
         "FROM needs AS n CROSS JOIN organisations AS o ON o.id = n.org_id")
_OFFER = ("SELECT id, need_id, helper_id, message, username, status, relayed, created_at, "
          "decided_by FROM offers")
_URGENCY_RANK = {"normal": 0, "urgent": 1, "critical": 2}
EDITABLE = frozenset({"title", "description", "private_details", "category", "urgency",
                      "country", "city", "deadline"})


@dataclass(frozen=True)
class NeedFilter:
    """What /needs shows: any combination of category, country and urgency."""

    category: str | None = None
    country: str | None = None
    urgency: str | None = None

    def where(self) -> tuple[str, tuple]:
        """Conditions on needs `n` that the needs_open* indexes answer (urgency as its rank)."""
        conditions = ["n.status = 'open'", visible("n")]
        params: list[object] = []
        for column, value in (("category", self.category), ("country", self.country),
                              ("urgency_rank", _URGENCY_RANK.get(self.urgency))):
            if value is not None:
                conditions.append(f"n.{column} = ?")
                params.append(value)
        return " AND ".join(conditions), tuple(params)


def _need(row) -> Need:
    return Need.model_validate(dict(row))


class NeedRepository(PostRepository):
    _table = "needs"

    async def create(self, org_id: int, author_id: int, fields: dict, now: datetime) -> int:
        cursor = await self._db.execute(
            "INSERT INTO needs (org_id, author_id, title, description, private_details, "
            "category, urgency, country, city, deadline, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (org_id, author_id, fields["title"], fields["description"],
             fields.get("private_details"), fields["category"], fields["urgency"],
             fields["country"], fields.get("city"), fields.get("deadline"), stored(now),
             stored(now)),
        )
        return cursor.value

    async def get(self, need_id: int) -> Need | None:
        row = await self._db.fetch_one(f"{_NEED} WHERE n.id = ?", (need_id,))
        return None if row is None else _need(row)

    async def browse(self, where: NeedFilter, offset: int, limit: int) -> list[Need]:
        """Open needs members may see, critical and urgent first, newest first."""
        condition, params = where.where()
        rows = await self._db.fetch_all(
            f"{_NEED} WHERE {condition} ORDER BY n.urgency_rank DESC, n.created_at DESC "
            "LIMIT ? OFFSET ?", (*params, limit, offset),
        )
        return [_need(row) for row in rows]

    async def count(self, where: NeedFilter) -> int:
        condition, params = where.where()
        return await self._db.fetch_value(f"SELECT count(*) FROM needs AS n WHERE {condition}",
                                          params)

    async def countries(self, limit: int) -> list[str]:
        """The places with the most open needs, for the country filter's buttons."""
        rows = await self._db.fetch_all(
            f"SELECT n.country FROM needs AS n WHERE n.status = 'open' AND {visible('n')} "
            "GROUP BY n.country ORDER BY count(*) DESC, n.country LIMIT ?", (limit,),
        )
        return [row[0] for row in rows]

    async def of_organisation(self, org_id: int, offset: int, limit: int) -> list[Need]:
        rows = await self._db.fetch_all(
            f"{_NEED} WHERE n.org_id = ? ORDER BY n.status != 'open', n.created_at DESC "
            "LIMIT ? OFFSET ?", (org_id, limit, offset),
        )
        return [_need(row) for row in rows]

    async def count_of_organisation(self, org_id: int) -> int:
        return await self._db.fetch_value("SELECT count(*) FROM needs WHERE org_id = ?",
                                          (org_id,))

    async def update(self, need_id: int, now: datetime, **values: object) -> None:
        unknown = set(values) - EDITABLE
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        assignments = "".join(f"{name} = ?, " for name in values)
        await self._db.execute(
            f"UPDATE needs SET {assignments}updated_at = ?, asked_at = NULL WHERE id = ?",
            (*values.values(), stored(now), need_id),
        )

    async def set_status(
        self, need_id: int, status: NeedStatus, now: datetime, *, expected: NeedStatus = "open"
    ) -> bool:
        cursor = await self._db.execute(
            "UPDATE needs SET status = ?, updated_at = ? WHERE id = ? AND status = ?",
            (status, stored(now), need_id, expected),
        )
        return cursor.rowcount == 1

    async def confirm_still_needed(self, need_id: int, now: datetime) -> bool:
        cursor = await self._db.execute(
            "UPDATE needs SET updated_at = ?, asked_at = NULL WHERE id = ? AND status = 'open'",
            (stored(now), need_id),
        )
        return cursor.rowcount == 1

    async def expire(self, today: date, now: datetime) -> list[int]:
        """Open needs whose deadline has passed become expired; their ids."""
        async with self._db.transaction():
            rows = await self._db.fetch_all(
                "UPDATE needs SET status = 'expired', updated_at = ? "
                "WHERE status = 'open' AND deadline < ? RETURNING id",
                (stored(now), today.isoformat()),
            )
        return [row[0] for row in rows]

    async def untouched(self, before: datetime) -> list[Need]:
        """Open needs members may see, not updated since `before` and not asked yet whether
        they are still needed."""
        rows = await self._db.fetch_all(
            f"{_NEED} WHERE n.status = 'open' AND n.asked_at IS NULL AND n.updated_at < ? "
            f"AND {visible('n')} ORDER BY n.id", (stored(before),),
        )
        return [_need(row) for row in rows]

    async def mark_asked(self, need_id: int, now: datetime) -> bool:
        """Record that the organisers were asked; False if they already were."""
        cursor = await self._db.execute(
            "UPDATE needs SET asked_at = ? WHERE id = ? AND asked_at IS NULL",
            (stored(now), need_id),
        )
        return cursor.rowcount == 1

    # --- offers ----------------------------------------------------------------------------

    async def add_offer(
        self, need_id: int, helper_id: int, message: str, username: str | None, now: datetime
    ) -> int | None:
        """The new offer's id; None if this helper already offered help for this need."""
        cursor = await self._db.execute(
            "INSERT OR IGNORE INTO offers (need_id, helper_id, message, username, created_at) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            (need_id, helper_id, message, username, stored(now)),
        )
        return cursor.value

    async def has_offered(self, need_id: int, helper_id: int) -> bool:
        return await self._db.fetch_one(
            "SELECT 1 FROM offers WHERE need_id = ? AND helper_id = ?", (need_id, helper_id)
        ) is not None

    async def offer(self, offer_id: int) -> Offer | None:
        row = await self._db.fetch_one(
            f"{_OFFER} "
            "WHERE id = ?", (offer_id,),
        )
        return None if row is None else Offer.model_validate(dict(row))

    async def offers_for(self, need_id: int) -> list[Offer]:
        rows = await self._db.fetch_all(
            f"{_OFFER} "
            "WHERE need_id = ? ORDER BY id", (need_id,),
        )
        return [Offer.model_validate(dict(row)) for row in rows]

    async def offers_by(self, helper_id: int, offset: int, limit: int) -> list[Offer]:
        """The offers a person made, newest first (/myoffers)."""
        rows = await self._db.fetch_all(
            f"{_OFFER} WHERE helper_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
            (helper_id, limit, offset),
        )
        return [Offer.model_validate(dict(row)) for row in rows]

    async def count_offers_by(self, helper_id: int) -> int:
        return await self._db.fetch_value(
            "SELECT count(*) FROM offers WHERE helper_id = ?", (helper_id,))

    async def decide_offer(self, offer_id: int, status: str, decided_by: int,
                           now: datetime) -> bool:
        cursor = await self._db.execute(
            "UPDATE offers SET status = ?, decided_at = ?, decided_by = ? WHERE id = ? "
            "AND status = 'pending'", (status, stored(now), decided_by, offer_id),
        )
        return cursor.rowcount == 1

    # --- alerts ----------------------------------------------------------------------------

    async def alert_categories(self, tg_id: int) -> set[str]:
        rows = await self._db.fetch_all(
            "SELECT category FROM need_alerts WHERE tg_id = ?", (tg_id,))
        return {row[0] for row in rows}

    async def toggle_alert(self, tg_id: int, category: str) -> bool:
        """Switch alerts for a category on or off; True if now on."""
        async with self._db.transaction():
            cursor = await self._db.execute(
                "DELETE FROM need_alerts WHERE tg_id = ? AND category = ?", (tg_id, category))
            if cursor.rowcount:
                return False
            await self._db.execute(
                "INSERT INTO need_alerts (tg_id, category) VALUES (?, ?)", (tg_id, category))
            return True
