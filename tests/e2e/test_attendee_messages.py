"""End to end: an event's organisers write to its attendees, who answer through the bot."""

from __future__ import annotations

import json

from bot.infra.i18n import texts
from tests.e2e.orgs import organiser
from tests.e2e.test_events import _event_id, _open_card, _register
from tests.harness import BotUnderTest, Person, button_labels

EN, RU = texts("en"), texts("ru")
TITLE = "Returning the Names — Berlin"


async def _attendees(bot: BotUnderTest, event_id: int) -> dict[str, Person]:
    """Capacity 2: two going, one on the waiting list, one Maybe (Russian), one not going."""
    people = {"a": bot.person("en"), "b": bot.person("en"), "waiting": bot.person("en"),
              "maybe": bot.person("ru"), "not": bot.person("en")}
    for key, label in (("a", "Going"), ("b", "Going"), ("waiting", "Going"),
                       ("maybe", "Возможно"), ("not", "Not going")):
        card = await _open_card(people[key], event_id)
        await people[key].press(label, card.last)
    return people


async def _message(bot: BotUnderTest, olga: Person, group: str, text: str) -> set[int]:
    """Olga sends `text` to a group from the event's own card; the chats that received it."""
    await olga.send("/myevents")
    card = await olga.press("1")
    choose = await olga.press("Message attendees", card.last)
    assert choose.text == EN("attendees.ask.group")
    assert button_labels(choose.last) == ["Going (2)", "Going + waiting list (3)",
                                          "Going + Maybe (3)"]
    await olga.press(group, choose.last)
    preview = await olga.send(text)
    assert button_labels(preview.last) == ["Send", "Edit", "Cancel"]
    count = 2 if group.startswith("Going (") else 3
    assert preview.text.splitlines()[-1].endswith(f"{count} recipients now"), preview.text
    status = await olga.press("Send", preview.last)
    assert status.text.startswith("Message of 30 Nov: "), status.text
    broadcast_id = await bot.services.database.fetch_value(
        "SELECT max(id) FROM broadcasts WHERE kind = 'notice' AND audience LIKE 'event:%'")
    await bot.services.delivery.finished(broadcast_id)
    return {record.chat_id for record in bot.server.outbox
            if text in (record.text or "") and record.chat_id != olga.tg_id}


async def test_each_group_reaches_exactly_its_people_and_an_attendee_replies(
    bot: BotUnderTest,
) -> None:
    olga = await organiser(bot)
    await _register(olga, capacity="2")
    event_id = await _event_id(bot, TITLE)
    people = await _attendees(bot, event_id)
    a, b, waiting, maybe = people["a"], people["b"], people["waiting"], people["maybe"]

    assert await _message(bot, olga, "Going (2)", "Meet at the north gate") == {
        a.tg_id, b.tg_id}
    assert await _message(bot, olga, "Going + waiting list (3)", "Bring a candle") == {
        a.tg_id, b.tg_id, waiting.tg_id}
    assert await _message(bot, olga, "Going + Maybe (3)", "<i>Rain</i> expected") == {
        a.tg_id, b.tg_id, maybe.tg_id}
    got = next(r for r in maybe.received() if "Rain" in (r.text or ""))
    assert got.text.splitlines() == [  # typed tags are shown literally
        f"Сообщение от «Free Voices» о событии «{TITLE}»:", "", "<i>Rain</i> expected"]
    assert button_labels(got) == ["Ответить"]
    got = next(r for r in a.received() if "north gate" in (r.text or ""))
    assert got.text.startswith(f"Message from Free Voices about “{TITLE}”:")
    # Delivered, the texts are not kept.
    assert await bot.services.database.fetch_value(
        "SELECT count(*) FROM deliveries WHERE text IS NOT NULL") == 0

    # An attendee answers; the organisers see "an attendee", never who.
    asked = await maybe.press("Ответить", got_ru := next(
        r for r in maybe.received() if "Rain" in (r.text or "")))
    assert "/cancel" in asked.text
    assert (await maybe.send("Можно прийти с ребёнком?")).text == RU("relay.sent")
    reply = await bot.server.wait_for(lambda: next((
        r for r in olga.received() if "ребёнком" in (r.text or "")), None))
    assert reply.text == EN("relay.from_attendee", title=TITLE, text="Можно прийти с ребёнком?")
    for record in olga.received():
        shown = (record.text or "") + json.dumps(record.reply_markup or {})
        for person in people.values():
            assert str(person.tg_id) not in shown and f"p{person.tg_id}" not in shown

    # Someone who did not answer Going, waiting or Maybe cannot answer; cancelled: closed.
    assert (await people["not"].press_forged(f"rl:e:{event_id}")).texts == [
        EN("not_available")]
    await olga.send("/myevents")
    card = await olga.press("1")
    await olga.press("Cancel event", card.last)
    await olga.press("Skip")
    await olga.press("Cancel event")
    await bot.services.delivery.drain()  # the cancellation notices, before the press
    assert (await maybe.press("Ответить", got_ru)).texts == [RU("relay.closed")]
    assert (await olga.press_forged(f"me:ma:{event_id}")).texts == [EN("not_available")]


async def test_another_organisation_cannot_message_the_attendees(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    intruder = await organiser(bot, "Other Org")
    await _register(olga, capacity="2")
    event_id = await _event_id(bot, TITLE)
    await _attendees(bot, event_id)
    before = await bot.services.database.fetch_value("SELECT count(*) FROM broadcasts")
    member = bot.person("en")
    await member.send("/start")
    assert (await intruder.press_forged(f"me:ma:{event_id}")).texts == [EN("not_available")]
    assert (await intruder.press_forged(f"rl:e:{event_id}")).texts == [EN("not_available")]
    assert (await member.press_forged(f"me:ma:{event_id}")).notices == [EN("not_available")]
    assert await bot.services.dialogues.current(intruder.tg_id) is None
    assert await bot.services.database.fetch_value("SELECT count(*) FROM broadcasts") == before
