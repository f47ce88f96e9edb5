"""End to end: the organisers' attendance question after an event (SPEC §12.2): asked once by
the clock, the first answer counting, Skip, a note, a change through /myevents; a cancelled
event is not asked."""

from __future__ import annotations

import pytest

from bot.infra.i18n import texts
from tests.e2e.orgs import organiser
from tests.e2e.test_events import TITLE, _event_id, _register, _run_dues
from tests.harness import BotUnderTest, Person

# Also on PostgreSQL (tests/conftest.py: backend).
pytestmark = pytest.mark.usefixtures("backend")

EN = texts("en")


async def _second_organiser(bot: BotUnderTest, label: str | None, language: str = "ru") -> Person:
    """Another organiser of the first organisation, shown by `label`."""
    person = bot.person(language)
    await person.send("/start")
    org_id = await bot.services.database.fetch_value("SELECT min(id) FROM organisations")
    await bot.services.repos.organisations.add_member(person.tg_id, org_id, bot.clock.now())
    if label:
        await bot.services.repos.users.update(person.tg_id, label=label)
    return person


QUESTION = {"en": "How many people came?", "ru": "Сколько человек пришло?"}


async def _asked(bot: BotUnderTest, person: Person) -> list:
    """The attendance questions this person has received, once the first has come."""
    def questions() -> list:
        return [record for record in person.received()
                if QUESTION[person.language] in (record.text or "")]
    return await bot.server.wait_for(questions)


async def _questions_queued(bot: BotUnderTest, event_id: int) -> int:
    """Attendance questions queued about the event (one broadcast per language)."""
    return await bot.services.database.fetch_value(
        "SELECT count(*) FROM broadcasts WHERE audience LIKE ?",
        (f"event:{event_id}:organisers@%",))


async def _attendance(bot: BotUnderTest, event_id: int) -> tuple:
    row = await bot.services.database.fetch_one(
        "SELECT attendance, attendance_note, attendance_by FROM events WHERE id = ?",
        (event_id,))
    return tuple(row)


async def test_asked_once_two_hours_after_the_end_first_answer_counts_then_changed(
        bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    await bot.services.repos.users.update(olga.tg_id, label="Olga")
    boris = await _second_organiser(bot, "Борис")
    await _register(olga)  # 2026-12-05 10:00–12:30 Berlin: ends 11:30 UTC
    event_id = await _event_id(bot, TITLE)
    member = bot.person("en")
    await member.press_forged(f"ev:o:{event_id}")
    await member.press("Going")

    await _run_dues(bot, "2026-12-05T13:29:00+00:00")
    assert await _questions_queued(bot, event_id) == 0
    await _run_dues(bot, "2026-12-05T13:30:00+00:00")
    await _run_dues(bot, "2026-12-05T13:31:00+00:00")
    asked = await _asked(bot, olga)
    asked_ru = await _asked(bot, boris)
    await bot.services.delivery.drain()
    assert await _questions_queued(bot, event_id) == 2
    assert [r.text for r in asked] == [
        f"“{TITLE}” (2026-12-05 10:00–12:30 (Europe/Berlin)) is over. How many people came? "
        "The first organiser to answer speaks for all."]
    assert len(asked_ru) == 1 and asked_ru[0].text.startswith(f"Событие «{TITLE}»")
    assert not [r for r in member.received() if "How many" in (r.text or "")]

    question = await olga.press("Attendance", asked[0])
    assert question.text == (f"How many people came to “{TITLE}”? Type a number from 0 to "
                             "100000, or press Skip.")
    assert (await olga.send("lots")).text.startswith("Please type a whole number from 0")
    note = await olga.send("42")
    assert note.text.startswith("A short note, if you like (up to 300 characters)")
    saved = await olga.send("Cold but bright; the reading went on until dark.")
    assert saved.text == f"Saved: 42 people came to “{TITLE}”. You can change it in /myevents."
    assert await _attendance(bot, event_id) == (
        42, "Cold but bright; the reading went on until dark.", olga.tg_id)

    late = await boris.press("Явка", asked_ru[0])
    assert late.text == (f"Явку на «{TITLE}» уже указали: 42 человека. Кто ответил: «Olga». "
                         "Изменить можно в /myevents.")
    assert await _attendance(bot, event_id) == (
        42, "Cold but bright; the reading went on until dark.", olga.tg_id)

    mine = await boris.send("/myevents")
    card = await boris.press("1", mine.last)
    assert "Явка: 42 человека" in card.text
    again = await boris.press("Явка", card.last)
    assert again.text.startswith(f"Сколько человек пришло на «{TITLE}»?")
    await boris.send("21")
    changed = await boris.press("Пропустить")
    assert changed.text == (f"Сохранено: на «{TITLE}» пришёл 21 человек. Изменить можно в "
                            "/myevents.")
    assert await _attendance(bot, event_id) == (21, None, boris.tg_id)


async def test_skip_without_an_end_three_hours_after_the_start(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    helper = await _second_organiser(bot, None, "en")
    await _register(olga, end=None)  # 10:00 Berlin, 09:00 UTC
    event_id = await _event_id(bot, TITLE)
    await _run_dues(bot, "2026-12-05T11:59:00+00:00")
    assert await _questions_queued(bot, event_id) == 0
    await _run_dues(bot, "2026-12-05T12:00:00+00:00")
    [asked] = await _asked(bot, olga)
    await olga.press("Attendance", asked)
    skipped = await olga.press("Skip")
    assert skipped.text == (f"Saved without a count for “{TITLE}”. You can add one in "
                            "/myevents.")
    assert await _attendance(bot, event_id) == (None, None, olga.tg_id)
    [theirs] = await _asked(bot, helper)
    late = await helper.press("Attendance", theirs)
    assert late.text == (f"Another organiser has already answered for “{TITLE}”: not counted "
                         "(skipped). You can change it in /myevents.")


async def test_two_organisers_answering_at_once_the_first_answer_stays(
        bot: BotUnderTest) -> None:
    """Both open the question before either answers: the later answer is not stored."""
    olga = await organiser(bot)
    await bot.services.repos.users.update(olga.tg_id, label="Olga")
    helper = await _second_organiser(bot, None, "en")
    await _register(olga)
    event_id = await _event_id(bot, TITLE)
    await _run_dues(bot, "2026-12-05T13:30:00+00:00")
    [mine], [theirs] = await _asked(bot, olga), await _asked(bot, helper)
    await olga.press("Attendance", mine)
    await helper.press("Attendance", theirs)
    await olga.send("42")
    await olga.press("Skip")
    await helper.send("7")
    late = await helper.press("Skip")
    assert late.text == (f"“Olga” has already answered for “{TITLE}”: 42 people. You can "
                         "change it in /myevents.")
    assert await _attendance(bot, event_id) == (42, None, olga.tg_id)


async def test_a_cancelled_event_is_not_asked_and_members_may_not_answer(
        bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    await _register(olga)
    event_id = await _event_id(bot, TITLE)
    member = bot.person("en")
    await member.send("/start")
    assert (await member.press_forged(f"me:at:{event_id}")).notices == [EN("not_available")]
    await _register(olga, title="Second reading")
    second = await _event_id(bot, "Second reading")
    mine = await olga.send("/myevents")
    card = await olga.press("2", mine.last)
    assert "Attendance" not in [b for row in card.last.reply_markup["inline_keyboard"]
                                for b in (x["text"] for x in row)]
    await olga.press("Cancel event", card.last)
    await olga.press("Skip")
    await olga.press("Cancel event")
    await _run_dues(bot, "2026-12-06T00:00:00+00:00")
    asked = await _asked(bot, olga)
    await bot.services.delivery.drain()
    assert len(asked) == 1 and TITLE in asked[0].text
    assert await _questions_queued(bot, second) == 0
    assert (await olga.press_forged(f"me:at:{second}:c")).texts == [EN("not_available")]
    assert await _attendance(bot, second) == (None, None, None)
