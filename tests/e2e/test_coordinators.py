"""End to end: granting and revoking coordinators in the bot and from the CLI; /audit."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.infra.i18n import texts
from tests.conftest import COORDINATOR_ID, running_bot
from tests.harness import BotUnderTest, button_data, button_labels

EN = texts("en")


async def test_add_and_remove_coordinators_never_the_last(bot: BotUnderTest) -> None:
    coordinator, anna = bot.person("en", tg_id=COORDINATOR_ID), bot.person("en")
    overview = await coordinator.send("/coordinators")
    assert button_labels(overview.last) == [f"Remove {COORDINATOR_ID}", "Add"]
    last = await coordinator.press(f"Remove {COORDINATOR_ID}")
    assert last.text.startswith(EN("coordinators.last", tg_id=COORDINATOR_ID))
    await coordinator.press("Add")
    assert (await coordinator.send("-5")).text.startswith(_plain(EN("coordinators.invalid_id")))
    assert (await coordinator.send("²")).text.startswith(_plain(EN("coordinators.invalid_id")))
    added = await coordinator.send(str(anna.tg_id))
    assert added.text.startswith(EN("coordinators.added", tg_id=anna.tg_id))
    assert (await bot.services.repos.users.get(anna.tg_id)).is_coordinator
    welcome = await bot.server.wait_for(lambda: next((
        r for r in anna.received() if r.text == EN("coordinators.welcome")), None))
    assert welcome
    assert "/orgs — " in (await anna.send("/help")).text
    removed = await anna.press(f"Remove {COORDINATOR_ID}", (await anna.send("/coordinators")).last)
    assert removed.text.startswith(EN("coordinators.removed", tg_id=COORDINATOR_ID))
    assert (await coordinator.send("/orgs")).text == EN("not_available.command")
    audit = await anna.send("/audit")
    lines = audit.text.splitlines()
    assert lines[0] == "Last 3 privileged actions"
    assert lines[1].endswith(f"· {anna.tg_id} · removed coordinator · user:{COORDINATOR_ID}")
    assert lines[2].endswith(f"· {COORDINATOR_ID} · made coordinator · user:{anna.tg_id}")
    assert lines[3].endswith(f"· command line · made coordinator · user:{COORDINATOR_ID}")


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
        await first.press("Add", (await first.send("/coordinators")).last)
        asked = await first.send(str(own.tg_id))
        assert asked.text.startswith(EN("coordinators.requested", tg_id=own.tg_id))
        assert own.tg_id not in await bot.services.repos.users.coordinator_ids()
        await first.press("Add", asked.last)
        again = await first.send(str(own.tg_id))
        assert again.text.startswith(EN("coordinators.request_waiting", tg_id=own.tg_id))
        request = await bot.server.wait_for(lambda: next((
            r for r in second.received() if r.text == EN(
                "coordinators.approval_request", requester=first.tg_id, tg_id=own.tg_id)), None))
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
        assert approved.text == EN("coordinators.added", tg_id=own.tg_id)
        assert own.tg_id in await bot.services.repos.users.coordinator_ids()
        told = await bot.server.wait_for(lambda: next((r for r in first.received() if r.text == EN(
            "coordinators.request_approved", decider=second.tg_id, tg_id=own.tg_id)), None))
        assert told
        welcome = await bot.server.wait_for(lambda: next((
            r for r in own.received() if r.text == EN("coordinators.welcome")), None))
        assert welcome
        after = await _audit_rows(bot)
        stale = await second.press("Approve", request)
        assert stale.text == EN("coordinators.request_decided", tg_id=own.tg_id)
        assert await _audit_rows(bot) == after
        await first.press("Add", (await first.send("/coordinators")).last)
        await first.send(str(bob.tg_id))
        request = await bot.server.wait_for(lambda: next((
            r for r in second.received() if r.text == EN(
                "coordinators.approval_request", requester=first.tg_id, tg_id=bob.tg_id)), None))
        rejected = await second.press("Reject", request)
        assert rejected.text == EN("coordinators.rejected", tg_id=bob.tg_id)
        assert await bot.services.repos.users.get(bob.tg_id) is None
        assert (await _audit_rows(bot))[-4:] == [
            (first.tg_id, "coordinator.request", f"user:{own.tg_id}"),
            (second.tg_id, "coordinator.grant", f"user:{own.tg_id}"),
            (first.tg_id, "coordinator.request", f"user:{bob.tg_id}"),
            (second.tg_id, "coordinator.reject", f"user:{bob.tg_id}"),
        ]


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
