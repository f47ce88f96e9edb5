"""End to end: invites, suspension, role checks on every privileged command and button."""

from __future__ import annotations

import re

import pytest

from bot.infra.i18n import texts
from bot.sandbox.bot_methods import command_key
from tests.conftest import COORDINATOR_ID
from tests.e2e.orgs import seed_organisation, snapshot
from tests.harness import BotUnderTest, Person, button_labels

EN = texts("en")
LINK = re.compile(r"https://t\.me/coalition_sandbox_bot\?start=(inv_[A-Za-z0-9_-]+)")


async def _invite_token(person: Person) -> str:
    reply = await person.send("/invite")
    match = LINK.search(reply.text)
    assert match, reply.text
    return match.group(1)


async def _organisation_of(bot: BotUnderTest, person: Person):
    return (await bot.services.repos.users.member(person.tg_id)).membership


async def test_invite_is_redeemed_once_then_refused(bot: BotUnderTest) -> None:
    olga, ivan, petr = bot.person("en"), bot.person("en"), bot.person("ru")
    await seed_organisation(bot, "Free Voices", olga)
    token = await _invite_token(olga)
    welcome = await ivan.send(f"/start {token}")
    assert welcome.text == "\n\n".join([EN("invite.welcome", name="Free Voices"),
                                          _plain(EN("label.prompt"))])
    assert (await _organisation_of(bot, ivan)).org_name == "Free Voices"
    # The inviter is told, the newcomer shown by role and number until they choose a label.
    ivan_number = (await bot.services.repos.users.people([ivan.tg_id]))[ivan.tg_id].number
    joined = EN("invite.joined", person=f"organiser #{ivan_number}", name="Free Voices")
    assert await bot.server.wait_for(lambda: joined in [r.text for r in olga.received()])
    assert "/invite — " in (await ivan.send("/help")).text
    await petr.send("/start")
    before = await snapshot(bot)
    again = await petr.send(f"/start {token}")
    assert again.text == texts("ru")("invite.invalid")
    assert await _organisation_of(bot, petr) is None
    assert await snapshot(bot) == before
    stored = await bot.services.database.fetch_all("SELECT token_hash FROM invites")
    assert token not in {row[0] for row in stored}


def _plain(html: str) -> str:
    return html.replace("<i>", "").replace("</i>", "")


async def test_a_new_organiser_chooses_a_label_shown_on_the_orgs_card(bot: BotUnderTest) -> None:
    coordinator, olga = bot.person("en", tg_id=COORDINATOR_ID), bot.person("en")
    await olga.send("/register_org")
    for answer in ("Free Voices", "Human rights group", "DE", "Berlin",
                   "https://free-voices.example.org"):
        await olga.send(answer)
    await olga.press("Publish")
    application = await bot.server.wait_for(lambda: next((
        r for r in coordinator.received() if "Free Voices" in (r.text or "")
        and "Approve" in button_labels(r)), None))
    await coordinator.press("Approve", application)
    approved = await bot.server.wait_for(lambda: next((
        r for r in olga.received() if r.text.startswith(
            EN("org.approved_notice", name="Free Voices"))), None))
    assert _plain(EN("label.prompt")) in approved.text
    await olga.press("Label", approved)
    assert (await olga.send("Olga, Free Voices")).text.startswith(EN("settings.saved"))
    assert "Label: Olga, Free Voices" in (await olga.send("/settings")).text
    await coordinator.send("/orgs")
    card = await coordinator.press("1")
    assert "Organisers: Olga, Free Voices" in card.text
    assert str(olga.tg_id) not in card.text
    # A member has no label to set: no button, and a forged press changes nothing.
    member = bot.person("en")
    assert "Label" not in button_labels((await member.send("/settings")).last)
    assert (await member.press_forged("set:label")).text == EN("not_available")


async def test_expired_malformed_and_unknown_invites(bot: BotUnderTest) -> None:
    olga, ivan = bot.person("en"), bot.person("en")
    await seed_organisation(bot, "Free Voices", olga)
    token = await _invite_token(olga)
    await ivan.send("/start")
    bot.clock.advance(hours=72, seconds=1)
    before = await snapshot(bot)
    for payload in (token, "inv_", "inv_short", token[:-1] + ("A" if token[-1] != "A" else "B"),
                    "inv_" + "x" * 60, "inv_<b>"):
        reply = await ivan.send(f"/start {payload}")
        assert reply.texts == [EN("invite.invalid")], payload
    assert await snapshot(bot) == before
    assert await _organisation_of(bot, ivan) is None


async def test_organiser_of_another_organisation_cannot_join_a_second(bot: BotUnderTest) -> None:
    olga, anna = bot.person("en"), bot.person("en")
    await seed_organisation(bot, "Free Voices", olga)
    await seed_organisation(bot, "Memorial Circle", anna)
    token = await _invite_token(olga)
    reply = await anna.send(f"/start {token}")
    assert reply.text == EN("org.already_member", organisation="Memorial Circle")
    assert (await _organisation_of(bot, anna)).org_name == "Memorial Circle"
    assert await bot.services.database.fetch_value(
        "SELECT count(*) FROM invites WHERE used_at IS NULL") == 1


async def test_coordinator_invites_from_the_organisation_card(bot: BotUnderTest) -> None:
    coordinator, newcomer = bot.person("en", tg_id=COORDINATOR_ID), bot.person("en")
    org_id = await seed_organisation(bot, "Free Voices")
    assert (await coordinator.send("/invite")).text == EN("invite.coordinator_hint")
    await coordinator.send("/orgs")
    await coordinator.press("1")
    link = LINK.search((await coordinator.press("Invite")).text).group(1)
    await newcomer.send(f"/start {link}")
    assert (await _organisation_of(bot, newcomer)).org_id == org_id


async def test_suspension_revokes_rights_at_once_including_old_buttons(bot: BotUnderTest) -> None:
    coordinator, olga = bot.person("en", tg_id=COORDINATOR_ID), bot.person("en")
    await seed_organisation(bot, "Free Voices", olga)
    await coordinator.send("/orgs")
    card = (await coordinator.press("1")).last
    suspended = await coordinator.press("Suspend", card)
    assert suspended.text == EN("org.suspended", name="Free Voices")
    notice = await bot.server.wait_for(lambda: [
        r for r in olga.received() if "suspended by the coordinators" in (r.text or "")])
    assert notice
    assert (await olga.send("/invite")).text == EN("organiser.no_organisation")
    assert "/invite" not in (await olga.send("/help")).text
    assert "invite" not in [entry["command"] for entry in bot.server.commands[
        command_key({"type": "chat", "chat_id": olga.tg_id})]]
    before = await snapshot(bot)
    assert (await coordinator.press("Invite", card)).text == EN("not_available")
    assert (await coordinator.press("Suspend", card)).text == EN("not_available")
    assert await snapshot(bot) == before
    reinstated = await coordinator.press("Reinstate", (await coordinator.press("1", (
        await coordinator.send("/orgs")).last)).last)
    assert reinstated.text == EN("org.reinstated", name="Free Voices")
    assert LINK.search((await olga.send("/invite")).text)


PRIVILEGED_COMMANDS = ["/orgs", "/audit", "/coordinators"]


@pytest.mark.parametrize("who", ["member", "organiser of another organisation"])
async def test_privileged_commands_and_buttons_are_refused(bot: BotUnderTest, who: str) -> None:
    olga, other = bot.person("en"), bot.person("en")
    target = await seed_organisation(bot, "Free Voices", olga)
    pending = await seed_organisation(bot, "Newcomers", status="pending")
    if who != "member":
        await seed_organisation(bot, "Memorial Circle", other)
    else:
        assert (await other.send("/invite")).text == EN("organiser.no_organisation")
    await other.send("/start")
    before = await snapshot(bot)
    for command in PRIVILEGED_COMMANDS:
        assert (await other.send(command)).texts == [EN("not_available.command")], command
    forged = [f"org:ap:{pending}", f"org:rj:{pending}", f"org:su:{target}", f"org:re:{target}",
              f"org:iv:{target}", "orgs:p:0", f"orgs:o:{target}", "coord:add",
              f"coord:rm:{COORDINATOR_ID}", "org:ap:999999", "forget:maybe"]
    for data in forged:
        reply = await other.press_forged(data)
        assert reply.notices == [EN("not_available")], data
        assert reply.messages == [], data
    assert await snapshot(bot) == before


async def test_orgs_pages_pending_first_and_turns_in_place(bot: BotUnderTest) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    for number in range(6):
        await seed_organisation(bot, f"Approved {number}")
    await seed_organisation(bot, "Zeta Pending", status="pending")
    first = (await coordinator.send("/orgs")).last
    lines = first.text.splitlines()
    assert lines[0] == "7 organisations, pending first"
    assert lines[2] == "1. ⏳ Zeta Pending (DE), pending"
    assert lines[3] == "2. ✅ Approved 0 (DE), approved"
    assert lines[-1] == "Page 1 of 2"
    assert button_labels(first) == ["1", "2", "3", "4", "5", "Next"]
    turned = await coordinator.press("Next", first)
    assert turned.messages[0].edited and turned.messages[0].message_id == first.message_id
    page_two = bot.server.messages[(COORDINATOR_ID, first.message_id)]
    assert "1. ✅ Approved 4 (DE), approved" in page_two["text"]
    assert "Page 2 of 2" in page_two["text"]
    card = await coordinator.press("2", turned.messages[0])
    assert card.text.startswith("Approved 5")
    assert button_labels(card.last) == ["Suspend", "Invite"]
