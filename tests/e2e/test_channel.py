"""End to end: the coalition's channel (SPEC §12.3): public events posted, edited in place and
marked cancelled; a venue for people going never shown; announcements ticked for the channel;
a channel that refuses the bot reported to coordinators once; nothing without CHANNEL_ID."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.infra.i18n import texts
from bot.sandbox.records import SentRecord
from bot.sandbox.server import BotApiServer
from tests.conftest import COORDINATOR_ID, running_bot
from tests.e2e.orgs import organiser
from tests.e2e.test_events import VENUE, _register
from tests.harness import BotUnderTest, FakeClock, Person, button_labels

# Also on PostgreSQL (tests/conftest.py: backend).
pytestmark = pytest.mark.usefixtures("backend")

EN, RU = texts("en"), texts("ru")
CHANNEL = -1001234567890
TITLE = "Returning the Names — Berlin"
REMOVED = "Forbidden: bot is not a member of the channel chat"


@pytest.fixture
async def with_channel(server: BotApiServer, make_settings,
                       clock: FakeClock) -> AsyncIterator[BotUnderTest]:
    server.add_channel(CHANNEL, "Coalition", "coalition_news")
    async with running_bot(server, make_settings(channel_id=str(CHANNEL)), clock) as bot:
        yield bot


def _channel(bot: BotUnderTest) -> list[SentRecord]:
    return [record for record in bot.server.outbox if record.chat_id == CHANNEL]


async def _channel_shows(bot: BotUnderTest, count: int) -> list[SentRecord]:
    """Wait until the channel got `count` sends and edits in all, and the queue is idle."""
    records = await bot.server.wait_for(lambda: len(_channel(bot)) >= count and _channel(bot))
    await bot.services.delivery.drain()
    assert len(_channel(bot)) == count, [r.text for r in _channel(bot)]
    return records


async def _card(person: Person):
    """The card of the event titled TITLE, as a person who opened it from a list sees it."""
    event_id = await person.bot.services.database.fetch_value(
        "SELECT id FROM events WHERE title = ?", (TITLE,))
    return await person.press_forged(f"ev:o:{event_id}")


async def _going(bot: BotUnderTest) -> Person:
    """A member who answered Going to the event titled TITLE."""
    going = bot.person("en")
    card = await _card(going)
    await going.press("Going", card.last)
    return going


async def _own_event(olga: Person):
    await olga.send("/myevents")
    return await olga.press("1")


async def _retitle(olga: Person) -> None:
    """The organiser renames her event to TITLE + ", Mitte"."""
    own = await _own_event(olga)
    await olga.press("Edit", own.last)
    await olga.press("Title")
    await olga.send(f"{TITLE}, Mitte")


async def _cancel_own_event(olga: Person) -> None:
    """The organiser cancels her (only) event, giving no reason."""
    own = await _own_event(olga)
    await olga.press("Cancel event", own.last)
    await olga.press("Skip")
    await olga.press("Cancel event")


async def test_a_public_event_is_posted_edited_in_place_and_marked_cancelled(
    with_channel: BotUnderTest,
) -> None:
    bot = with_channel
    olga = await organiser(bot)
    await _register(olga)
    [post] = await _channel_shows(bot, 1)
    assert post.method == "sendMessage"
    assert TITLE in post.text and VENUE in post.text and "Free Voices" in post.text
    # Never a person: not the organiser's name, username or id.
    assert not any(who in post.text for who in (f"P{olga.tg_id}", f"p{olga.tg_id}",
                                                 str(olga.tg_id)))

    await _retitle(olga)
    [_, edited] = await _channel_shows(bot, 2)
    assert (edited.method, edited.message_id) == ("editMessageText", post.message_id)
    assert f"{TITLE}, Mitte" in edited.text

    await _cancel_own_event(olga)
    [*_, cancelled] = await _channel_shows(bot, 3)
    assert (cancelled.method, cancelled.message_id) == ("editMessageText", post.message_id)
    assert cancelled.text.startswith("❌ CANCELLED") and f"{TITLE}, Mitte" in cancelled.text
    # One message in the channel, saying what is true now.
    assert list(bot.server.channel_posts(CHANNEL)) == [post.message_id]


async def test_an_event_a_coordinator_hides_is_withdrawn_and_comes_back_when_unhidden(
    with_channel: BotUnderTest,
) -> None:
    bot = with_channel
    olga = await organiser(bot)
    await _register(olga)
    [post] = await _channel_shows(bot, 1)
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await coordinator.send("/start")
    card = await _card(coordinator)
    await coordinator.press("Hide", card.last)
    hidden = await coordinator.send("Not a commemoration")
    [_, withdrawn] = await _channel_shows(bot, 2)
    assert (withdrawn.message_id, withdrawn.text) == (post.message_id, EN("channel.withdrawn"))
    await coordinator.press("Unhide", hidden.last)
    [*_, back] = await _channel_shows(bot, 3)
    assert (back.message_id, back.text) == (post.message_id, post.text)


async def test_a_suspended_organisations_posts_are_withdrawn_and_come_back_when_reinstated(
    with_channel: BotUnderTest,
) -> None:
    bot = with_channel
    olga = await organiser(bot)
    await _register(olga)
    await _register(olga, title="Returning the Names — Köln")
    posts = await _channel_shows(bot, 2)
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await coordinator.send("/orgs")
    await coordinator.press("Suspend", (await coordinator.press("1")).last)
    withdrawn = (await _channel_shows(bot, 4))[2:]
    assert {(r.method, r.message_id, r.text) for r in withdrawn} == {
        ("editMessageText", post.message_id, EN("channel.withdrawn")) for post in posts}
    await coordinator.send("/orgs")
    await coordinator.press("Reinstate", (await coordinator.press("1")).last)
    back = (await _channel_shows(bot, 6))[4:]
    assert {(r.message_id, r.text) for r in back} == {(p.message_id, p.text) for p in posts}
    assert bot.server.channel_posts(CHANNEL) == {p.message_id: p.text for p in posts}


async def test_a_post_retried_late_never_overwrites_a_newer_edit(
    with_channel: BotUnderTest,
) -> None:
    bot = with_channel
    bot.server.inject_error("sendMessage", chat_id=CHANNEL, error_code=500,
                            description="Internal Server Error")
    olga = await organiser(bot)
    await _register(olga)
    await bot.server.wait_for(lambda: [r for r in bot.server.rejected if r.chat_id == CHANNEL])
    own = await _own_event(olga)
    await olga.press("Edit", own.last)
    await olga.press("Title")
    first = await bot.services.database.fetch_value(
        "SELECT min(id) FROM broadcasts WHERE channel_subject IS NOT NULL")
    await olga.send(f"{TITLE}, Mitte")
    await _channel_shows(bot, 1)
    # The first post's retry is due now: superseded by the edit, it never goes out.
    bot.clock.advance(seconds=31)
    bot.services.delivery.wake()
    async with asyncio.timeout(5):
        await bot.services.delivery.finished(first)
    await bot.services.delivery.drain()
    [text] = bot.server.channel_posts(CHANNEL).values()
    assert f"{TITLE}, Mitte" in text
    assert len(_channel(bot)) == 1


async def test_a_venue_for_people_going_never_reaches_the_channel(
    with_channel: BotUnderTest,
) -> None:
    bot = with_channel
    olga = await organiser(bot)
    await _register(olga, disclosure="Going only")
    await _register(olga, title="Returning the Names — Köln", disclosure="Going only, hours before",
                    hours="3")
    await _going(bot)
    await _retitle(olga)
    records = await _channel_shows(bot, 3)
    assert EN("event.venue_going") in records[0].text
    assert EN.plural("event.venue_going_before", 3) in records[1].text
    assert records[2].edited and f"{TITLE}, Mitte" in records[2].text
    assert not any(VENUE in (record.html or "") or VENUE in (record.text or "")
                   for record in records)


async def _announce(coordinator: Person, text: str, channel: str) -> None:
    await coordinator.send("/announce")
    await coordinator.send(text)
    asked = await coordinator.press("Organisers")
    assert asked.text == EN("announce.ask.channel")
    assert button_labels(asked.last) == ["Also post to the channel", "Only to members"]
    await coordinator.press(channel)
    preview = await coordinator.press("Skip")
    assert (EN("announce.preview.channel") in preview.text) == (channel != "Only to members")
    await coordinator.press("Send")


async def test_an_announcement_goes_to_the_channel_only_when_ticked(
    with_channel: BotUnderTest,
) -> None:
    bot = with_channel
    olga = await organiser(bot)
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await coordinator.send("/start")
    await _announce(coordinator, "Readings start at noon everywhere.", "Also post to the channel")
    await _announce(coordinator, "Organisers only: bring the lists.", "Only to members")
    await bot.server.wait_for(lambda: len([
        r for r in olga.received() if "noon" in (r.text or "") or "lists" in (r.text or "")]) == 2)
    [post] = await _channel_shows(bot, 1)
    assert post.text == "Readings start at noon everywhere."


async def test_a_channel_that_removed_the_bot_is_reported_once_and_blocks_nothing(
    with_channel: BotUnderTest,
) -> None:
    bot = with_channel
    bot.server.inject_error("sendMessage", chat_id=CHANNEL, error_code=403,
                            description=REMOVED, times=None)
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await coordinator.send("/start")
    olga = await organiser(bot)
    await _register(olga)
    await _register(olga, title="Returning the Names — Köln")
    await bot.server.wait_for(lambda: len(
        [r for r in bot.server.rejected if r.chat_id == CHANNEL]) == 2)
    # The rest of the queue goes on: a member going is told of a cancellation.
    going = await _going(bot)
    await _cancel_own_event(olga)
    await bot.server.wait_for(lambda: [r for r in going.received() if "❌" in (r.text or "")])
    await bot.services.delivery.drain()
    lost = EN("channel.lost", reason=f"403: {REMOVED}")
    assert [r.text for r in coordinator.received() if r.text == lost] == [lost]
    assert not _channel(bot)
    failed = await bot.services.database.fetch_value(
        "SELECT count(*) FROM deliveries WHERE chat_id = 0 AND status = 'failed'")
    assert failed == 2


async def test_a_channel_in_russian_marks_a_cancelled_event_in_russian(
    server: BotApiServer, make_settings, clock: FakeClock,
) -> None:
    server.add_channel(CHANNEL, "Коалиция")
    settings = make_settings(channel_id=str(CHANNEL), default_language="ru")
    async with running_bot(server, settings, clock) as bot:
        olga = await organiser(bot)
        await _register(olga)
        await _cancel_own_event(olga)
        [post, cancelled] = await _channel_shows(bot, 2)
        assert RU("event.venue", venue=VENUE) in post.text
        assert cancelled.text.startswith("❌ ОТМЕНЕНО")


async def test_nothing_is_posted_without_a_channel(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    await _register(olga)
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await coordinator.send("/start")
    await coordinator.send("/announce")
    await coordinator.send("Readings start at noon everywhere.")
    asked = await coordinator.press("Organisers")
    assert asked.text != EN("announce.ask.channel")
    await bot.services.delivery.drain()
    assert await bot.services.database.fetch_value(
        "SELECT count(*) FROM deliveries WHERE chat_id = 0") == 0
    assert {r.chat_id for r in bot.server.outbox} <= set(bot.server.users)
