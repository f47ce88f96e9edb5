"""End to end: a campaign's Overview (SPEC §12.2): numbers by site with totals against a
seeded campaign, paged within Telegram's limit, the bar chart as a PNG photo of the expected
size, and who may see it."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta

import pytest

from bot.conversation.text import fits
from bot.features.charts import chart_size
from bot.infra.i18n import texts
from tests.conftest import COORDINATOR_ID
from tests.e2e.orgs import organiser, seed_organisation
from tests.harness import BotUnderTest, Person, button_labels

# Also on PostgreSQL (tests/conftest.py: backend).
pytestmark = pytest.mark.usefixtures("backend")

NOT_AVAILABLE = texts("en")("not_available")
PNG = b"\x89PNG\r\n\x1a\n"
CAMPAIGN = "Returning the Names 2026"
# organisation, country, city, zone, Going, reported attendance
SITES = (("Free Voices", "DE", "Berlin", "Europe/Berlin", 3, 40),
         ("Memorial GE", "GE", "Tbilisi", "Asia/Tbilisi", 1, None),
         ("Memorial LT", "LT", "Vilnius", "Europe/Vilnius", 2, 15))
# Shifts of two sites as (places, taken, waiting); Tbilisi has none.
SHIFTS = {"Berlin": ((3, 3, 1), (3, 1, 0)), "Vilnius": ((2, 2, 0),)}


async def _seed(bot: BotUnderTest) -> tuple[int, dict[str, Person]]:
    """A campaign of three sites, each of another organisation, with Going answers, shifts on
    two of them and two attendance reports; the organisers by organisation."""
    events, shifts, now = bot.services.repos.events, bot.services.repos.shifts, bot.clock.now()
    campaign_id = await events.create_campaign({
        "title": CAMPAIGN, "description": "Reading the names.", "starts_on": "2026-12-05",
        "ends_on": "2026-12-05"}, COORDINATOR_ID, now)
    hosts = {}
    for name, country, city, zone, going, came in SITES:
        host = await organiser(bot, name, country=country)
        await bot.services.repos.users.update(host.tg_id, label=f"Host of {city}")
        hosts[name] = host
        org_id = await bot.services.database.fetch_value(
            "SELECT id FROM organisations WHERE name = ?", (name,))
        event_id = await events.create(org_id, host.tg_id, {
            "campaign_id": campaign_id, "title": f"Names — {city}", "description": "About.",
            "kind": "commemoration", "starts_at": datetime(2026, 12, 5, 9, tzinfo=UTC),
            "ends_at": None, "timezone": zone, "country": country, "city": city,
            "venue": "Main square", "disclosure": "public"}, now)
        for _ in range(going):
            member = bot.person("en")
            await bot.services.repos.users.ensure(member.tg_id, now)
            await events.set_answer(event_id, member.tg_id, "going", now)
        for number, (places, taken, waiting) in enumerate(SHIFTS.get(city, ())):
            starts_at = datetime(2026, 12, 5, 9 + number, tzinfo=UTC)
            await shifts.create(event_id, [("Reader", starts_at, starts_at + timedelta(hours=1),
                                            places)], timedelta(hours=1))
            [shift] = await shifts.of_event(event_id, number, 1)
            for state in ["taken"] * taken + ["waiting"] * waiting:
                member = bot.person("en")
                await bot.services.repos.users.ensure(member.tg_id, now)
                await shifts.sign(shift.id, member.tg_id, state, now)
        if came is not None:
            await events.report_attendance(event_id, came, None, host.tg_id, now, first=True)
    return campaign_id, hosts


async def _open_campaign(person: Person):
    listing = await person.send("/campaigns")
    return await person.press("1", listing.last)


def _photos(person: Person) -> list:
    return [record for record in person.received() if record.method == "sendPhoto"]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


async def test_overview_numbers_totals_and_chart_of_three_sites(bot: BotUnderTest) -> None:
    await _seed(bot)
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    card = await _open_campaign(coordinator)
    overview = await coordinator.press("Overview", card.last)
    text = overview.messages[0].text
    assert text.splitlines() == [
        f"Overview of “{CAMPAIGN}”",
        "3 sites · Going 6 · Shift places 6/8 · Came 55 (reported by 2)",
        "",
        "1. Berlin, Germany — Free Voices, 2026-12-05: Going 3 · Shift places 4/6 · Came 40",
        "2. Tbilisi, Georgia — Memorial GE, 2026-12-05: Going 1 · Shift places — · "
        "Came: not reported",
        "3. Vilnius, Lithuania — Memorial LT, 2026-12-05: Going 2 · Shift places 2/2 · Came 15",
        "",
        "Page 1 of 1"]
    assert button_labels(overview.messages[0]) == ["1", "2", "3"]
    [photo] = _photos(coordinator)
    assert _png_size(photo.document) == chart_size(3)
    assert photo.caption == f"“{CAMPAIGN}”: how many are going, by site (3 sites)"

    bot.clock.set(datetime(2026, 12, 6, 12, tzinfo=UTC))  # the campaign is over
    ru = bot.person("ru", tg_id=COORDINATOR_ID)
    await ru.send("/settings")
    await ru.press("Language")
    await ru.press("Русский")
    card = await _open_campaign(ru)
    overview = await ru.press("Обзор", card.last)
    assert overview.messages[0].text.splitlines() == [
        f"Обзор кампании «{CAMPAIGN}»",
        "3 площадки · Идут: 6 · Места в сменах: 6/8 · Пришли: 55 (сообщили: 2)",
        "",
        "1. Berlin, Германия — Free Voices, 2026-12-05: идут: 3 · места в сменах: 4/6 · "
        "пришли: 40",
        "2. Tbilisi, Грузия — Memorial GE, 2026-12-05: идут: 1 · места в сменах: — · "
        "явка не указана",
        "3. Vilnius, Литва — Memorial LT, 2026-12-05: идут: 2 · места в сменах: 2/2 · "
        "пришли: 15",
        "",
        "Страница 1 из 1"]
    after = _photos(ru)[-1]
    assert after.caption == f"«{CAMPAIGN}»: сколько пришло, по площадкам (3 площадки)"
    assert _png_size(after.document) == chart_size(3)


async def test_organisers_of_one_site_see_it_all_but_no_names_others_see_nothing(
        bot: BotUnderTest) -> None:
    campaign_id, hosts = await _seed(bot)
    tbilisi = hosts["Memorial GE"]
    card = await _open_campaign(tbilisi)
    overview = await tbilisi.press("Overview", card.last)
    text = overview.messages[0].text
    assert "3 sites · Going 6 · Shift places 6/8 · Came 55" in text
    people = [row[0] for row in await bot.services.database.fetch_all(
        "SELECT coalesce(label, '') FROM users")]
    assert not [name for name in people if name and name in text]
    assert "Host of" not in text and "P10" not in text
    assert len(_photos(tbilisi)) == 1

    member = bot.person("en")
    await member.send("/start")
    outsider = await organiser(bot, "No Site Here")
    for person in (member, outsider):
        card = await _open_campaign(person)
        assert "Overview" not in button_labels(card.last)
        for data in (f"cp:op:{campaign_id}:0", f"cp:ov:{campaign_id}"):
            reply = await person.press_forged(data)
            assert NOT_AVAILABLE in (reply.notices + reply.texts), (data, reply.texts)
        assert _photos(person) == []


async def test_two_hundred_sites_page_within_telegrams_limit(bot: BotUnderTest) -> None:
    events, now = bot.services.repos.events, bot.clock.now()
    campaign_id = await events.create_campaign({
        "title": "🕯" * 120, "description": "", "starts_on": "2026-12-05",
        "ends_on": "2026-12-06"}, COORDINATOR_ID, now)
    host = bot.person("en")
    await host.send("/start")
    org_id = await seed_organisation(bot, "Мемориал " + "🕯" * 71, host)
    for number in range(200):
        await events.create(org_id, host.tg_id, {
            "campaign_id": campaign_id, "title": f"{number:03d} Names", "description": "",
            "kind": "commemoration", "starts_at": datetime(2026, 12, 5, 9, tzinfo=UTC),
            "ends_at": None, "timezone": "Europe/Berlin", "country": "DE",
            "city": f"{number:03d} " + "é" * 76, "venue": "Square", "disclosure": "public"},
            now)
    overview = await host.press_forged(f"cp:ov:{campaign_id}")
    first = overview.messages[0]
    assert fits(first.html) and first.text.endswith("Page 1 of 40")
    turned = await host.press("Next", first)
    assert turned.messages[0].edited and fits(bot.current(first).html)
    assert bot.current(first).text.endswith("Page 2 of 40")
    [photo] = _photos(host)
    assert _png_size(photo.document) == chart_size(200)
