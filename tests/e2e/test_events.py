"""End to end: registering events, RSVP and waiting list, venue disclosure, calendar files,
reminders and reveals by the clock, cancellation, campaigns, forged buttons."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import icalendar
import pytest

from bot.infra.i18n import texts
from storage.postgres import PostgresDatabase
from storage.timestamps import stored
from tests.conftest import COORDINATOR_ID
from tests.e2e.orgs import organiser, snapshot
from tests.harness import BotUnderTest, Person, button_labels

# Also on PostgreSQL (tests/conftest.py: backend).
pytestmark = pytest.mark.usefixtures("backend")

EN, RU = texts("en"), texts("ru")
VENUE = "Courtyard behind Lindenstr. 5"
DISCLOSURES = {"Public": "public", "Going only": "going",
               "Going only, hours before": "going_before"}


async def _register(organiser: Person, *, title: str = "Returning the Names — Berlin",
                    country: str = "Germany", city: str = "Berlin", zone: str | None = None,
                    start: str = "2026-12-05 10:00", end: str | None = "12:30",
                    venue: str = VENUE, disclosure: str = "Public", hours: str | None = None,
                    capacity: str | None = None, campaign: str | None = None,
                    language: str = "en"):
    t = texts(language)
    await organiser.send("/eventnew")
    await organiser.send(title)
    await organiser.send("We read aloud the names of the victims.")
    await organiser.press(t("kind.commemoration"))
    await organiser.send(country)
    zone_question = await organiser.send(city)
    if zone:
        await organiser.send(zone)
    else:
        await organiser.press(button_labels(zone_question.last)[0])
    await organiser.send(start)
    await (organiser.send(end) if end else organiser.press(t("button.skip")))
    await organiser.send(venue)
    await organiser.press(t(f"disclosure.{DISCLOSURES[disclosure]}"))
    if hours:
        await organiser.send(hours)
    capacity_reply = await (organiser.send(capacity) if capacity else organiser.press(
        t("button.skip")))
    if campaign:
        capacity_reply = await organiser.press(campaign)
    elif "campaign" in capacity_reply.text:
        capacity_reply = await organiser.press(t("button.skip"))
    preview = capacity_reply
    assert button_labels(preview.last) == [
        t("button.publish"), t("button.edit"), t("button.cancel")], preview.text
    return preview, await organiser.press(t("button.publish"))


async def _event_id(bot: BotUnderTest, title: str) -> int:
    return await bot.services.database.fetch_value("SELECT id FROM events WHERE title = ?",
                                                   (title,))


async def _open_card(person: Person, event_id: int):
    return await person.press_forged(f"ev:o:{event_id}")


async def test_register_in_english_with_the_guessed_zone(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    preview, published = await _register(olga)
    assert preview.text.splitlines()[2:6] == [
        "Returning the Names — Berlin", "Free Voices · 🕯 Commemoration",
        "When: 2026-12-05 10:00–12:30 (Europe/Berlin)", "Where: Berlin, Germany"]
    assert f"📍 {VENUE}" in preview.text
    assert preview.text.splitlines()[-1] == "The address is shown to everyone."
    assert published.text.startswith("Published: Returning the Names — Berlin")
    event_id = await _event_id(bot, "Returning the Names — Berlin")
    event = await bot.services.repos.events.get(event_id)
    assert event.starts_at.isoformat() == "2026-12-05T09:00:00+00:00"
    assert event.timezone == "Europe/Berlin"


async def test_register_in_russian_with_a_typed_zone(bot: BotUnderTest) -> None:
    boris = await organiser(bot, "Мемориал", language="ru", country="GE")
    preview, published = await _register(
        boris, title="Возвращение имён — Батуми", country="Грузия", city="Батуми",
        zone="Тбилиси", start="05.12.2026 10:00", end=None, language="ru")
    assert "Когда: 2026-12-05 10:00 (Asia/Tbilisi)" in preview.text
    assert published.text.startswith("Событие «Возвращение имён — Батуми» опубликовано")


async def test_a_zone_not_told_by_the_city_is_asked_for_plainly(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    await olga.send("/eventnew")
    await olga.send("Vigil")
    await olga.send("We stand together.")
    await olga.press("Commemoration")
    await olga.send("United States")
    asked = await olga.send("Springfield")
    assert asked.text.startswith("Its time zone: I could not tell it from the city. Type")
    assert button_labels(asked.last) == []
    assert (await olga.send("America/Chicago")).text.startswith(
        "When does it start, in America/Chicago time?")


async def test_filters_with_nothing_to_choose_say_so(bot: BotUnderTest) -> None:
    member = bot.person("en")
    listing = await member.send("/events")
    menu = await member.press("Filter", listing.last)
    country = await member.press("Country", menu.last)
    assert country.text == "No upcoming event has a country to filter by yet."
    assert button_labels(country.last) == ["Back"]
    menu = await member.press("Back", country.last)
    menu = await member.press("Filter", menu.last)
    campaign = await member.press("Campaign", menu.last)
    assert campaign.text == "No campaign is running or coming yet to filter by."
    needs = await member.send("/needs")
    menu = await member.press("Filter", needs.last)
    country = await member.press("Country", menu.last)
    assert country.text == "No open need has a country to filter by yet."
    assert button_labels(country.last) == ["Back"]


async def test_the_list_shows_the_year_only_of_events_in_another_year(
    bot: BotUnderTest,
) -> None:
    olga = await organiser(bot)
    await _register(olga, title="Winter reading", start="2026-12-20 18:00", end=None)
    await _register(olga, title="Spring reading", start="2027-03-21 18:00", end=None)
    lines = (await bot.person("en").send("/events")).text.splitlines()
    assert [line for line in lines if "reading" in line] == [
        "1. 20.12 18:00 Winter reading — Berlin, Germany",
        "2. 21.03.2027 18:00 Spring reading — Berlin, Germany"]


async def test_filters_are_named_in_the_title_and_near_me_follows_the_settings(
    bot: BotUnderTest,
) -> None:
    olga = await organiser(bot)
    await _register(olga, title="Berlin reading", start="2026-12-20 18:00", end=None)
    await _register(olga, title="Munich reading", city="Munich", start="2027-03-21 18:00",
                    end=None)
    member = bot.person("en")
    listing = await member.send("/events")
    assert listing.text.splitlines()[0] == "2 upcoming events (all)"
    await member.press("Filter", listing.last)
    near = await member.press("My city")
    assert near.text.splitlines()[0] == "2 upcoming events (near me: no city in /settings yet)"
    await member.press("Filter", near.last)
    soon = await member.press("Next 30 days")
    assert soon.text.splitlines()[0] == (
        "1 upcoming event (near me: no city in /settings yet, Next 30 days)")
    await member.send("/settings")
    await member.press("Country")
    await member.send("Germany")
    await member.press("City")
    await member.send("Munich")
    listing = await member.send("/events")
    await member.press("Filter", listing.last)
    near = await member.press("My city")
    assert near.text.splitlines()[0] == "1 upcoming event (near me: Munich)"
    assert "Munich reading" in near.text


async def test_ten_oclock_in_tbilisi_stays_ten_across_berlins_dst(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    await _register(olga, title="Spring reading", country="Georgia", city="Tbilisi",
                    start="2027-04-10 10:00", end=None)
    await _register(olga, title="Winter reading", country="Georgia", city="Tbilisi",
                    start="2027-01-10 10:00", end=None)
    viewer = bot.person("en")
    for title, berlin in (("Spring reading", "08:00"), ("Winter reading", "07:00")):
        card = await _open_card(viewer, await _event_id(bot, title))
        assert (f"When: 2027-{'04' if 'Spring' in title else '01'}-10 10:00 (Asia/Tbilisi), "
                f"that is 2027-{'04' if 'Spring' in title else '01'}-10 {berlin} "
                "(Europe/Berlin) for you") in card.text


BAD = [
    ("title", "ab", EN.plural("invalid.too_short", 3)),
    ("title", "T" * 121, EN.plural("invalid.too_long", 121, limit=120)),
    ("description", "D" * 2001, EN.plural("invalid.too_long", 2001, limit=2000)),
    ("kind", "rally", EN("dialogue.use_buttons")),
    ("country", "Atlantis", EN("invalid.country")),
    ("city", "<b>Berlin</b>", EN("invalid.city")),
    ("timezone", "Mars/Olympus", EN("invalid.timezone")),
    ("start", "2027-03-28 02:30", "That time does not exist in Europe/Berlin"),
    ("start", "2026-11-01 10:00", EN("invalid.datetime_past")),
    ("start", "2027-02-30 10:00", EN("invalid.date_impossible")),
    # A day alone ("tomorrow") is taken: its time is asked next. A time alone is not.
    ("start", "18:00", EN("invalid.datetime")),
    ("end", "09:00", EN("invalid.end_before_start")),
    ("end", "25:61", EN("invalid.time")),
    ("venue", "https://no spaces allowed", EN("invalid.link")),
    ("venue", "ftp://files.example.org/map", EN("invalid.link")),
    ("venue", "http://localhost:8080/meet", EN("invalid.link")),
    ("venue", "mailto:olga@example.org", EN("invalid.link")),
    ("venue", "V" * 301, EN.plural("invalid.too_long", 301, limit=300)),
    ("hours", "0", EN("invalid.hours", minimum=1, maximum=168)),
    ("hours", "many", EN("invalid.hours", minimum=1, maximum=168)),
    ("hours", "²", EN("invalid.hours", minimum=1, maximum=168)),
    ("capacity", "-3", EN("invalid.capacity", minimum=1, maximum=100000)),
    ("capacity", "1e9", EN("invalid.capacity", minimum=1, maximum=100000)),
    ("capacity", "³", EN("invalid.capacity", minimum=1, maximum=100000)),
    ("capacity", "1½", EN("invalid.capacity", minimum=1, maximum=100000)),
    ("capacity", "Ⅻ", EN("invalid.capacity", minimum=1, maximum=100000)),
    ("capacity", "9" * 5000, EN("invalid.capacity", minimum=1, maximum=100000)),
]
STEPS = [("title", "send", "A reading"), ("description", "send", "About"),
         ("kind", "press", "🕯 Commemoration"), ("country", "send", "DE"),
         ("city", "send", "Berlin"), ("timezone", "press", "✅ Europe/Berlin"),
         ("start", "send", "2026-12-05 10:00"), ("end", "send", "12:00"),
         ("venue", "send", "Square"), ("disclosure", "press", "Going only, hours before"),
         ("hours", "send", "3")]


@pytest.mark.parametrize(("step", "answer", "reason"), BAD)
async def test_every_bad_answer_keeps_the_step_and_saves_nothing(
    bot: BotUnderTest, step: str, answer: str, reason: str
) -> None:
    olga = await organiser(bot)
    await olga.send("/eventnew")
    for name, how, value in STEPS:
        if name == step:
            break
        await (olga.send(value) if how == "send" else olga.press(value))
    before = await snapshot(bot)
    reply = await olga.send(answer)
    assert reply.text.startswith(reason.replace("<i>", "").replace("</i>", "")), reply.text
    assert (await bot.services.dialogues.current(olga.tg_id)).step == step
    assert await bot.services.database.fetch_value("SELECT count(*) FROM events") == 0
    after = await snapshot(bot)
    assert {k: v for k, v in after.items() if k != "dialogues"} == {
        k: v for k, v in before.items() if k != "dialogues"}


async def test_numbers_in_the_decimal_digits_of_other_scripts_are_read(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    await _register(olga, disclosure="Going only, hours before", hours="١٢", capacity="３０")
    event = await bot.services.repos.events.get(
        await _event_id(bot, "Returning the Names — Berlin"))
    assert (event.disclose_hours, event.capacity) == (12, 30)


async def test_rsvp_change_capacity_and_waiting_list_promotion(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    await _register(olga, capacity="2")
    event_id = await _event_id(bot, "Returning the Names — Berlin")
    a, b, c, d = (bot.person("en") for _ in range(4))
    for person in (a, b):
        card = await _open_card(person, event_id)
        assert (await person.press("Going", card.last)).text.startswith("You are going")
    card_c = await _open_card(c, event_id)
    assert (await c.press("Going", card_c.last)).text.startswith(
        "“Returning the Names — Berlin” is full: you are number 1")
    card_d = await _open_card(d, event_id)
    assert "number 2" in (await d.press("Going", card_d.last)).text
    assert "number 1" in (await c.press("Going", card_c.last)).text
    card_a = await _open_card(a, event_id)
    assert (await a.press("Maybe", card_a.last)).text.startswith("Noted: maybe")
    promoted = await bot.server.wait_for(lambda: next((
        r for r in c.received() if "A place freed up" in (r.text or "")), None))
    assert VENUE in promoted.text
    assert await bot.services.repos.events.answer_of(event_id, c.tg_id) == "going"
    assert await bot.services.repos.events.answer_of(event_id, d.tg_id) == "waiting"
    own = await olga.send("/myevents")
    assert "going 2, maybe 1, waiting 1" in own.text
    counts = await _open_card(olga, event_id)
    assert "Going 2 · Maybe 1 · Waiting 1" in counts.text
    member_view = await _open_card(d, event_id)
    assert "Going 2" not in member_view.text
    shown_to_organiser = " ".join(r.text or "" for r in olga.received()).lower()
    assert not any(f"p{person.tg_id}" in shown_to_organiser for person in (a, b, c, d))


async def _vacuum(bot: BotUnderTest) -> None:
    """What autovacuum or an operator may do at any moment: rows move (PostgreSQL reuses a dead
    row's place, SQLite may renumber the rows of a table without an INTEGER PRIMARY KEY)."""
    database = bot.services.database
    if isinstance(database, PostgresDatabase):
        await database.pool.execute("VACUUM rsvps")
    else:
        await database.execute("VACUUM")


async def test_the_waiting_list_keeps_the_order_of_answers_across_changes_and_vacuum(
    bot: BotUnderTest,
) -> None:
    olga = await organiser(bot)
    await _register(olga, capacity="1")
    event_id = await _event_id(bot, "Returning the Names — Berlin")
    holder, a, b, c = (bot.person("en") for _ in range(4))
    cards = {person: await _open_card(person, event_id) for person in (holder, a, b, c)}
    await holder.press("Going", cards[holder].last)
    second = bot.clock.now()

    async def going_in_that_second(person: Person) -> str:
        # Every answer below lands in one second: only their order tells who waits first.
        bot.clock.set(second)
        return (await person.press("Going", cards[person].last)).text

    assert "number 1" in await going_in_that_second(a)
    assert "number 2" in await going_in_that_second(b)
    bot.clock.set(second)
    await a.press("Maybe", cards[a].last)
    assert "number 2" in await going_in_that_second(a)
    await _vacuum(bot)
    assert "number 3" in await going_in_that_second(c)
    await _vacuum(bot)
    await holder.press("Not going", cards[holder].last)
    await bot.server.wait_for(lambda: next((
        r for r in b.received() if "A place freed up" in (r.text or "")), None))
    assert [await bot.services.repos.events.answer_of(event_id, person.tg_id)
            for person in (b, a, c)] == ["going", "waiting", "waiting"]
    assert "number 1" in (await a.press("Going", cards[a].last)).text
    assert "number 2" in (await c.press("Going", cards[c].last)).text


async def test_a_full_card_counts_the_waiting_list_and_going_says_when_the_address_comes(
    bot: BotUnderTest,
) -> None:
    olga = await organiser(bot)
    await _register(olga, start="2026-12-20 18:00", end=None,
                    disclosure="Going only, hours before", hours="2", capacity="1")
    event_id = await _event_id(bot, "Returning the Names — Berlin")
    first, second, third = bot.person("en"), bot.person("en"), bot.person("ru")
    card = await _open_card(first, event_id)
    assert "Places: 1" in card.text.splitlines()
    assert (await first.press("Going", card.last)).text == (
        "You are going to “Returning the Names — Berlin”. I will remind you 24 hours and 1 hour "
        "before. The address will reach you on Sun 20 Dec at 16:00, 2 hours before the start.")
    card = await _open_card(second, event_id)
    assert "Places: 1, full — 0 on the waiting list" in card.text.splitlines()
    await second.press("Going", card.last)
    card = await _open_card(third, event_id)
    assert "Мест: 1, все заняты — в списке ожидания 1 человек" in card.text.splitlines()
    await third.press("Иду", card.last)
    card = await _open_card(third, event_id)
    assert "Мест: 1, все заняты — в списке ожидания 2 человека" in card.text.splitlines()
    assert "Places: 1, full — 2 on the waiting list" in (
        await _open_card(first, event_id)).text.splitlines()
    # A place freed up: the one promoted is told when the address will come, as on Going.
    await first.press("Not going", (await _open_card(first, event_id)).last)
    promoted = await bot.server.wait_for(lambda: next((
        r for r in second.received() if "A place freed up" in (r.text or "")), None))
    assert promoted.text == (
        "A place freed up: you are now going to “Returning the Names — Berlin”. The address "
        "will reach you on Sun 20 Dec at 16:00, 2 hours before the start.")
    await second.press("Not going", (await _open_card(second, event_id)).last)
    promoted = await bot.server.wait_for(lambda: next((
        r for r in third.received() if "Освободилось место" in (r.text or "")), None))
    assert promoted.text == (
        "Освободилось место: теперь вы идёте на «Returning the Names — Berlin». Адрес придёт "
        "вам вс 20 дек. в 16:00, за 2 часа до начала.")


async def test_a_venue_link_typed_without_a_scheme_is_taken_as_https(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    preview, _ = await _register(olga, venue="meet.example.org/returning-names")
    assert "📍 https://meet.example.org/returning-names" in preview.text.splitlines(), preview.text
    event = await bot.services.repos.events.get(
        await _event_id(bot, "Returning the Names — Berlin"))
    assert event.venue == "https://meet.example.org/returning-names"


@pytest.mark.parametrize("disclosure", ["Going only", "Going only, hours before"])
async def test_hidden_venue_never_reaches_a_member_not_going(
    bot: BotUnderTest, disclosure: str
) -> None:
    olga = await organiser(bot)
    hours = "3" if disclosure.endswith("before") else None
    preview, _ = await _register(olga, disclosure=disclosure, hours=hours)
    assert preview.text.splitlines()[-1] == (
        "The address is shown only to people who answered Going"
        + (", 3 h before the start." if hours else "."))
    event_id = await _event_id(bot, "Returning the Names — Berlin")
    going, maybe, stranger = bot.person("en"), bot.person("en"), bot.person("en")
    card = await _open_card(going, event_id)
    assert VENUE not in card.text
    answered = await going.press("Going", card.last)
    maybe_card = await _open_card(maybe, event_id)
    await maybe.press("Maybe", maybe_card.last)
    assert (VENUE in answered.text) == (hours is None)
    listing = await stranger.send("/events")
    await stranger.press("1", listing.last)
    calendar_for_stranger = await stranger.press("Add to calendar")
    assert VENUE.encode() not in calendar_for_stranger.last.document
    housekeeping = bot.application.job_queue.get_jobs_by_name("event-dues")[0]
    for moment in ("2026-12-04T09:30:00+00:00", "2026-12-05T06:30:00+00:00",
                   "2026-12-05T08:30:00+00:00"):
        bot.clock.set(datetime.fromisoformat(moment))
        await housekeeping.run(bot.application)
    await bot.server.wait_for(lambda: len([r for r in going.received()
                                           if "⏰" in (r.text or "")]) == 2)
    await bot.services.delivery.drain()
    assert any(VENUE in (r.text or "") for r in going.received())
    calendar_for_going = await going.press("Add to calendar", card.last)
    assert VENUE.encode() in calendar_for_going.last.document
    for person in (maybe, stranger):
        for record in person.received():
            assert VENUE not in (record.text or ""), record
            assert record.document is None or VENUE.encode() not in record.document


async def test_calendar_file_parses_back(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    await _register(olga)
    event_id = await _event_id(bot, "Returning the Names — Berlin")
    member = bot.person("ru")
    card = await _open_card(member, event_id)
    reply = await member.press("В календарь", card.last)
    document = reply.last
    assert document.filename == f"event-{event_id}.ics"
    calendar = icalendar.Calendar.from_ical(document.document)
    [item] = calendar.walk("VEVENT")
    assert str(item["UID"]) == f"event-{event_id}@coalition-bot"
    assert str(item["SUMMARY"]) == "Returning the Names — Berlin"
    assert item["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert item.decoded("DTSTART") == datetime.fromisoformat("2026-12-05T10:00:00+01:00")
    assert str(item["LOCATION"]).startswith(VENUE)
    assert calendar.walk("VTIMEZONE")


async def test_a_city_already_named_by_the_title_or_venue_is_not_repeated(
    bot: BotUnderTest,
) -> None:
    boris = await organiser(bot, "Мемориал", language="ru")
    await _register(boris, title="Берлин", country="Германия", city="Берлин",
                    start="05.12.2026 10:00", end=None, venue="Берлин, Александерплатц 1",
                    language="ru")
    member = bot.person("ru")
    listing = await member.send("/events")
    assert "1. 05.12 10:00 Берлин — Германия" in listing.text.splitlines()
    card = await member.press("1", listing.last)
    assert "Где: Берлин, Германия" in card.text.splitlines()
    document = (await member.press("В календарь", card.last)).last
    [item] = icalendar.Calendar.from_ical(document.document).walk("VEVENT")
    assert str(item["LOCATION"]) == "Берлин, Александерплатц 1, Германия"


async def test_reminders_24h_and_1h_once_even_across_a_missed_run(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    await _register(olga)
    event_id = await _event_id(bot, "Returning the Names — Berlin")
    going = bot.person("ru")
    card = await _open_card(going, event_id)
    await going.press("Иду", card.last)
    dues = bot.application.job_queue.get_jobs_by_name("event-dues")[0]
    bot.clock.set(datetime.fromisoformat("2026-12-04T09:30:00+00:00"))
    await dues.run(bot.application)
    await dues.run(bot.application)
    first = await bot.server.wait_for(
        lambda: [r for r in going.received() if "⏰" in (r.text or "")])
    assert first[0].text.startswith(
        "⏰ Событие «Returning the Names — Berlin» начнётся через 24 часа")
    bot.clock.set(datetime.fromisoformat("2026-12-05T08:59:00+00:00"))
    await dues.run(bot.application)
    both = await bot.server.wait_for(lambda: len([
        r for r in going.received() if "⏰" in (r.text or "")]) == 2)
    assert both
    bot.clock.set(datetime.fromisoformat("2026-12-05T09:30:00+00:00"))
    await dues.run(bot.application)
    await bot.services.delivery.drain()
    assert len([r for r in going.received() if "⏰" in (r.text or "")]) == 2


async def test_cancellation_tells_going_and_maybe_only(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    await _register(olga)
    event_id = await _event_id(bot, "Returning the Names — Berlin")
    going, maybe, no = bot.person("en"), bot.person("en"), bot.person("en")
    for person, answer in ((going, "Going"), (maybe, "Maybe"), (no, "Not going")):
        card = await _open_card(person, event_id)
        await person.press(answer, card.last)
    await olga.send("/myevents")
    own = await olga.press("1")
    assert button_labels(own.last) == ["Edit", "Cancel event", "Message attendees",
                                       "Shifts"]
    why = await olga.press("Cancel event", own.last)
    assert why.text.startswith("Why is it cancelled? Everyone who answered Going or Maybe")
    assert button_labels(why.last) == ["Skip"]
    asked = await olga.press("Skip", why.last)
    assert asked.text == ("Cancel “Returning the Names — Berlin”? This cannot be undone; "
                          "2 people who answered Going or Maybe will be told.")
    assert button_labels(asked.last) == ["Cancel event", "Back"]
    kept = await olga.press("Back", asked.last)
    assert kept.text == "Nothing changed: “Returning the Names — Berlin” stays on."
    assert (await _open_card(going, event_id)).text != EN("not_available")
    await olga.press("Cancel event", own.last)
    asked = await olga.send("The hall <flooded> & is closed.")
    assert asked.text == (
        "Cancel “Returning the Names — Berlin”? This cannot be undone; 2 people who answered "
        "Going or Maybe will be told, with the reason:\nThe hall <flooded> & is closed.")
    cancelled = await olga.press("Cancel event", asked.last)
    assert cancelled.text.startswith("“Returning the Names — Berlin” is cancelled")
    for person in (going, maybe):
        [notice] = await bot.server.wait_for(lambda person=person: [
            r for r in person.received() if "❌" in (r.text or "")])
        assert notice.text.endswith(
            "is cancelled. The organisers say why:\nThe hall <flooded> & is closed.")
        assert "The hall &lt;flooded&gt; &amp; is closed." in notice.html
    await bot.services.delivery.drain()
    assert not any("❌" in (r.text or "") for r in no.received())
    assert (await _open_card(going, event_id)).text == EN("not_available")
    listing = (await bot.person("en", tg_id=COORDINATOR_ID).send("/broadcasts")).text
    # Named for what it is; the Russian copy had nobody to go to and is not listed.
    assert listing.splitlines()[2:4] == [
        "1. Cancellation notice of 30 Nov to those who answered Going or Maybe to event "
        f"#{event_id}, in English: done; 2 recipients, delivered: 2, blocked: 0, failed: 0", ""]


async def test_edit_time_notifies_going(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    await _register(olga)
    event_id = await _event_id(bot, "Returning the Names — Berlin")
    going = bot.person("en")
    card = await _open_card(going, event_id)
    await going.press("Going", card.last)
    await olga.send("/myevents")
    own = await olga.press("1")
    await olga.press("Edit", own.last)
    await olga.press("Start time")
    assert (await olga.send("2026-11-01 10:00")).text.startswith(EN("invalid.datetime_past"))
    await olga.send("2026-12-06 11:00")
    moved = await bot.server.wait_for(lambda: next((
        r for r in going.received() if "new time" in (r.text or "")), None))
    assert "2026-12-06 11:00–13:30 (Europe/Berlin)" in moved.text


async def _from_end_to_preview(olga: Person):
    """/eventnew answered from its end question on (no end, a place, public): the preview."""
    await olga.press("Skip")
    await olga.send("Square")
    await olga.press("Public")
    return await olga.press("Skip")


async def _up_to_start(olga: Person):
    """/eventnew answered up to its start question (Berlin, the guessed zone)."""
    for _name, how, value in STEPS[:STEPS.index(("start", "send", "2026-12-05 10:00"))]:
        asked = await (olga.send(value) if how == "send" else olga.press(value))
    return asked


async def test_the_start_is_asked_by_day_buttons_then_the_time_on_that_day(
    bot: BotUnderTest,
) -> None:
    olga = await organiser(bot)
    await olga.send("/eventnew")
    question = await _up_to_start(olga)
    for typed in ("today 18:00", "tomorrow", "20.12 18:30", "20 December 18:30"):
        assert typed in question.text
    assert button_labels(question.last)[:3] == [
        "Today, Monday, 30 November", "Tomorrow, Tuesday, 1 December", "Wednesday, 2 December"]
    which = await olga.press("Today, Monday, 30 November")
    assert which.text == _plain(EN("event.ask.start_time", day="Monday, 30 November 2026",
                                   zone="Europe/Berlin"))
    past = await olga.send("9:00")
    assert past.text.startswith(EN("invalid.datetime_past"))
    assert (await bot.services.dialogues.current(olga.tg_id)).step == "start_time"
    # A day typed without its time, in the spring when the clocks skip 02:00–03:00.
    await olga.send("/cancel")
    await olga.send("/eventnew")
    await _up_to_start(olga)
    which = await olga.send("28 March")
    assert which.text.startswith("At what time on Sunday, 28 March 2027 does it start?")
    gap = await olga.send("02:30")
    assert gap.text.startswith("That time does not exist in Europe/Berlin")
    assert gap.text.endswith(which.text)
    assert (await olga.send("03:30")).text == _plain(EN("event.ask.end"))
    preview = await _from_end_to_preview(olga)
    assert "When: 2027-03-28 03:30 (Europe/Berlin)" in preview.text
    # Edit before publishing: another day asks its time again.
    await olga.press("Edit")
    asked = await olga.press("Start time")
    assert button_labels(asked.last)[1] == "Tomorrow, Tuesday, 1 December"
    which = await olga.press("Tomorrow, Tuesday, 1 December")
    assert which.text.startswith("At what time on Tuesday, 1 December 2026 does it start?")
    preview = await olga.send("19:00")
    assert "When: 2026-12-01 19:00 (Europe/Berlin)" in preview.text
    await olga.press("Publish")
    event_id = await _event_id(bot, "A reading")
    assert (await bot.services.repos.events.get(event_id)).starts_at.isoformat() == (
        "2026-12-01T18:00:00+00:00")
    # Edit after publishing (/myevents): the same two questions.
    await olga.send("/myevents")
    own = await olga.press("1")
    await olga.press("Edit", own.last)
    which = await olga.press("Start time")
    which = await olga.send("friday")
    assert which.text.startswith("At what time on Friday, 4 December 2026 does it start?")
    card = await olga.send("18:00")
    assert "2026-12-04 18:00 (Europe/Berlin)" in card.text
    assert (await bot.services.repos.events.get(event_id)).starts_at.isoformat() == (
        "2026-12-04T17:00:00+00:00")


async def test_a_day_alone_in_russian_asks_its_time(bot: BotUnderTest) -> None:
    boris = await organiser(bot, "Мемориал", language="ru", country="GE")
    await boris.send("/eventnew")
    await boris.send("Чтение")
    await boris.send("О чтении")
    await boris.press(RU("kind.commemoration"))
    await boris.send("Грузия")
    await boris.send("Батуми")
    question = await boris.send("Тбилиси")
    assert "20 декабря 18:30" in question.text
    which = await boris.send("в пятницу")
    assert which.text == _plain(RU("event.ask.start_time", day="Пятница, 4 декабря 2026",
                                   zone="Asia/Tbilisi"))
    assert (await boris.send("19:00")).text == _plain(RU("event.ask.end"))


async def _stored_before_round_one(bot: BotUnderTest, olga: Person, city: str, country: str,
                                   step: str) -> None:
    """A dialogue of /eventnew as an earlier version stored it: the zone confirmed with the
    guess button kept as its marker, "ok"."""
    answers = {"_campaigns": [], "title": "A reading", "description": "About",
               "kind": "commemoration", "country": country, "city": city, "timezone": "ok"}
    await bot.services.database.execute(
        "INSERT INTO dialogues (tg_id, flow, step, answers, updated_at) VALUES (?, ?, ?, ?, ?)",
        (olga.tg_id, "eventnew", step, json.dumps(answers), stored(bot.clock.now())))


async def test_a_dialogue_stored_with_the_old_zone_marker_resumes_in_the_guessed_zone(
    bot: BotUnderTest,
) -> None:
    olga = await organiser(bot)
    await _stored_before_round_one(bot, olga, "Berlin", "DE", "start")
    which = await olga.send("tomorrow")
    assert which.text == _plain(EN("event.ask.start_time", day="Tuesday, 1 December 2026",
                                   zone="Europe/Berlin"))
    assert (await olga.send("18:00")).text == _plain(EN("event.ask.end"))
    preview = await _from_end_to_preview(olga)
    assert "When: 2026-12-01 18:00 (Europe/Berlin)" in preview.text
    await olga.press("Publish")
    event = await bot.services.repos.events.get(await _event_id(bot, "A reading"))
    assert (event.timezone, event.starts_at.isoformat()) == (
        "Europe/Berlin", "2026-12-01T17:00:00+00:00")
    # A city no zone is guessed from any more: the dialogue starts afresh, plainly.
    await _stored_before_round_one(bot, olga, "Springfield", "US", "end")
    assert (await olga.send("20:00")).text == _plain(EN("dialogue.reset"))
    assert await bot.services.dialogues.current(olga.tg_id) is None


def _plain(html: str) -> str:
    return html.replace("<i>", "").replace("</i>", "")


async def test_campaign_sites_in_three_countries_listed_nearest_first(bot: BotUnderTest) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await coordinator.send("/campaignnew")
    await coordinator.send("Returning the Names 2026")
    first = await coordinator.send("Reading the names of the victims of political terror.")
    assert first.text == ("Its first day, today or later. Press a day or type one: today, "
                          "tomorrow, a weekday (friday), 20.12, 20 December, 2026-12-28.")
    last = await coordinator.send("2026-12-05")
    assert last.text == ("Its last day, the first day or later. Press a day or type one: "
                         "tomorrow, a weekday (friday), 20.12, 20 December, 2026-12-06; for a "
                         "one-day campaign press “The same day”.")
    assert (await coordinator.send("2026-12-01")).text.startswith(
        "The last day cannot come before the first day, 2026-12-05: type 2026-12-05 or a later")
    await coordinator.send("06.12.2026")
    assert (await coordinator.press("Publish")).text.startswith("The campaign")
    sites = (("Free Voices", "DE", "Germany", "Berlin"), ("Memorial GE", "GE", "Georgia",
             "Tbilisi"), ("Memorial LT", "LT", "Lithuania", "Vilnius"),
             ("Memorial LT 2", "LT", "Lithuania", "Kaunas"))
    for name, code, country, city in sites:
        host = await organiser(bot, name, country=code)
        await _register(host, title=f"Names — {city}", country=country, city=city,
                        end=None, campaign="Returning the Names 2026")
    member = bot.person("en")
    await member.send("/settings")
    await member.press("Country")
    await member.send("Lithuania")
    await member.send("/settings")
    await member.press("City")
    await member.send("Vilnius")
    listing = await member.send("/campaigns")
    card = await member.press("1", listing.last)
    lines = card.text.splitlines()
    start = lines.index("Lithuania")
    assert lines[start:start + 7] == [
        "Lithuania", "1. Names — Vilnius — Memorial LT, 2026-12-05 09:00",
        "2. Names — Kaunas — Memorial LT 2, 2026-12-05 09:00", "Germany",
        "3. Names — Berlin — Free Voices, 2026-12-05 10:00", "Georgia",
        "4. Names — Tbilisi — Memorial GE, 2026-12-05 07:00"]
    site = await member.press("1", card.last)
    assert site.text.startswith("Names — Vilnius")
    going = await member.press("Going", site.last)
    assert going.text.startswith("You are going to “Names — Vilnius”")


async def test_a_one_day_campaign_is_asked_and_shown_as_one_date(bot: BotUnderTest) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await coordinator.send("/campaignnew")
    await coordinator.send("Returning the Names")
    await coordinator.send("Reading the names of the victims of political terror.")
    last = await coordinator.send("2026-12-02")
    assert button_labels(last.last) == [
        "The same day", "Thursday, 3 December", "Friday, 4 December", "Saturday, 5 December",
        "Sunday, 6 December"]
    preview = await coordinator.press("The same day", last.last)
    assert "<b>Returning the Names</b> (2026-12-02)" in preview.last.html
    await coordinator.press("Publish")
    listing = await coordinator.send("/campaigns")
    assert "1. Returning the Names (2026-12-02)" in listing.text.splitlines()
    card = await coordinator.press("1", listing.last)
    assert card.text.splitlines()[0] == "Returning the Names (2026-12-02)"


async def test_eventnew_offers_only_campaigns_holding_the_events_local_date(
    bot: BotUnderTest,
) -> None:
    # 05:00 UTC on 1 December is still 30 November in Los Angeles.
    bot.clock.set(datetime(2026, 12, 1, 5, 0, tzinfo=UTC))
    for title, first, last in (("November vigil", "2026-11-28", "2026-11-30"),
                               ("Names week", "2026-12-01", "2026-12-06"),
                               ("One day", "2026-12-20", "2026-12-20")):
        await bot.services.repos.events.create_campaign(
            {"title": title, "description": "d", "starts_on": first, "ends_on": last},
            COORDINATOR_ID, bot.clock.now())
    olga = await organiser(bot)

    async def campaigns_offered(start: str, **place: str) -> list[str]:
        await olga.send("/eventnew")
        for answer in ("Reading", "We read.", "Commemoration", place.get("country", "Germany"),
                       place.get("city", "Berlin"), place.get("zone", "Europe/Berlin"), start):
            asked = await (olga.press(answer) if answer == "Commemoration"
                           else olga.send(answer))
        for answer in ("Skip", VENUE, "Public", "Skip"):
            asked = await (olga.send(answer) if answer == VENUE else olga.press(answer))
        labels = button_labels(asked.last)
        if "Publish" in labels:  # the preview: no campaign was asked
            await olga.press("Cancel", asked.last)
            return []
        await olga.press("Skip", asked.last)
        await olga.press("Cancel")
        return labels

    assert await campaigns_offered("2026-12-05 18:00") == ["Names week", "Skip"]
    assert await campaigns_offered("2026-12-20 10:00") == ["One day", "Skip"]
    assert await campaigns_offered("2027-01-10 10:00") == []
    assert await campaigns_offered("2026-11-30 23:00", country="United States",
                                   city="Los Angeles", zone="America/Los_Angeles") == [
        "November vigil", "Skip"]


async def test_a_campaign_with_thirty_long_sites_is_paged(bot: BotUnderTest) -> None:
    """A real Returning the Names has dozens of sites: at the longest titles, cities and names
    one message cannot hold them; the card pages them like every list, edited in place."""
    events, now = bot.services.repos.events, bot.clock.now()
    campaign_id = await events.create_campaign({
        "title": "🕯" * 120, "description": "Имена возвращаются. " * 100,
        "starts_on": "2026-12-05", "ends_on": "2026-12-06"}, COORDINATOR_ID, now)
    host = await organiser(bot, "Мемориал " + "🕯" * 71)
    org_id = await bot.services.database.fetch_value("SELECT id FROM organisations")
    for number in range(30):
        await events.create(org_id, host.tg_id, {
            "campaign_id": campaign_id, "title": f"{number:02d} " + "🕯" * 117,
            "description": "About.", "kind": "commemoration",
            "starts_at": datetime(2026, 12, 5, 9, number, tzinfo=UTC), "ends_at": None,
            "timezone": "Europe/Berlin", "country": ("DE", "GE", "LT")[number % 3],
            "city": f"{number:02d} " + "é" * 77, "venue": VENUE, "disclosure": "public"}, now)
    member = bot.person("en")
    listing = await member.send("/campaigns")
    card = (await member.press("1", listing.last)).last
    lines = card.text.splitlines()
    assert lines[3:5] == ["Germany", f"1. 00 {'🕯' * 117} — Мемориал {'🕯' * 71}, "
                          f"00 {'é' * 77}, 2026-12-05 10:00"]
    assert [line[:6] for line in lines[5:9]] == ["2. 03 ", "3. 06 ", "4. 09 ", "5. 12 "]
    assert lines[-1] == "Page 1 of 6"
    assert button_labels(card) == ["1", "2", "3", "4", "5", "Next"]
    turned = await member.press("Next", card)
    assert all(record.edited for record in turned.messages)
    second = bot.current(card)
    assert second.message_id == card.message_id
    assert [line[:6] for line in second.text.splitlines()[4:9]] == [
        "1. 15 ", "2. 18 ", "3. 21 ", "4. 24 ", "5. 27 "]
    assert second.text.endswith("Page 2 of 6")
    assert button_labels(second) == ["1", "2", "3", "4", "5", "Back", "Next"]
    site = await member.press("1", second)
    assert site.text.startswith(f"15 {'🕯' * 117}")
    for _ in range(4):
        await member.press("Next", card)
    last = bot.current(card)
    assert last.text.splitlines()[3:4] == ["Lithuania"] and last.text.endswith("Page 6 of 6")
    assert button_labels(last) == ["1", "2", "3", "4", "5", "Back"]


async def test_forged_and_foreign_event_buttons_are_refused(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    intruder = await organiser(bot, "Other Org")
    await _register(olga)
    event_id = await _event_id(bot, "Returning the Names — Berlin")
    before = await snapshot(bot)
    events_before = [tuple(r) for r in await bot.services.database.fetch_all(
        "SELECT * FROM events")]
    for data in (f"me:cx:{event_id}", f"me:ed:{event_id}", f"me:ef:{event_id}:venue",
                 f"me:o:{event_id}"):
        assert (await intruder.press_forged(data)).texts == [EN("not_available")], data
    member = bot.person("en")
    await member.send("/start")
    for data in (f"me:cx:{event_id}", "cp:o:999", "ev:o:999", "rsvp:going:999", "ics:999",
                 "rsvp:sure:1", "ev:l:0:XX:y:-:-"):
        reply = await member.press_forged(data)
        assert reply.notices == [EN("not_available")] or reply.texts == [
            EN("not_available")], data
    assert (await member.send("/eventnew")).text == EN("organiser.no_organisation")
    assert (await member.send("/campaignnew")).text == EN("not_available.command")
    assert [tuple(r) for r in await bot.services.database.fetch_all(
        "SELECT * FROM events")] == events_before
    after = await snapshot(bot)
    assert {k: v for k, v in after.items() if k != "users"} == {
        k: v for k, v in before.items() if k != "users"}


TITLE = "Returning the Names — Berlin"
NOT_AVAILABLE = EN("not_available")


async def _run_dues(bot: BotUnderTest, moment: str) -> None:
    bot.clock.set(datetime.fromisoformat(moment))
    await bot.application.job_queue.get_jobs_by_name("event-dues")[0].run(bot.application)


async def _event_rows(bot: BotUnderTest) -> list[list[tuple]]:
    """Everything an event is: hiding or suspending must delete none of it."""
    database = bot.services.database
    return [[tuple(row) for row in await database.fetch_all(f"SELECT * FROM {table} ORDER BY 1")]
            for table in ("events", "rsvps", "event_dues")]


def _refused(reply) -> bool:
    return reply.notices == [NOT_AVAILABLE] or reply.texts == [NOT_AVAILABLE]


async def _assert_unseen(bot: BotUnderTest, going: Person, card, event_id: int) -> None:
    """Members reach the event nowhere: lists, campaign, digest, its card and its buttons."""
    member = bot.person("en")
    assert TITLE not in (await member.send("/events")).text
    assert TITLE not in " ".join((await member.send("/digest")).texts)
    campaigns = await member.send("/campaigns")
    assert TITLE not in (await member.press("1", campaigns.last)).text
    assert (await _open_card(member, event_id)).text == NOT_AVAILABLE
    for label in ("Going", "Not going", "Add to calendar"):
        assert _refused(await going.press(label, card.last)), label


async def _new_campaign(coordinator: Person) -> None:
    await coordinator.send("/campaignnew")
    await coordinator.send("Returning the Names 2026")
    await coordinator.send("Reading the names of the victims of political terror.")
    await coordinator.send("2026-12-05")
    await coordinator.send("2026-12-06")
    await coordinator.press("Publish")


async def test_a_suspended_organisations_events_are_unseen_until_it_is_reinstated(
    bot: BotUnderTest,
) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await _new_campaign(coordinator)
    olga = await organiser(bot)
    await _register(olga, disclosure="Going only, hours before", hours="3",
                    campaign="Returning the Names 2026")
    event_id = await _event_id(bot, TITLE)
    going = bot.person("en")
    card = await _open_card(going, event_id)
    await going.press("Going", card.last)
    await coordinator.send("/orgs")
    org_card = (await coordinator.press("1")).last
    await coordinator.press("Suspend", org_card)
    before = await _event_rows(bot)
    await _assert_unseen(bot, going, card, event_id)
    await _run_dues(bot, "2026-12-04T09:30:00+00:00")
    await _run_dues(bot, "2026-12-05T06:30:00+00:00")
    await bot.services.delivery.drain()
    assert not [r for r in going.received() if "⏰" in (r.text or "") or VENUE in (r.text or "")]
    assert await _event_rows(bot) == before
    await coordinator.send("/orgs")
    await coordinator.press("Reinstate", (await coordinator.press("1")).last)
    assert TITLE in (await bot.person("en").send("/events")).text
    await _run_dues(bot, "2026-12-05T08:30:00+00:00")
    await bot.server.wait_for(lambda: any(
        (r.text or "").startswith(f"⏰ “{TITLE}” starts in 1 hour") for r in going.received()))
    assert any(VENUE in (r.text or "") for r in going.received())


async def test_a_coordinator_hides_an_event_with_a_reason_and_unhides_it(
    bot: BotUnderTest,
) -> None:
    coordinator, olga = bot.person("en", tg_id=COORDINATOR_ID), await organiser(bot)
    await _new_campaign(coordinator)
    await _register(olga, campaign="Returning the Names 2026")
    event_id = await _event_id(bot, TITLE)
    going = bot.person("en")
    card = await _open_card(going, event_id)
    await going.press("Going", card.last)
    assert "Hide" not in button_labels(card.last)
    coordinator_card = await _open_card(coordinator, event_id)
    assert button_labels(coordinator_card.last)[-1] == "Hide"
    asked = await coordinator.press("Hide", coordinator_card.last)
    assert asked.text == EN.plural("post.ask.hide_reason", 300, minimum=3)
    assert (await coordinator.send("no")).text.startswith(EN.plural("invalid.too_short", 3))
    await coordinator.send("/cancel")
    assert TITLE in (await going.send("/events")).text
    await coordinator.press("Hide", coordinator_card.last)
    hidden = await coordinator.send("The <b>venue</b> is unsafe & known to the police")
    assert hidden.text == EN("event.hidden", title=TITLE)
    assert button_labels(hidden.last) == ["Unhide"]
    notice = await bot.server.wait_for(lambda: next((
        r for r in olga.received() if "hidden your organisation's event" in (r.text or "")),
        None))
    assert f"“{TITLE}”" in notice.text
    assert notice.text.endswith("The <b>venue</b> is unsafe & known to the police")
    before = await _event_rows(bot)
    await _assert_unseen(bot, going, card, event_id)
    await _run_dues(bot, "2026-12-04T09:30:00+00:00")
    await bot.services.delivery.drain()
    assert not [r for r in going.received() if "⏰" in (r.text or "")]
    for person, data in ((going, f"unhide:event:{event_id}"), (olga, f"unhide:event:{event_id}"),
                         (olga, f"hide:event:{event_id}")):
        assert _refused(await person.press_forged(data)), data
    assert await _event_rows(bot) == before
    own_list = await olga.send("/myevents")
    assert "scheduled, hidden by the coordinators" in own_list.text
    own = await olga.press("1", own_list.last)
    assert own.text.endswith(
        "Hidden from members by the coordinators. Their reason: The <b>venue</b> is unsafe "
        "& known to the police")
    seen_by_coordinator = await _open_card(coordinator, event_id)
    assert button_labels(seen_by_coordinator.last) == ["Unhide"]
    shown = await coordinator.press("Unhide", seen_by_coordinator.last)
    assert shown.text == EN("event.unhidden", title=TITLE)
    assert _refused(await coordinator.press("Unhide", hidden.last))
    await bot.server.wait_for(lambda: any(
        "visible to members again" in (r.text or "") for r in olga.received()))
    assert TITLE in (await bot.person("en").send("/events")).text
    await _run_dues(bot, "2026-12-05T08:30:00+00:00")
    await bot.server.wait_for(lambda: any(
        (r.text or "").startswith(f"⏰ “{TITLE}” starts in 1 hour") for r in going.received()))
    assert [tuple(row) for row in await bot.services.database.fetch_all(
        "SELECT actor_id, action, target FROM audit_log WHERE action LIKE 'event.%' "
        "ORDER BY id")] == [(COORDINATOR_ID, "event.hide", f"event:{event_id}"),
                            (COORDINATOR_ID, "event.unhide", f"event:{event_id}")]
    audit = (await coordinator.send("/audit")).text
    assert "hid event" in audit and "unhid event" in audit


async def test_reminders_before_the_reveal_time_never_carry_the_venue(bot: BotUnderTest) -> None:
    olga = await organiser(bot)
    await _register(olga, disclosure="Going only, hours before", hours="3")
    event_id = await _event_id(bot, TITLE)
    going = bot.person("en")
    await going.press("Going", (await _open_card(going, event_id)).last)

    def received(prefix: str) -> list[str]:
        return [r.text for r in going.received() if (r.text or "").startswith(prefix)]

    await _run_dues(bot, "2026-12-04T09:30:00+00:00")
    [early] = await bot.server.wait_for(lambda: received("⏰") or None)
    assert early.startswith(f"⏰ “{TITLE}” starts in 24 hours")
    assert VENUE not in early
    await _run_dues(bot, "2026-12-05T06:30:00+00:00")
    [reveal] = await bot.server.wait_for(lambda: received("The place of") or None)
    assert VENUE in reveal
    await _run_dues(bot, "2026-12-05T08:30:00+00:00")
    await bot.server.wait_for(lambda: len(received("⏰")) == 2)
    assert VENUE in received("⏰")[1]


CAMPAIGN_BAD = [
    ("title", "ab", EN.plural("invalid.too_short", 3)),
    ("title", "T" * 121, EN.plural("invalid.too_long", 121, limit=120)),
    ("description", "D" * 2001, EN.plural("invalid.too_long", 2001, limit=2000)),
    ("starts_on", "2026-11-29", EN("invalid.date_past")),
    ("starts_on", "30.02.2027", EN("invalid.date_impossible")),
    ("starts_on", "soon", EN("invalid.date")),
    ("ends_on", "2026-12-01", EN("invalid.last_day_before_first", first="2026-12-05")),
]
CAMPAIGN_STEPS = [("title", "Names 2026"), ("description", "About"), ("starts_on", "2026-12-05")]


@pytest.mark.parametrize(("step", "answer", "reason"), CAMPAIGN_BAD)
async def test_every_bad_campaign_answer_keeps_the_step_and_saves_nothing(
    bot: BotUnderTest, step: str, answer: str, reason: str
) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await coordinator.send("/campaignnew")
    for name, value in CAMPAIGN_STEPS:
        if name == step:
            break
        await coordinator.send(value)
    reply = await coordinator.send(answer)
    assert reply.text.startswith(reason.replace("<i>", "").replace("</i>", "")), reply.text
    assert (await bot.services.dialogues.current(COORDINATOR_ID)).step == step
    assert await bot.services.database.fetch_value("SELECT count(*) FROM campaigns") == 0


async def test_campaigns_end_by_the_viewers_date_not_the_servers(bot: BotUnderTest) -> None:
    # 05:00 UTC on 1 December is still 30 November in Los Angeles: a campaign whose last day
    # is 30 November is still on there (listed by its first day), and over in Berlin (listed
    # after the coming ones).
    bot.clock.set(datetime(2026, 12, 1, 5, 0, tzinfo=UTC))
    for title, first, last in (("November vigil", "2026-11-28", "2026-11-30"),
                               ("Names week", "2026-12-02", "2026-12-06")):
        await bot.services.repos.events.create_campaign(
            {"title": title, "description": "d", "starts_on": first, "ends_on": last},
            COORDINATOR_ID, bot.clock.now())
    angeleno, berliner = bot.person("en"), bot.person("en")
    for person, zone in ((angeleno, "America/Los_Angeles"), (berliner, "Europe/Berlin")):
        await person.send("/start")
        await bot.services.database.execute(
            "UPDATE users SET timezone = ? WHERE tg_id = ?", (zone, person.tg_id))
    assert (await angeleno.send("/campaigns")).text.splitlines()[2:4] == [
        "1. November vigil (2026-11-28 – 2026-11-30)", "2. Names week (2026-12-02 – 2026-12-06)"]
    assert (await berliner.send("/campaigns")).text.splitlines()[2:4] == [
        "1. Names week (2026-12-02 – 2026-12-06)", "2. November vigil (2026-11-28 – 2026-11-30)"]
