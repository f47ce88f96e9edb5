"""The rules of announcements, on their own: the announcement service built with its real
repositories on a temporary database and a hand-moved clock, without Telegram."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.conversation.dialogue import Flow
from bot.conversation.session import Session
from bot.features.announcements import Announcements
from bot.features.members import Members
from bot.features.notices import Notices
from bot.infra.botlink import BotLink
from bot.infra.delivery import DeliveryQueue
from bot.infra.i18n import texts
from storage.announcements import AnnouncementRepository
from storage.audit import AuditRepository
from storage.database import Database, SqliteDatabase
from storage.deliveries import Broadcast, DeliveryRepository
from storage.schema import migrate
from storage.users import UserRepository
from tests.harness import FakeClock

AUTHOR, SECOND = 900, 901
WINDOW = 60  # seconds
PER_HOUR = 2
START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
EN = texts("en")


class FlowsKept:
    """Stands in for the dialogue engine: keeps the flows a service registers."""

    def __init__(self) -> None:
        self.flows: dict[str, Flow] = {}

    def register(self, *flows: Flow) -> None:
        self.flows.update((flow.name, flow) for flow in flows)


@dataclass
class Desk:
    """The service under test and what it works on."""

    announcements: Announcements
    flow: Flow
    members: Members
    database: Database
    clock: FakeClock

    async def session(self, tg_id: int) -> Session:
        return await self.members.session_by_id(tg_id)

    async def announce(self, tg_id: int, audience: str, send_at: datetime | None = None):
        """What the author sees on pressing Send, after writing the announcement."""
        answers: dict[str, Any] = {"text": "<b>Rally</b> on Saturday", "audience": audience,
                                   "send_at": send_at.isoformat() if send_at else None}
        return await self.flow.finish(await self.session(tg_id), answers)

    async def newest(self) -> Broadcast:
        [broadcast] = await AnnouncementRepository(self.database).recent(1)
        return broadcast

    async def notified(self) -> list[int]:
        """Who notices were queued to."""
        rows = await self.database.fetch_all(
            "SELECT chat_id FROM deliveries JOIN broadcasts ON broadcasts.id = broadcast_id "
            "WHERE kind = 'notice' ORDER BY chat_id")
        return [row["chat_id"] for row in rows]


@pytest.fixture
async def database(tmp_path) -> AsyncIterator[Database]:
    database = SqliteDatabase(tmp_path / "announcements.db")
    await database.open()
    await migrate(database)
    yield database
    await database.close()


async def desk(database: Database, *, four_eyes: bool) -> Desk:
    clock = FakeClock(START)
    users, deliveries = UserRepository(database), DeliveryRepository(database)
    dialogues = FlowsKept()
    link = BotLink()  # never connected: these rules send nothing to Telegram themselves
    members = Members(users, dialogues, clock, link, default_language="en",
                      default_timezone="Europe/Berlin")
    queue = DeliveryQueue(deliveries, clock)  # not started: broadcasts stay in the database
    notices = Notices(users, queue, default_language="en")
    announcements = Announcements(
        database, deliveries, AnnouncementRepository(database), users, AuditRepository(database),
        queue, dialogues, members, notices, clock, link,
        four_eyes=four_eyes, cancel_window=WINDOW, per_hour=PER_HOUR)
    for tg_id in (AUTHOR, SECOND):
        await users.set_coordinator(tg_id, True, clock.now())
    for tg_id in range(1, 4):
        await users.ensure(tg_id, clock.now())
    return Desk(announcements, dialogues.flows["announce"], members, database, clock)


async def test_only_a_broadcast_to_everyone_waits_the_cancel_window(database: Database) -> None:
    bureau = await desk(database, four_eyes=False)
    await bureau.announce(AUTHOR, "organisers")
    organisers = await bureau.newest()
    assert (organisers.status, organisers.not_before) == ("scheduled", START)

    await bureau.announce(AUTHOR, "everyone")
    everyone = await bureau.newest()
    assert everyone.status == "scheduled"
    assert everyone.not_before == START + timedelta(seconds=WINDOW)

    later = START + timedelta(hours=5)
    await bureau.announce(SECOND, "everyone", later)
    assert (await bureau.newest()).not_before == later  # a chosen time past the window stays
    assert await bureau.notified() == []  # nobody is asked to approve


async def test_under_four_eyes_every_audience_waits_for_a_second_coordinator(
    database: Database,
) -> None:
    bureau = await desk(database, four_eyes=True)
    await bureau.announce(AUTHOR, "organisers")
    broadcast = await bureau.newest()
    assert broadcast.status == "awaiting_approval"
    assert await bureau.notified() == [SECOND]  # the other coordinator is asked

    own = await bureau.announcements.approve(await bureau.session(AUTHOR), broadcast.id)
    assert own.text == EN("announce.approve_own")
    assert (await bureau.newest()).status == "awaiting_approval"

    approved_at = bureau.clock.advance(minutes=30)
    second = await bureau.announcements.approve(await bureau.session(SECOND), broadcast.id)
    assert second.text == EN("announce.approved")
    approved = await bureau.newest()
    assert (approved.id, approved.status) == (broadcast.id, "scheduled")
    assert await database.fetch_value(
        "SELECT approved_by FROM broadcasts WHERE id = ?", (broadcast.id,)) == SECOND
    # The window counts from the approval, not from when the author pressed Send.
    assert approved.not_before == approved_at + timedelta(seconds=WINDOW)

    again = await bureau.announcements.approve(await bureau.session(SECOND), broadcast.id)
    assert again.text == EN("not_available")


async def test_each_coordinator_starts_at_most_the_hourly_cap(database: Database) -> None:
    bureau = await desk(database, four_eyes=False)
    for _ in range(PER_HOUR):
        await bureau.announce(AUTHOR, "subscribers")
        bureau.clock.advance(minutes=10)
    before = (await bureau.newest()).id
    refused = await bureau.announce(AUTHOR, "subscribers")
    assert refused.text == EN.plural("announce.cap", PER_HOUR)
    assert (await bureau.newest()).id == before  # nothing was queued

    await bureau.announce(SECOND, "subscribers")  # the cap is each coordinator's own
    assert (await bureau.newest()).author_id == SECOND

    bureau.clock.advance(minutes=41)  # the first one is now more than an hour old
    await bureau.announce(AUTHOR, "subscribers")
    assert (await bureau.newest()).author_id == AUTHOR
