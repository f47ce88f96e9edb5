"""End to end: /settings, each question, every bad answer, and dialogues surviving restarts."""

from __future__ import annotations

from datetime import time

import pytest

from bot.infra.i18n import texts
from tests.conftest import running_bot
from tests.harness import BotUnderTest, Person, button_labels

EN, RU = texts("en"), texts("ru")


async def _user(bot: BotUnderTest, person: Person):
    return await bot.services.repos.users.get(person.tg_id)


async def _open(person: Person, button: str) -> None:
    await person.send("/settings")
    await person.press(button)


async def test_settings_menu_shows_current_values(bot: BotUnderTest) -> None:
    reply = await bot.person("en").send("/settings")
    assert reply.text.splitlines() == [
        "Your settings", "Language: English", "Country: not set", "City: not set",
        "Time zone: Europe/Berlin", "Digest time: 09:00"]
    assert button_labels(reply.last) == [
        "Language", "Country", "City", "Time zone", "Digest time", "Alerts"]


async def test_settings_in_russian_agree_with_each_field(bot: BotUnderTest) -> None:
    reply = await bot.person("ru").send("/settings")
    assert reply.text.splitlines()[1:4] == [
        "Язык: Русский", "Страна: не указана", "Город: не указан"]


async def test_each_setting_in_english(bot: BotUnderTest) -> None:
    alice = bot.person("en")
    await _open(alice, "Country")
    assert (await alice.send("Germany")).text.startswith("Saved.")
    await _open(alice, "City")
    await alice.send("Frankfurt am Main")
    await _open(alice, "Time zone")
    await alice.send("tbilisi")
    await _open(alice, "Digest time")
    reply = await alice.send("7:30")
    assert reply.text.splitlines()[3:] == [
        "Language: English", "Country: Germany", "City: Frankfurt am Main",
        "Time zone: Asia/Tbilisi", "Digest time: 07:30"]
    user = await _user(bot, alice)
    assert (user.country, user.city, user.timezone, user.digest_time) == (
        "DE", "Frankfurt am Main", "Asia/Tbilisi", time(7, 30))


async def test_a_time_in_the_digits_of_another_script_is_read(bot: BotUnderTest) -> None:
    alice = bot.person("en")
    await _open(alice, "Digest time")
    reply = await alice.send("٠٧:٣٠")
    assert reply.text.splitlines()[-1] == "Digest time: 07:30"
    assert (await _user(bot, alice)).digest_time == time(7, 30)


async def test_each_setting_in_russian(bot: BotUnderTest) -> None:
    boris = bot.person("ru")
    await _open(boris, "Страна")
    await boris.send("Грузия")
    await _open(boris, "Город")
    await boris.send("Тбилиси")
    await _open(boris, "Часовой пояс")
    await boris.send("Тбилиси")
    await _open(boris, "Время дайджеста")
    reply = await boris.send("21:05")
    assert reply.text.splitlines() == [
        "Сохранено.", "", "Ваши настройки", "Язык: Русский", "Страна: Грузия", "Город: Тбилиси",
        "Часовой пояс: Asia/Tbilisi", "Время дайджеста: 21:05"]


async def test_language_button_of_settings_opens_the_picker_and_returns(
    bot: BotUnderTest,
) -> None:
    alice = bot.person("en")
    await alice.send("/settings")
    reply = await alice.press("Language")
    assert button_labels(reply.last) == ["English", "Русский"]
    menu = await alice.press("Русский", reply.last)
    assert menu.text.splitlines()[0] == "Готово: буду говорить с вами по-русски."
    assert "Язык: Русский" in menu.text.splitlines()
    assert len(button_labels(menu.last)) == 6


BAD_ANSWERS = [
    ("Country", "Narnia", "invalid.country", {}),
    ("Country", "<b>DE</b>", "invalid.country", {}),
    ("Country", "D\u202eE", "invalid.country", {}),
    ("Country", "x" * 5000, "invalid.country", {}),
    ("City", "B" * 81, "invalid.too_long", {"count": 81, "limit": 80}),
    ("City", "<script>alert(1)</script>", "invalid.city", {}),
    ("City", "Berlin\u202egnp.exe", "invalid.city", {}),
    ("City", "Ber\u200blin", "invalid.city", {}),
    ("City", "12345", "invalid.city", {}),
    ("Time zone", "Mars/Olympus", "invalid.timezone", {}),
    ("Time zone", "<i>UTC</i>", "invalid.timezone", {}),
    ("Digest time", "25:00", "invalid.time", {}),
    ("Digest time", "9 am", "invalid.time", {}),
    ("Digest time", "²:³⁰", "invalid.time", {}),
]


@pytest.mark.parametrize(("button", "answer", "reason", "values"), BAD_ANSWERS)
async def test_bad_answers_are_re_asked_and_change_nothing(
    bot: BotUnderTest, button: str, answer: str, reason: str, values: dict
) -> None:
    alice = bot.person("en")
    await _open(alice, button)
    before = await _user(bot, alice)
    reply = await alice.send(answer)
    count = values.pop("count", None)
    expected = EN(reason, **values) if count is None else EN.plural(reason, count, **values)
    assert reply.text.startswith(expected.replace("<i>", "").replace("</i>", ""))
    assert "Back" in button_labels(reply.last)
    assert await _user(bot, alice) == before
    state = await bot.services.dialogues.current(alice.tg_id)
    assert state is not None and state.answers == {}


async def test_bad_answer_in_russian_has_russian_plural(bot: BotUnderTest) -> None:
    boris = bot.person("ru")
    await _open(boris, "Город")
    reply = await boris.send("Щ" * 102)
    assert reply.text.startswith("Слишком длинно: 102 символа, а можно не больше 80.")


async def test_back_returns_to_the_menu_without_saving(bot: BotUnderTest) -> None:
    alice = bot.person("en")
    await _open(alice, "City")
    reply = await alice.press("Back")
    assert reply.text.startswith("Your settings")
    assert await bot.services.dialogues.current(alice.tg_id) is None
    assert (await _user(bot, alice)).city is None


async def test_cancel_mid_question_saves_nothing(bot: BotUnderTest) -> None:
    alice = bot.person("en")
    await _open(alice, "Country")
    assert (await alice.send("/cancel")).text == EN("cancel.done")
    assert (await alice.send("Germany")).text == EN("fallback.text")
    assert (await _user(bot, alice)).country is None


@pytest.mark.parametrize(
    "forged", ["set:password", "set:country;drop", "d:country:DE", "d:nosuchstep:x", "x" * 64])
async def test_forged_buttons_are_not_available(bot: BotUnderTest, forged: str) -> None:
    alice = bot.person("en")
    await alice.send("/settings")
    before = await _user(bot, alice)
    reply = await alice.press_forged(forged)
    assert reply.notices == [EN("not_available")]
    assert reply.messages == []
    assert await _user(bot, alice) == before
    assert await bot.services.dialogues.current(alice.tg_id) is None


async def test_stale_question_button_is_not_available(bot: BotUnderTest) -> None:
    alice = bot.person("en")
    await _open(alice, "City")
    stale = alice.last_with_buttons()
    await alice.send("Berlin")
    reply = await alice.press("Back", stale)
    assert reply.notices == [EN("not_available")]
    assert (await _user(bot, alice)).city == "Berlin"


async def test_a_dialogue_survives_a_restart(server, make_settings, clock) -> None:
    settings = make_settings()
    async with running_bot(server, settings, clock) as first:
        alice = first.person("en")
        await _open(alice, "Country")
    async with running_bot(server, settings, clock) as second:
        alice = second.person("en", tg_id=alice.tg_id)
        reply = await alice.send("Georgia")
        assert reply.text.startswith("Saved.")
        assert (await _user(second, alice)).country == "GE"


async def test_a_dialogue_whose_flow_is_gone_is_reset_plainly(bot: BotUnderTest) -> None:
    alice = bot.person("en")
    await alice.send("/start")
    await bot.services.database.execute(
        "INSERT INTO dialogues (tg_id, flow, step, answers, updated_at) "
        "VALUES (?, 'retired_flow', 'x', '{}', '2026-01-01')", (alice.tg_id,))
    reply = await alice.send("anything")
    assert reply.text == EN("dialogue.reset")
    assert await bot.services.dialogues.current(alice.tg_id) is None
