"""End to end: Edit on every preview (SPEC §3): pick a field, answer it again with the same
validation, the steps depending on it asked again, back to the preview, then publish."""

from __future__ import annotations

from bot.infra.i18n import texts
from tests.conftest import COORDINATOR_ID, running_bot
from tests.e2e.orgs import organiser
from tests.harness import BotUnderTest, Person, button_labels

EN, RU = texts("en"), texts("ru")
TOO_LONG = "x" * 300


async def _field(person: Person, label: str):
    """Edit on the preview, then the field: its question again."""
    menu = await person.press(texts(person.language)("button.edit"))
    assert menu.text == texts(person.language)("dialogue.edit.ask")
    return await person.press(label)


async def _need_preview(person: Person):
    title_question = (await person.send("/neednew")).text
    await person.send("Lawyer for a prisoner")
    await person.send("Defence in an appeal hearing.")
    await person.press("Skip")
    await person.press("Legal")
    await person.press("Urgent")
    await person.send("Germany")
    await person.send("Berlin")
    return title_question, await person.press("Skip")


async def _event_preview(person: Person):
    await person.send("/eventnew")
    await person.send("Returning the Names")
    await person.send("We read aloud the names of the victims.")
    await person.press("Commemoration")
    await person.send("Germany")
    await person.send("Berlin")
    await person.press("✅ Europe/Berlin")
    await person.send("2026-12-05 10:00")
    await person.send("12:30")
    await person.send("Lindenstr. 5")
    await person.press("Public")
    return await person.press("Skip")


async def _one(bot: BotUnderTest, sql: str) -> tuple:
    return tuple(await bot.services.database.fetch_one(sql))


async def test_need_edit_title_then_publish(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    title_question, preview = await _need_preview(olga)
    assert button_labels(preview.last) == ["Publish", "Edit", "Cancel"]
    menu = await olga.press("Edit")
    labels = button_labels(menu.last)
    assert labels[:3] == ["Title", "Description", "Private details"] and labels[-1] == "Back"
    back = await olga.press("Back")
    assert back.text == preview.text
    await olga.press("Edit")
    asked = await olga.press("Title")
    assert asked.text == title_question
    refused = await olga.send(TOO_LONG)
    assert refused.text.startswith("That is too long") and asked.text in refused.text
    again = await olga.send("Interpreter for a hearing")
    assert "Interpreter for a hearing" in again.text and "Lawyer" not in again.text
    assert button_labels(again.last) == ["Publish", "Edit", "Cancel"]
    await olga.press("Publish")
    assert await _one(bot, "SELECT title, city FROM needs") == ("Interpreter for a hearing",
                                                               "Berlin")


async def test_need_edit_country_online_drops_the_city_and_back_asks_it(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    await _need_preview(olga)
    await _field(olga, "Country")
    online = await olga.send("online")
    assert "Online" in online.text and "Berlin" not in online.text
    assert "City" not in button_labels((await olga.press("Edit")).last)
    await olga.press("Country")
    city = await olga.send("France")
    assert city.text.startswith("In which city?")
    preview = await olga.send("Paris")
    assert "Paris, France" in preview.text
    await olga.press("Publish")
    assert await _one(bot, "SELECT country, city FROM needs") == ("FR", "Paris")


async def test_event_edit_city_asks_the_time_zone_again(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    await _event_preview(olga)
    await _field(olga, "City")
    refused = await olga.send(TOO_LONG)
    assert refused.text.startswith("That is too long") and "In which city?" in refused.text
    zone = await olga.send("Munich")
    assert "Europe/Berlin" in zone.text and button_labels(zone.last)[0] == "✅ Europe/Berlin"
    preview = await olga.press("✅ Europe/Berlin")  # the same zone: the start stands
    assert "Munich, Germany" in preview.text
    await olga.press("Publish")
    assert await _one(bot, "SELECT city, timezone, starts_at FROM events") == (
        "Munich", "Europe/Berlin", "2026-12-05T09:00:00+00:00")


async def test_event_edit_country_asks_city_zone_start_and_the_end_that_no_longer_fits(
    bot: BotUnderTest,
) -> None:
    olga = await organiser(bot)
    await _event_preview(olga)
    await _field(olga, "Country")
    await olga.send("Georgia")
    zone = await olga.send("Tbilisi")
    assert button_labels(zone.last)[0] == "✅ Asia/Tbilisi"
    start = await olga.press("✅ Asia/Tbilisi")
    assert start.text.startswith("When does it start") and "Asia/Tbilisi" in start.text
    assert (await olga.send("2026-12-05 25:00")).text != start.text
    end = await olga.send("2026-12-05 18:00")  # 14:00 UTC: after the kept end, 11:30 UTC
    assert end.text.startswith("The end must come after the start")
    assert "Skip" in button_labels(end.last)
    preview = await olga.send("20:00")
    assert "Tbilisi, Georgia" in preview.text and "18:00–20:00" in preview.text
    await olga.press("Publish")
    assert await _one(bot, "SELECT country, city, timezone, starts_at, ends_at FROM events") == (
        "GE", "Tbilisi", "Asia/Tbilisi", "2026-12-05T14:00:00+00:00",
        "2026-12-05T16:00:00+00:00")


async def test_campaign_edit_last_day_then_publish(bot: BotUnderTest) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await coordinator.send("/campaignnew")
    await coordinator.send("Returning the Names 2026")
    await coordinator.send("Reading the names.")
    await coordinator.send("2026-12-05")
    await coordinator.send("2026-12-06")
    asked = await _field(coordinator, "Last day")
    assert button_labels(asked.last)[:2] == ["The same day", "Sunday, 6 December"]
    refused = await coordinator.send("2026-12-01")
    assert refused.text.startswith("The last day cannot come before the first day")
    preview = await coordinator.send("2026-12-10")
    assert "2026-12-10" in preview.text
    await coordinator.press("Publish")
    assert await _one(bot, "SELECT starts_on, ends_on FROM campaigns") == (
        "2026-12-05", "2026-12-10")


async def test_campaign_edit_first_day_after_the_last_asks_the_last_again(
    bot: BotUnderTest,
) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await coordinator.send("/campaignnew")
    await coordinator.send("Returning the Names 2026")
    await coordinator.send("Reading the names.")
    await coordinator.send("2026-12-05")
    await coordinator.send("2026-12-06")
    await _field(coordinator, "First day")
    last = await coordinator.send("2026-12-08")
    assert last.text.startswith("The last day cannot come before the first day, 2026-12-08")
    await coordinator.send("2026-12-09")
    await coordinator.press("Publish")
    assert await _one(bot, "SELECT starts_on, ends_on FROM campaigns") == (
        "2026-12-08", "2026-12-09")


async def test_announcement_edit_audience_asks_the_country_then_send(bot: BotUnderTest) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await coordinator.send("/announce")
    await coordinator.send("Vigil on Friday")
    await coordinator.press("Everyone")
    preview = await coordinator.press("Skip")
    assert "Country" not in button_labels((await coordinator.press("Edit")).last)
    await coordinator.press("Audience")
    assert (await coordinator.send("country")).text.startswith(EN("dialogue.use_buttons"))
    asked = await coordinator.press("Country")
    assert asked.text.startswith("Members in which country?")
    assert (await coordinator.send("Atlantis")).text.startswith("I don't know that country")
    edited = await coordinator.send("Germany")
    assert edited.text != preview.text and "Germany" in edited.text
    await coordinator.press("Send")
    assert await _one(bot, "SELECT audience FROM broadcasts") == ("country:DE",)


async def test_organisation_application_edit_name_then_publish(bot: BotUnderTest) -> None:
    olga = bot.person("en")
    await olga.send("/register_org")
    await olga.send("Free Voices")
    await olga.press("Skip")
    await olga.send("Germany")
    await olga.press("Skip")
    await olga.press("Skip")
    await _field(olga, "Name")
    assert (await olga.send(TOO_LONG)).text.startswith("That is too long")
    preview = await olga.send("Free Voices Berlin")
    assert "Free Voices Berlin" in preview.text
    await olga.press("Publish")
    assert await _one(bot, "SELECT name, status FROM organisations") == (
        "Free Voices Berlin", "pending")


async def test_election_edit_date_then_add(bot: BotUnderTest) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await coordinator.send("/elections")
    await coordinator.press("Add")
    await coordinator.send("Referendum")
    await coordinator.press("Skip")
    await coordinator.send("2026-12-10")
    await coordinator.send("RU")
    asked = await _field(coordinator, "Date")
    assert any(label.startswith("Tomorrow") for label in button_labels(asked.last))
    assert (await coordinator.send("31.02.2027")).text != asked.text
    preview = await coordinator.send("2027-03-15")
    assert "2027" in preview.text and button_labels(preview.last) == ["Add", "Edit", "Cancel"]
    await coordinator.press("Add")
    assert await _one(bot, "SELECT name, date FROM elections") == ("Referendum", "2027-03-15")


async def test_stale_and_forged_edit_buttons_are_not_available(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    await _need_preview(olga)
    menu = (await olga.press("Edit")).last
    await olga.press("Title", menu)
    stale = await olga.press("Description", menu)  # the dialogue moved on to the title
    assert stale.notices == [EN("not_available")] and not stale.messages
    await olga.send("Interpreter")
    forged = await olga.press_forged("d:preview:~fsecret")
    assert forged.notices == [EN("not_available")]
    await olga.send("/cancel")
    after_cancel = await olga.press("Title", menu)
    assert after_cancel.notices == [EN("not_available")]
    assert await bot.services.database.fetch_all("SELECT * FROM needs") == []


async def test_cancel_during_an_edit_saves_nothing(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    await _need_preview(olga)
    await _field(olga, "Country")
    await olga.send("France")  # the city is asked next
    await olga.send("/cancel")
    assert await bot.services.database.fetch_all("SELECT * FROM needs") == []
    assert await bot.services.database.fetch_all("SELECT * FROM dialogues") == []


async def test_a_restart_in_the_middle_of_an_edit_resumes_it(
    server, make_settings, clock,
) -> None:
    settings = make_settings()
    async with running_bot(server, settings, clock) as first:
        olga = await organiser(first)
        await _need_preview(olga)
        await _field(olga, "Title")
    async with running_bot(server, settings, clock) as second:
        olga = second.person("en", tg_id=olga.tg_id)
        preview = await olga.send("Interpreter for a hearing")
        assert "Interpreter for a hearing" in preview.text
        await olga.press("Publish")
        assert await _one(second, "SELECT title FROM needs") == ("Interpreter for a hearing",)


async def test_russian_edit_menu(bot: BotUnderTest) -> None:
    olga = await organiser(bot, language="ru")
    await olga.send("/neednew")
    await olga.send("Юрист для заключённого")
    await olga.send("Защита в апелляции.")
    await olga.press("Пропустить")
    await olga.press(RU("category.legal"))
    await olga.press(RU("urgency.urgent"))
    await olga.send("Германия")
    await olga.send("Берлин")
    preview = await olga.press("Пропустить")
    assert button_labels(preview.last) == ["Опубликовать", "Изменить", "Отмена"]
    menu = await olga.press("Изменить")
    assert menu.text == RU("dialogue.edit.ask")
    assert button_labels(menu.last) == [
        "Заголовок", "Описание", "Закрытые подробности", "Категорию", "Срочность", "Страну",
        "Город", "Срок", "Назад"]


async def test_a_published_need_is_edited_with_the_same_fields_and_dependants(
    bot: BotUnderTest,
) -> None:
    olga = await organiser(bot)
    await _need_preview(olga)
    preview_fields = button_labels((await olga.press("Edit")).last)[:-1]
    await olga.press("Back")
    await olga.press("Publish")
    await olga.send("/myneeds")
    card = await olga.press("1")
    menu = await olga.press("Edit", card.last)
    assert button_labels(menu.last) == preview_fields
    await olga.press("Country")
    edited = await olga.send("online")
    assert "Online" in edited.text and "Berlin" not in edited.text
    assert await _one(bot, "SELECT country, city FROM needs") == ("online", None)
    menu = await olga.press("Edit", card.last)
    assert "City" not in button_labels(menu.last)
    await olga.press("Country")
    assert (await olga.send("France")).text.startswith("In which city?")
    await olga.send("Paris")
    assert await _one(bot, "SELECT title, country, city FROM needs") == (
        "Lawyer for a prisoner", "FR", "Paris")
