"""End to end: granting and revoking coordinators in the bot and from the CLI; /audit."""

from __future__ import annotations

import asyncio
import os
import sys

from bot.i18n import texts
from tests.conftest import COORDINATOR_ID
from tests.harness import BotUnderTest, button_labels

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


def _plain(html: str) -> str:
    return html.replace("<i>", "").replace("</i>", "")


async def _cli(*args: str, database) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"PATH": os.environ["PATH"], "DATABASE_PATH": str(database)})
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
    import sqlite3

    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT actor_id, action, target FROM audit_log ORDER BY id").fetchall()
    assert rows == [(None, "coordinator.grant", "user:77"), (None, "coordinator.grant", "user:78"),
                    (None, "coordinator.revoke", "user:77")]
