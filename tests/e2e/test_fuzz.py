"""Fuzzing end to end: random updates of every sort through the sandbox server, with oracles.

Hypothesis draws, afresh on every run, sequences of actions by five people (a member, an
organiser, an organiser of another organisation, a helper who offered help, a coordinator):
texts with HTML, bidi and control characters, emoji and combining marks up to the longest a
field or a message takes, every command in any state, presses of buttons the person was sent,
and forged callback data made from the bot's own buttons with other ids. Between actions the
clock jumps (reminders, the venue reveal, "still needed?") and Telegram answers some sends with
403 or 429. After every action, over everything the bot sent:
- the need's private details reached only its organisers and the helper it accepted;
- a hidden venue reached only the event's organisers and Going members (for "Going only, hours
  before": from the reveal on);
- no handler failed (no error logged, no apology sent, no message refused as malformed);
- a forged privileged button pressed by someone not entitled to it changed nothing.
A failure prints the seed and the actions (hypothesis), so it can be replayed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import string
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from bot.conversation.roles import COMMANDS
from bot.features.events import event_dues
from bot.infra.config import load_settings
from bot.infra.i18n import texts
from bot.sandbox.errors import NOT_MODIFIED_DESCRIPTION
from bot.sandbox.records import SentRecord
from bot.sandbox.server import BotApiServer
from tests.conftest import COORDINATOR_ID, running_bot
from tests.e2e.orgs import seed_organisation
from tests.harness import BotUnderTest, FakeClock, buttons

# 6 x 200 = 1,200 updates a run, each example a fresh bot and database; about 20 s on one core.
EXAMPLES = 6
ACTIONS = 200
MEMBER, ORGANISER, OTHER_ORGANISER, HELPER = 2001, 2002, 2003, 2004
PEOPLE = (MEMBER, ORGANISER, OTHER_ORGANISER, HELPER, COORDINATOR_ID)
SECRET = "Safe flat: Lindenstr. 5, ring twice"
VENUE_GOING = "Cellar under the Blue Bakery"
VENUE_LATER = "Back room of the Old Library"
REVEAL_HOURS = 6
EDIT_REFUSALS = (NOT_MODIFIED_DESCRIPTION, "there is no text in the message to edit",
                 "message can't be edited")
APOLOGIES = {texts(language)("error.generic") for language in ("en", "ru")}

NASTY = ["<b>", "</i>", "<script>alert(1)</script>", "&amp;", "&", "<", ">", "\u202e", "\u2066",
         "\u200b", "\x00", "\x1b[31m", "\n", "\t", "🙂", "Ё", "'", '"', "{count}", "%s", "\\"]
# Every length limit of a field people type (labels, names, titles, venues, details and
# offers, descriptions), a message's 4,096, and one past each.
LIMITS = [2, 3, 40, 80, 120, 300, 1000, 2000, 4096]
WIDE = ["🙂", "👨‍👩‍👧‍👦", "🇩🇪", "🏳️‍🌈", "e\u0301", "\u0301\u0308", "Ё", "𝔘"]
LONGEST = st.tuples(st.sampled_from(WIDE), st.sampled_from(LIMITS), st.sampled_from([0, 1])).map(
    lambda drawn: (drawn[0] * (drawn[1] + drawn[2]))[:min(drawn[1] + drawn[2], 4096)])
TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(NASTY) | st.text(string.ascii_letters, max_size=5),
             max_size=12).map("".join),
    st.integers(1, 5000).map(lambda size: "x" * size),
    LONGEST,
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
            "offer:dc:", "mn:ful:", "mn:cls:", "mn:ed:", "mn:o:", "mn:of:", "mn:ef:1:",
            "need:no:", "need:yes:", "ev:o:", "rsvp:going:", "rsvp:not_going:", "ics:",
            "me:o:", "me:cx:", "me:cy:", "me:ed:", "me:ef:1:venue", "cp:o:", "lang:", "set:",
            "alert:", "forget:yes", "forget:no"]
# Mostly the ids of what the world holds (a need, an offer, events, organisations).
IDS = ["1", "1", "1", "1", "2", "2", "3", "0", str(COORDINATOR_ID), str(MEMBER), "999999", "ru",
       "xx", "~skip", "legal", "title"]
FORGED = st.one_of(
    st.tuples(st.sampled_from(PREFIXES), st.sampled_from(IDS)).map("".join),
    # A privileged button of what the world holds, pressed by whoever draws it.
    st.tuples(st.sampled_from([
        "offer:ac:", "offer:dc:", "mn:ful:", "mn:cls:", "need:no:", "me:cx:", "me:cy:",
        "org:su:", "org:ap:", "org:rj:", "coord:rm:", "bc:x:"]), st.sampled_from(["1", "2"])).map(
        "".join),
    # A button the bot sent anyone, its first number swapped for another id.
    st.tuples(st.integers(0, 10_000), st.sampled_from(IDS)))
ACTION = st.tuples(
    st.sampled_from(PEOPLE),
    st.one_of(st.tuples(st.just("send"), TEXT | COMMAND),
              st.tuples(st.just("press"), st.integers(0, 1000)),
              st.tuples(st.just("forge"), FORGED)),
    # Before the action: hours the clock jumps (then the recurring jobs run), mostly none.
    st.sampled_from([0] * 15 + [1, 3, 7, 20]),
    # Telegram refuses the next send to someone else than the one acting: 403 or 429.
    st.none() | st.none() | st.none() | st.tuples(st.sampled_from(PEOPLE),
                                                  st.sampled_from([403, 429])))
COORDINATOR_BUTTONS = ("org:", "orgs:", "coord:", "bc:", "bcs:")
ORGANISER_BUTTONS = {"mn:": "need", "need:no:": "need", "need:yes:": "need", "offer:": "offer",
                     "me:": "event"}
# Every row a refused privileged press must leave as it was (delivery progress excluded: the
# queue updates it on its own).
PRIVILEGED_STATE = {
    "organisations": "SELECT * FROM organisations",
    "approvals": "SELECT * FROM organisation_approvals",
    "memberships": "SELECT * FROM memberships",
    "invites": "SELECT * FROM invites",
    "coordinators": "SELECT tg_id FROM users WHERE is_coordinator = 1",
    "needs": "SELECT * FROM needs",
    "offers": "SELECT * FROM offers",
    "events": "SELECT * FROM events",
    "dues": "SELECT * FROM event_dues",
    "campaigns": "SELECT * FROM campaigns",
    "broadcasts": "SELECT id, kind, author_id, audience, text FROM broadcasts",
    "audit": "SELECT * FROM audit_log",
}


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class World:
    """What the fuzz seeded: two organisations, a need with two offers, two hidden venues."""

    def __init__(self, bot: BotUnderTest) -> None:
        self.bot = bot
        self.people = {tg_id: bot.person("en", tg_id=tg_id) for tg_id in PEOPLE}

    async def seed(self) -> None:
        bot, people = self.bot, self.people
        for person in people.values():
            await person.send("/start")
        self.org_id = await seed_organisation(bot, "Fuzz Org", people[ORGANISER])
        await seed_organisation(bot, "Other Org", people[OTHER_ORGANISER])
        repos, now = bot.services.repos, bot.clock.now()
        self.need_id = await repos.needs.create(self.org_id, ORGANISER, {
            "title": "Lawyer for a prisoner", "description": "Appeal hearing.",
            "category": "legal", "urgency": "urgent", "country": "DE", "city": "Berlin",
            "private_details": SECRET}, now)
        for helper in (HELPER, MEMBER):
            await repos.needs.add_offer(self.need_id, helper, "I can", None, now)
        self.events = {}
        for venue, disclosure, days, capacity in ((VENUE_GOING, "going", 2, 1),
                                                  (VENUE_LATER, "going_before", 3, None)):
            event_id = await repos.events.create(self.org_id, ORGANISER, {
                "title": f"Vigil {disclosure}", "description": "d", "kind": "rally",
                "starts_at": now + timedelta(days=days), "ends_at": None,
                "timezone": "Europe/Berlin", "country": "DE", "city": "Berlin", "venue": venue,
                "disclosure": disclosure, "disclose_hours": REVEAL_HOURS, "capacity": capacity},
                now)
            event = await repos.events.get(event_id)
            await repos.events.set_dues(event_id, event_dues(event))
            await repos.events.set_answer(event_id, HELPER, "going", now)
            self.events[venue] = event

    async def entitled(self) -> dict[str, set[int]]:
        """Who may see each secret now."""
        database, now = self.bot.services.database, self.bot.clock.now()
        organisers = {row[0] for row in await database.fetch_all(
            "SELECT m.tg_id FROM memberships m JOIN organisations o ON o.id = m.org_id "
            "WHERE m.org_id = ? AND o.status = 'approved'", (self.org_id,))}
        accepted = {row[0] for row in await database.fetch_all(
            "SELECT helper_id FROM offers WHERE need_id = ? AND status = 'accepted'",
            (self.need_id,))}
        allowed = {SECRET: organisers | accepted}
        for venue, event in self.events.items():
            going = {row[0] for row in await database.fetch_all(
                "SELECT tg_id FROM rsvps WHERE event_id = ? AND answer = 'going'", (event.id,))}
            revealed = event.disclosure == "going" or now >= event.starts_at - timedelta(
                hours=REVEAL_HOURS)
            allowed[venue] = organisers | (going if revealed else set())
        return allowed

    async def privileged_state(self) -> dict[str, list[tuple]]:
        database = self.bot.services.database
        return {name: [tuple(row) for row in await database.fetch_all(f"{query} ORDER BY 1")]
                for name, query in PRIVILEGED_STATE.items()}

    async def may_press(self, tg_id: int, data: str) -> bool | None:
        """Whether the person may press this privileged button; None if it is no such button."""
        database = self.bot.services.database
        if data.startswith(COORDINATOR_BUTTONS):
            return bool(await database.fetch_value(
                "SELECT is_coordinator FROM users WHERE tg_id = ?", (tg_id,)))
        kind = next((kind for prefix, kind in ORGANISER_BUTTONS.items()
                     if data.startswith(prefix)), None)
        number = re.search(r"\d+", data)
        if kind is None:
            return None
        owner = number and await database.fetch_value({
            "need": "SELECT org_id FROM needs WHERE id = ?",
            "offer": "SELECT n.org_id FROM offers o JOIN needs n ON n.id = o.need_id "
                     "WHERE o.id = ?",
            "event": "SELECT org_id FROM events WHERE id = ?"}[kind], (int(number.group()),))
        return owner is not None and owner == await database.fetch_value(
            "SELECT m.org_id FROM memberships m JOIN organisations o ON o.id = m.org_id "
            "WHERE m.tg_id = ? AND o.status = 'approved'", (tg_id,))


def _shown(record: SentRecord) -> str:
    """Everything a person sees of a message: text, caption, buttons, an attached file."""
    parts = [record.text or "", record.caption or "",
             json.dumps(record.reply_markup or {}, ensure_ascii=False)]
    if record.document:
        # iCalendar folds long lines with CRLF and a space.
        parts.append(record.document.decode("utf-8", "replace").replace("\r\n ", ""))
    return "\n".join(parts)


async def _settle_queue(bot: BotUnderTest) -> None:
    """Wait until every message the queue owes by now has been sent and recorded."""
    database, delivery = bot.services.database, bot.services.delivery
    now = bot.clock.now().isoformat()
    while await database.fetch_value(
            "SELECT count(*) FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id "
            "WHERE d.status IN ('queued', 'sending') AND b.status IN ('scheduled', 'sending') "
            "AND b.not_before <= ? AND d.next_attempt_at <= ?", (now, now)):
        delivery.wake()
        await asyncio.sleep(0.01)
    await delivery.drain()


async def _act(bot: BotUnderTest, world: World, tg_id: int, kind: str, value) -> None:
    person = world.people[tg_id]
    if kind == "send":
        await person.send(value)
    elif kind == "forge":
        if isinstance(value, tuple):
            seen = [button["callback_data"] for record in bot.server.outbox
                    for button in buttons(record) if "callback_data" in button]
            taken = seen[value[0] % len(seen)] if seen else "ev:o:1"
            value = re.sub(r"\d+", value[1], taken, count=1)
        allowed = await world.may_press(tg_id, value)
        before = None
        if allowed is False:
            # What the queue still owes would change on its own (a notice's text is forgotten
            # once delivered): it goes out first, so only the press can change the state.
            await _settle_queue(bot)
            before = await world.privileged_state()
        await person.press_forged(value)
        if before is not None:
            await _settle_queue(bot)
            assert await world.privileged_state() == before, f"{tg_id} forged {value!r}"
    else:
        with_buttons = [r for r in person.received() if buttons(bot.current(r))]
        if with_buttons:
            message = bot.current(with_buttons[-1 - value // 100 % min(3, len(with_buttons))])
            choices = buttons(message)
            data = choices[value % len(choices)]["callback_data"]
            await bot.act(person, lambda: bot.server.user_presses(tg_id, message.message_id,
                                                                   data))
        else:
            await person.send("/needs")  # one update for every action, all the same


async def _run(actions: list) -> None:
    server = BotApiServer()
    await server.start()
    errors = Errors()
    logging.getLogger().addHandler(errors)
    try:
        with tempfile.TemporaryDirectory() as directory:
            clock = FakeClock(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
            config = load_settings(
                telegram_bot_token=SecretStr(server.token), telegram_api_base_url=server.base_url,
                database_path=Path(directory) / "fuzz.db",
                coordinator_ids=frozenset({COORDINATOR_ID}), broadcast_cancel_window=0)
            async with running_bot(server, config, clock) as bot:
                await _fuzz(bot, actions, errors)
    finally:
        logging.getLogger().removeHandler(errors)
        await server.stop()


async def _fuzz(bot: BotUnderTest, actions: list, errors: Errors) -> None:
    world = World(bot)
    await world.seed()
    services = bot.services
    checked = len(bot.server.outbox)
    for step, (tg_id, (kind, value), hours, refusal) in enumerate(actions):
        if refusal is not None and refusal[0] != tg_id:
            bot.server.inject_error("sendMessage", chat_id=refusal[0], error_code=refusal[1])
        if hours:
            bot.clock.advance(hours=hours)
            await services.events.run_dues()
            await services.needs.housekeeping()
            await services.digests.tick()
        await _act(bot, world, tg_id, kind, value)
        await _settle_queue(bot)
        # A refusal meant for the queue must not fall on a later reply.
        bot.server.clear_errors()
        where = f"step {step}: {tg_id} {kind} {value!r}"
        assert [r.getMessage()[:300] for r in errors.records] == [], where
        # An edit Telegram refuses for the message's sake (already showing that, a file, too
        # old) the bot ignores or sends anew (handlers/common.edit); other 400s are malformed.
        assert [r for r in bot.server.rejected if r.error_code == 400
                and not r.description.endswith(EDIT_REFUSALS)] == [], where
        allowed = await world.entitled()
        for record in bot.server.outbox[checked:]:
            shown = _shown(record)
            assert record.text not in APOLOGIES, where
            for secret, chats in allowed.items():
                assert secret not in shown or record.chat_id in chats, (where, secret, record)
        checked = len(bot.server.outbox)
    database = services.database
    assert await database.fetch_value("PRAGMA integrity_check") == "ok"
    assert await database.fetch_all("PRAGMA foreign_key_check") == []
    flows = set(services.dialogues._flows)
    for row in await database.fetch_all("SELECT flow FROM dialogues"):
        assert row[0] in flows


@settings(max_examples=EXAMPLES, deadline=None, print_blob=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(actions=st.lists(ACTION, min_size=ACTIONS, max_size=ACTIONS))
def test_random_updates_leak_nothing_and_crash_nothing(actions) -> None:
    asyncio.run(_run(actions))
