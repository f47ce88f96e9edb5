"""The events service alone: who sees a hidden venue and when; capacity and the waiting list."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.features.events import Events
from tests.unit.conftest import World

ORGANISER, GUEST = 10, 30
STARTS = datetime.fromisoformat("2026-12-03T17:00:00+00:00")  # three days after the clock
VENUE = "Backyard of Main Street 5"


@pytest.fixture
def events(world: World) -> Events:
    return Events(world.repos.events, world.repos.shifts, world.dialogues, world.members,
                  world.notices, world.database, world.clock, world.channel)


@pytest.fixture
async def org(world: World) -> int:
    return await world.organisation("Memorial", ORGANISER)


async def schedule(world: World, org_id: int, **fields: object) -> int:
    values = {"title": "Reading of names", "description": "We read the names",
              "kind": "commemoration", "country": "DE", "city": "Berlin",
              "timezone": "Europe/Berlin", "starts_at": STARTS, "ends_at": None, "venue": VENUE,
              "disclosure": "public",
              **fields}
    return await world.repos.events.create(org_id, ORGANISER, values, world.clock.now())


async def sees_venue(events: Events, world: World, tg_id: int, event_id: int) -> bool:
    """Whether the card and the calendar file show this person the venue."""
    session = await world.member(tg_id)
    card = (await events.card(session, event_id)).text
    ics, _ = await events.calendar(session, event_id)
    assert (VENUE in card) == (VENUE.encode() in ics)
    return VENUE in card


async def test_a_public_venue_is_shown_to_everyone(world: World, events: Events, org: int) -> None:
    event_id = await schedule(world, org)
    assert await sees_venue(events, world, GUEST, event_id)


async def test_a_venue_for_those_going_is_shown_once_they_answer_going(
        world: World, events: Events, org: int) -> None:
    event_id = await schedule(world, org, disclosure="going")
    assert await sees_venue(events, world, ORGANISER, event_id)
    assert not await sees_venue(events, world, GUEST, event_id)

    guest = await world.member(GUEST)
    await events.rsvp(guest, event_id, "maybe")
    assert not await sees_venue(events, world, GUEST, event_id)
    reply = await events.rsvp(guest, event_id, "going")
    assert reply.text == guest.texts("rsvp.going_venue", title="Reading of names", venue=VENUE)
    assert await sees_venue(events, world, GUEST, event_id)


async def test_a_venue_hours_before_is_shown_to_those_going_from_then_on(
        world: World, events: Events, org: int) -> None:
    event_id = await schedule(world, org, disclosure="going_before", disclose_hours=2)
    guest = await world.member(GUEST)
    reply = await events.rsvp(guest, event_id, "going")
    assert reply.text == guest.texts.plural("rsvp.going_venue_later", 2, title="Reading of names",
                                            day="Thu 3 Dec", time="16:00")
    assert await sees_venue(events, world, ORGANISER, event_id)

    world.clock.set(datetime.fromisoformat("2026-12-03T14:59:00+00:00"))
    assert not await sees_venue(events, world, GUEST, event_id)
    world.clock.set(datetime.fromisoformat("2026-12-03T15:00:00+00:00"))
    assert await sees_venue(events, world, GUEST, event_id)
    assert not await sees_venue(events, world, GUEST + 1, event_id)  # not going: never


async def test_going_beyond_capacity_waits_and_a_freed_place_goes_to_the_first_waiting(
        world: World, events: Events, org: int) -> None:
    event_id = await schedule(world, org, capacity=2, disclosure="going")
    first, second, third, fourth = [await world.member(GUEST + n) for n in range(4)]
    await events.rsvp(first, event_id, "going")
    await events.rsvp(second, event_id, "going")
    reply = await events.rsvp(third, event_id, "going")
    assert reply.text == third.texts("rsvp.waiting", title="Reading of names", position=1)
    reply = await events.rsvp(fourth, event_id, "going")
    assert reply.text == fourth.texts("rsvp.waiting", title="Reading of names", position=2)
    assert await world.notices_to(third.user.tg_id) == []

    await events.rsvp(second, event_id, "maybe")
    repo = world.repos.events
    assert await repo.answer_of(event_id, third.user.tg_id) == "going"
    assert await world.notices_to(third.user.tg_id) == [third.texts(
        "rsvp.promoted_venue", title="Reading of names", venue=VENUE)]
    assert await repo.waiting_position(event_id, fourth.user.tg_id) == 1

    await events.leave_all(first.user.tg_id)  # /forget gives the place up as Not going
    assert await repo.answer_of(event_id, fourth.user.tg_id) == "going"
    event = await repo.get(event_id)
    assert (event.going, event.waiting) == (2, 0)


async def test_nobody_answers_once_the_event_has_begun(
        world: World, events: Events, org: int) -> None:
    event_id = await schedule(world, org)
    guest = await world.member(GUEST)
    world.clock.set(STARTS)
    assert (await events.rsvp(guest, event_id, "going")).text == guest.texts("not_available")
    assert await world.repos.events.answer_of(event_id, GUEST) is None
