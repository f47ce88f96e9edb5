"""The digests service alone: the cadence by days to an election, the next due time across
daylight-saving changes, and a digest with nothing new that is not sent."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.conversation.dialogue import SKIP
from bot.features.digests import Digests
from tests.unit.conftest import World

SUBSCRIBER, ORGANISER = 30, 10


def utc(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}+00:00")


@pytest.fixture
def digests(world: World) -> Digests:
    repos = world.repos
    return Digests(repos.digests, repos.users, repos.audit, world.dialogues, world.members,
                   world.delivery, world.database, world.clock, default_language="en",
                   default_timezone="Europe/Berlin")


async def subscribe(world: World, digests: Digests, frequency: str) -> datetime:
    """Subscribe through the dialogue (all topics, all countries, 09:00); the next due time."""
    session = await world.member(SUBSCRIBER)
    await digests.begin_subscribe(session)
    await world.dialogues.answer_button(session, "frequency", frequency)
    await world.dialogues.answer_button(session, "sub_topics", "done")
    await world.dialogues.answer_button(session, "country", SKIP)
    await world.dialogues.answer_button(session, "time", SKIP)
    return (await world.repos.digests.subscription(SUBSCRIBER)).next_due_at


@pytest.mark.parametrize(("election", "due"), [
    (None, "2026-12-07T08:00"),  # no election: Mondays
    (date(2026, 12, 30), "2026-12-03T08:00"),  # 29 days ahead: Monday and Thursday
    (date(2026, 12, 10), "2026-12-01T08:00"),  # 10 days ahead: every day
])
async def test_auto_cadence_follows_the_days_to_the_next_election(
        world: World, digests: Digests, election: date | None, due: str) -> None:
    # The clock: Monday 30 November, 10:00 in Berlin, after that day's 09:00 digest.
    if election is not None:
        await world.repos.digests.add_election("Parliament", election, "LT", None,
                                               world.clock.now())
    assert await subscribe(world, digests, "auto") == utc(due)
    assert await subscribe(world, digests, "weekly") == utc("2026-12-07T08:00")


@pytest.mark.parametrize(("now", "due"), [
    ("2026-10-24T09:00", "2026-10-25T08:00"),  # 09:00 CET, the day summer time ends
    ("2026-03-28T09:00", "2026-03-29T07:00"),  # 09:00 CEST, the day it begins
])
async def test_the_next_digest_stays_at_the_local_digest_time_across_daylight_saving(
        world: World, digests: Digests, now: str, due: str) -> None:
    world.clock.set(utc(now))
    assert await subscribe(world, digests, "daily") == utc(due)


async def test_a_digest_with_nothing_new_is_not_sent(world: World, digests: Digests) -> None:
    first = await subscribe(world, digests, "daily")
    world.clock.set(first)
    report = await digests.tick()
    assert (report.queued, report.quiet) == (0, 1)
    assert await world.notices_to(SUBSCRIBER) == []
    after_quiet = (await world.repos.digests.subscription(SUBSCRIBER)).next_due_at
    assert after_quiet == utc("2026-12-02T08:00")

    world.clock.advance(hours=1)
    org_id = await world.organisation("Legal help", ORGANISER)
    await world.repos.needs.create(org_id, ORGANISER, {
        "title": "Lawyer needed", "description": "For a hearing", "category": "legal",
        "urgency": "normal", "country": "LT"}, world.clock.now())
    world.clock.set(after_quiet)
    report = await digests.tick()
    assert (report.queued, report.quiet) == (1, 0)
    [digest] = await world.notices_to(SUBSCRIBER)
    assert "Lawyer needed" in digest

    world.clock.advance(days=1)
    assert (await digests.tick()).queued == 0  # nothing new since the last digest


async def test_within_a_week_of_an_election_a_digest_goes_out_even_with_nothing_new(
        world: World, digests: Digests) -> None:
    await world.repos.digests.add_election("Parliament", date(2026, 12, 7), "LT", None,
                                           world.clock.now())
    world.clock.set(await subscribe(world, digests, "auto"))
    report = await digests.tick()
    assert report.queued == 1
    [digest] = await world.notices_to(SUBSCRIBER)
    session = await world.member(SUBSCRIBER)
    assert digest.startswith(session.texts.plural(
        "digest.countdown", 6, election="Parliament", date="7 December 2026"))
