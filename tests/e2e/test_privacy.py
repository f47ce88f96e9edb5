"""End to end: /mydata, /forget, and the flood limit."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.i18n import texts
from tests.e2e.orgs import seed_organisation
from tests.harness import BotUnderTest

EN, RU = texts("en"), texts("ru")


async def test_mydata_sends_everything_stored_as_json(bot: BotUnderTest) -> None:
    olga = bot.person("ru")
    await seed_organisation(bot, "Free Voices", olga)
    await olga.send("/settings")
    await olga.press("Город")
    await olga.send("Тбилиси")
    await olga.send("/invite")
    await olga.send("/settings")
    await olga.press("Страна")
    reply = await olga.send("/mydata")
    document = reply.messages[0]
    assert reply.last.text.startswith("Вы ещё не ответили на вопрос")  # the country question
    assert document.filename == "mydata.json"
    assert document.caption == texts("ru")("mydata.caption")
    data = json.loads(document.document)
    assert data["user"]["telegram_id"] == olga.tg_id
    assert data["user"]["client_language"] == "ru"
    assert data["user"]["city"] == "Тбилиси"
    assert data["membership"]["organisation"] == "Free Voices"
    assert data["organisation_applications"][0]["name"] == "Free Voices"
    assert len(data["invites_created"]) == 1
    assert data["dialogue_in_progress"]["flow"] == "set_country"
    assert "token" not in json.dumps(data)


async def test_forget_deletes_the_person_and_keeps_their_posts(bot: BotUnderTest) -> None:
    olga, ivan = bot.person("en"), bot.person("en")
    org_id = await seed_organisation(bot, "Free Voices", olga)
    await ivan.send("/start")
    await bot.services.repos.organisations.add_member(ivan.tg_id, org_id, bot.clock.now())
    await olga.send("/invite")
    confirm = await olga.send("/forget")
    assert confirm.text == EN("forget.confirm")
    assert (await olga.press("Cancel")).text == EN("forget.kept")
    assert await bot.services.repos.users.get(olga.tg_id) is not None
    await olga.send("/forget")
    assert (await olga.press("Delete my data")).text == EN("forget.done")
    database = bot.services.database
    assert await bot.services.repos.users.get(olga.tg_id) is None
    assert await database.fetch_value(
        "SELECT count(*) FROM memberships WHERE tg_id = ?", (olga.tg_id,)) == 0
    organisation = await bot.services.repos.organisations.get(org_id)
    assert organisation.name == "Free Voices" and organisation.applicant_id is None
    assert await database.fetch_value(
        "SELECT count(*) FROM invites WHERE created_by IS NULL") == 1
    assert await database.fetch_value(
        "SELECT count(*) FROM dialogues WHERE tg_id = ?", (olga.tg_id,)) == 0
    assert await bot.services.repos.organisations.members(org_id) == [ivan.tg_id]


async def test_last_organiser_is_warned_first(bot: BotUnderTest) -> None:
    olga = bot.person("en")
    await seed_organisation(bot, "Free Voices", olga)
    reply = await olga.send("/forget")
    assert reply.text.startswith(EN("forget.last_organiser", name="Free Voices"))
    assert reply.text.endswith(EN("forget.confirm"))


async def test_a_flood_of_100_messages_gets_at_most_21_replies(bot: BotUnderTest) -> None:
    flooder, calm = bot.person("en"), bot.person("en")
    for number in range(100):
        bot.server.user_sends(flooder.tg_id, f"/help {number}")
    await bot.settle()
    replies = flooder.received()
    assert len(replies) == 21
    assert replies[-1].text == EN("flood.warning")
    assert sum(reply.text == EN("flood.warning") for reply in replies) == 1
    assert await bot.services.database.fetch_value(
        "SELECT count(*) FROM processed_updates") == 20
    assert (await calm.send("/help")).text.startswith("What I can do")
    bot.clock.advance(seconds=10)
    assert (await flooder.send("/help")).text.startswith("What I can do")


async def test_mydata_includes_offers_rsvps_posts_and_alerts(bot: BotUnderTest) -> None:
    olga, helper = bot.person("en"), bot.person("en")
    await helper.send("/start")
    org_id = await seed_organisation(bot, "Free Voices", olga)
    repos, now = bot.services.repos, bot.clock.now()
    need_id = await repos.needs.create(org_id, olga.tg_id, {
        "title": "Lawyer needed", "description": "d", "category": "legal",
        "urgency": "normal", "country": "DE", "private_details": "case 7"}, now)
    await repos.needs.add_offer(need_id, helper.tg_id, "I can", "helper_name", now)
    await repos.needs.toggle_alert(helper.tg_id, "legal")
    event_id = await repos.events.create(org_id, olga.tg_id, {
        "title": "Vigil", "description": "d", "kind": "rally",
        "starts_at": now + timedelta(days=3), "ends_at": None, "timezone": "Europe/Berlin",
        "country": "DE", "city": "Berlin", "venue": "Square", "disclosure": "public"}, now)
    await repos.events.set_answer(event_id, helper.tg_id, "going", now)
    helper_data = json.loads((await helper.send("/mydata")).last.document)
    assert helper_data["critical_need_alerts"] == ["legal"]
    assert [(o["need"], o["message"], o["shared_username"]) for o in
            helper_data["offers_of_help"]] == [("Lawyer needed", "I can", "helper_name")]
    assert [(r["event"], r["answer"]) for r in helper_data["rsvps"]] == [("Vigil", "going")]
    assert "case 7" not in json.dumps(helper_data)
    olga_data = json.loads((await olga.send("/mydata")).last.document)
    assert [n["title"] for n in olga_data["needs_posted"]] == ["Lawyer needed"]
    assert [e["title"] for e in olga_data["events_posted"]] == ["Vigil"]


async def test_the_flood_warning_speaks_the_language_chosen_in_the_bot(
    bot: BotUnderTest,
) -> None:
    boris = bot.person("en")
    await boris.send("/language")
    await boris.press("Русский")
    bot.clock.advance(seconds=10)
    for number in range(25):
        bot.server.user_sends(boris.tg_id, f"/help {number}")
    await bot.settle()
    assert boris.received()[-1].text == RU("flood.warning")
