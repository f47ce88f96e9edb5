"""End to end: /announce to each audience, the cancel window, four eyes, cap, /broadcasts."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from bot.infra.delivery import window
from bot.infra.i18n import texts
from tests.conftest import COORDINATOR_ID, running_bot
from tests.e2e.orgs import seed_organisation, snapshot
from tests.harness import BotUnderTest, Person, button_labels

# Also on PostgreSQL (tests/conftest.py: backend).
pytestmark = pytest.mark.usefixtures("backend")

EN, RU = texts("en"), texts("ru")
ANNOUNCEMENT = "Vigil on <b>Friday</b>, see <a href=\"https://example.org/v\">details</a> & come"


async def _members(bot: BotUnderTest, count: int, country: str | None = None) -> list[Person]:
    people = [bot.person("en") for _ in range(count)]
    now = bot.clock.now()
    for person in people:
        await bot.services.repos.users.ensure(person.tg_id, now, "en")
        if country:
            await bot.services.repos.users.update(person.tg_id, country=country)
    return people


async def _write(coordinator: Person, audience: str, *, country: str | None = None,
                 when: str | None = None):
    await coordinator.send("/announce")
    await _type_formatted(coordinator)
    await coordinator.press(audience)
    if country:
        await coordinator.send(country)
    if when:
        return await coordinator.send(when)
    return await coordinator.press("Skip")


async def _type_formatted(coordinator: Person) -> None:
    """Type the announcement with bold and a link, as Telegram delivers it: text + entities."""
    bot = coordinator.bot
    text = "Vigil on Friday, see details & come"
    entities = [{"type": "bold", "offset": 9, "length": 6},
                {"type": "text_link", "offset": 21, "length": 7, "url": "https://example.org/v"}]
    update = {"message": {
        "message_id": 500 + len(bot.server.outbox), "date": 0,
        "chat": {"id": coordinator.tg_id, "type": "private"},
        "from": {"id": coordinator.tg_id, "is_bot": False, "first_name": "C"},
        "text": text, "entities": entities}}
    await bot.act(coordinator, lambda: bot.server.enqueue_update(update))


def _deliveries(bot: BotUnderTest, text: str = "Vigil on Friday, see details & come") -> Counter:
    """Who received the announcement itself (not its preview), how many times."""
    return Counter(r.chat_id for r in bot.server.outbox
                   if r.method == "sendMessage" and r.text == text)


async def _finished(bot: BotUnderTest) -> None:
    [broadcast] = await bot.services.repos.announcements.recent(1)
    await bot.services.delivery.finished(broadcast.id)


async def _status_once_the_sender_looked(bot: BotUnderTest) -> str:
    """The announcement's status once the sender has claimed work at the clock's present time.

    The claim that takes the probe first starts every broadcast due by then, so a broadcast
    still 'scheduled' afterwards is truly held back, not merely not yet looked at.
    """
    [broadcast] = await bot.services.repos.announcements.recent(1)
    probe = await bot.services.delivery.enqueue(
        kind="notice", text="probe", recipients=[COORDINATOR_ID], audience="direct")
    await bot.services.delivery.finished(probe)
    return (await bot.services.repos.deliveries.get(broadcast.id)).status


async def test_announcement_to_organisers_reaches_each_once_formatting_kept(
    bot: BotUnderTest,
) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    organisers = await _members(bot, 3)
    bystanders = await _members(bot, 2)
    await seed_organisation(bot, "Free Voices", organisers[0])
    org_id = await seed_organisation(bot, "Memorial Circle", organisers[1])
    await bot.services.repos.organisations.add_member(organisers[2].tg_id, org_id,
                                                      bot.clock.now())
    preview = await _write(coordinator, "Organisers")
    assert preview.text.startswith("Vigil on Friday, see details & come\n\n———\n"
                                   "To: Organisers, 3 recipients now")
    assert button_labels(preview.last) == ["Send", "Edit", "Cancel"]
    status = await coordinator.press("Send")
    assert status.text == EN.plural("announce.status.scheduled", 3, name="Announcement 1",
                                    when="2026-11-30 10:00 (Europe/Berlin)")
    await _finished(bot)
    assert _deliveries(bot) == Counter({person.tg_id: 1 for person in organisers})
    sent = next(r for r in bot.server.outbox if r.chat_id == organisers[0].tg_id
                and (r.text or "").startswith("Vigil"))
    assert sent.html == ANNOUNCEMENT.replace("&", "&amp;")
    assert not any(r.chat_id in {p.tg_id for p in bystanders} for r in bot.server.outbox)
    final = await bot.server.wait_for(lambda: bot.server.messages[
        (COORDINATOR_ID, status.last.message_id)]["text"] == EN.plural(
        "announce.status.done", 3, name="Announcement 1", sent=3, blocked=0, failed=0))
    assert final


async def test_everyone_waits_the_cancel_window_then_reaches_all_once(bot: BotUnderTest) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    members = await _members(bot, 12)
    await _write(coordinator, "Everyone")
    status = await coordinator.press("Send")
    assert "You can still cancel it" in status.text
    assert await _status_once_the_sender_looked(bot) == "scheduled"
    assert _deliveries(bot) == Counter()
    bot.clock.advance(seconds=59)
    assert await _status_once_the_sender_looked(bot) == "scheduled"
    assert _deliveries(bot) == Counter()
    bot.clock.advance(seconds=2)
    bot.services.delivery.wake()
    await _finished(bot)
    expected = {person.tg_id: 1 for person in members} | {COORDINATOR_ID: 1}
    assert _deliveries(bot) == Counter(expected)


async def test_cancel_during_the_window_sends_nothing(bot: BotUnderTest) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await _members(bot, 5)
    await _write(coordinator, "Everyone")
    status = await coordinator.press("Send")
    cancelled = await coordinator.press("Cancel", status.last)
    # The status message may be edited to its cancelled state in the same moment (the sender's
    # progress watch): the confirmation is one of the replies, whichever comes last.
    assert EN("announce.cancelled") in cancelled.texts
    bot.clock.advance(seconds=120)
    bot.services.delivery.wake()
    await _finished(bot)
    assert _deliveries(bot) == Counter()
    [broadcast] = await bot.services.repos.announcements.recent(1)
    assert broadcast.status == "cancelled"


async def test_blocked_members_are_marked_inactive_and_the_rest_still_get_it(
    bot: BotUnderTest,
) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    members = await _members(bot, 6, country="GE")
    for person in members[:2]:
        bot.server.block(person.tg_id)
    bot.server.inject_error("sendMessage", chat_id=members[3].tg_id, error_code=429,
                            retry_after=2)
    await _write(coordinator, "Country", country="Georgia")
    await coordinator.press("Send")
    await _finished(bot)
    assert _deliveries(bot) == Counter({person.tg_id: 1 for person in members[2:]})
    for person in members[:2]:
        assert not (await bot.services.repos.users.get(person.tg_id)).is_active
    [broadcast] = await bot.services.repos.announcements.recent(1)
    assert (broadcast.sent, broadcast.blocked, broadcast.failed) == (4, 2, 0)
    rejected_at = [r for r in bot.server.rejected if r.error_code == 429]
    assert len(rejected_at) == 1


@pytest.mark.parametrize("audience", ["Everyone", "Organisers", "Subscribers", "Country"])
async def test_four_eyes_rule_needs_a_second_coordinator_then_the_window_from_the_approval(
    server, make_settings, clock, audience: str
) -> None:
    settings = make_settings(broadcast_approvals_required=1, coordinator_ids=frozenset({900, 901}))
    async with running_bot(server, settings, clock) as bot:
        author, second = bot.person("en", tg_id=900), bot.person("en", tg_id=901)
        await second.send("/start")
        members = await _members(bot, 3, country="GE")
        for member in members[:2]:
            await bot.services.repos.digests.subscribe(
                member.tg_id, "auto", ("needs", "events", "announcements"), None,
                bot.clock.now() + timedelta(days=30), bot.clock.now())
        await seed_organisation(bot, "Free Voices", members[2])
        preview = await _write(author, audience, country="GE" if audience == "Country" else None)
        assert "a second coordinator must approve it first, then it waits 60 s" in preview.text
        question = author.received()[-2]
        assert question.text.startswith("When should it go out?")
        assert "Every announcement first waits for a second coordinator's approval" in question.text
        status = await author.press("Send")
        assert "waiting for a second coordinator" in status.text
        bot.clock.advance(seconds=600)
        assert await _status_once_the_sender_looked(bot) == "awaiting_approval"
        assert _deliveries(bot) == Counter()
        request = await bot.server.wait_for(lambda: next((
            r for r in bot.received(901) if "waits for a second" in (r.text or "")), None))
        own = await author.press_forged(request.reply_markup["inline_keyboard"][0][0][
            "callback_data"], status.last)
        assert own.text == EN("announce.approve_own")
        approved = await second.press("Approve", request)
        assert approved.text == EN("announce.approved")
        # The cancel window counts from the approval, not from when it was written.
        assert await _status_once_the_sender_looked(bot) == "scheduled"
        bot.clock.advance(seconds=59)
        assert await _status_once_the_sender_looked(bot) == "scheduled"
        assert _deliveries(bot) == Counter()
        bot.clock.advance(seconds=2)
        bot.services.delivery.wake()
        await _finished(bot)
        expected = {
            "Everyone": [*members, author, second], "Organisers": members[2:],
            "Subscribers": members[:2], "Country": members,
        }[audience]
        assert _deliveries(bot) == Counter({person.tg_id: 1 for person in expected})


async def test_hourly_cap_per_coordinator(server, make_settings, clock) -> None:
    async with running_bot(server, make_settings(broadcasts_per_hour=2), clock) as bot:
        coordinator = bot.person("en", tg_id=COORDINATOR_ID)
        await _members(bot, 1)
        for number in (1, 2):
            await _write(coordinator, "Organisers")
            assert (await coordinator.press("Send")).text.startswith(f"Announcement {number}: ")
        await _write(coordinator, "Organisers")
        refused = await coordinator.press("Send")
        assert refused.text == EN.plural("announce.cap", 2)
        assert len(await bot.services.repos.announcements.recent(10)) == 2
        bot.clock.advance(hours=1, seconds=1)
        await _write(coordinator, "Organisers")
        assert (await coordinator.press("Send")).text.startswith("Announcement 3: ")


async def test_scheduled_time_in_the_coordinators_zone(bot: BotUnderTest) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await _members(bot, 2)
    past = await _write(coordinator, "Organisers", when="2020-01-01 10:00")
    assert past.text.startswith(EN("invalid.datetime_past"))
    gap = await coordinator.send("2027-03-28 02:30")
    assert gap.text.startswith("That time does not exist in Europe/Berlin")
    assert gap.text.endswith("A broadcast to everyone first waits 60 s, in which it can still "
                             "be cancelled.")
    preview = await coordinator.send("30.11.2026 18:00")
    assert "Starts: 2026-11-30 18:00 (Europe/Berlin)" in preview.text
    status = await coordinator.press("Send")
    assert "starts at 2026-11-30 18:00" in status.text
    [broadcast] = await bot.services.repos.announcements.recent(1)
    assert broadcast.not_before.isoformat() == "2026-11-30T17:00:00+00:00"


async def test_send_time_by_day_button_then_which_time(bot: BotUnderTest) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await _members(bot, 2)
    await coordinator.send("/announce")
    await _type_formatted(coordinator)
    question = await coordinator.press("Organisers")
    for typed in ("now", "today 18:00", "tomorrow", "20.12 18:30"):
        assert typed in question.text
    assert button_labels(question.last)[:3] == [
        "Today, Monday, 30 November", "Tomorrow, Tuesday, 1 December", "Wednesday, 2 December"]
    which = await coordinator.press("Tomorrow, Tuesday, 1 December")
    assert which.text == EN("announce.ask.send_time", day="Tuesday, 1 December 2026",
                            zone="Europe/Berlin")
    preview = await coordinator.send("18:30")
    assert "Starts: 2026-12-01 18:30 (Europe/Berlin)" in preview.text
    await coordinator.press("Send")
    [broadcast] = await bot.services.repos.announcements.recent(1)
    assert broadcast.not_before.isoformat() == "2026-12-01T17:30:00+00:00"


async def test_send_time_typed_in_russian_day_then_time_past_refused(bot: BotUnderTest) -> None:
    coordinator = bot.person("ru", tg_id=COORDINATOR_ID)
    await coordinator.send("/language")
    await coordinator.press("Русский")
    await _members(bot, 2)
    await coordinator.send("/announce")
    await _type_formatted(coordinator)
    await coordinator.press(RU("audience.organisers"))
    which = await coordinator.send("сегодня")
    assert which.text == RU("announce.ask.send_time", day="Понедельник, 30 ноября 2026",
                            zone="Europe/Berlin")
    past = await coordinator.send("9:00")
    assert past.text.startswith(RU("invalid.datetime_past"))
    assert (await bot.services.dialogues.current(COORDINATOR_ID)).step == "send_time"
    preview = await coordinator.send("18:00")
    assert "2026-11-30 18:00 (Europe/Berlin)" in preview.text
    now = await _restart_with(coordinator, "сейчас")
    assert "2026-11-30 10:00 (Europe/Berlin)" in now.text
    weekday = await _restart_with(coordinator, "в пятницу")
    assert weekday.text == RU("announce.ask.send_time", day="Пятница, 4 декабря 2026",
                              zone="Europe/Berlin")
    next_year = await _restart_with(coordinator, "29.11")
    assert next_year.text == RU("announce.ask.send_time", day="Понедельник, 29 ноября 2027",
                                zone="Europe/Berlin")
    yesterday = await _restart_with(coordinator, "29.11.2026")
    assert yesterday.text.startswith(RU("invalid.date_past").split(" <i>")[0])


async def _restart_with(coordinator: Person, when: str):
    """Write the announcement again, up to the send-time question, and answer it."""
    await coordinator.send("/cancel")
    await coordinator.send("/announce")
    await _type_formatted(coordinator)
    await coordinator.press(RU("audience.organisers"))
    return await coordinator.send(when)


async def test_broadcasts_lists_and_cancels(bot: BotUnderTest) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await _members(bot, 2)
    await _write(coordinator, "Everyone")
    await coordinator.press("Send")
    listing = await coordinator.send("/broadcasts")
    assert listing.text.splitlines()[2].startswith("1. Announcement 1 to Everyone: scheduled")
    card = await coordinator.press("1")
    assert button_labels(card.last) == ["Cancel"]
    # The status message may be edited to "cancelled" in the same moment as the answer comes.
    cancelled = await coordinator.press("Cancel", card.last)
    assert EN("announce.cancelled") in cancelled.texts
    again = await coordinator.press("1", listing.last)
    assert button_labels(again.last) == []


LONG = "Vigil at the embassy. " + " ".join(f"Line{number} ünïcode ✊🏽" for number in range(40))


async def test_broadcasts_name_kinds_number_announcements_hide_empty_and_show_plurals(
    bot: BotUnderTest,
) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    members = await _members(bot, 5)
    await seed_organisation(bot, "Free Voices", members[0])
    first = await _write(coordinator, "Organisers")
    assert "To: Organisers, 1 recipient now" in first.text
    status = await coordinator.press("Send")
    assert status.text == EN.plural("announce.status.scheduled", 1, name="Announcement 1",
                                    when="2026-11-30 10:00 (Europe/Berlin)")
    assert "1 recipient." in status.text and "((" not in status.text
    await _finished(bot)
    delivery = bot.services.delivery
    digest = await delivery.enqueue(kind="digest", text="d", audience="subscribers",
                                    recipients=[member.tg_id for member in members])
    await delivery.finished(digest)
    await delivery.finished(await delivery.enqueue(kind="alert", text="a", recipients=[],
                                                   audience="subscribers"))
    await coordinator.send("/announce")
    await coordinator.send(LONG)
    await coordinator.press("Everyone")
    await coordinator.press("Tomorrow, Tuesday, 1 December")
    await coordinator.send("18:00")
    await coordinator.press("Send")
    listing = await coordinator.send("/broadcasts")
    assert listing.text.splitlines()[2:5] == [
        "1. Announcement 2 to Everyone: scheduled; 6 recipients, delivered: 0, blocked: 0, "
        "failed: 0",
        "2. Digest of 30 Nov to Subscribers: done; 5 recipients, delivered: 5, blocked: 0, "
        "failed: 0",
        "3. Announcement 1 to Organisers: done; 1 recipient, delivered: 1, blocked: 0, failed: 0"]
    assert listing.text.splitlines()[5] == "" and "Alert" not in listing.text  # empty: hidden
    card = await coordinator.press("1")
    cut = LONG[:299].rstrip() + "…"
    assert card.text == "\n".join([
        listing.text.splitlines()[2].removeprefix("1. "), "Created: 2026-11-30 10:00 "
        "(Europe/Berlin)", "Sends: 2026-12-01 18:00 (Europe/Berlin)", "", cut])
    assert len(cut) == 300
    await coordinator.send("/language")
    await coordinator.press("Русский")
    russian = await coordinator.send("/broadcasts")
    assert russian.text.splitlines()[2:5] == [
        "1. Объявление 2, кому: Всем — ждёт времени отправки; 6 получателей, доставлено: 0, "
        "заблокировали: 0, ошибок: 0",
        "2. Дайджест от 30 нояб., кому: Подписчикам — отправка завершена; 5 получателей, "
        "доставлено: 5, заблокировали: 0, ошибок: 0",
        "3. Объявление 1, кому: Организаторам — отправка завершена; 1 получатель, "
        "доставлено: 1, заблокировали: 0, ошибок: 0"]
    assert RU.plural("announce.status.awaiting", 2, name="Объявление 3").endswith(
        "2 получателя.")


@pytest.mark.parametrize("who", ["member", "organiser"])
async def test_members_and_organisers_cannot_announce(bot: BotUnderTest, who: str) -> None:
    coordinator, person = bot.person("en", tg_id=COORDINATOR_ID), bot.person("en")
    await _members(bot, 2)
    if who == "organiser":
        await seed_organisation(bot, "Free Voices", person)
    await _write(coordinator, "Everyone")
    await coordinator.press("Send")
    [broadcast] = await bot.services.repos.announcements.recent(1)
    await person.send("/start")
    before = await snapshot(bot)
    assert (await person.send("/announce")).text == EN("not_available.command")
    assert (await person.send("/broadcasts")).text == EN("not_available.command")
    for data in (f"bc:x:{broadcast.id}", f"bc:ap:{broadcast.id}", "bcs:p:0",
                 f"bcs:o:{broadcast.id}", "d:preview:~pub", "d:audience:everyone"):
        reply = await person.press_forged(data)
        assert reply.notices == [EN("not_available")], data
    assert await snapshot(bot) == before
    assert (await bot.services.repos.deliveries.get(broadcast.id)).status == "scheduled"


async def test_cancel_mid_way_stops_it_and_progress_is_shown(
    server, make_settings, clock
) -> None:
    async with running_bot(server, make_settings(broadcast_rate=10), clock) as bot:
        coordinator = bot.person("en", tg_id=COORDINATOR_ID)
        await _members(bot, 60, country="GE")
        await _write(coordinator, "Country", country="GE")
        status = (await coordinator.press("Send")).last
        key = (COORDINATOR_ID, status.message_id)
        await bot.server.wait_for(lambda: "messages/s" in bot.server.messages[key]["text"],
                                  timeout=10)
        shown = [r for r in bot.received(COORDINATOR_ID) if r.message_id == status.message_id]
        assert shown[-1].edited and button_labels(shown[-1]) == ["Cancel"]
        await coordinator.press("Cancel", status)
        at_cancel = sum(_deliveries(bot).values())
        await _finished(bot)
        await bot.services.delivery.drain()
        [broadcast] = await bot.services.repos.announcements.recent(1)
        assert broadcast.status == "cancelled"
        delivered = sum(_deliveries(bot).values())
        assert at_cancel <= delivered < 60
        assert delivered - at_cancel <= window(10)
        assert broadcast.sent == delivered
        final = await bot.server.wait_for(
            lambda: "cancelled" in bot.server.messages[key]["text"], timeout=10)
        assert final


async def test_retention_job_forgets_old_recipient_rows_and_update_ids(bot: BotUnderTest) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await _members(bot, 3, country="GE")
    await _write(coordinator, "Country", country="GE")
    await coordinator.press("Send")
    await _finished(bot)
    database = bot.services.database
    retention = bot.application.job_queue.get_jobs_by_name("retention")[0]
    await retention.run(bot.application)
    assert await database.fetch_value("SELECT count(*) FROM deliveries WHERE status = 'sent'") == 3
    assert await database.fetch_value("SELECT count(*) FROM processed_updates") > 0
    bot.clock.advance(days=31)
    await retention.run(bot.application)
    [broadcast] = await bot.services.repos.announcements.recent(1)
    assert await database.fetch_value(
        "SELECT count(*) FROM deliveries WHERE broadcast_id = ?", (broadcast.id,)) == 0
    assert (broadcast.status, broadcast.total, broadcast.sent) == ("done", 3, 3)
    assert await database.fetch_value("SELECT count(*) FROM processed_updates") == 0
