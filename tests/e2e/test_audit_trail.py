"""End to end: every privileged action done through the bot leaves its audit row."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from bot.infra.i18n import texts
from tests.conftest import COORDINATOR_ID, running_bot
from tests.e2e.orgs import seed_organisation
from tests.harness import BotUnderTest, Person

EN = texts("en")
SECOND_ID = 901

Row = tuple[int, str, str]  # actor, action, target
# Performs one action as `first` (or `second`) and says which audit row it must leave.
Action = Callable[[BotUnderTest, Person, Person], Awaitable[Row]]


async def _organisation(bot: BotUnderTest, status) -> int:
    return await seed_organisation(bot, "Free Voices", bot.person("en"), status=status)


async def org_approve(bot: BotUnderTest, first: Person, second: Person) -> Row:
    org_id = await _organisation(bot, "pending")
    await first.press_forged(f"org:ap:{org_id}")
    return first.tg_id, "org.approve", f"org:{org_id}"


async def org_reject(bot: BotUnderTest, first: Person, second: Person) -> Row:
    org_id = await _organisation(bot, "pending")
    await first.press_forged(f"org:rj:{org_id}")
    await first.send("Nobody could vouch for it.")
    return first.tg_id, "org.reject", f"org:{org_id}"


async def org_suspend(bot: BotUnderTest, first: Person, second: Person) -> Row:
    org_id = await _organisation(bot, "approved")
    await first.press_forged(f"org:su:{org_id}")
    return first.tg_id, "org.suspend", f"org:{org_id}"


async def org_reinstate(bot: BotUnderTest, first: Person, second: Person) -> Row:
    org_id = await _organisation(bot, "suspended")
    await first.press_forged(f"org:re:{org_id}")
    return first.tg_id, "org.reinstate", f"org:{org_id}"


async def invite_create(bot: BotUnderTest, first: Person, second: Person) -> Row:
    org_id = await _organisation(bot, "approved")
    await first.press_forged(f"org:iv:{org_id}")
    return first.tg_id, "invite.create", f"org:{org_id}"


async def _announce(bot: BotUnderTest, author: Person) -> tuple[int, Person]:
    await author.send("/announce")
    await author.send("Vigil on Friday")
    await author.press("Organisers")
    await author.press("Skip")
    status = await author.press("Send")
    [broadcast] = await bot.services.repos.announcements.recent(1)
    return broadcast.id, status


async def announce_create(bot: BotUnderTest, first: Person, second: Person) -> Row:
    broadcast_id, _ = await _announce(bot, first)
    return first.tg_id, "announce.create", f"broadcast:{broadcast_id}"


async def announce_approve(bot: BotUnderTest, first: Person, second: Person) -> Row:
    broadcast_id, _ = await _announce(bot, first)
    request = await bot.server.wait_for(lambda: next((
        r for r in second.received() if "waits for a second" in (r.text or "")), None))
    await second.press("Approve", request)
    return second.tg_id, "announce.approve", f"broadcast:{broadcast_id}"


async def announce_cancel(bot: BotUnderTest, first: Person, second: Person) -> Row:
    broadcast_id, status = await _announce(bot, first)
    await first.press("Cancel", status.last)
    return first.tg_id, "announce.cancel", f"broadcast:{broadcast_id}"


async def campaign_create(bot: BotUnderTest, first: Person, second: Person) -> Row:
    await first.send("/campaignnew")
    await first.send("Returning the Names 2026")
    await first.send("Reading the names of the victims of political terror.")
    await first.send("2026-12-05")
    await first.send("2026-12-06")
    await first.press("Publish")
    campaign_id = await bot.services.database.fetch_value("SELECT max(id) FROM campaigns")
    return first.tg_id, "campaign.create", f"campaign:{campaign_id}"


async def _add_election(bot: BotUnderTest, coordinator: Person) -> int:
    await coordinator.send("/elections")
    await coordinator.press("Add")
    await coordinator.send("Snap election")
    await coordinator.send("Досрочные выборы")
    await coordinator.send("2026-12-10")
    await coordinator.send("RU")
    await coordinator.press("Add")
    return await bot.services.database.fetch_value("SELECT max(id) FROM elections")


async def election_add(bot: BotUnderTest, first: Person, second: Person) -> Row:
    election_id = await _add_election(bot, first)
    return first.tg_id, "election.add", f"election:{election_id}"


async def election_remove(bot: BotUnderTest, first: Person, second: Person) -> Row:
    election_id = await _add_election(bot, first)
    await first.send("/elections")
    await first.press("Remove")
    await first.press("Snap election, 10 December 2026")
    return first.tg_id, "election.remove", f"election:{election_id}"


async def _propose(bot: BotUnderTest, first: Person, second: Person, candidate: int):
    await first.press("Add", (await first.send("/coordinators")).last)
    await first.send(str(candidate))
    await first.press("Yes")
    requester = await bot.services.members.name(EN, first.tg_id)
    return await bot.server.wait_for(lambda: next((
        r for r in second.received() if r.text == EN(
            "coordinators.approval_request", requester=requester,
            person=EN("coordinators.account", tg_id=candidate))), None))


async def coordinator_request(bot: BotUnderTest, first: Person, second: Person) -> Row:
    candidate = bot.person("en").tg_id
    await _propose(bot, first, second, candidate)
    return first.tg_id, "coordinator.request", f"user:{candidate}"


async def coordinator_grant(bot: BotUnderTest, first: Person, second: Person) -> Row:
    candidate = bot.person("en").tg_id
    await second.press("Approve", await _propose(bot, first, second, candidate))
    return second.tg_id, "coordinator.grant", f"user:{candidate}"


async def coordinator_reject(bot: BotUnderTest, first: Person, second: Person) -> Row:
    candidate = bot.person("en").tg_id
    await second.press("Reject", await _propose(bot, first, second, candidate))
    return second.tg_id, "coordinator.reject", f"user:{candidate}"


async def coordinator_revoke(bot: BotUnderTest, first: Person, second: Person) -> Row:
    name = await bot.services.members.name(EN, second.tg_id)
    await first.press(f"Remove {name}", (await first.send("/coordinators")).last)
    await first.press("Yes")
    return first.tg_id, "coordinator.revoke", f"user:{second.tg_id}"


async def _post(bot: BotUnderTest, kind: str) -> int:
    author = bot.person("en")
    org_id = await seed_organisation(bot, "Free Voices", author)
    fields = {"title": "Lawyer for a court date", "description": "", "category": "legal",
              "urgency": "normal", "country": "DE", "kind": "rally",
              "starts_at": bot.clock.now() + timedelta(days=3), "ends_at": None,
              "timezone": "Europe/Berlin", "city": "Berlin", "venue": "Alexanderplatz",
              "disclosure": "public"}
    repo = bot.services.repos.needs if kind == "need" else bot.services.repos.events
    return await repo.create(org_id, author.tg_id, fields, bot.clock.now())


async def _hide(bot: BotUnderTest, first: Person, kind: str) -> int:
    post_id = await _post(bot, kind)
    await first.press_forged(f"hide:{kind}:{post_id}")
    await first.send("Posted twice")
    return post_id


async def need_hide(bot: BotUnderTest, first: Person, second: Person) -> Row:
    need_id = await _hide(bot, first, "need")
    return first.tg_id, "need.hide", f"need:{need_id}"


async def need_unhide(bot: BotUnderTest, first: Person, second: Person) -> Row:
    need_id = await _hide(bot, first, "need")
    await first.press_forged(f"unhide:need:{need_id}")
    return first.tg_id, "need.unhide", f"need:{need_id}"


async def event_hide(bot: BotUnderTest, first: Person, second: Person) -> Row:
    event_id = await _hide(bot, first, "event")
    return first.tg_id, "event.hide", f"event:{event_id}"


async def event_unhide(bot: BotUnderTest, first: Person, second: Person) -> Row:
    event_id = await _hide(bot, first, "event")
    await first.press_forged(f"unhide:event:{event_id}")
    return first.tg_id, "event.unhide", f"event:{event_id}"


ACTIONS: list[Action] = [
    org_approve, org_reject, org_suspend, org_reinstate, invite_create, announce_create,
    announce_approve, announce_cancel, campaign_create, election_add, election_remove,
    coordinator_request, coordinator_grant, coordinator_reject, coordinator_revoke,
    need_hide, need_unhide, event_hide, event_unhide,
]


@pytest.mark.parametrize("action", ACTIONS, ids=lambda action: action.__name__)
async def test_each_privileged_action_leaves_its_audit_row(
    server, make_settings, clock, action: Action
) -> None:
    settings = make_settings(broadcast_approvals_required=1,
                             coordinator_ids=frozenset({COORDINATOR_ID, SECOND_ID}))
    async with running_bot(server, settings, clock) as bot:
        first = bot.person("en", tg_id=COORDINATOR_ID)
        second = bot.person("en", tg_id=SECOND_ID)
        await second.send("/start")
        expected = await action(bot, first, second)
        rows = await bot.services.database.fetch_all(
            "SELECT actor_id, action, target FROM audit_log ORDER BY id")
        assert tuple(rows[-1]) == expected
