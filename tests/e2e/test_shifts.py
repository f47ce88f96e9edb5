"""End to end: an event's shifts — a series of 24 in one step, taking, giving back, the
waiting list, the per-event limit, the reminder 1 h before, the calendar file, counts (never
names) for organisers and a message to a shift's people, forged buttons."""

from __future__ import annotations

import json
from datetime import datetime
from functools import partial

import icalendar
import pytest

from bot.infra.i18n import texts
from tests.e2e.orgs import organiser
from tests.e2e.test_events import _event_id, _open_card, _register, _run_dues
from tests.harness import BotUnderTest, Person, button_labels

# Also on PostgreSQL (tests/conftest.py: backend).
pytestmark = pytest.mark.usefixtures("backend")

EN, RU = texts("en"), texts("ru")
TITLE = "Returning the Names — Berlin"
NOT_AVAILABLE = EN("not_available")


async def _event(bot: BotUnderTest) -> tuple[Person, int]:
    """An event in Berlin on 5 December 2026 from 11:00 to 17:00 (10:00–16:00 UTC)."""
    olga = await organiser(bot)
    await _register(olga, start="2026-12-05 11:00", end="17:00")
    return olga, await _event_id(bot, TITLE)


async def _add(olga: Person, *, role: str, start: str, end: str, length: str | None,
               every: str | None = None, places: str = "1"):
    """Add shifts from /myevents → the event → Shifts → Add; the preview and the result."""
    await olga.send("/myevents")
    card = await olga.press("1")
    listing = await olga.press("Shifts", card.last)
    ask = await olga.press("Add", listing.last)
    assert "What is the shift's role" in ask.text
    await olga.send(role)
    await olga.send(start)
    await olga.send(end)
    if length:
        await olga.send(length)
        await (olga.send(every) if every else olga.press("Skip"))
    else:
        await olga.press("Skip")
    preview = await olga.send(places)
    assert button_labels(preview.last) == ["Publish", "Edit", "Cancel"], preview.text
    return preview, await olga.press("Publish", preview.last)


async def _shift_ids(bot: BotUnderTest, role: str) -> list[int]:
    rows = await bot.services.database.fetch_all(
        "SELECT id FROM shifts WHERE role = ? ORDER BY starts_at", (role,))
    return [row[0] for row in rows]


async def _shift_card(person: Person, shift_id: int):
    return await person.press_forged(f"sh:o:{shift_id}")


async def _take(person: Person, shift_id: int):
    card = await _shift_card(person, shift_id)
    return await person.press(texts(person.language)("button.take_shift"), card.last)


def _shift_reminders(person: Person) -> list[str]:
    return [r.text for r in person.received() if (r.text or "").startswith("⏰ Your shift")]


async def _state(bot: BotUnderTest, shift_id: int, person: Person) -> str | None:
    return await bot.services.repos.shifts.state_of(shift_id, person.tg_id)


async def test_twenty_four_reading_turns_in_one_step(bot: BotUnderTest) -> None:
    olga, event_id = await _event(bot)
    await olga.send("/myevents")
    card = await olga.press("1")
    ask = await olga.press("Add", (await olga.press("Shifts", card.last)).last)
    await olga.send("Reader")
    outside = await olga.send("18:00")
    assert outside.text.startswith(
        f"Shifts of “{TITLE}” are between 11:00 and 17:00 (Europe/Berlin): please type a time")
    await olga.send("/cancel")
    assert ask.text.startswith(f"Adding shifts to “{TITLE}”")

    preview, published = await _add(olga, role="Reader", start="12:00", end="16:00",
                                     length="10", every="10")
    assert preview.text.splitlines() == [
        f"24 shifts “Reader” at “{TITLE}”, the first 2026-12-05 12:00–12:10 (Europe/Berlin), "
        "the last 2026-12-05 15:50–16:00 (Europe/Berlin).", "1 place in each."]
    assert published.text == f"24 shifts “Reader” added to “{TITLE}”."
    assert len(await _shift_ids(bot, "Reader")) == 24

    member = bot.person("ru")
    await member.send("/start")
    card = await _open_card(member, event_id)
    listing = await member.press("Смены", card.last)
    lines = listing.text.splitlines()
    assert lines[0] == f"24 смены события «{TITLE}»"
    assert lines[2] == "1. Reader, 2026-12-05 12:00–12:10 (Europe/Berlin): свободно 1 место"
    assert button_labels(listing.last)[:6] == ["1", "2", "3", "4", "5", "Дальше"]
    turned = await member.press("Дальше", listing.last)
    assert "1. Reader, 2026-12-05 12:50–13:00" in turned.text


async def test_take_give_back_waiting_list_and_times_in_the_members_zone(
    bot: BotUnderTest,
) -> None:
    olga, _ = await _event(bot)
    _, published = await _add(olga, role="Set-up", start="11:00", end="12:00", length=None,
                              places="1")
    assert published.text == f"1 shift “Set-up” added to “{TITLE}”."
    [shift_id] = await _shift_ids(bot, "Set-up")
    anna, boris, vera = bot.person("en"), bot.person("ru"), bot.person("en")
    for person in (anna, boris, vera):
        await person.send("/start")
    await bot.services.repos.users.update(anna.tg_id, timezone="Asia/Tbilisi")

    taken = await _take(anna, shift_id)
    assert taken.text == (
        f"✅ The shift “Set-up” of “{TITLE}” is yours: 2026-12-05 11:00–12:00 (Europe/Berlin), "
        "that is 2026-12-05 14:00–15:00 (Asia/Tbilisi) for you. "
        "A reminder comes 1 hour before.")
    assert button_labels(taken.last) == ["Give back"]
    waiting = await _take(boris, shift_id)
    assert waiting.text.startswith(
        f"На смене «Set-up» события «{TITLE}» мест нет: ваш номер в списке ожидания — 1.")
    assert (await _take(vera, shift_id)).text.startswith(
        f"The shift “Set-up” of “{TITLE}” is full: you are number 2")
    full = await _shift_card(bot.person("en"), shift_id)
    assert "Full: 2 on the waiting list" in full.text

    given = await anna.press("Give back", taken.last)
    assert given.text == f"You gave back the shift “Set-up” of “{TITLE}”."
    promoted = await bot.server.wait_for(lambda: next((
        r for r in boris.received() if "Освободилось место" in (r.text or "")), None))
    assert promoted.text == (
        f"Освободилось место: смена «Set-up» события «{TITLE}» теперь ваша, "
        "2026-12-05 11:00–12:00 (Europe/Berlin). Напоминание придёт за 1 час.")
    assert await _state(bot, shift_id, boris) == "taken"
    assert await _state(bot, shift_id, vera) == "waiting"
    assert await _state(bot, shift_id, anna) is None
    assert (await anna.press("Give back", taken.last)).texts == [NOT_AVAILABLE]

    # /mydata lists the sign-ups; /forget gives the place to the next in line.
    export = await boris.send("/mydata")
    data = json.loads(export.last.document)
    assert [(row["role"], row["state"]) for row in data["shifts"]] == [("Set-up", "taken")]
    confirm = await boris.send("/forget")
    await boris.press(button_labels(confirm.last)[0], confirm.last)
    assert await _state(bot, shift_id, vera) == "taken"
    assert await bot.services.database.fetch_value(
        "SELECT count(*) FROM shift_signups WHERE tg_id = ?", (boris.tg_id,)) == 0


async def test_at_most_three_shifts_of_an_event_a_person(bot: BotUnderTest) -> None:
    olga, _ = await _event(bot)
    await _add(olga, role="Reader", start="12:00", end="13:00", length="15", places="2")
    shifts = await _shift_ids(bot, "Reader")
    assert len(shifts) == 4
    member = bot.person("ru")
    await member.send("/start")
    for shift_id in shifts[:3]:
        assert (await _take(member, shift_id)).text.startswith("✅")
    refused = await _take(member, shifts[3])
    assert refused.text.startswith(f"У вас уже 3 смены события «{TITLE}»")
    assert await _state(bot, shifts[3], member) is None
    card = await _shift_card(member, shifts[0])
    await member.press("Вернуть смену", card.last)
    assert (await _take(member, shifts[3])).text.startswith("✅")


async def test_reminder_one_hour_before_the_shift_once(bot: BotUnderTest) -> None:
    olga, _ = await _event(bot)
    await _add(olga, role="Reader", start="12:00", end="12:20", length="10")
    first, second = await _shift_ids(bot, "Reader")
    anna = bot.person("en")
    await anna.send("/start")
    await _take(anna, first)
    reminders = partial(_shift_reminders, anna)
    await _run_dues(bot, "2026-12-05T09:59:00+00:00")
    await bot.services.delivery.drain()
    assert reminders() == []
    await _run_dues(bot, "2026-12-05T10:00:30+00:00")
    await _run_dues(bot, "2026-12-05T10:00:30+00:00")
    await bot.server.wait_for(reminders)
    await bot.services.delivery.drain()
    assert reminders() == [f"⏰ Your shift “Reader” of “{TITLE}” begins in 1 hour: "
                           "2026-12-05 12:00–12:10 (Europe/Berlin)."]
    # The second shift's people are nobody: its reminder goes to no one, and only once.
    await _run_dues(bot, "2026-12-05T10:10:30+00:00")
    await bot.services.delivery.drain()
    assert len(reminders()) == 1
    assert await bot.services.database.fetch_value(
        "SELECT count(*) FROM shifts WHERE reminded_at IS NULL AND id IN (?, ?)",
        (first, second)) == 0


async def test_myevents_lists_a_members_events_and_shifts_in_their_zone(
        bot: BotUnderTest) -> None:
    olga, event_id = await _event(bot)
    await _add(olga, role="Reader", start="12:00", end="12:30", length="10")
    first, _, third = await _shift_ids(bot, "Reader")
    anna = bot.person("en")
    await anna.send("/start")
    await bot.services.repos.users.update(anna.tg_id, timezone="Asia/Tbilisi")
    nothing = await anna.send("/myevents")
    assert nothing.text == ("Nothing planned yet. Answer Going or Maybe to an event in /events, "
                            "or take a shift on its card, and it will be listed here.")
    await _take(anna, third)
    await _take(anna, first)
    card = await _open_card(anna, event_id)
    await anna.press("Maybe", card.last)

    plans = await anna.send("/myevents")
    assert plans.text.splitlines() == [
        "Your plans — coming up: 3", "",
        f"1. “{TITLE}”, 2026-12-05 11:00–17:00 (Europe/Berlin), that is 2026-12-05 14:00–20:00 "
        "(Asia/Tbilisi) for you: maybe",
        f"2. Your shift “Reader” of “{TITLE}”, 2026-12-05 12:00–12:10 (Europe/Berlin), that is "
        "2026-12-05 15:00–15:10 (Asia/Tbilisi) for you",
        f"3. Your shift “Reader” of “{TITLE}”, 2026-12-05 12:20–12:30 (Europe/Berlin), that is "
        "2026-12-05 15:20–15:30 (Asia/Tbilisi) for you",
        "", "Page 1 of 1"]
    # A shift opens its card with Give back; given back, it leaves the list.
    shift = await anna.press("3", plans.last)
    assert "12:20–12:30" in shift.text and button_labels(shift.last)[0] == "Give back"
    await anna.press("Give back", shift.last)
    assert (await anna.send("/myevents")).text.splitlines()[0] == "Your plans — coming up: 2"
    assert (await anna.press("1", plans.last)).text.startswith(TITLE)

    # An organiser keeps the organisation's events, with their own plans a button away.
    own = await olga.send("/myevents")
    assert own.text.startswith("Your organisation's 1 event")
    mine = await olga.press("Your plans", own.last)
    assert mine.text.startswith("Nothing planned yet.")


async def test_moving_the_event_moves_its_shifts_their_reminders_and_tells_their_people(
        bot: BotUnderTest) -> None:
    olga, _ = await _event(bot)
    await _add(olga, role="Reader", start="12:00", end="12:20", length="10")
    first, second = await _shift_ids(bot, "Reader")
    anna = bot.person("en")
    await anna.send("/start")
    await _take(anna, first)
    await olga.send("/myevents")
    own = await olga.press("1")
    await olga.press("Edit", own.last)
    await olga.press("Start time")
    await olga.send("2026-12-06 11:00")
    moved = await bot.server.wait_for(lambda: [
        r.text for r in anna.received() if "moved with it" in (r.text or "")])
    assert moved == [f"🕑 The event “{TITLE}” has a new time, and your shift “Reader” moved "
                     "with it: 2026-12-06 12:00–12:10 (Europe/Berlin)."]
    assert [(shift.starts_at.isoformat(), shift.ends_at.isoformat()) for shift in (
        await bot.services.repos.shifts.get(first), await bot.services.repos.shifts.get(second))
    ] == [("2026-12-06T11:00:00+00:00", "2026-12-06T11:10:00+00:00"),
          ("2026-12-06T11:10:00+00:00", "2026-12-06T11:20:00+00:00")]
    reminders = partial(_shift_reminders, anna)
    # Not at the old time, but 1 hour before the new one.
    await _run_dues(bot, "2026-12-05T10:00:30+00:00")
    await bot.services.delivery.drain()
    assert reminders() == []
    await _run_dues(bot, "2026-12-06T10:00:30+00:00")
    await bot.server.wait_for(reminders)
    assert reminders() == [f"⏰ Your shift “Reader” of “{TITLE}” begins in 1 hour: "
                           "2026-12-06 12:00–12:10 (Europe/Berlin)."]


async def test_the_calendar_file_has_one_vevent_per_taken_shift(bot: BotUnderTest) -> None:
    olga, event_id = await _event(bot)
    await _add(olga, role="Reader", start="12:00", end="12:30", length="10")
    shifts = await _shift_ids(bot, "Reader")
    member = bot.person("en")
    await member.send("/start")
    await _take(member, shifts[0])
    await _take(member, shifts[2])
    card = await _open_card(member, event_id)
    document = (await member.press("Add to calendar", card.last)).last
    items = icalendar.Calendar.from_ical(document.document).walk("VEVENT")
    assert [str(item["UID"]) for item in items] == [
        f"event-{event_id}@coalition-bot", f"shift-{shifts[0]}@coalition-bot",
        f"shift-{shifts[2]}@coalition-bot"]
    assert str(items[1]["SUMMARY"]) == f"Reader — {TITLE}"
    assert items[2].decoded("DTSTART") == datetime.fromisoformat("2026-12-05T12:20:00+01:00")
    assert items[2].decoded("DTEND") == datetime.fromisoformat("2026-12-05T12:30:00+01:00")


async def test_organisers_see_counts_never_names_and_message_a_shifts_people(
    bot: BotUnderTest,
) -> None:
    olga, _ = await _event(bot)
    await _add(olga, role="Set-up", start="11:00", end="12:00", length=None, places="1")
    [shift_id] = await _shift_ids(bot, "Set-up")
    anna, boris = bot.person("en"), bot.person("en")
    for person in (anna, boris):
        await person.send("/start")
        await _take(person, shift_id)

    await olga.send("/myevents")
    card = await olga.press("1")
    listing = await olga.press("Shifts", card.last)
    assert ("1. Set-up, 2026-12-05 11:00–12:00 (Europe/Berlin): 1 of 1 place taken, 1 waiting"
            in listing.text.splitlines())
    shift_card = await olga.press("1", listing.last)
    assert "Taken: 1 of 1 place · Waiting: 1" in shift_card.text
    ask = await olga.press("Message this shift", shift_card.last)
    assert ask.text.startswith("Write the message (bold, italic and links are kept)")
    preview = await olga.send("Please bring gloves.")
    assert preview.text.splitlines()[-1] == (
        f"To: the shift “Set-up”, 2026-12-05 11:00–12:00 (Europe/Berlin), of “{TITLE}”, "
        "1 person now")
    await olga.press("Send", preview.last)
    message = await bot.server.wait_for(lambda: next((
        r for r in anna.received() if "Please bring gloves." in (r.text or "")), None))
    assert button_labels(message) == ["Reply"]
    await bot.services.delivery.drain()
    assert not [r for r in boris.received() if "Please bring gloves." in (r.text or "")]
    # Anna (holding the shift, no RSVP) may answer the organisers.
    reply = await anna.press("Reply", message)
    assert reply.text.startswith(f"Your message to the organisers of “{TITLE}”")

    shown = " ".join(r.text or "" for r in olga.received()).lower()
    assert not any(f"p{person.tg_id}" in shown for person in (anna, boris))
    member_card = await _shift_card(boris, shift_id)
    assert "Taken:" not in member_card.text
    assert button_labels(member_card.last) == ["Give back", "Shifts"]


async def test_forged_and_foreign_shift_buttons_are_refused(bot: BotUnderTest) -> None:
    olga, event_id = await _event(bot)
    await _add(olga, role="Set-up", start="11:00", end="12:00", length=None, places="1")
    [shift_id] = await _shift_ids(bot, "Set-up")
    intruder = await organiser(bot, "Other Org")
    member = bot.person("en")
    await member.send("/start")

    async def rows() -> list[tuple]:
        return [tuple(row) for table in ("shifts", "shift_signups", "dialogues")
                for row in await bot.services.database.fetch_all(f"SELECT * FROM {table}")]

    before = await rows()
    for person, data in ((intruder, f"sh:a:{event_id}"), (intruder, f"sh:m:{shift_id}"),
                         (member, f"sh:a:{event_id}"), (member, f"sh:m:{shift_id}"),
                         (member, "sh:t:999"), (member, "sh:o:999"), (member, "sh:e:999"),
                         (member, f"sh:g:{shift_id}"), (member, "sh:t:x")):
        reply = await person.press_forged(data)
        assert reply.notices == [NOT_AVAILABLE] or reply.texts == [NOT_AVAILABLE], data
    assert await rows() == before

    # A cancelled event's shifts can no longer be taken or seen.
    card = await _shift_card(member, shift_id)
    await bot.services.repos.events.cancel(event_id, bot.clock.now())
    assert (await member.press("Take shift", card.last)).texts == [NOT_AVAILABLE]
    assert (await _shift_card(member, shift_id)).texts == [NOT_AVAILABLE]
    assert await rows() == before
