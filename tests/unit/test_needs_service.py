"""The needs service alone: who may post, offer and accept; expiry; "still needed?"."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.conversation.dialogue import PREVIEW, PUBLISH, SKIP
from bot.conversation.session import Session
from bot.features.needs import Needs
from tests.unit.conftest import World

ORGANISER, OTHER_ORGANISER, HELPER = 10, 20, 30
NEED = {"title": "Lawyer needed", "description": "For a hearing in Vilnius",
        "private_details": "Call +370 600 00000", "category": "legal", "urgency": "normal",
        "country": "LT"}


@pytest.fixture
async def needs(world: World) -> Needs:
    repos = world.repos
    return Needs(repos.needs, repos.organisations, world.dialogues, world.members,
                 world.notices, world.database, world.clock)


@pytest.fixture
async def org(world: World) -> int:
    await world.organisation("Other help", OTHER_ORGANISER)
    return await world.organisation("Legal help", ORGANISER)


async def post(world: World, org_id: int, **fields: object) -> int:
    return await world.repos.needs.create(org_id, ORGANISER, {**NEED, **fields},
                                          world.clock.now())


async def answer_up_to_deadline(world: World, session: Session) -> None:
    """A new need's dialogue, answered up to its deadline question."""
    dialogues = world.dialogues
    await dialogues.answer_text(session, "Lawyer needed")
    await dialogues.answer_text(session, "For a hearing in Vilnius")
    await dialogues.answer_button(session, "private_details", SKIP)
    await dialogues.answer_button(session, "category", "legal")
    await dialogues.answer_button(session, "urgency", "normal")
    await dialogues.answer_text(session, "LT")
    await dialogues.answer_button(session, "city", SKIP)


async def test_only_an_organiser_of_an_approved_organisation_may_post(
        world: World, needs: Needs, org: int) -> None:
    member = await world.member(HELPER)
    reply = await needs.begin(member)
    assert reply.text == member.texts("organiser.no_organisation")
    assert await world.dialogues.current(HELPER) is None

    organiser = await world.member(ORGANISER)
    reply = await needs.begin(organiser)
    assert reply.text == organiser.texts.plural("need.ask.title", 120, minimum=3)


async def test_a_need_is_published_from_its_dialogue(
        world: World, needs: Needs, org: int) -> None:
    organiser = await world.member(ORGANISER)
    await needs.begin(organiser)
    await answer_up_to_deadline(world, organiser)
    await world.dialogues.answer_text(organiser, "2026-12-24")
    reply = await world.dialogues.answer_button(organiser, PREVIEW, PUBLISH)
    assert reply.text == organiser.texts("need.published", title="Lawyer needed")
    [need] = await world.repos.needs.of_organisation(org, 0, 10)
    assert (need.title, need.country, need.deadline.isoformat(), need.status) == (
        "Lawyer needed", "LT", "2026-12-24", "open")


async def test_an_organisation_suspended_during_the_dialogue_publishes_nothing(
        world: World, needs: Needs, org: int) -> None:
    organiser = await world.member(ORGANISER)
    await needs.begin(organiser)
    await answer_up_to_deadline(world, organiser)
    await world.dialogues.answer_button(organiser, "deadline", SKIP)
    await world.repos.organisations.set_status(org, "suspended", world.clock.now(),
                                               expected="approved")
    reply = await world.dialogues.answer_button(organiser, PREVIEW, PUBLISH)
    assert reply.text == organiser.texts("not_available")
    assert await world.repos.needs.count_of_organisation(org) == 0


@pytest.mark.parametrize(("zone", "accepted"), [
    ("Europe/Berlin", False),  # already 1 December there
    ("America/New_York", True),  # still 30 November there
])
async def test_a_deadline_is_today_or_later_where_the_organiser_is(
        world: World, needs: Needs, org: int, zone: str, accepted: bool) -> None:
    world.clock.set(datetime.fromisoformat("2026-11-30T23:30:00+00:00"))
    await world.repos.users.update(ORGANISER, timezone=zone)
    organiser = await world.member(ORGANISER)
    await needs.begin(organiser)
    await answer_up_to_deadline(world, organiser)
    reply = await world.dialogues.answer_text(organiser, "30.11.2026")
    refused = reply.text.startswith(organiser.texts("invalid.deadline_past"))
    assert refused is not accepted
    state = await world.dialogues.current(ORGANISER)
    assert state.step == (PREVIEW if accepted else "deadline")


async def test_offers_come_from_others_once_and_reach_the_organisers(
        world: World, needs: Needs, org: int) -> None:
    need_id = await post(world, org)
    organiser = await world.member(ORGANISER)
    assert (await needs.begin_offer(organiser, need_id)).text == organiser.texts(
        "offer.own_organisation")

    helper = await world.member(HELPER)
    reply = await needs.begin_offer(helper, need_id)
    assert reply.text == helper.texts.plural("offer.ask.message", 500)
    await world.dialogues.answer_text(helper, "I am a lawyer in Vilnius")
    await world.dialogues.answer_button(helper, "share", "noshare")
    reply = await world.dialogues.answer_button(helper, PREVIEW, PUBLISH)
    assert reply.text == helper.texts("offer.sent", title="Lawyer needed")

    [notice] = await world.notices_to(ORGANISER)
    assert "I am a lawyer in Vilnius" in notice
    assert await world.notices_to(OTHER_ORGANISER) == []
    assert (await needs.begin_offer(helper, need_id)).text == helper.texts("offer.already")


async def test_only_the_posting_organisation_decides_and_only_once(
        world: World, needs: Needs, org: int) -> None:
    need_id = await post(world, org)
    await world.member(HELPER)
    offer_id = await world.repos.needs.add_offer(need_id, HELPER, "I can help", None,
                                                 world.clock.now())
    other = await world.member(OTHER_ORGANISER)
    assert (await needs.decide_offer(other, offer_id, True)).text == other.texts(
        "not_available")
    assert await world.notices_to(HELPER) == []

    organiser = await world.member(ORGANISER)
    reply = await needs.decide_offer(organiser, offer_id, True)
    assert reply.text == organiser.texts("offer.accepted_done")
    [notice] = await world.notices_to(HELPER)
    assert "Call +370 600 00000" in notice  # the private details, to the accepted helper only
    assert (await needs.decide_offer(organiser, offer_id, False)).text == organiser.texts(
        "offer.already_accepted_other")
    assert len(await world.notices_to(HELPER)) == 1


async def test_a_need_past_its_deadline_expires(world: World, needs: Needs, org: int) -> None:
    due_today = await post(world, org, deadline="2026-11-30")
    due_yesterday = await post(world, org, title="Interpreter needed", deadline="2026-11-29")
    await needs.housekeeping()
    assert (await world.repos.needs.get(due_today)).status == "open"
    assert (await world.repos.needs.get(due_yesterday)).status == "expired"


async def test_a_need_untouched_for_14_days_is_asked_about_once(
        world: World, needs: Needs, org: int) -> None:
    need_id = await post(world, org)
    organiser = await world.member(ORGANISER)
    asked = organiser.texts("need.still_needed", title="Lawyer needed")

    world.clock.advance(days=13, hours=23)
    await needs.housekeeping()
    assert await world.notices_to(ORGANISER) == []

    world.clock.advance(hours=2)
    await needs.housekeeping()
    await needs.housekeeping()
    assert await world.notices_to(ORGANISER) == [asked]
    assert await world.notices_to(OTHER_ORGANISER) == []

    reply = await needs.still_needed(organiser, need_id, True)
    assert reply.text == organiser.texts("need.kept", title="Lawyer needed")
    world.clock.advance(days=14, hours=1)
    await needs.housekeeping()
    assert await world.notices_to(ORGANISER) == [asked, asked]

    other = await world.member(OTHER_ORGANISER)
    assert (await needs.still_needed(other, need_id, False)).text == other.texts(
        "not_available")
    reply = await needs.still_needed(organiser, need_id, False)
    assert reply.text == organiser.texts("need.closed", title="Lawyer needed")
    assert (await world.repos.needs.get(need_id)).status == "closed"
