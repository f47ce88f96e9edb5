"""End to end: posting needs, browsing with filters, offers, private details, alerts, expiry."""

from __future__ import annotations

import pytest

from bot.infra.i18n import texts
from tests.conftest import COORDINATOR_ID
from tests.e2e.orgs import organiser, snapshot
from tests.harness import BotUnderTest, Person, button_labels

# Also on PostgreSQL (tests/conftest.py: backend).
pytestmark = pytest.mark.usefixtures("backend")

EN, RU = texts("en"), texts("ru")
SECRET = "Case 2-417/2026, safe flat: Lindenstr. 5"


async def _post(organiser: Person, *, title: str = "Lawyer for a prisoner",
                private: str | None = SECRET, category: str = "Legal",
                urgency: str = "Urgent", country: str = "Germany", city: str | None = "Berlin",
                deadline: str | None = None, language: str = "en"):
    t = texts(language)
    await organiser.send("/neednew")
    await organiser.send(title)
    await organiser.send("Defence in an appeal hearing.")
    if private:
        await organiser.send(private)
    else:
        await organiser.press(t("button.skip"))
    await organiser.press(t(f"category.{category.lower()}"))
    await organiser.press(t(f"urgency.{urgency.lower()}"))
    asked = await organiser.send(country)
    if city:
        await organiser.send(city)
    elif "city" in asked.text or "город" in asked.text:
        await organiser.press(t("button.skip"))
    if deadline:
        preview = await organiser.send(deadline)
    else:
        preview = await organiser.press(t("button.skip"))
    assert button_labels(preview.last) == [
        t("button.publish"), t("button.edit"), t("button.cancel")]
    return preview, await organiser.press(t("button.publish"))


async def test_post_a_need_in_english(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    preview, published = await _post(olga, deadline="2026-12-24")
    assert preview.text.splitlines()[:9] == [
        "Please check the need before publishing:", "", "🟠 Lawyer for a prisoner", "Free Voices",
        "⚖️ Legal · 🟠 Urgent", "Place: Berlin, Germany", "Deadline: 2026-12-24", "",
        "Defence in an appeal hearing."]
    assert SECRET in preview.text
    assert published.text == EN("need.published", title="Lawyer for a prisoner")
    [need] = await bot.services.repos.needs.browse(_all(), 0, 5)
    assert (need.category, need.urgency, need.country, need.city, str(need.deadline),
            need.private_details) == ("legal", "urgent", "DE", "Berlin", "2026-12-24", SECRET)


async def test_post_a_need_in_russian_online_without_optional_fields(bot: BotUnderTest) -> None:
    boris = await organiser(bot, "Мемориал", language="ru")
    preview, published = await _post(boris, title="Переводчики для суда", private=None,
                                      category="Translation", urgency="Normal",
                                      country="онлайн", city=None, language="ru")
    assert "Место: Онлайн" in preview.text and "Срок: не указан" in preview.text
    asked = [r.text for r in boris.received()]
    assert not [text for text in asked if text.startswith(RU.plural("need.ask.city", 80)[:20])]
    assert "🔒" not in preview.text
    assert published.text.startswith("Нужда «Переводчики для суда» опубликована")


async def test_a_deadline_typed_as_people_say_it_or_chosen_from_the_coming_days(
    bot: BotUnderTest,
) -> None:
    """Today is Monday 2026-11-30: "завтра" and the Friday button both show the full date in
    the preview, so a wrong guess would be seen before Publish."""
    boris = await organiser(bot, "Мемориал", language="ru")
    preview, _ = await _post(boris, title="Переводчики для суда", deadline="завтра",
                             language="ru")
    assert "Срок: 2026-12-01" in preview.text

    olga = await organiser(bot)
    await olga.send("/neednew")
    for answer in ("Lawyer for a prisoner", "Defence in an appeal hearing.", SECRET):
        await olga.send(answer)
    await olga.press(EN("category.legal"))
    await olga.press(EN("urgency.urgent"))
    await olga.send("Germany")
    question = await olga.send("Berlin")
    for typed in ("today", "tomorrow", "a weekday", "20.12", "20 December", "2026-12-20"):
        assert typed in question.text
    asked = question.last
    assert button_labels(asked) == [
        "Today, Monday, 30 November", "Tomorrow, Tuesday, 1 December", "Wednesday, 2 December",
        "Thursday, 3 December", "Friday, 4 December", "Saturday, 5 December",
        "Sunday, 6 December", EN("button.skip")]
    refused = await olga.send("yesterday")
    assert refused.text.startswith("Please type a date: 2026-12-24")
    preview = await olga.press("Friday, 4 December", asked)
    assert "Deadline: 2026-12-04" in preview.text
    await olga.press(EN("button.publish"))
    deadlines = await bot.services.database.fetch_all("SELECT deadline FROM needs ORDER BY id")
    assert [row[0] for row in deadlines] == ["2026-12-01", "2026-12-04"]


def _all():
    from storage.needs import NeedFilter

    return NeedFilter()


BAD = [
    ("title", "ab", EN.plural("invalid.too_short", 3)),
    ("title", "T" * 121, EN.plural("invalid.too_long", 121, limit=120)),
    ("title", "\u202e\u200b\u061c\u061c\u061c\u202c", EN.plural("invalid.too_short", 3)),
    ("description", "D" * 2001, EN.plural("invalid.too_long", 2001, limit=2000)),
    ("private_details", "P" * 1001, EN.plural("invalid.too_long", 1001, limit=1000)),
    ("category", "Legal", EN("dialogue.use_buttons")),
    ("urgency", "critical", EN("dialogue.use_buttons")),
    ("country", "Mordor", EN("invalid.need_country")),
    ("city", "<b>Berlin</b>", EN("invalid.city")),
    ("deadline", "2026-02-31", EN("invalid.date_impossible")),
    ("deadline", "31.02.2027", EN("invalid.date_impossible")),
    ("deadline", "2026-11-29", EN("invalid.deadline_past")),
    ("deadline", "next week", EN("invalid.date")),
]
ORDER = ["title", "description", "private_details", "category", "urgency", "country", "city"]
ANSWERS = {"title": ("send", "Lawyer"), "description": ("send", "About"),
           "private_details": ("send", "secret"), "category": ("press", "⚖️ Legal"),
           "urgency": ("press", "🔴 Critical"), "country": ("send", "DE"),
           "city": ("send", "Berlin")}


@pytest.mark.parametrize(("step", "answer", "reason"), BAD)
async def test_every_bad_answer_keeps_the_step_and_saves_nothing(
    bot: BotUnderTest, step: str, answer: str, reason: str
) -> None:
    olga = await organiser(bot)
    await olga.send("/neednew")
    for name in ORDER:
        if name == step:
            break
        how, value = ANSWERS[name]
        await (olga.send(value) if how == "send" else olga.press(value))
    before = await snapshot(bot)
    reply = await olga.send(answer)
    assert reply.text.startswith(reason.replace("<i>", "").replace("</i>", "")), reply.text
    assert (await bot.services.dialogues.current(olga.tg_id)).step == step
    assert await bot.services.repos.needs.count(_all()) == 0
    after = await snapshot(bot)
    assert {k: v for k, v in after.items() if k != "dialogues"} == {
        k: v for k, v in before.items() if k != "dialogues"}


async def test_a_publish_that_failed_acts_once_when_telegram_delivers_it_again(
    bot: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    olga = await organiser(bot)
    needs = bot.services.repos.needs
    get, failures = needs.get, []

    async def fails_once(need_id: int):
        # After the need's INSERT, inside the same transaction: both are rolled back.
        if not failures:
            failures.append(need_id)
            raise RuntimeError("the disk is full")
        return await get(need_id)

    monkeypatch.setattr(needs, "get", fails_once)
    _, failed = await _post(olga)
    assert failed.texts == [EN("error.generic")]
    assert failures and await needs.count(_all()) == 0
    publish = bot.server.last_update_id
    again = await bot.redeliver(olga, publish)
    assert again.texts == [EN("need.published", title="Lawyer for a prisoner")]
    assert await needs.count(_all()) == 1
    assert (await bot.redeliver(olga, publish)).messages == []
    assert await needs.count(_all()) == 1


async def test_html_and_bidi_in_every_text_field_are_shown_literally(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    member = bot.person("en")
    await olga.send("/neednew")
    await olga.send("<b>Lawyer</b> & \u202eco\u202c")
    await olga.send("Needs <script>alert(1)</script> & <i>care</i>")
    await olga.send("<a href='x'>secret</a>")
    await olga.press("⚖️ Legal")
    await olga.press("⚪ Normal")
    await olga.send("DE")
    await olga.press("Skip")
    preview = await olga.press("Skip")
    assert "<b>Lawyer</b> & co" in preview.text
    assert "Needs <script>alert(1)</script> & <i>care</i>" in preview.text
    await olga.press("Publish")
    listing = await member.send("/needs")
    assert "<b>Lawyer</b> & co — Free Voices" in listing.text
    card = await member.press("1")
    assert "Needs <script>alert(1)</script> & <i>care</i>" in card.text
    assert "secret" not in card.text


async def test_a_needs_place_is_composed_as_an_events_and_names_its_city_once(
    bot: BotUnderTest,
) -> None:
    olga = await organiser(bot)
    preview, _ = await _post(olga, country="Germany", city="Berlin")
    assert "Place: Berlin, Germany" in preview.text.splitlines()
    ru = await organiser(bot, "Мемориал", language="ru")
    preview, _ = await _post(ru, title="Юрист — Берлин", private=None, country="Германия",
                             city="Берлин", language="ru")
    assert "Место: Берлин, Германия" in preview.text.splitlines()
    lines = (await bot.person("en").send("/needs")).text.splitlines()
    # The city is in the title already: the place says the country only.
    assert lines[2:4] == ["1. 🟠 Юрист — Берлин — Мемориал, Germany",
                          "2. 🟠 Lawyer for a prisoner — Free Voices, Berlin, Germany"]


async def test_browse_with_each_filter_and_pages(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    anna = await organiser(bot, "Memorial Circle", country="GE")
    repo, now = bot.services.repos.needs, bot.clock.now()
    org_of = {olga: (await bot.services.repos.users.member(olga.tg_id)).membership.org_id,
              anna: (await bot.services.repos.users.member(anna.tg_id)).membership.org_id}
    for number in range(7):
        bot.clock.advance(minutes=1)
        await repo.create(org_of[olga], olga.tg_id, {
            "title": f"Housing {number}", "description": "d", "category": "housing",
            "urgency": "normal", "country": "DE"}, bot.clock.now())
    await repo.create(org_of[anna], anna.tg_id, {
        "title": "Critical lawyer", "description": "d", "category": "legal",
        "urgency": "critical", "country": "GE", "city": "Tbilisi"}, now)
    member = bot.person("en")
    first = (await member.send("/needs")).last
    lines = first.text.splitlines()
    assert lines[0] == "8 open needs (no filters)"
    assert lines[2] == "1. 🔴 Critical lawyer — Memorial Circle, Tbilisi, Georgia"
    assert lines[3] == "2. ⚪ Housing 6 — Free Voices, Germany"
    assert button_labels(first) == ["1", "2", "3", "4", "5", "Next", "Filter"]
    await member.press("Next", first)
    second = bot.server.messages[(member.tg_id, first.message_id)]
    assert "1. ⚪ Housing 2 — Free Voices, Germany" in second["text"]
    assert "Page 2 of 2" in second["text"]
    for facet, value, expected in (("Category", "⚖️ Legal", 1), ("Country", "Germany", 7),
                                   ("Urgency", "🔴 Critical", 1)):
        await member.press("Filter", first)
        await member.press(facet, first)
        await member.press(value, first)
        shown = bot.server.messages[(member.tg_id, first.message_id)]["text"]
        assert shown.splitlines()[0].startswith(f"{expected} open need"), shown
        await member.press("Clear filters", first)
    await member.press("Filter", first)
    await member.press("Category", first)
    await member.press("🏠 Housing", first)
    await member.press("Filter", first)
    await member.press("Urgency", first)
    await member.press("🔴 Critical", first)
    empty = bot.server.messages[(member.tg_id, first.message_id)]["text"]
    assert empty == "No open needs match (🏠 Housing, 🔴 Critical)."
    assert [b["text"] for row in bot.server.messages[(member.tg_id, first.message_id)][
        "reply_markup"]["inline_keyboard"] for b in row] == ["Filter", "Clear filters"]


async def test_offer_accept_reveals_private_details_to_that_helper_only(
    bot: BotUnderTest,
) -> None:
    olga = await organiser(bot)
    helper, bystander = bot.person("en"), bot.person("en")
    await helper.send("/settings")
    await helper.press("Alerts")
    await helper.press("⚖️ Legal")
    await bystander.send("/start")
    await _post(olga, urgency="Critical")
    await bot.server.wait_for(lambda: any("critical need" in (r.text or "")
                                          for r in helper.received()))
    await helper.send("/needs")
    card = await helper.press("1")
    asked = await helper.press("I can help", card.last)
    assert asked.text == EN.plural("offer.ask.message", 500)
    await helper.send("I am a lawyer <admitted> in Berlin")
    preview = await helper.press("Share my username")
    assert preview.text.splitlines() == [
        "Your offer of help for “Lawyer for a prisoner”:", "",
        "I am a lawyer <admitted> in Berlin", "",
        f"The organisers will see your username @p{helper.tg_id} so that they can write to "
        "you; nobody else will."]
    assert button_labels(preview.last) == ["Send", "Edit", "Cancel"]
    assert not [r for r in olga.received() if "An offer of help" in (r.text or "")]
    sent = await helper.press("Send")
    assert sent.text == EN("offer.sent", title="Lawyer for a prisoner")
    offer = await bot.server.wait_for(lambda: next((
        r for r in olga.received() if "An offer of help" in (r.text or "")), None))
    assert "I am a lawyer <admitted> in Berlin" in offer.text
    assert f"Contact: @p{helper.tg_id}" in offer.text
    again = await helper.press("I can help", card.last)
    assert again.text == EN("offer.already")
    accepted = await olga.press("Accept", offer)
    assert accepted.text == EN("offer.accepted_done")
    revealed = await bot.server.wait_for(lambda: next((
        r for r in helper.received() if SECRET in (r.text or "")), None))
    assert revealed.text.startswith("Good news: Free Voices accepted")
    await bot.services.repos.users.update(olga.tg_id, label="Olga, Free Voices")
    already = await olga.press("Accept", offer)
    assert already.text == EN("offer.already_accepted", person="Olga, Free Voices")
    await bot.services.delivery.drain()
    for record in bot.server.outbox:
        if SECRET in (record.text or "") or SECRET in (record.caption or ""):
            assert record.chat_id in (helper.tg_id, olga.tg_id), record
    assert not any(SECRET in (r.text or "") for r in olga.received()
                   if "critical need" in (r.text or ""))
    notices = await bot.services.database.fetch_all(
        "SELECT status, text FROM broadcasts WHERE kind = 'notice'")
    assert len(notices) == 2 and {tuple(row) for row in notices} == {("done", "")}


async def test_decline_and_username_not_shared(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    helper = bot.person("ru")
    await _post(olga)
    await helper.send("/needs")
    await helper.press("1")
    await helper.press("Могу помочь")
    await helper.send("Могу приютить")
    preview = await helper.press("Не показывать")
    assert preview.text.splitlines()[-1].startswith("Ваше имя пользователя останется скрытым")
    await helper.press("Отправить")
    offer = await bot.server.wait_for(lambda: next((
        r for r in olga.received() if "An offer of help" in (r.text or "")), None))
    assert "@" not in offer.text and EN("offer.no_contact") in offer.text
    stored = await bot.services.database.fetch_value("SELECT username FROM offers")
    assert stored is None
    assert (await olga.press("Decline", offer)).text == EN("offer.declined_done")
    declined = await bot.server.wait_for(lambda: next((
        r for r in helper.received() if "благодарит" in (r.text or "")), None))
    assert SECRET not in declined.text


async def test_critical_alert_reaches_only_opted_in_members(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    legal, medical, nobody = bot.person("en"), bot.person("ru"), bot.person("en")
    # Olga asked for legal alerts too, but is not alerted to her own organisation's need.
    for person, label in ((legal, "⚖️ Legal"), (medical, "🩺 Медицина"), (olga, "⚖️ Legal")):
        await person.send("/settings")
        await person.press(texts(person.language)("settings.button.alerts"))
        menu = (await person.press(label)).last
        assert f"✅ {label}" in button_labels(menu)
        assert sum(label.startswith("✅") for label in button_labels(menu)) == 1
    await nobody.send("/start")
    await _post(olga, urgency="Critical")
    await _post(olga, title="Doctor needed", category="Medical", urgency="Urgent")
    await _post(olga, title="Medicine now", category="Medical", urgency="Critical")
    await bot.server.wait_for(lambda: any("Medicine now" in (r.text or "")
                                          for r in medical.received()))
    await bot.services.delivery.drain()
    alerts = {person: [r.text for r in person.received() if "🚨" in (r.text or "")]
              for person in (legal, medical, nobody, olga)}
    assert len(alerts[legal]) == 1 and "Lawyer for a prisoner" in alerts[legal][0]
    assert len(alerts[medical]) == 1 and alerts[medical][0].startswith("🚨 Только что")
    assert alerts[nobody] == [] and alerts[olga] == []
    assert all(SECRET not in text for texts_ in alerts.values() for text in texts_)
    alert = next(r for r in legal.received() if "🚨" in (r.text or ""))
    assert button_labels(alert) == ["I can help"]
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    listing = (await coordinator.send("/broadcasts")).text
    # The copies in the other language had nobody to go to: not listed.
    assert listing.splitlines()[2:5] == [
        "1. Alert of 30 Nov to members alerted about 🩺 Medical, in Russian: done; 1 recipient, "
        "delivered: 1, blocked: 0, failed: 0",
        "2. Alert of 30 Nov to members alerted about ⚖️ Legal, in English: done; 1 recipient, "
        "delivered: 1, blocked: 0, failed: 0", ""]
    card = await coordinator.press("2")
    assert card.text.startswith("Alert of 30 Nov to members alerted about ⚖️ Legal, in English")


async def test_another_organisation_cannot_touch_the_need(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    intruder = await organiser(bot, "Other Org")
    helper = bot.person("en")
    await helper.send("/start")
    await _post(olga)
    [need] = await bot.services.repos.needs.browse(_all(), 0, 1)
    offer_id = await bot.services.repos.needs.add_offer(
        need.id, helper.tg_id, "I can", None, bot.clock.now())
    own = await intruder.send("/myneeds")
    assert own.text == EN("need.own_empty")
    before = await snapshot(bot)
    needs_before = await bot.services.database.fetch_all("SELECT * FROM needs")
    offers_before = await bot.services.database.fetch_all("SELECT * FROM offers")
    notices_before = await bot.services.database.fetch_value("SELECT count(*) FROM broadcasts")
    for data in (f"mn:ful:{need.id}", f"mn:cls:{need.id}", f"mn:ed:{need.id}",
                 f"mn:ef:{need.id}:title", f"mn:o:{need.id}", f"mn:of:{need.id}",
                 f"need:no:{need.id}", f"need:yes:{need.id}", f"offer:ac:{offer_id}",
                 f"offer:dc:{offer_id}"):
        reply = await intruder.press_forged(data)
        assert reply.texts == [EN("not_available")], data
    member = bot.person("en")
    await member.send("/start")
    assert (await member.send("/myneeds")).text == EN("organiser.no_organisation")
    assert (await member.send("/neednew")).text == EN("organiser.no_organisation")
    reply = await member.press_forged(f"mn:cls:{need.id}")
    assert reply.notices == [EN("not_available")]
    assert [tuple(r) for r in await bot.services.database.fetch_all(
        "SELECT * FROM needs")] == [tuple(r) for r in needs_before]
    assert [tuple(r) for r in await bot.services.database.fetch_all(
        "SELECT * FROM offers")] == [tuple(r) for r in offers_before]
    assert await bot.services.database.fetch_value(
        "SELECT count(*) FROM broadcasts") == notices_before  # the helper was told nothing
    after = await snapshot(bot)
    assert {k: v for k, v in after.items() if k != "users"} == {
        k: v for k, v in before.items() if k != "users"}


async def test_myneeds_fulfil_close_and_edit_with_the_same_checks(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    await _post(olga)
    await _post(olga, title="Second need")
    listing = await olga.send("/myneeds")
    assert listing.text.splitlines()[0] == "Your organisation's 2 needs"
    card = await olga.press("1")
    assert button_labels(card.last) == ["Fulfilled", "Close", "Edit", "Offers"]
    await olga.press("Edit", card.last)
    await olga.press("Title")
    assert (await olga.send("x")).text.startswith(EN.plural("invalid.too_short", 3))
    edited = await olga.send("Second need, renamed")
    assert edited.text.startswith("🟠 Second need, renamed")
    done = await olga.press("Fulfilled", card.last)
    assert done.text == EN("need.fulfilled", title="Second need, renamed")
    assert (await olga.press("Close", card.last)).text == EN("not_available")
    member = bot.person("en")
    assert (await member.send("/needs")).text.splitlines()[0].startswith("1 open need")


async def test_expiry_and_still_needed_by_the_clock(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    await _post(olga, title="Until Christmas", deadline="2026-12-24")
    await _post(olga, title="Long running")
    housekeeping = bot.application.job_queue.get_jobs_by_name("needs-housekeeping")[0]
    bot.clock.advance(days=13)
    await housekeeping.run(bot.application)
    assert not [r for r in olga.received() if "Is it still needed" in (r.text or "")]
    bot.clock.advance(days=2)
    await housekeeping.run(bot.application)
    asks = await bot.server.wait_for(lambda: [
        r for r in olga.received() if "Is it still needed" in (r.text or "")] if len([
            r for r in olga.received() if "Is it still needed" in (r.text or "")]) == 2 else None)
    await housekeeping.run(bot.application)
    await bot.services.delivery.drain()
    assert len([r for r in olga.received() if "Is it still needed" in (r.text or "")]) == 2
    long_running = next(r for r in asks if "Long running" in r.text)
    christmas = next(r for r in asks if "Until Christmas" in r.text)
    assert (await olga.press("No", long_running)).text == EN("need.closed", title="Long running")
    assert (await olga.press("Yes", christmas)).text.startswith("“Until Christmas” stays open")
    bot.clock.advance(days=10)
    await housekeeping.run(bot.application)
    statuses = dict(tuple(row) for row in await bot.services.database.fetch_all(
        "SELECT title, status FROM needs"))
    assert statuses == {"Until Christmas": "expired", "Long running": "closed"}


async def test_a_coordinator_without_an_organisation_is_told_why_not(bot: BotUnderTest) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    for command in ("/neednew", "/eventnew", "/myneeds"):
        reply = await coordinator.send(command)
        assert reply.text == EN("organiser.no_organisation")
        assert await bot.services.repos.dialogues.get(COORDINATOR_ID) is None
    # /myevents is everyone's: their own plans.
    assert (await coordinator.send("/myevents")).text == EN("myplans.empty")


async def test_a_suspended_organisation_gets_no_offers_and_no_still_needed(
    bot: BotUnderTest,
) -> None:
    coordinator, olga, helper = bot.person("en", tg_id=COORDINATOR_ID), await organiser(bot), (
        bot.person("en"))
    await _post(olga)
    await helper.send("/needs")
    card = (await helper.press("1")).last
    await helper.press("I can help", card)
    await helper.send("I am a lawyer in Berlin")
    await coordinator.send("/orgs")
    await coordinator.press("Suspend", (await coordinator.press("1")).last)
    await helper.press("Share my username")
    assert (await helper.press("Send")).text == EN("not_available")
    assert await bot.services.database.fetch_value("SELECT count(*) FROM offers") == 0
    before = await snapshot(bot)
    assert (await helper.press("I can help", card)).text == EN("not_available")
    assert "Lawyer for a prisoner" not in (await helper.send("/needs")).text
    bot.clock.advance(days=15)
    await bot.application.job_queue.get_jobs_by_name("needs-housekeeping")[0].run(
        bot.application)
    await bot.services.delivery.drain()
    assert await snapshot(bot) == before
    assert not [r for r in olga.received()
                if "I am a lawyer" in (r.text or "") or "still needed" in (r.text or "")]


async def test_a_coordinator_hides_a_need_and_its_organisers_are_told(bot: BotUnderTest) -> None:
    coordinator, helper = bot.person("en", tg_id=COORDINATOR_ID), bot.person("en")
    boris = await organiser(bot, "Мемориал", language="ru")
    title = "Переводчики для суда"
    await _post(boris, title=title, urgency="Critical", language="ru")
    need_id = await bot.services.database.fetch_value("SELECT id FROM needs")
    await helper.send("/needs")
    helper_card = (await helper.press("1")).last
    assert button_labels(helper_card) == ["I can help"]
    for person in (helper, boris):
        assert (await person.press_forged(f"hide:need:{need_id}")).notices in (
            [EN("not_available")], [RU("not_available")])
        assert await bot.services.repos.dialogues.get(person.tg_id) is None
    await coordinator.send("/needs")
    card = (await coordinator.press("1")).last
    assert button_labels(card) == ["I can help", "Hide"]
    await coordinator.press("Hide", card)
    await coordinator.send("/cancel")
    assert title in (await helper.send("/needs")).text
    await coordinator.press("Hide", card)
    hidden = await coordinator.send("Posted twice & <i>spam</i>")
    assert hidden.text == EN("need.hidden", title=title)
    notice = await bot.server.wait_for(lambda: next((
        r for r in boris.received() if "Координаторы скрыли нужду" in (r.text or "")), None))
    assert f"«{title}»" in notice.text and notice.text.endswith("Posted twice & <i>spam</i>")
    assert title not in (await helper.send("/needs")).text
    assert title not in " ".join((await helper.send("/digest")).texts)
    assert (await helper.press("I can help", helper_card)).text == EN("not_available")
    assert (await helper.press_forged(f"nd:o:{need_id}")).text == EN("not_available")
    before = await snapshot(bot)
    for person, data in ((helper, f"unhide:need:{need_id}"), (boris, f"unhide:need:{need_id}")):
        reply = await person.press_forged(data)
        assert reply.notices in ([EN("not_available")], [RU("not_available")]), data
    own_list = await boris.send("/myneeds")
    assert "открыта, скрыта координаторами" in own_list.text
    own = await boris.press("1", own_list.last)
    assert own.text.endswith("Координаторы скрыли это от участников. Причина: Posted twice & "
                             "<i>spam</i>")
    bot.clock.advance(days=15)
    await bot.application.job_queue.get_jobs_by_name("needs-housekeeping")[0].run(
        bot.application)
    await bot.services.delivery.drain()
    assert await snapshot(bot) == before
    assert not [r for r in boris.received() if "Она ещё нужна?" in (r.text or "")]
    assert button_labels((await coordinator.press_forged(f"nd:o:{need_id}")).last) == ["Unhide"]
    shown = await coordinator.press("Unhide", hidden.last)
    assert shown.text == EN("need.unhidden", title=title)
    await bot.server.wait_for(lambda: any(
        "снова открыли участникам нужду" in (r.text or "") for r in boris.received()))
    assert title in (await helper.send("/needs")).text
    assert [tuple(row) for row in await bot.services.database.fetch_all(
        "SELECT actor_id, action, target FROM audit_log WHERE action LIKE 'need.%' "
        "ORDER BY id")] == [(COORDINATOR_ID, "need.hide", f"need:{need_id}"),
                            (COORDINATOR_ID, "need.unhide", f"need:{need_id}")]
