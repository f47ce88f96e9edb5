"""End to end: the bot as the safe channel between a helper and the organisers (SPEC §10.1)."""

from __future__ import annotations

import json

import pytest

from bot.infra.i18n import texts
from bot.sandbox.records import SentRecord
from tests.e2e.orgs import seed_organisation
from tests.harness import BotUnderTest, Person, button_labels

# Also on PostgreSQL (tests/conftest.py: backend).
pytestmark = pytest.mark.usefixtures("backend")

EN, RU = texts("en"), texts("ru")
TITLE = "Lawyer for a prisoner"


async def _organisation(bot: BotUnderTest, name: str = "Free Voices") -> tuple[int, Person, Person]:
    """An approved organisation with two organisers who opened the bot."""
    olga, anna = bot.person("en"), bot.person("ru")
    for person in (olga, anna):
        await person.send("/start")
    org_id = await seed_organisation(bot, name, olga)
    await bot.services.repos.organisations.add_member(anna.tg_id, org_id, bot.clock.now())
    return org_id, olga, anna


async def _need(bot: BotUnderTest, org_id: int, author: Person, title: str = TITLE) -> int:
    return await bot.services.repos.needs.create(org_id, author.tg_id, {
        "title": title, "description": "Defence in an appeal hearing.", "category": "legal",
        "urgency": "urgent", "country": "DE"}, bot.clock.now())


async def _offer(helper: Person, *, share: bool = False) -> SentRecord:
    """The helper offers help for the newest need; the confirmation they receive."""
    t = texts(helper.language)
    await helper.send("/needs")
    card = await helper.press("1")
    await helper.press(t("button.help"), card.last)
    await helper.send("I can represent them")
    await helper.press(t("offer.share" if share else "offer.noshare"))
    sent = await helper.press(t("button.send"))
    assert t("button.write_organisers") in button_labels(sent.last)
    return sent.last


async def _arrives(bot: BotUnderTest, person: Person, text: str) -> SentRecord:
    return await bot.server.wait_for(lambda: next((
        r for r in reversed(person.received()) if text in (r.text or "")), None))


async def _write(person: Person, label: str, text: str, message: SentRecord) -> None:
    t = texts(person.language)
    asked = await person.press(t(label), message)
    assert "/cancel" in asked.text, asked.texts
    assert (await person.send(text)).text == t("relay.sent")


def _never_shows(person: Person, *others: Person) -> None:
    """No message in `person`'s chat, text or buttons, carries an id or username of `others`."""
    for record in person.received():
        shown = (record.text or "") + json.dumps(record.reply_markup or {})
        for other in others:
            assert str(other.tg_id) not in shown, (other.tg_id, shown)
            assert f"p{other.tg_id}" not in shown, (other.tg_id, shown)


async def _broadcasts(bot: BotUnderTest) -> int:
    return await bot.services.database.fetch_value("SELECT count(*) FROM broadcasts")


async def test_helper_and_organisers_talk_without_learning_who_the_other_is(
    bot: BotUnderTest,
) -> None:
    org_id, olga, anna = await _organisation(bot)
    helper = bot.person("en")
    await helper.send("/start")
    await _need(bot, org_id, olga)
    confirmation = await _offer(helper)

    # Before acceptance: the helper writes first, both organisers receive it.
    await _write(helper, "button.write_organisers", "When is the hearing? <b>soon?</b>",
                 confirmation)
    for organiser in (olga, anna):
        t = texts(organiser.language)
        got = await _arrives(bot, organiser, "When is the hearing?")
        header = t("relay.from_helper", title=TITLE, text="").rstrip()
        assert got.text.startswith(header), got.text
        assert "<b>soon?</b>" in got.text  # shown literally: escaped
        assert button_labels(got) == [t("button.reply")]
    # Anna (Russian) replies; the helper sees it as from the organisation.
    from_helper = await _arrives(bot, anna, "When is the hearing?")
    await _write(anna, "button.reply", "On Monday at 10", from_helper)
    answer = await _arrives(bot, helper, "On Monday at 10")
    assert answer.text == EN("relay.from_organisation", organisation="Free Voices",
                             title=TITLE, text="On Monday at 10")
    assert button_labels(answer) == ["Reply"]
    await _write(helper, "button.reply", "I will be there", answer)
    await _arrives(bot, olga, "I will be there")

    # Olga accepts on the offer message, which also carries Write to helper.
    offer_message = await _arrives(bot, olga, "An offer of help")
    assert button_labels(offer_message) == ["Accept", "Decline", "Write to helper"]
    await olga.press("Accept", offer_message)
    accepted = await _arrives(bot, helper, "Good news")
    assert button_labels(accepted) == ["Write to organisers"]
    await _write(olga, "button.write_helper", "Thank you, bring your ID", offer_message)
    from_olga = await _arrives(bot, helper, "bring your ID")
    assert from_olga.text.startswith("Message from Free Voices about “Lawyer for a prisoner”:")
    await _write(helper, "button.reply", "Will do", from_olga)
    await _arrives(bot, anna, "Will do")
    # /myneeds → the need's offers: Write to helper there too.
    await olga.send("/myneeds")
    await olga.press("1")
    offers = await olga.press("Offers")
    assert button_labels(offers.last) == ["Write to helper"]
    await bot.services.delivery.drain()

    _never_shows(helper, olga, anna)
    _never_shows(olga, helper)
    _never_shows(anna, helper)
    relayed = await bot.services.database.fetch_value("SELECT relayed FROM offers")
    assert relayed == 5
    # Delivered relayed texts are not kept.
    assert await bot.services.database.fetch_value(
        "SELECT count(*) FROM broadcasts WHERE kind = 'notice' AND text LIKE '%Will do%'") == 0

    # The need is fulfilled: every Write and Reply now answers "closed" and sends nothing.
    await olga.send("/myneeds")
    await olga.press("1")
    await olga.press("Fulfilled")
    before = await _broadcasts(bot)
    for person, label, message in ((helper, "Reply", from_olga), (olga, "Write to helper",
                                   offer_message), (helper, "Write to organisers", confirmation)):
        assert (await person.press(label, message)).texts == [EN("relay.closed")]
    assert (await anna.press("Ответить", from_helper)).texts == [RU("relay.closed")]
    assert await _broadcasts(bot) == before
    assert await bot.services.dialogues.current(helper.tg_id) is None
    assert (await olga.send("/myneeds")).text.splitlines()[2].endswith("fulfilled, 1 offer")


async def test_the_relay_closes_when_the_offer_is_declined_and_shared_usernames_stay(
    bot: BotUnderTest,
) -> None:
    org_id, olga, _ = await _organisation(bot)
    helper = bot.person("en")
    await helper.send("/start")
    await _need(bot, org_id, olga)
    confirmation = await _offer(helper, share=True)
    offer_message = await _arrives(bot, olga, "An offer of help")
    assert f"@p{helper.tg_id}" in offer_message.text  # the helper chose to share it
    await _write(helper, "button.write_organisers", "Still needed?", confirmation)
    question = await _arrives(bot, olga, "Still needed?")
    # Typing a message in the middle of writing: /cancel leaves, nothing is sent.
    await olga.press("Reply", question)
    before = await _broadcasts(bot)
    assert (await olga.send("/cancel")).text == EN("cancel.done")
    assert await _broadcasts(bot) == before
    await olga.press("Decline", offer_message)
    await _arrives(bot, helper, "thanks you")
    before = await _broadcasts(bot)
    assert (await helper.press("Write to organisers", confirmation)).texts == [
        EN("relay.closed")]
    assert (await olga.press("Reply", question)).texts == [EN("relay.closed")]
    assert await _broadcasts(bot) == before


async def test_twenty_relayed_messages_an_hour(bot: BotUnderTest) -> None:
    org_id, olga, _ = await _organisation(bot)
    helper = bot.person("en")
    await helper.send("/start")
    await _need(bot, org_id, olga)
    confirmation = await _offer(helper)
    for number in range(20):
        await _write(helper, "button.write_organisers", f"Message {number}", confirmation)
    refused = await helper.press("Write to organisers", confirmation)
    assert refused.texts == [EN.plural("relay.too_many", 60)]
    assert await bot.services.dialogues.current(helper.tg_id) is None
    bot.clock.advance(minutes=30)
    refused = await helper.press("Write to organisers", confirmation)
    assert refused.texts == [EN.plural("relay.too_many", 30)]
    bot.clock.advance(minutes=30)
    await _write(helper, "button.write_organisers", "Message 21", confirmation)
    assert await bot.services.database.fetch_value("SELECT relayed FROM offers") == 21


async def test_forged_relay_buttons_answer_not_available(bot: BotUnderTest) -> None:
    org_id, olga, _ = await _organisation(bot)
    _, intruder, _ = await _organisation(bot, "Other Org")
    helper, stranger = bot.person("en"), bot.person("en")
    for person in (helper, stranger):
        await person.send("/start")
    await _need(bot, org_id, olga)
    await _offer(helper)
    offer_id = await bot.services.database.fetch_value("SELECT id FROM offers")
    await bot.services.delivery.drain()
    before = await _broadcasts(bot)
    for person, data in ((intruder, f"rl:h:{offer_id}"), (intruder, f"rl:o:{offer_id}"),
                         (stranger, f"rl:h:{offer_id}"), (stranger, f"rl:o:{offer_id}"),
                         (olga, f"rl:o:{offer_id}"), (helper, f"rl:h:{offer_id}"),
                         (stranger, f"mo:o:{offer_id}"), (intruder, "rl:h:999")):
        reply = await person.press_forged(data)
        assert reply.texts == [EN("not_available")], data
        assert await bot.services.dialogues.current(person.tg_id) is None, data
    assert await _broadcasts(bot) == before
    assert await bot.services.database.fetch_value("SELECT relayed FROM offers") == 0


async def test_myoffers_lists_the_offers_with_their_state(bot: BotUnderTest) -> None:
    org_id, olga, _ = await _organisation(bot)
    helper = bot.person("ru")
    await helper.send("/start")
    assert (await helper.send("/myoffers")).text == RU("myoffers.empty")
    await _need(bot, org_id, olga, "Lawyer for a prisoner")
    await _offer(helper)
    await _need(bot, org_id, olga, "Translator for a hearing")
    await _offer(helper)
    offer_message = await _arrives(bot, olga, "Translator for a hearing")
    await olga.press("Accept", offer_message)
    listed = await helper.send("/myoffers")
    assert listed.text.splitlines()[:4] == [
        "Ваши предложения помощи: 2", "",
        "1. «Translator for a hearing» — Free Voices: принято",
        "2. «Lawyer for a prisoner» — Free Voices: ждёт ответа"]
    card = await helper.press("2", listed.last)
    assert "I can represent them" in card.text
    assert button_labels(card.last) == ["Написать организаторам"]
    assert "/myoffers" in (await helper.send("/help")).text
