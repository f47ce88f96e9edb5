"""End to end: every list that can grow is paged (coordinators, elections, campaigns in
/eventnew and in the /events filter)."""

from __future__ import annotations

from datetime import date

from bot.infra.i18n import texts
from tests.conftest import COORDINATOR_ID
from tests.e2e.orgs import organiser
from tests.harness import BotUnderTest, button_labels

EN = texts("en")
CAMPAIGNS = [f"Campaign {number:02d}" for number in range(1, 13)]


async def _campaigns(bot: BotUnderTest) -> None:
    for number, title in enumerate(CAMPAIGNS, 1):
        await bot.services.repos.events.create_campaign(
            {"title": title, "description": "", "starts_on": f"2026-12-{number:02d}",
             "ends_on": "2026-12-31"}, COORDINATOR_ID, bot.clock.now())


async def test_coordinators_are_listed_five_a_page(bot: BotUnderTest) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await coordinator.send("/start")
    for tg_id in range(901, 907):
        await bot.services.repos.users.set_coordinator(tg_id, True, bot.clock.now())
    for tg_id in range(900, 907):
        await bot.services.repos.users.update(tg_id, label=f"Coordinator {tg_id - 899}")
    first = (await coordinator.send("/coordinators")).last
    assert button_labels(first) == [f"Remove Coordinator {n}" for n in range(1, 6)] + [
        "Next", "Add"]
    assert first.text.endswith(EN("list.page", page=1, pages=2))
    second = (await coordinator.press("Next", first)).last
    assert "6. Coordinator 6\n7. Coordinator 7" in second.text
    assert button_labels(second) == ["Remove Coordinator 6", "Remove Coordinator 7", "Back", "Add"]
    await coordinator.press("Remove Coordinator 7", second)
    removed = await coordinator.press("Yes")
    assert removed.text.startswith(EN("coordinators.removed", person="Coordinator 7"))


async def test_elections_are_listed_and_removed_five_a_page(bot: BotUnderTest) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await coordinator.send("/start")
    for number in range(1, 8):
        await bot.services.repos.digests.add_election(
            f"Election {number}", date(2027, number, 1), "DE", COORDINATOR_ID, bot.clock.now())
    first = (await coordinator.send("/elections")).last
    assert "5. Election 5" in first.text and "Election 6" not in first.text
    assert button_labels(first) == ["Next", "Add", "Remove"]
    second = (await coordinator.press("Next", first)).last
    assert "6. Election 6" in second.text and "Election 5" not in second.text
    assert second.text.endswith(EN("list.page", page=2, pages=2))
    removal = (await coordinator.press("Remove", second)).last
    assert [label.split(",")[0] for label in button_labels(removal)] == [
        "Election 6", "Election 7", "Previous", "Back"]
    back = (await coordinator.press("Previous", removal)).last
    assert [label.split(",")[0] for label in button_labels(back)] == [
        *(f"Election {n}" for n in range(1, 6)), "Next", "Back"]
    again = (await coordinator.press("Next", back)).last
    removed = await coordinator.press(button_labels(again)[1], again)
    assert removed.text.startswith("Removed: Election 7, ")
    assert await bot.services.database.fetch_value("SELECT count(*) FROM elections") == 6


async def test_the_campaign_question_of_eventnew_is_paged(bot: BotUnderTest) -> None:
    await _campaigns(bot)
    olga = await organiser(bot)
    await olga.send("/eventnew")
    await olga.send("Returning the Names — Berlin")
    await olga.send("We read aloud the names of the victims.")
    await olga.press(EN("kind.commemoration"))
    await olga.send("Germany")
    zone = await olga.send("Berlin")
    await olga.press(button_labels(zone.last)[0])
    await olga.send("2026-12-20 10:00")  # within all twelve campaigns' days
    await olga.press("Skip")
    await olga.send("Courtyard")
    await olga.press(EN("disclosure.public"))
    asked = (await olga.press("Skip")).last
    assert asked.text == EN("event.ask.campaign")
    assert button_labels(asked) == [*CAMPAIGNS[:10], "Next", "Skip"]
    turned = (await olga.press("Next", asked)).last
    assert turned.text == EN("event.ask.campaign")
    assert button_labels(turned) == [*CAMPAIGNS[10:], "Previous", "Skip"]
    preview = await olga.press("Campaign 12", turned)
    assert "Campaign 12" in preview.text
    assert button_labels(preview.last) == ["Publish", "Edit", "Cancel"]


async def test_the_campaign_filter_of_events_is_paged(bot: BotUnderTest) -> None:
    await _campaigns(bot)
    member = bot.person("en")
    await member.send("/events")
    await member.press("Filter")
    choose = (await member.press(EN("event.filter.campaign"))).last
    assert button_labels(choose) == [*CAMPAIGNS[:10], "Next", "Back"]
    turned = (await member.press("Next", choose)).last
    assert button_labels(turned) == [*CAMPAIGNS[10:], "Previous", "Back"]
    filtered = await member.press("Campaign 12", turned)
    assert "Campaign 12" in filtered.text
