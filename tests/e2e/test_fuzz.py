"""Fuzzing end to end: random updates of every sort through the sandbox server.

Hypothesis draws sequences of actions by three people (a member, an organiser, a coordinator):
texts with HTML, bidi and control characters, overlong strings, every command in any state,
real buttons, and forged callback data with other people's ids. Afterwards nothing may have
crashed, the server must not have rejected a single message, and the database must hold.
"""

from __future__ import annotations

import asyncio
import logging
import string
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from bot.config import load_settings
from bot.roles import COMMANDS
from bot.sandbox.server import BotApiServer
from tests.conftest import COORDINATOR_ID, running_bot
from tests.e2e.orgs import seed_organisation
from tests.harness import FakeClock, buttons

EXAMPLES = 5
ACTIONS = 220
PEOPLE = (2001, 2002, COORDINATOR_ID)
NASTY = ["<b>", "</i>", "<script>alert(1)</script>", "&amp;", "&", "<", ">", "\u202e", "\u2066",
         "\u200b", "\x00", "\x1b[31m", "\n", "\t", "🙂", "Ё", "'", '"', "{count}", "%s", "\\"]
TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(NASTY) | st.text(string.ascii_letters, max_size=5),
             max_size=12).map("".join),
    st.integers(1, 5000).map(lambda size: "x" * size),
    st.sampled_from(["DE", "Germany", "Грузия", "online", "2026-12-24", "31.02.2027",
                     "2026-12-05 10:00", "2027-03-28 02:30", "09:00", "25:00", "Europe/Berlin",
                     "Mars/Olympus", "https://example.org", "javascript:alert(1)", "0", "-1",
                     "999999999999999999", "Berlin"]),
).filter(lambda text: text.strip())  # a Telegram client sends no empty message
COMMAND = st.sampled_from([f"/{command.name}" for command in COMMANDS] + [
    "/start inv_" + "A" * 43, "/start inv_bad", "/nosuch", "/start@coalition_sandbox_bot"])
PREFIXES = ["d:title:", "d:preview:~pub", "d:preview:~cancel", "org:ap:", "org:rj:", "org:su:",
            "org:re:", "org:iv:", "orgs:p:", "orgs:o:", "coord:rm:", "coord:add", "bc:x:",
            "bc:ap:", "bcs:o:", "nd:o:", "nd:l:0:legal:DE:-", "need:help:", "offer:ac:",
            "offer:dc:", "mn:cls:", "mn:ef:1:", "need:no:", "ev:o:", "rsvp:going:", "ics:",
            "me:cx:", "cp:o:", "lang:", "set:", "alert:", "forget:yes", "forget:no"]
FORGED = st.tuples(st.sampled_from(PREFIXES),
                   st.sampled_from(["1", "2", "3", "0", str(COORDINATOR_ID), "2001", "999999",
                                    "ru", "xx", "~skip", "legal", "title"])).map("".join)
ACTION = st.tuples(
    st.sampled_from(PEOPLE),
    st.one_of(st.tuples(st.just("send"), TEXT | COMMAND),
              st.tuples(st.just("press"), st.integers(0, 20)),
              st.tuples(st.just("forge"), FORGED)))


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def _run(actions: list, tmp_path) -> None:
    server = BotApiServer()
    await server.start()
    errors = Errors()
    logging.getLogger().addHandler(errors)
    try:
        clock = FakeClock(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
        config = load_settings(
            telegram_bot_token=SecretStr(server.token), telegram_api_base_url=server.base_url,
            database_path=tmp_path / f"fuzz-{id(actions)}.db",
            coordinator_ids=frozenset({COORDINATOR_ID}), broadcast_cancel_window=0)
        async with running_bot(server, config, clock) as bot:
            people = {tg_id: bot.person("en", tg_id=tg_id) for tg_id in PEOPLE}
            for person in people.values():
                await person.send("/start")
            await seed_organisation(bot, "Fuzz Org", people[2002])
            for tg_id, (kind, value) in actions:
                person = people[tg_id]
                if kind == "send":
                    await person.send(value)
                elif kind == "forge":
                    await person.press_forged(value)
                else:
                    with_buttons = [r for r in person.received() if buttons(bot.current(r))]
                    if with_buttons:
                        message = bot.current(with_buttons[-1])
                        choices = buttons(message)
                        data = choices[value % len(choices)]["callback_data"]
                        await bot.act(person, lambda m=message, d=data, p=person: (
                            bot.server.user_presses(p.tg_id, m.message_id, d)))
            await bot.services.delivery.drain()
            database = bot.services.database
            assert await database.fetch_value("PRAGMA integrity_check") == "ok"
            assert await database.fetch_all("PRAGMA foreign_key_check") == []
            flows = set(bot.services.dialogues._flows)
            for row in await database.fetch_all("SELECT flow FROM dialogues"):
                assert row[0] in flows
        assert [r.getMessage()[:300] for r in errors.records] == []
        assert [r for r in server.rejected if r.error_code == 400] == []
    finally:
        logging.getLogger().removeHandler(errors)
        await server.stop()


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(actions=st.lists(ACTION, min_size=ACTIONS, max_size=ACTIONS))
def test_random_updates_crash_nothing_and_keep_the_database_whole(actions, tmp_path) -> None:
    asyncio.run(_run(actions, tmp_path))
