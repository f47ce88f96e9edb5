"""End to end: /subscribe, /unsubscribe, /digest, /elections, the cadence by the clock,
composition, restarts and late digests."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.infra.i18n import texts
from storage.timestamps import loaded
from tests.conftest import COORDINATOR_ID, running_bot
from tests.e2e.orgs import seed_organisation
from tests.harness import BotUnderTest, Person, button_labels

# Also on PostgreSQL (tests/conftest.py: backend).
pytestmark = pytest.mark.usefixtures("backend")

EN, RU = texts("en"), texts("ru")
SECRET = "Case 2-417/2026, safe flat: Lindenstr. 5"
VENUE = "Back room of the Kiezladen, Oranienstr. 9"
BERLIN = ZoneInfo("Europe/Berlin")


# --- helpers ---------------------------------------------------------------------------------

def _plain(html: str) -> str:
    """A catalog text as the person reads it (the sandbox shows HTML without its tags)."""
    return re.sub(r"<[^>]+>", "", html)


async def _subscribe(person: Person, frequency: str = "Auto", *, off: tuple[str, ...] = (),
                     country: str | None = None, at: str | None = None):
    t = texts(person.language)
    await person.send("/subscribe")
    await person.press(t(f"frequency.{frequency.lower()}"))
    for topic in off:
        await person.press(t(f"topic.{topic}"))
    await person.press(t("button.done"))
    await (person.send(country) if country else person.press(t("button.skip")))
    return await (person.send(at) if at else person.press(t("button.skip")))


async def _tick(bot: BotUnderTest) -> None:
    [job] = bot.application.job_queue.get_jobs_by_name("digests")
    await job.run(bot.application)


async def _due(bot: BotUnderTest, person: Person) -> datetime | None:
    value = await bot.services.database.fetch_value(
        "SELECT next_due_at FROM subscriptions WHERE tg_id = ?", (person.tg_id,))
    return loaded(value)


async def _queued(bot: BotUnderTest, person: Person) -> list[str]:
    """The digests queued for a person, oldest first."""
    rows = await bot.services.database.fetch_all(
        "SELECT b.text FROM deliveries AS d JOIN broadcasts AS b ON b.id = d.broadcast_id "
        "WHERE b.kind = 'digest' AND d.chat_id = ? ORDER BY b.id", (person.tg_id,))
    return [row[0] for row in rows]


async def _delivered(bot: BotUnderTest, person: Person, after: int = 0) -> list:
    """Once every digest broadcast is done: the digests the person's chat shows (those sent
    after the record numbered `after`: a /digest reply looks just like a digest)."""
    database = bot.services.database
    async with asyncio.timeout(10):
        for row in await database.fetch_all("SELECT id FROM broadcasts WHERE kind = 'digest'"):
            await bot.services.delivery.finished(row[0])
    sent = {row[0] for row in await database.fetch_all(
        "SELECT text FROM broadcasts WHERE kind = 'digest'")}
    return [record for record in person.received() if record.html in sent and record.seq > after]


async def _organisation(bot: BotUnderTest, name: str = "Free Voices",
                        country: str = "DE") -> tuple[int, Person]:
    organiser = bot.person("en")
    org_id = await seed_organisation(bot, name, organiser, country=country)
    return org_id, organiser


async def _need(bot: BotUnderTest, org: tuple[int, Person], title: str, *,
                urgency: str = "normal", country: str = "DE", private: str | None = None,
                city: str | None = "Berlin") -> int:
    org_id, organiser = org
    return await bot.services.repos.needs.create(org_id, organiser.tg_id, {
        "title": title, "description": "Details.", "private_details": private,
        "category": "legal", "urgency": urgency, "country": country, "city": city},
        bot.clock.now())


async def _event(bot: BotUnderTest, org: tuple[int, Person], title: str, starts: datetime, *,
                 country: str = "DE", city: str = "Berlin", venue: str = VENUE,
                 disclosure: str = "going") -> None:
    """Events straight in the database: their dialogue is another feature's."""
    now = bot.clock.now().isoformat()
    await bot.services.database.execute(
        "INSERT INTO events (org_id, title, description, kind, starts_at, timezone, country, "
        "city, venue, disclosure, created_at, updated_at) VALUES (?, ?, 'About.', 'rally', ?, "
        "'Europe/Berlin', ?, ?, ?, ?, ?, ?)",
        (org[0], title, starts.astimezone(UTC).isoformat(), country, city, venue, disclosure,
         now, now))


async def _election(bot: BotUnderTest, name: str, day: date, country: str = "RU",
                    name_ru: str | None = None) -> int:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await coordinator.send("/elections")
    await coordinator.press("Add")
    await coordinator.send(name)
    await (coordinator.send(name_ru) if name_ru else coordinator.press("Skip"))
    await coordinator.send(day.isoformat())
    preview = await coordinator.send(country)
    assert button_labels(preview.last) == ["Add", "Edit", "Cancel"]
    added = await coordinator.press("Add")
    assert added.text.startswith("Added: ")
    return await bot.services.database.fetch_value(
        "SELECT id FROM elections WHERE name = ?", (name,))


async def _at(bot: BotUnderTest, moment: datetime) -> None:
    """Move the clock to a moment (a few seconds into the due minute) and run the tick."""
    bot.clock.set(moment + timedelta(seconds=5))
    await _tick(bot)


# --- subscribing ---------------------------------------------------------------------------

async def test_subscribe_and_the_digest_arrives_at_the_local_time(bot: BotUnderTest) -> None:
    org = await _organisation(bot)
    alice = bot.person("en")
    await alice.send("/settings")
    await alice.press("Time zone")
    await alice.send("America/New_York")
    reply = await _subscribe(alice, "Daily", at="7:30")
    # 09:00 UTC is 04:00 in New York: today's 07:30 is still to come.
    assert reply.text == ("Subscribed: Daily; Needs, Events, Announcements; all countries.\n"
                          "Next digest: Monday 30 November 2026, 07:30 (America/New_York).")
    due = await _due(bot, alice)
    assert due == datetime(2026, 11, 30, 12, 30, tzinfo=UTC)
    await _need(bot, org, "Lawyer for a prisoner", private=SECRET)
    await _at(bot, due - timedelta(minutes=1))
    assert await _queued(bot, alice) == []
    await _at(bot, due)
    [digest] = await _delivered(bot, alice)
    assert digest.text.splitlines() == [
        "New needs", "⚪ Lawyer for a prisoner — Free Voices, Berlin, Germany"]
    assert SECRET not in digest.text
    settings = await alice.send("/settings")
    assert settings.text.splitlines()[-1] == (
        "Next digest: Tuesday 1 December 2026, 07:30 (America/New_York)")
    assert await _due(bot, alice) == datetime(2026, 12, 1, 12, 30, tzinfo=UTC)


async def test_resubscribing_updates_never_duplicates(bot: BotUnderTest) -> None:
    alice = bot.person("en")
    await _subscribe(alice, "Daily")
    reply = await _subscribe(alice, "Weekly", off=("needs", "announcements"), country="Georgia",
                             at="18:15")
    assert reply.text == ("Subscribed: Weekly; Events; only Georgia.\n"
                          "Next digest: Monday 30 November 2026, 18:15 (Europe/Berlin).")
    rows = await bot.services.database.fetch_all(
        "SELECT frequency, topics, country FROM subscriptions")
    assert [tuple(row) for row in rows] == [("weekly", "events", "GE")]
    assert (await bot.services.repos.users.get(alice.tg_id)).digest_time.strftime(
        "%H:%M") == "18:15"
    settings = await alice.send("/settings")
    assert "Digest time: 18:15" in settings.text
    assert settings.text.endswith("Next digest: Monday 30 November 2026, 18:15 (Europe/Berlin)")


async def test_topics_toggle_in_place_and_one_always_stays(bot: BotUnderTest) -> None:
    alice = bot.person("en")
    await alice.send("/subscribe")
    asked = await alice.press("Weekly")
    assert button_labels(asked.last) == ["✅ Needs", "✅ Events", "✅ Announcements", "Done"]
    question = asked.last
    await alice.press("Needs", question)
    await alice.press("Events", question)
    shown = bot.current(question)
    assert button_labels(shown) == ["▫️ Needs", "▫️ Events", "✅ Announcements", "Done"]
    refused = await alice.press("Announcements", question)
    assert bot.current(question).text.startswith(EN("subscribe.topics_needed"))
    assert refused.messages == [] or all(r.edited for r in refused.messages)
    await alice.press("Needs", question)
    await alice.press("Done", question)
    await alice.press("Skip")
    await alice.press("Skip")
    assert await bot.services.database.fetch_value("SELECT topics FROM subscriptions") == (
        "needs,announcements")
    # The topics question is over: its buttons are stale now.
    stale = await alice.press("Events", question)
    assert stale.notices == [EN("not_available")]


BAD_SUBSCRIBE = [
    ("frequency", "Auto", EN("dialogue.use_buttons")),
    ("sub_topics", "needs", EN("dialogue.use_buttons")),
    ("country", "Narnia", EN("invalid.country")),
    ("country", "<b>DE</b>", EN("invalid.country")),
    ("time", "25:00", EN("invalid.time")),
    ("time", "9 am", EN("invalid.time")),
]


@pytest.mark.parametrize(("step", "answer", "reason"), BAD_SUBSCRIBE)
async def test_bad_subscribe_answers_keep_the_step_and_save_nothing(
    bot: BotUnderTest, step: str, answer: str, reason: str
) -> None:
    alice = bot.person("en")
    await alice.send("/subscribe")
    for name, press in (("frequency", "Auto"), ("sub_topics", "Done"), ("country", "Skip")):
        if name == step:
            break
        await alice.press(press)
    reply = await alice.send(answer)
    assert reply.text.startswith(_plain(reason)), reply.text
    assert (await bot.services.dialogues.current(alice.tg_id)).step == step
    assert await bot.services.database.fetch_value("SELECT count(*) FROM subscriptions") == 0
    assert (await bot.services.repos.users.get(alice.tg_id)).digest_time is None


async def test_unsubscribe_stops_the_next_digest(bot: BotUnderTest) -> None:
    org = await _organisation(bot)
    alice = bot.person("en")
    await _subscribe(alice, "Daily")
    due = await _due(bot, alice)
    assert (await alice.send("/unsubscribe")).text == EN("unsubscribe.done")
    assert (await alice.send("/unsubscribe")).text == EN("unsubscribe.not_subscribed")
    await _need(bot, org, "Something new")
    await _at(bot, due)
    await _at(bot, due + timedelta(days=1))
    assert await _queued(bot, alice) == []
    assert "Next digest" not in (await alice.send("/settings")).text


# --- the schedule --------------------------------------------------------------------------

async def test_cadence_tightens_as_the_election_nears(bot: BotUnderTest) -> None:
    org = await _organisation(bot)
    alice = bot.person("en")
    await _subscribe(alice, "Auto")
    assert await _due(bot, alice) == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    # Sunday 2027-02-07: Monday 7 December is d = 62.
    await _election(bot, "Duma election", date(2027, 2, 7))
    await _election(bot, "Far election", date(2027, 9, 19), country="AM")
    await _tick(bot)
    days, texts_by_day = [], {}
    while (due := await _due(bot, alice)) < datetime(2027, 2, 16, tzinfo=UTC):
        await _need(bot, org, f"Need before {due:%Y-%m-%d}")
        await _at(bot, due)
        local = due.astimezone(BERLIN)
        assert local.strftime("%H:%M") == "09:00"
        days.append(local.date())
        texts_by_day[local.date()] = (await _queued(bot, alice))[-1]
    assert len(await _queued(bot, alice)) == len(days)
    election = date(2027, 2, 7)
    for day in days:
        d = (election - day).days
        weekday = day.strftime("%a")
        if d > 60 or d < 0:
            assert weekday == "Mon", (day, d)
        elif d >= 15:
            assert weekday in ("Mon", "Thu"), (day, d)
    daily = [day for day in days if 0 <= (election - day).days <= 14]
    assert daily == [election - timedelta(days=n) for n in range(14, -1, -1)]
    assert days[0] == date(2026, 12, 7) and days[1] == date(2026, 12, 10)
    assert days[-2:] == [date(2027, 2, 8), date(2027, 2, 15)]
    assert texts_by_day[date(2027, 1, 24)].startswith(
        "🗳 14 days to Duma election, 7 February 2027\n")
    assert texts_by_day[date(2027, 2, 6)].startswith("🗳 1 day to Duma election, 7 February 2027")
    assert texts_by_day[date(2027, 2, 7)].startswith(
        "🗳 Election day today: Duma election, 7 February 2027")
    assert texts_by_day[date(2027, 2, 8)].startswith(
        "🗳 223 days to Far election, 19 September 2027")


async def test_adding_and_removing_an_election_reschedules_auto_subscribers(
    bot: BotUnderTest,
) -> None:
    auto, weekly = bot.person("en"), bot.person("en")
    await _subscribe(auto, "Auto")
    await _subscribe(weekly, "Weekly")
    monday = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert await _due(bot, auto) == await _due(bot, weekly) == monday
    election_id = await _election(bot, "Snap election", date(2026, 12, 10))
    await _tick(bot)
    assert await _due(bot, auto) == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # daily now
    assert await _due(bot, weekly) == monday
    assert (await auto.send("/settings")).text.endswith(
        "Next digest: Tuesday 1 December 2026, 09:00 (Europe/Berlin)")
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await coordinator.send("/elections")
    await coordinator.press("Remove")
    removed = await coordinator.press("Snap election, 10 December 2026")
    shown = bot.current(removed.last) if removed.messages else None
    assert shown is None or "Removed: Snap election" in shown.text
    await _tick(bot)
    assert await _due(bot, auto) == monday
    actions = [entry.action for entry in await bot.services.repos.audit.latest(5)]
    assert actions[:2] == ["election.remove", "election.add"]
    assert await bot.services.database.fetch_value(
        "SELECT count(*) FROM elections WHERE id = ?", (election_id,)) == 0


async def test_nothing_new_is_not_sent_unless_the_election_is_within_a_week(
    bot: BotUnderTest,
) -> None:
    org = await _organisation(bot)
    alice = bot.person("en")
    await _subscribe(alice, "Daily")
    await _need(bot, org, "Urgent lawyer", urgency="urgent")
    await _at(bot, await _due(bot, alice))
    assert len(await _queued(bot, alice)) == 1
    # Tomorrow: the urgent need is still open, but nothing is new.
    tomorrow = await _due(bot, alice)
    await _at(bot, tomorrow)
    assert len(await _queued(bot, alice)) == 1
    assert await _due(bot, alice) == tomorrow + timedelta(days=1)
    reply = await alice.send("/digest")
    assert reply.texts == [EN("digest.nothing_new"),
                           "Next digest: Thursday 3 December 2026, 09:00 (Europe/Berlin)"]
    # With an election seven days away, the digest goes out anyway, countdown first.
    await _election(bot, "Referendum", date(2026, 12, 10))
    await _at(bot, await _due(bot, alice))
    last = (await _queued(bot, alice))[-1]
    assert last.startswith("🗳 7 days to Referendum, 10 December 2026\n\n"
                           "<b>Critical and urgent needs</b>\n🟠 Urgent lawyer")
    assert len(await _queued(bot, alice)) == 2


async def test_a_restart_during_the_due_minute_sends_once(server, make_settings, clock) -> None:
    settings = make_settings()
    async with running_bot(server, settings, clock) as first:
        org = await _organisation(first)
        alice = first.person("en")
        await _subscribe(alice, "Daily")
        await _need(first, org, "Translator")
        await _at(first, await _due(first, alice))
        assert len(await _queued(first, alice)) == 1
    async with running_bot(server, settings, clock) as second:
        alice = second.person("en", tg_id=alice.tg_id)
        clock.advance(seconds=20)
        await _tick(second)
        assert len(await _queued(second, alice)) == 1
        assert len(await _delivered(second, alice)) == 1


async def test_five_hours_late_is_sent_and_seven_hours_late_is_skipped(
    server, make_settings, clock
) -> None:
    settings = make_settings()
    async with running_bot(server, settings, clock) as first:
        org = await _organisation(first)
        early, late = first.person("en"), first.person("en")
        await _subscribe(early, "Daily", at="11:00")  # 10:00 UTC
        await _subscribe(late, "Daily", at="13:00")   # 12:00 UTC
        await _need(first, org, "Housing for a deserter")
    # The bot is down until 17:30 UTC: 7.5 hours after one digest, 5.5 after the other.
    clock.set(datetime(2026, 11, 30, 17, 30, tzinfo=UTC))
    async with running_bot(server, settings, clock) as second:
        await _tick(second)
        early = second.person("en", tg_id=early.tg_id)
        late = second.person("en", tg_id=late.tg_id)
        assert await _queued(second, early) == []
        [digest] = await _delivered(second, late)
        assert "Housing for a deserter" in digest.text
        assert await _due(second, early) == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
        assert await _due(second, late) == datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
        # The skipped period is not lost: the next digest still counts it as new.
        await _at(second, datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
        [text] = await _queued(second, early)
        assert "Housing for a deserter" in text


@pytest.mark.parametrize(("back_at", "sent"), [
    (datetime(2026, 12, 4, 13, 59, tzinfo=UTC), 1),  # 4 December's digest is 5 h 59 min late
    (datetime(2026, 12, 4, 14, 0, tzinfo=UTC), 0),   # and here 6 hours late
])
async def test_after_three_days_down_one_digest_under_six_hours_late_goes_out(
    server, make_settings, clock, caplog: pytest.LogCaptureFixture, back_at: datetime, sent: int
) -> None:
    settings = make_settings()
    async with running_bot(server, settings, clock) as first:
        org = await _organisation(first)
        alice = first.person("en")
        await _subscribe(alice, "Daily")  # 09:00 in Berlin: 08:00 UTC
        await _need(first, org, "Housing for a deserter")
        assert await _due(first, alice) == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    # Down from 30 November until 4 December: the digests of 1, 2 and 3 December are missed,
    # and 4 December's too when it is 6 hours late.
    clock.set(back_at)
    with caplog.at_level(logging.INFO, logger="coalition.digests"):
        async with running_bot(server, settings, clock) as second:
            await _tick(second)
            await _tick(second)
            alice = second.person("en", tg_id=alice.tg_id)
            delivered = await _delivered(second, alice)
            assert len(delivered) == sent
            assert all("Housing for a deserter" in digest.text for digest in delivered)
            assert await _due(second, alice) == datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
    assert f"{4 - sent} skipped as too late" in caplog.text


async def test_blocked_subscribers_are_dropped(bot: BotUnderTest) -> None:
    org = await _organisation(bot)
    alice, bob = bot.person("en"), bot.person("en")
    await _subscribe(alice, "Daily")
    await _subscribe(bob, "Daily")
    await bot.services.database.execute(
        "UPDATE users SET is_active = 0 WHERE tg_id = ?", (bob.tg_id,))
    await _need(bot, org, "Medic")
    await _at(bot, await _due(bot, alice))
    assert len(await _queued(bot, alice)) == 1
    assert await _queued(bot, bob) == []
    assert await bot.services.repos.digests.subscription(bob.tg_id) is None


async def test_one_text_per_distinct_choice(bot: BotUnderTest) -> None:
    org = await _organisation(bot)
    same = [bot.person("en") for _ in range(3)]
    for person in same:
        await _subscribe(person, "Daily")
    other = bot.person("ru")
    await _subscribe(other, "Daily")
    await _need(bot, org, "Printer")
    await _at(bot, await _due(bot, other))
    rows = await bot.services.database.fetch_all(
        "SELECT b.id, count(d.id) FROM broadcasts AS b JOIN deliveries AS d "
        "ON d.broadcast_id = b.id WHERE b.kind = 'digest' GROUP BY b.id ORDER BY b.id")
    assert sorted(count for _, count in rows) == [1, 3]


# --- content -------------------------------------------------------------------------------

async def test_hidden_venues_and_private_details_never_reach_a_digest(bot: BotUnderTest) -> None:
    org = await _organisation(bot)
    lviv = await _organisation(bot, "Lviv Aid", country="GE")
    alice = bot.person("en")
    await alice.send("/settings")
    await alice.press("Country")
    await alice.send("Georgia")
    await _subscribe(alice, "Daily")
    await _need(bot, org, "Safe flat", urgency="critical", private=SECRET)
    start = datetime(2026, 12, 5, 17, 0, tzinfo=UTC)
    await _event(bot, org, "Vigil <for> the names", start)
    await _event(bot, lviv, "Reading in Tbilisi", start + timedelta(days=1), country="GE",
                 city="Tbilisi", disclosure="public", venue="Rustaveli Ave 1")
    await _event(bot, org, "Too far ahead", start + timedelta(days=20))
    now_reply = await alice.send("/digest")
    await _at(bot, await _due(bot, alice))
    [digest] = await _delivered(bot, alice, after=now_reply.messages[-1].seq)
    for text in (now_reply.texts[0], digest.text):
        assert SECRET not in text and VENUE not in text and "Rustaveli" not in text
        assert "Too far ahead" not in text
        lines = text.splitlines()
        events = lines.index("Events in the next 14 days")
        # The member's own country first; times in the member's zone (Berlin).
        assert lines[events + 1] == "📅 Sun 6 Dec, 18:00 · Reading in Tbilisi — Lviv Aid"
        assert lines[events + 2] == (
            "📅 Sat 5 Dec, 18:00 · Vigil <for> the names — Free Voices, Berlin")
    assert "Vigil &lt;for&gt; the names" in digest.html


async def test_country_filter_and_topics(bot: BotUnderTest) -> None:
    germany = await _organisation(bot)
    georgia = await _organisation(bot, "Tbilisi Circle", country="GE")
    alice = bot.person("en")
    await _subscribe(alice, "Daily", off=("events",), country="GE")
    await _need(bot, germany, "Berlin need")
    await _need(bot, georgia, "Tbilisi need", country="GE", city="Tbilisi")
    await _need(bot, georgia, "Online need", country="online", city=None)
    await _event(bot, georgia, "Tbilisi rally", datetime(2026, 12, 2, 15, 0, tzinfo=UTC),
                 country="GE", city="Tbilisi")
    [reply, footer] = (await alice.send("/digest")).texts
    assert "Tbilisi need" in reply and "Online need" in reply
    assert "Berlin need" not in reply and "Tbilisi rally" not in reply
    assert footer.startswith("Next digest: ")


async def test_a_long_digest_is_cut_with_links(bot: BotUnderTest) -> None:
    org = await _organisation(bot)
    for number in range(40):
        await _need(bot, org, f"{number:02d} " + "Long title of a need " * 5,
                    urgency="urgent" if number % 2 else "normal")
    await bot.services.database.execute(
        "INSERT INTO broadcasts (kind, audience, text, status, created_at, not_before, "
        "finished_at) VALUES ('announcement', 'everyone', ?, 'done', ?, ?, ?)",
        ("<b>Vigil</b> " + "x" * 600, *(bot.clock.now().isoformat(),) * 3))
    alice = bot.person("en")
    reply = await alice.send("/digest")
    digest = reply.messages[0]
    assert len(digest.html) <= 4096
    assert "…and 15 more: /needs" in digest.text  # 20 urgent, 5 shown
    assert "…and 25 more: /needs" in digest.text  # 35 other new ones, 10 shown
    assert "📣 Vigil xxx" in digest.text
    assert reply.texts[1] == EN("digest.not_subscribed")


async def test_a_digest_of_the_longest_emoji_titles_goes_out_cut_not_refused(
    bot: BotUnderTest,
) -> None:
    """Telegram counts code points after parsing: 4096 of them, though twice as many UTF-16
    units, go out; what is beyond is cut with its "…and N more" line."""
    org = await _organisation(bot, "🕯" * 80)
    city = "е\u0301" * 40  # combining acute accents: 80 code points
    for number in range(20):
        await _need(bot, org, f"{number:02d} " + "🕯" * 117, city=city,
                    urgency="urgent" if number % 2 else "normal")
    for number in range(12):
        await _event(bot, org, f"{number:02d} " + "🗳" * 117,
                     datetime(2026, 12, 2, 10, number, tzinfo=UTC), city=city)
    alice = bot.person("en")
    reply = await _subscribe(alice, "Daily", at="12:00")
    seen = reply.last.seq
    await _at(bot, datetime(2026, 11, 30, 11, 0, tzinfo=UTC))
    [digest] = await _delivered(bot, alice, after=seen)
    assert len(digest.text) <= 4096 < len(digest.text.encode("utf-16-le")) // 2
    sections = {block.splitlines()[0]: block.splitlines()[1:]
                for block in digest.text.split("\n\n")}
    urgent, new, events = (sections[_plain(EN(f"digest.section.{name}"))]
                           for name in ("urgent", "new_needs", "events"))
    assert urgent[0] == f"🟠 19 {'🕯' * 117} — {'🕯' * 80}, {city}, Germany"
    # Ten urgent needs (five shown at most), fifteen other new ones, twelve events: every
    # section ends with how many it leaves out, and the longest gave up entries to fit.
    for lines, total, command in ((urgent, 10, "/needs"), (new, 15, "/needs"),
                                  (events, 12, "/events")):
        more = int(re.fullmatch(rf"…and (\d+) more: {command}", lines[-1]).group(1))
        assert len(lines) - 1 + more == total
    assert len(urgent) + len(new) + len(events) - 3 < 5 + 10 + 10


async def test_russian_digest_has_correct_plurals(bot: BotUnderTest) -> None:
    org = await _organisation(bot)
    boris = bot.person("ru")
    reply = await _subscribe(boris, "Auto")
    assert reply.text.startswith("Подписка оформлена: Авто; Нужды, События, Объявления; "
                                 "все страны.\nСледующий дайджест: понедельник 7 декабря 2026")
    await _need(bot, org, "Юрист для политзаключённого")
    await _election(bot, "Выборы в Госдуму", date(2026, 12, 6))
    for days, word in ((5, "дней"), (2, "дня"), (1, "день")):
        bot.clock.set(datetime(2026, 12, 6 - days, 7, 0, tzinfo=UTC))
        text = (await boris.send("/digest")).texts[0]
        assert text.startswith(f"🗳 {days} {word} до выборов: Выборы в Госдуму, 6 декабря 2026")
    seen = boris.received()[-1].seq
    await _at(bot, datetime(2026, 12, 5, 8, 0, tzinfo=UTC))
    [digest] = await _delivered(bot, boris, after=seen)
    assert digest.text.startswith("🗳 1 день до выборов: Выборы в Госдуму, 6 декабря 2026")
    assert "Новые нужды" in digest.text
    assert (await boris.send("/digest")).texts[0].startswith("🗳 1 день")
    for count, word in ((21, "день"), (22, "дня"), (11, "дней"), (111, "дней")):
        assert f" {count} {word} " in RU.plural("digest.countdown", count, election="x", date="y")


async def test_an_election_is_named_in_each_readers_language(bot: BotUnderTest) -> None:
    boris, alice = bot.person("ru"), bot.person("en")
    for person in (boris, alice):
        await _subscribe(person, "Daily")
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await coordinator.send("/elections")
    await coordinator.press("Add")
    await coordinator.send("State Duma election")
    asked = await coordinator.send("Выборы в Госдуму")
    assert asked.text == _plain(EN("elections.ask.date"))
    for typed in ("today", "tomorrow", "a weekday", "19.09", "19 September", "2027-09-19"):
        assert typed in asked.text
    await coordinator.send("2026-12-06")
    preview = await coordinator.send("RU")
    assert "State Duma election\nВыборы в Госдуму\n" in preview.text
    await coordinator.press("Add")
    await _election(bot, "Constitutional referendum", date(2026, 12, 20), country="AM")
    bot.clock.set(datetime(2026, 12, 1, 7, 0, tzinfo=UTC))
    assert (await boris.send("/digest")).texts[0].startswith(
        "🗳 5 дней до выборов: Выборы в Госдуму, 6 декабря 2026")
    assert (await alice.send("/digest")).texts[0].startswith(
        "🗳 5 days to State Duma election, 6 December 2026")
    bot.clock.set(datetime(2026, 12, 15, 7, 0, tzinfo=UTC))
    assert (await boris.send("/digest")).texts[0].startswith(
        "🗳 5 дней до выборов: Constitutional referendum, 20 декабря 2026")
    assert (await alice.send("/digest")).texts[0].startswith(
        "🗳 5 days to Constitutional referendum, 20 December 2026")
    stored = await bot.services.database.fetch_all("SELECT name, name_ru FROM elections")
    assert [tuple(row) for row in stored] == [
        ("State Duma election", "Выборы в Госдуму"), ("Constitutional referendum", None)]


async def test_digest_when_nothing_is_there(bot: BotUnderTest) -> None:
    alice = bot.person("en")
    reply = await alice.send("/digest")
    assert reply.texts == [EN("digest.nothing_new"), EN("digest.not_subscribed")]


# --- elections: coordinators only ----------------------------------------------------------

async def test_elections_list_add_remove_for_coordinators(bot: BotUnderTest) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    assert (await coordinator.send("/elections")).text == EN("elections.empty")
    await _election(bot, "Duma <2027>", date(2027, 9, 19))
    listing = await coordinator.send("/elections")
    assert listing.text.splitlines() == ["Elections", "1. Duma <2027> — 19 September 2027, Russia"]
    assert button_labels(listing.last) == ["Add", "Remove"]


BAD_ELECTION = [
    ("name", "x", EN.plural("invalid.too_short", 2)),
    ("name", "N" * 121, EN.plural("invalid.too_long", 121, limit=120)),
    ("date", "2026-02-31", EN("invalid.date_impossible")),
    ("date", "next year", EN("invalid.date")),
    ("date", "2026-11-29", EN("invalid.election_past")),
    ("date", "01.01.2040", EN.plural("invalid.election_far", 10)),
    ("country", "Mordor", EN("invalid.country")),
]


@pytest.mark.parametrize(("step", "answer", "reason"), BAD_ELECTION)
async def test_bad_election_answers_keep_the_step_and_save_nothing(
    bot: BotUnderTest, step: str, answer: str, reason: str
) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await coordinator.send("/elections")
    await coordinator.press("Add")
    for name, value in (("name", "Duma election"), ("name_ru", None), ("date", "2027-09-19")):
        if name == step:
            break
        await (coordinator.send(value) if value else coordinator.press("Skip"))
    reply = await coordinator.send(answer)
    assert reply.text.startswith(_plain(reason)), reply.text
    assert (await bot.services.dialogues.current(COORDINATOR_ID)).step == step
    assert await bot.services.database.fetch_value("SELECT count(*) FROM elections") == 0


async def test_a_member_cannot_use_elections(bot: BotUnderTest) -> None:
    election_id = await _election(bot, "Duma election", date(2027, 9, 19))
    member = bot.person("en")
    assert (await member.send("/elections")).text == EN("not_available.command")
    for data in ("el:add", "el:rm", f"el:rm:{election_id}", "el:list"):
        reply = await member.press_forged(data)
        assert reply.notices == [EN("not_available")], data
        assert reply.messages == []
    assert await bot.services.dialogues.current(member.tg_id) is None
    assert await bot.services.database.fetch_value("SELECT count(*) FROM elections") == 1
    # A stale Add from before a coordinator lost the role does nothing either.
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await coordinator.send("/elections")
    await bot.services.repos.users.set_coordinator(COORDINATOR_ID, False, bot.clock.now())
    reply = await coordinator.press("Remove")
    assert reply.notices == [EN("not_available")]


# --- own data ------------------------------------------------------------------------------

async def test_mydata_shows_the_subscription_and_forget_deletes_it(bot: BotUnderTest) -> None:
    alice = bot.person("en")
    await _subscribe(alice, "Weekly", country="DE")
    reply = await alice.send("/mydata")
    data = json.loads(reply.last.document)
    assert data["subscription"]["frequency"] == "weekly"
    assert data["subscription"]["country"] == "DE"
    await alice.send("/forget")
    await alice.press("Delete my data")
    assert await bot.services.database.fetch_value("SELECT count(*) FROM subscriptions") == 0
