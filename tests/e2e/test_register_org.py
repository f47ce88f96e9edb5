"""End to end: /register_org, vetting by one or two coordinators, rejection with a reason."""

from __future__ import annotations

import pytest

from bot.infra.i18n import texts
from bot.sandbox.bot_methods import command_key
from tests.conftest import COORDINATOR_ID, running_bot
from tests.e2e.orgs import seed_organisation, snapshot
from tests.harness import BotUnderTest, Person, button_labels

EN, RU = texts("en"), texts("ru")


async def _register(person: Person, name: str = "Free Voices", *, skip_optional: bool = False):
    await person.send("/register_org")
    await person.send(name)
    if skip_optional:
        skip = texts(person.language)("button.skip")
        await person.press(skip)
        await person.send("Germany")
        await person.press(skip)
        return await person.press(skip)
    await person.send("We help political prisoners.\nAnd their families.")
    await person.send("Германия")
    await person.send("Berlin")
    return await person.send("https://free-voices.example.org")


async def _application(bot: BotUnderTest, coordinator_id: int, name: str):
    """The application notice a coordinator received (through the delivery queue)."""
    return await bot.server.wait_for(lambda: next((
        record for record in bot.received(coordinator_id)
        if record.text and "waiting for approval" in record.text and name in record.text), None))


async def test_register_then_approve_makes_an_organiser(bot: BotUnderTest) -> None:
    coordinator, olga = bot.person("en", tg_id=COORDINATOR_ID), bot.person("en")
    preview = await _register(olga)
    assert preview.text.splitlines()[:3] == [
        "Please check the application:", "", "Free Voices"]
    assert button_labels(preview.last) == ["Publish", "Edit", "Cancel"]
    published = await olga.press("Publish")
    assert published.text == EN("org.applied", name="Free Voices")
    organisation = (await bot.services.repos.organisations.page(0, 5))[0]
    assert (organisation.status, organisation.country, organisation.city) == (
        "pending", "DE", "Berlin")
    application = await _application(bot, COORDINATOR_ID, "Free Voices")
    assert "We help political prisoners.\nAnd their families." in application.text
    assert button_labels(application) == ["Approve", "Reject"]
    approved = await coordinator.press("Approve", application)
    assert approved.text == EN("org.approved", name="Free Voices")
    notice = await bot.server.wait_for(lambda: next((
        r for r in olga.received() if r.text and r.text.startswith("Good news")), None))
    assert "Free Voices" in notice.text
    assert "/invite — " in (await olga.send("/help")).text
    menu = [entry["command"] for entry in bot.server.commands[
        command_key({"type": "chat", "chat_id": olga.tg_id})]]
    assert "invite" in menu
    again = await coordinator.press("Approve", application)
    assert again.text == EN("org.already_approved_other", name="Free Voices")


async def test_register_in_russian_with_optional_steps_skipped(bot: BotUnderTest) -> None:
    boris = bot.person("ru")
    preview = await _register(boris, "Мемориальный круг", skip_optional=True)
    assert preview.text.splitlines() == [
        "Пожалуйста, проверьте заявку:", "", "Мемориальный круг", "Страна: Германия",
        "Город: —", "Сайт: —", "Описание: —"]
    assert (await boris.press("Опубликовать")).text.startswith(
        "Спасибо! Организация «Мемориальный круг» зарегистрирована и ждёт проверки")
    again = await boris.send("/register_org")
    assert again.text == RU("org.already_pending", organisation="Мемориальный круг")


async def test_reject_with_reason_tells_the_applicant(bot: BotUnderTest) -> None:
    coordinator, olga = bot.person("en", tg_id=COORDINATOR_ID), bot.person("ru")
    await _register(olga)
    await olga.press("Опубликовать")
    application = await _application(bot, COORDINATOR_ID, "Free Voices")
    question = await coordinator.press("Reject", application)
    assert question.text == EN.plural("org.ask.reject_reason", 500)
    done = await coordinator.send("We could not verify <who> you are & why.")
    assert done.text == EN("org.rejected", name="Free Voices")
    notice = await bot.server.wait_for(lambda: next((
        r for r in olga.received() if r.text and r.text.startswith("К сожалению")), None))
    assert notice.text.endswith("We could not verify <who> you are & why.")
    status = (await bot.services.repos.organisations.page(0, 1))[0].status
    assert status == "rejected"
    assert (await coordinator.press("Approve", application)).text.startswith("Free Voices is no")


async def test_two_coordinators_must_approve(server, make_settings, clock) -> None:
    settings = make_settings(org_approvals_required=2, coordinator_ids=frozenset({900, 901}))
    async with running_bot(server, settings, clock) as bot:
        first, second = bot.person("en", tg_id=900), bot.person("ru", tg_id=901)
        olga = bot.person("en")
        await second.send("/start")
        await _register(olga)
        await olga.press("Publish")
        application = await _application(bot, 900, "Free Voices")
        recorded = await first.press("Approve", application)
        assert recorded.text == EN.plural("org.approval_recorded", 1, name="Free Voices")
        twice = await first.press("Approve", application)
        assert twice.text == EN("org.approval_already_yours", name="Free Voices")
        assert (await bot.services.repos.users.member(olga.tg_id)).membership is None
        russian = await bot.server.wait_for(lambda: next((
            r for r in bot.received(901) if r.text and "ждёт одобрения" in r.text), None))
        approved = await second.press("Одобрить", russian)
        assert approved.text.startswith("Организация «Free Voices» одобрена")
        membership = (await bot.services.repos.users.member(olga.tg_id)).membership
        assert membership.org_status == "approved"


async def test_already_decided_says_who_decided_by_label_never_an_id(
    server, make_settings, clock
) -> None:
    settings = make_settings(coordinator_ids=frozenset({900, 901}))
    async with running_bot(server, settings, clock) as bot:
        anna, boris = bot.person("en", tg_id=900), bot.person("ru", tg_id=901)
        await boris.send("/start")
        await anna.press("Label", (await anna.send("/settings")).last)
        await anna.send("Anna (secretariat)")
        olga = bot.person("en")
        await _register(olga)
        await olga.press("Publish")
        application = await _application(bot, 900, "Free Voices")
        russian = await bot.server.wait_for(lambda: next((
            r for r in bot.received(901) if r.text and "ждёт одобрения" in r.text), None))
        await anna.press("Approve", application)
        late = await boris.press("Одобрить", russian)
        assert late.text == RU("org.already_approved", name="Free Voices",
                               person="Anna (secretariat)")
        assert "Уже одобрено: «Anna (secretariat)»" in late.text
        assert str(anna.tg_id) not in late.text
        await anna.send("/forget")
        await anna.press("Delete my data")
        forgotten = await boris.press("Одобрить", russian)
        assert forgotten.text == RU("org.already_approved_other", name="Free Voices")
        assert "другой координатор" in forgotten.text


async def test_html_in_an_organisation_name_is_shown_literally(bot: BotUnderTest) -> None:
    olga = bot.person("en")
    await _register(olga, "<b>Bold</b> & \u202eevil\u202c Org")
    await olga.press("Publish")
    application = await _application(bot, COORDINATOR_ID, "<b>Bold</b> & evil Org")
    assert application.text.splitlines()[2] == "<b>Bold</b> & evil Org"
    assert (await bot.services.repos.organisations.page(0, 1))[0].name == (
        "<b>Bold</b> & evil Org")


BAD_STEPS = [
    ("name", "X", EN.plural("invalid.too_short", 2)),
    ("name", "N" * 81, EN.plural("invalid.too_long", 81, limit=80)),
    ("name", "  free VOICES ", EN("org.invalid.name_taken")),
    ("name", "\u202e\u200b", EN.plural("invalid.too_short", 2)),
    ("description", "D" * 1001, EN.plural("invalid.too_long", 1001, limit=1000)),
    ("country", "Atlantis", EN("invalid.country")),
    ("city", "<script>", EN("invalid.city")),
    ("website", "ftp://example.org", EN("invalid.website")),
    ("website", "javascript:alert(1)", EN("invalid.website")),
    ("website", "not a url", EN("invalid.website")),
    ("website", "http://localhost/x", EN("invalid.website")),
    ("website", "mailto:olga@example.org", EN("invalid.website")),
]
ANSWERS = {"name": "New Org", "description": "About us", "country": "DE", "city": "Berlin"}


@pytest.mark.parametrize(("step", "answer", "reason"), BAD_STEPS)
async def test_bad_answers_keep_the_step_and_save_nothing(
    bot: BotUnderTest, step: str, answer: str, reason: str
) -> None:
    await seed_organisation(bot, "Free Voices")
    olga = bot.person("en")
    await olga.send("/register_org")
    for name, value in ANSWERS.items():
        if name == step:
            break
        await olga.send(value)
    before = await snapshot(bot)
    reply = await olga.send(answer)
    assert reply.text.startswith(_plain(reason)), reply.text
    state = await bot.services.dialogues.current(olga.tg_id)
    assert state.step == step
    after = await snapshot(bot)
    assert {k: v for k, v in after.items() if k != "dialogues"} == {
        k: v for k, v in before.items() if k != "dialogues"}


def _plain(html: str) -> str:
    return html.replace("<i>", "").replace("</i>", "")


@pytest.mark.parametrize(("typed", "stored"), [
    ("free-voices.example.org", "https://free-voices.example.org"),
    ("www.free-voices.example.org/about", "https://www.free-voices.example.org/about"),
    ("http://free-voices.example.org", "http://free-voices.example.org"),
])
async def test_a_website_typed_without_a_scheme_is_taken_as_https(
    bot: BotUnderTest, typed: str, stored: str
) -> None:
    olga = bot.person("en")
    for answer in ("/register_org", "Free Voices", "About us", "Germany", "Berlin"):
        await olga.send(answer)
    preview = await olga.send(typed)
    assert f"Website: {stored}" in preview.text.splitlines()
    await olga.press("Publish")
    assert (await bot.services.repos.organisations.page(0, 1))[0].website == stored


async def test_cancel_on_the_preview_saves_nothing(bot: BotUnderTest) -> None:
    olga = bot.person("en")
    await _register(olga)
    assert (await olga.press("Cancel")).text == EN("dialogue.cancelled")
    assert await bot.services.repos.organisations.count() == 0
    assert (await olga.send("hello")).text == EN("fallback.text")


async def test_an_organiser_cannot_register_a_second_organisation(bot: BotUnderTest) -> None:
    olga = bot.person("en")
    await seed_organisation(bot, "Free Voices", olga)
    reply = await olga.send("/register_org")
    assert reply.text == EN("org.already_member", organisation="Free Voices")
    assert await bot.services.dialogues.current(olga.tg_id) is None
