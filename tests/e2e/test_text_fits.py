"""Property, end to end: for any stored titles, descriptions and names at their maximum length,
in any script (astral emoji, combining marks, Cyrillic, Arabic, HTML-special characters), every
message the bot composes from them fits Telegram and the sandbox server accepts it."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from bot.conversation.text import clean_line, clean_text, fits
from bot.infra.config import load_settings
from bot.sandbox.server import BotApiServer
from tests.conftest import COORDINATOR_ID, running_bot
from tests.harness import BotUnderTest, FakeClock, Person

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
# Characters that are long in UTF-16 or in HTML, or that stack: astral emoji (one with a skin
# tone and a zero-width joiner), combining marks, Cyrillic, Arabic, and what HTML escapes.
SPECIAL = ["🕯", "🗳", "👩🏽‍⚖️", "\u0301", "\u0489", "ё", "Я", "ع", "ﷺ", "<", ">", "&", "\"", " "]
CHARACTERS = st.one_of(
    st.sampled_from(SPECIAL),
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp")))


def _stored(maximum: int, multiline: bool = False) -> st.SearchStrategy[str]:
    """A value as a dialogue would have stored it (cleaned), padded to its maximum length."""
    clean = clean_text if multiline else clean_line

    def full(drawn: str) -> str:
        value = clean(drawn)
        return (value + "🕯" * maximum)[:maximum]

    return st.lists(CHARACTERS, min_size=1, max_size=maximum).map("".join).map(full)


STORED = st.fixed_dictionaries({
    "org_name": _stored(80), "org_description": _stored(1000, multiline=True),
    "city": _stored(80), "title": _stored(120), "description": _stored(2000, multiline=True),
    "private": _stored(1000, multiline=True), "venue": _stored(300, multiline=True),
    "campaign": _stored(120),
})


async def _seed(bot: BotUnderTest, organiser: Person, value: dict[str, str]) -> dict[str, int]:
    repos, now = bot.services.repos, bot.clock.now()
    await repos.users.ensure(organiser.tg_id, now)
    org_id = await repos.organisations.create(
        name=value["org_name"], description=value["org_description"], country="DE",
        city=value["city"], website="https://example.org/" + "a" * 180,
        applicant_id=organiser.tg_id, now=now)
    await repos.organisations.set_status(org_id, "approved", now, expected="pending")
    await repos.organisations.add_member(organiser.tg_id, org_id, now)
    campaign_id = await repos.events.create_campaign({
        "title": value["campaign"], "description": value["description"],
        "starts_on": "2026-12-05", "ends_on": "2026-12-06"}, COORDINATOR_ID, now)
    ids = {"org": org_id, "campaign": campaign_id}
    for number in range(8):
        ids["need"] = await repos.needs.create(org_id, organiser.tg_id, {
            "title": value["title"], "description": value["description"],
            "private_details": value["private"], "category": "legal",
            "urgency": ("normal", "urgent", "critical")[number % 3], "country": "DE",
            "city": value["city"]}, now)
        ids["event"] = await repos.events.create(org_id, organiser.tg_id, {
            "campaign_id": campaign_id, "title": value["title"],
            "description": value["description"], "kind": "commemoration",
            "starts_at": now + timedelta(days=3, minutes=number), "ends_at": None,
            "timezone": "Europe/Berlin", "country": "DE", "city": value["city"],
            "venue": value["venue"], "disclosure": "public"}, now)
    return ids


async def _every_message_fits(value: dict[str, str]) -> None:
    server = BotApiServer()
    await server.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            configured = load_settings(
                telegram_bot_token=SecretStr(server.token),
                telegram_api_base_url=server.base_url, database_path=Path(folder) / "bot.db",
                coordinator_ids=frozenset({COORDINATOR_ID}))
            async with running_bot(server, configured, FakeClock(START)) as bot:
                member, organiser = bot.person("en"), bot.person("ru")
                coordinator = bot.person("en", tg_id=COORDINATOR_ID)
                ids = await _seed(bot, organiser, value)
                await bot.services.repos.users.ensure(member.tg_id, START)
                await bot.services.repos.events.set_answer(ids["event"], member.tg_id, "going",
                                                           START)
                actions = [
                    (member, "/needs"), (member, f"nd:o:{ids['need']}"), (member, "/events"),
                    (member, f"ev:o:{ids['event']}"), (member, "/campaigns"),
                    (member, f"cp:o:{ids['campaign']}"), (member, "/digest"), (member, "/myevents"),
                    (organiser, "/myneeds"), (organiser, f"mn:o:{ids['need']}"),
                    (organiser, "/myevents"), (organiser, f"me:o:{ids['event']}"),
                    (organiser, f"cp:o:{ids['campaign']}"), (organiser, "/digest"),
                    (coordinator, "/orgs"), (coordinator, f"orgs:o:{ids['org']}"),
                ]
                for person, action in actions:
                    replies = await (person.send(action) if action.startswith("/")
                                     else person.press_forged(action))
                    # The sandbox refuses what Telegram would: a refused text is no reply.
                    assert replies.messages, action
                    for record in replies.messages:
                        assert fits(record.html or ""), action
    finally:
        await server.stop()


@settings(max_examples=6, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(STORED)
def test_every_composed_message_fits_and_is_accepted(value: dict[str, str]) -> None:
    asyncio.run(_every_message_fits(value))
