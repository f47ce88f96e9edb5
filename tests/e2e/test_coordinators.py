"""End to end: granting and revoking coordinators in the bot and from the CLI; /audit."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.infra.i18n import texts
from tests.conftest import COORDINATOR_ID, running_bot
from tests.harness import BotUnderTest, button_data, button_labels

EN = texts("en")


async def _label(person, label: str) -> None:
    """Choose a public label in /settings."""
    await person.press("Label", (await person.send("/settings")).last)
    assert (await person.send(label)).text.startswith(EN("settings.saved"))


async def test_add_and_remove_coordinators_never_the_last(bot: BotUnderTest) -> None:
    coordinator, anna = bot.person("en", tg_id=COORDINATOR_ID), bot.person("en")
    overview = await coordinator.send("/coordinators")
    # No label chosen yet: a neutral placeholder, never the id.
    assert button_labels(overview.last) == ["Remove coordinator #1", "Add"]
    assert str(COORDINATOR_ID) not in overview.text
    await _label(coordinator, "Boris, Riga")
    overview = await coordinator.send("/coordinators")
    assert overview.text == "Coordinators\n1. Boris, Riga"
    assert button_labels(overview.last) == ["Remove Boris, Riga", "Add"]
    asked = await coordinator.press("Remove Boris, Riga")
    assert asked.text == EN("coordinators.confirm_remove", person="Boris, Riga")
    last = await coordinator.press("Yes")
    assert last.text.startswith(EN("coordinators.last", person="Boris, Riga"))
    await coordinator.press("Add")
    assert (await coordinator.send("-5")).text.startswith(_plain(EN("coordinators.invalid_id")))
    assert (await coordinator.send("²")).text.startswith(_plain(EN("coordinators.invalid_id")))
    confirm = await coordinator.send(str(anna.tg_id))
    assert confirm.text == EN("coordinators.confirm_add", person=EN(
        "coordinators.account", tg_id=anna.tg_id))
    assert anna.tg_id not in await bot.services.repos.users.coordinator_ids()
    added = await coordinator.press("Yes")
    assert added.text.startswith(EN("coordinators.added", person="coordinator #2"))
    assert (await bot.services.repos.users.get(anna.tg_id)).is_coordinator
    # The new coordinator is asked for a label, with the welcome and on /start until chosen.
    welcome = await bot.server.wait_for(lambda: next((
        r for r in anna.received() if r.text.startswith(EN("coordinators.welcome"))), None))
    assert _plain(EN("label.prompt")) in welcome.text
    assert button_labels(welcome) == ["Label"]
    start = await anna.send("/start")
    assert _plain(EN("label.prompt")) in start.text
    await anna.press("Label", start.last)
    assert (await anna.send("A")).text.startswith(_plain(EN.plural("invalid.too_short", 2)))
    assert (await anna.send("x" * 41)).text.startswith(
        _plain(EN.plural("invalid.too_long", 41, limit=40)))
    assert (await anna.send("Anna,\u202e Berlin")).text.startswith(EN("settings.saved"))
    assert (await bot.services.repos.users.get(anna.tg_id)).label == "Anna, Berlin"
    assert _plain(EN("label.prompt")) not in (await anna.send("/start")).text
    assert "/orgs — " in (await anna.send("/help")).text
    await anna.press("Remove Boris, Riga", (await anna.send("/coordinators")).last)
    removed = await anna.press("Yes")
    assert removed.text.startswith(EN("coordinators.removed", person="Boris, Riga"))
    assert (await coordinator.send("/orgs")).text == EN("not_available.command")
    audit = await anna.send("/audit")
    lines = audit.text.splitlines()
    assert lines[0] == "Last 3 privileged actions"
    assert lines[1].endswith("· Anna, Berlin · removed coordinator · Boris, Riga")
    assert lines[2].endswith("· Boris, Riga · made coordinator · Anna, Berlin")
    assert lines[3].endswith("· command line · made coordinator · Boris, Riga")
    for tg_id in (COORDINATOR_ID, anna.tg_id):
        assert str(tg_id) not in audit.text


async def _audit_rows(bot: BotUnderTest) -> list[tuple]:
    rows = await bot.services.database.fetch_all(
        "SELECT actor_id, action, target FROM audit_log ORDER BY id")
    return [tuple(row) for row in rows]


async def test_four_eyes_a_new_coordinator_needs_a_second_coordinators_approval(
    server, make_settings, clock
) -> None:
    settings = make_settings(broadcast_approvals_required=1)
    async with running_bot(server, settings, clock) as bot:
        first, second = bot.person("en", tg_id=COORDINATOR_ID), bot.person("en", tg_id=901)
        own, bob = bot.person("en"), bot.person("en")
        alone = await first.press("Add", (await first.send("/coordinators")).last)
        assert alone.text == _plain(EN("coordinators.second_needed"))
        assert await bot.services.coordinators.grant(None, second.tg_id)  # as the CLI does
        await _label(first, "Anna, Berlin")
        await _label(second, "Boris, Riga")
        # Chosen with Telegram's user picker, then confirmed.
        ask = await first.press("Add", (await first.send("/coordinators")).last)
        picker = ask.last.reply_markup["keyboard"][0][0]
        assert picker["text"] == EN("coordinators.pick")
        assert picker["request_users"]["user_is_bot"] is False
        assert picker["request_users"]["max_quantity"] == 1
        account = EN("coordinators.account", tg_id=own.tg_id)
        picked = await first.pick(own.tg_id)
        assert picked.messages[0].reply_markup == {"remove_keyboard": True}
        assert first.tg_id not in bot.server.reply_keyboards
        assert picked.text == EN("coordinators.confirm_request", person=account)
        asked = await first.press("Yes")
        assert asked.text.startswith(EN("coordinators.requested", person=account))
        assert own.tg_id not in await bot.services.repos.users.coordinator_ids()
        await first.press("Add", asked.last)
        await first.send(str(own.tg_id))
        again = await first.press("Yes")
        assert again.text.startswith(EN("coordinators.request_waiting", person=account))
        request = await bot.server.wait_for(lambda: next((
            r for r in second.received() if r.text == EN(
                "coordinators.approval_request", requester="Anna, Berlin", person=account)),
            None))
        assert button_labels(request) == ["Approve", "Reject"]
        approve = button_data(request, "Approve")
        # The requester, and the account they propose, cannot approve it themselves.
        before = await _audit_rows(bot)
        assert (await first.press_forged(approve)).text == EN("coordinators.decide_own")
        assert (await own.press_forged(approve)).notices == [EN("not_available")]
        assert (await first.press_forged("coord:ap:99")).text == EN("not_available")
        assert await _audit_rows(bot) == before
        assert own.tg_id not in await bot.services.repos.users.coordinator_ids()
        approved = await second.press("Approve", request)
        assert approved.text == EN("coordinators.added", person="coordinator #3")
        assert own.tg_id in await bot.services.repos.users.coordinator_ids()
        told = await bot.server.wait_for(lambda: next((r for r in first.received() if r.text == EN(
            "coordinators.request_approved", decider="Boris, Riga", person="coordinator #3")),
            None))
        assert told
        welcome = await bot.server.wait_for(lambda: next((
            r for r in own.received() if r.text.startswith(EN("coordinators.welcome"))), None))
        assert welcome
        after = await _audit_rows(bot)
        stale = await second.press("Approve", request)
        assert stale.text == EN("coordinators.already_approved", candidate="coordinator #3",
                                person="Boris, Riga")
        assert await _audit_rows(bot) == after
        await first.press("Add", (await first.send("/coordinators")).last)
        await first.send(str(bob.tg_id))
        await first.press("Yes")
        request = await bot.server.wait_for(lambda: next((
            r for r in second.received() if r.text == EN(
                "coordinators.approval_request", requester="Anna, Berlin",
                person=EN("coordinators.account", tg_id=bob.tg_id))), None))
        rejected = await second.press("Reject", request)
        assert rejected.text == EN("coordinators.rejected", person="member #4")
        assert await bot.services.repos.users.get(bob.tg_id) is None
        assert (await _audit_rows(bot))[-4:] == [
            (first.tg_id, "coordinator.request", f"user:{own.tg_id}"),
            (second.tg_id, "coordinator.grant", f"user:{own.tg_id}"),
            (first.tg_id, "coordinator.request", f"user:{bob.tg_id}"),
            (second.tg_id, "coordinator.reject", f"user:{bob.tg_id}"),
        ]


async def test_adding_refuses_a_long_id_a_bot_and_oneself(bot: BotUnderTest) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    await coordinator.press("Add", (await coordinator.send("/coordinators")).last)
    too_long = await coordinator.send("1" * 20)
    assert too_long.text.startswith(EN.plural("coordinators.id_too_long", 20))
    own_bot = await coordinator.send(str(bot.server.bot_user["id"]))
    assert own_bot.text.startswith(EN("coordinators.bot"))
    myself = await coordinator.send(str(COORDINATOR_ID))
    assert myself.text.startswith(EN("coordinators.self"))
    assert (await coordinator.pick(COORDINATOR_ID)).text.startswith(EN("coordinators.self"))
    # Telegram's picker offers no bots: the sandbox refuses to share one, as the client does.
    bot.server.add_user(555, first_name="Other bot", username="other_bot", is_bot=True)
    with pytest.raises(ValueError, match="offers no bots"):
        bot.server.user_shares_users(COORDINATOR_ID, 1, [555])
    assert await bot.services.repos.users.coordinator_ids() == [COORDINATOR_ID]
    # No: nothing changes, and the question is over.
    await coordinator.send("4242")
    assert (await coordinator.press("No")).text == EN("dialogue.cancelled")
    assert await bot.services.repos.users.coordinator_ids() == [COORDINATOR_ID]


def _plain(html: str) -> str:
    return html.replace("<i>", "").replace("</i>", "")


async def _cli(*args: str, database, **env: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        # This tree's code, not whichever copy the interpreter has installed.
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(Path(__file__).parents[2]),
             "DATABASE_PATH": str(database), **env})
    stdout, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, stdout.decode().strip()


async def test_cli_grants_and_revokes_with_audit(tmp_path) -> None:
    database = tmp_path / "cli.db"
    assert await _cli("coordinator", "add", "77", database=database) == (
        0, "coordinator 77: added")
    assert await _cli("coordinator", "remove", "77", database=database) == (
        1, "coordinator 77: is the last coordinator: add another one first")
    assert await _cli("coordinator", "add", "78", database=database) == (
        0, "coordinator 78: added")
    assert await _cli("coordinator", "remove", "77", database=database) == (
        0, "coordinator 77: removed")
    assert await _cli("coordinator", "remove", "5", database=database) == (
        1, "coordinator 5: is not a coordinator")
    # Server access is the second pair of eyes: the four-eyes rule does not hold the CLI back.
    assert await _cli("coordinator", "add", "79", database=database,
                      BROADCAST_APPROVALS_REQUIRED="1") == (0, "coordinator 79: added")
    import sqlite3

    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT actor_id, action, target FROM audit_log ORDER BY id").fetchall()
    assert rows == [(None, "coordinator.grant", "user:77"), (None, "coordinator.grant", "user:78"),
                    (None, "coordinator.revoke", "user:77"), (None, "coordinator.grant", "user:79")]
