"""End to end: /mydata, /forget, and the flood limit."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from bot.infra.i18n import texts
from tests.conftest import COORDINATOR_ID, running_bot
from tests.e2e.orgs import seed_organisation
from tests.harness import BotUnderTest, Person, Replies

# Also on PostgreSQL (tests/conftest.py: backend).
pytestmark = pytest.mark.usefixtures("backend")

EN, RU = texts("en"), texts("ru")


async def test_mydata_sends_everything_stored_as_json(bot: BotUnderTest) -> None:
    olga = bot.person("ru")
    await seed_organisation(bot, "Free Voices", olga)
    await olga.send("/settings")
    await olga.press("Город")
    await olga.send("Тбилиси")
    await olga.send("/invite")
    await olga.send("/settings")
    await olga.press("Страна")
    reply = await olga.send("/mydata")
    document = reply.messages[0]
    assert reply.last.text.startswith("Вы ещё не ответили на вопрос")  # the country question
    assert document.filename == "mydata.json"
    assert document.caption == texts("ru")("mydata.caption")
    data = json.loads(document.document)
    assert data["user"]["telegram_id"] == olga.tg_id
    assert data["user"]["client_language"] == "ru"
    assert data["user"]["city"] == "Тбилиси"
    assert data["membership"]["organisation"] == "Free Voices"
    assert data["organisation_applications"][0]["name"] == "Free Voices"
    assert len(data["invites_created"]) == 1
    assert data["dialogue_in_progress"]["flow"] == "set_country"
    assert "token" not in json.dumps(data)


async def test_forget_deletes_the_person_and_keeps_their_posts(bot: BotUnderTest) -> None:
    olga, ivan = bot.person("en"), bot.person("en")
    org_id = await seed_organisation(bot, "Free Voices", olga)
    await ivan.send("/start")
    await bot.services.repos.organisations.add_member(ivan.tg_id, org_id, bot.clock.now())
    await olga.send("/invite")
    confirm = await olga.send("/forget")
    assert confirm.text == EN("forget.confirm")
    assert (await olga.press("Cancel")).text == EN("forget.kept")
    assert await bot.services.repos.users.get(olga.tg_id) is not None
    await olga.send("/forget")
    assert (await olga.press("Delete my data")).text == EN("forget.done")
    database = bot.services.database
    assert await bot.services.repos.users.get(olga.tg_id) is None
    assert await database.fetch_value(
        "SELECT count(*) FROM memberships WHERE tg_id = ?", (olga.tg_id,)) == 0
    organisation = await bot.services.repos.organisations.get(org_id)
    assert organisation.name == "Free Voices" and organisation.applicant_id is None
    assert await database.fetch_value(
        "SELECT count(*) FROM invites WHERE created_by IS NULL") == 1
    assert await database.fetch_value(
        "SELECT count(*) FROM dialogues WHERE tg_id = ?", (olga.tg_id,)) == 0
    assert await bot.services.repos.organisations.members(org_id) == [ivan.tg_id]


async def test_last_organiser_is_warned_first(bot: BotUnderTest) -> None:
    olga = bot.person("en")
    await seed_organisation(bot, "Free Voices", olga)
    reply = await olga.send("/forget")
    assert reply.text.startswith(EN("forget.last_organiser", name="Free Voices"))
    assert reply.text.endswith(EN("forget.confirm"))


async def test_a_flood_of_100_messages_gets_at_most_21_replies(bot: BotUnderTest) -> None:
    flooder, calm = bot.person("en"), bot.person("en")
    for number in range(100):
        bot.server.user_sends(flooder.tg_id, f"/help {number}")
    await bot.settle()
    replies = flooder.received()
    assert len(replies) == 21
    assert replies[-1].text == EN("flood.warning")
    assert sum(reply.text == EN("flood.warning") for reply in replies) == 1
    assert await bot.services.database.fetch_value(
        "SELECT count(*) FROM processed_updates") == 20
    assert (await calm.send("/help")).text.startswith("What I can do")
    bot.clock.advance(seconds=10)
    assert (await flooder.send("/help")).text.startswith("What I can do")


async def test_forget_forgets_the_flood_window_too(bot: BotUnderTest) -> None:
    """The window counts a person's latest updates; /forget leaves no trace of them, also not
    the window of the very update that asked (on PostgreSQL written after it is handled)."""
    person = bot.person("en")
    for number in range(18):
        bot.server.user_sends(person.tg_id, f"/help {number}")
    await bot.settle()
    await person.send("/forget")
    assert (await person.press("Delete my data")).text == EN("forget.done")
    assert await bot.services.database.fetch_value(
        "SELECT count(*) FROM flood_windows") == 0
    # 20 updates so far: without a fresh window the next would be the 21st, refused.
    for _ in range(3):
        assert (await person.send("/help")).text.startswith("What I can do")


async def test_mydata_includes_offers_rsvps_posts_and_alerts(bot: BotUnderTest) -> None:
    olga, helper = bot.person("en"), bot.person("en")
    await helper.send("/start")
    org_id = await seed_organisation(bot, "Free Voices", olga)
    repos, now = bot.services.repos, bot.clock.now()
    need_id = await repos.needs.create(org_id, olga.tg_id, {
        "title": "Lawyer needed", "description": "d", "category": "legal",
        "urgency": "normal", "country": "DE", "private_details": "case 7"}, now)
    await repos.needs.add_offer(need_id, helper.tg_id, "I can", "helper_name", now)
    await repos.needs.toggle_alert(helper.tg_id, "legal")
    event_id = await repos.events.create(org_id, olga.tg_id, {
        "title": "Vigil", "description": "d", "kind": "rally",
        "starts_at": now + timedelta(days=3), "ends_at": None, "timezone": "Europe/Berlin",
        "country": "DE", "city": "Berlin", "venue": "Square", "disclosure": "public"}, now)
    await repos.events.set_answer(event_id, helper.tg_id, "going", now)
    helper_data = json.loads((await helper.send("/mydata")).last.document)
    assert helper_data["critical_need_alerts"] == ["legal"]
    assert [(o["need"], o["message"], o["shared_username"]) for o in
            helper_data["offers_of_help"]] == [("Lawyer needed", "I can", "helper_name")]
    assert [(r["event"], r["answer"]) for r in helper_data["rsvps"]] == [("Vigil", "going")]
    assert "case 7" not in json.dumps(helper_data)
    olga_data = json.loads((await olga.send("/mydata")).last.document)
    assert [n["title"] for n in olga_data["needs_posted"]] == ["Lawyer needed"]
    assert [e["title"] for e in olga_data["events_posted"]] == ["Vigil"]


async def test_the_flood_warning_speaks_the_language_chosen_in_the_bot(
    bot: BotUnderTest,
) -> None:
    boris = bot.person("en")
    await boris.send("/language")
    await boris.press("Русский")
    bot.clock.advance(seconds=10)
    for number in range(25):
        bot.server.user_sends(boris.tg_id, f"/help {number}")
    await bot.settle()
    assert boris.received()[-1].text == RU("flood.warning")


# --- /forget really forgets (issue 12, item 5) ---------------------------------------------

OLGA_ID = 7_000_001  # far from any other number the database holds, so a scan finds only her


async def _forget(person: Person) -> Replies:
    await person.send("/forget")
    return await person.press("Delete my data")


async def _tables_naming(bot: BotUnderTest, value: int) -> list[str]:
    """Every `table.column` of the database holding this value, views included."""
    database = bot.services.database
    if database.dialect == "postgres":
        columns = [tuple(row) for row in await database.fetch_all(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public'")]
    else:
        columns = []
        for (table,) in await database.fetch_all(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"):
            columns += [(table, column["name"]) for column in
                        await database.fetch_all(f"PRAGMA table_info({table})")]
    found = []
    for table, name in columns:
        if await database.fetch_value(
                f"SELECT count(*) FROM {table} WHERE CAST({name} AS TEXT) LIKE ?",
                (f"%{value}%",)):
            found.append(f"{table}.{name}")
    return found


async def test_forget_leaves_nothing_naming_the_person_and_the_broadcast_goes_on(
    bot: BotUnderTest,
) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    olga, ivan = bot.person("en", tg_id=OLGA_ID), bot.person("en")
    await seed_organisation(bot, "Free Voices", olga)
    await seed_organisation(bot, "Memorial Circle", ivan)
    await coordinator.send("/coordinators")
    await coordinator.press("Add")
    await coordinator.send(str(olga.tg_id))
    await coordinator.press("Yes")
    await olga.press("Label", (await olga.send("/settings")).last)
    await olga.send("Olga, Free Voices")
    before = (await coordinator.send("/audit")).text
    assert before.splitlines()[1].endswith(
        "· coordinator #1 · made coordinator · Olga, Free Voices")
    await olga.send("/invite")
    await olga.send("/announce")
    await olga.send("Vigil on Friday")
    await olga.press("Organisers")
    await olga.send("2026-11-30 15:00")
    status = await olga.press("Send")
    assert status.text.startswith("Announcement 1: ")
    assert (await _forget(olga)).text == EN("forget.done")
    forgotten_at = len(bot.server.outbox)

    bot.clock.advance(hours=6)
    bot.services.delivery.wake()
    [broadcast] = await bot.services.repos.announcements.recent(1)
    assert (await bot.services.delivery.finished(broadcast.id)).status == "done"
    assert [r.text for r in ivan.received()].count("Vigil on Friday") == 1
    await bot.settle()
    assert not [r for r in bot.server.outbox[forgotten_at:] if r.chat_id == olga.tg_id]

    audit = (await coordinator.send("/audit")).text
    assert str(olga.tg_id) not in audit
    forgotten = EN("audit.forgotten", number=2)
    lines = audit.splitlines()
    assert lines[1].endswith(f"· {forgotten} · created broadcast · broadcast:{broadcast.id}")
    assert lines[2].endswith(f"· {forgotten} · created invite · org:1")
    assert lines[3].endswith(f"· coordinator #1 · made coordinator · {forgotten}")
    # /forget took her label with her.
    assert "Olga" not in audit
    # A message to her that was in flight at that moment goes with the daily clean-up.
    await bot.application.job_queue.get_jobs_by_name("retention")[0].run(bot.application)
    assert await _tables_naming(bot, olga.tg_id) == []

    # Shutdown stops the sender and closes the database, whatever the reporters went through.
    await bot.services.close()
    with pytest.raises(RuntimeError, match="not open"):
        await bot.services.database.fetch_value("SELECT 1")


async def test_the_last_coordinator_cannot_forget(bot: BotUnderTest) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    refused = await coordinator.send("/forget")
    assert refused.text == EN("forget.last_coordinator")
    assert not refused.last.reply_markup
    assert (await coordinator.press_forged("forget:yes")).text == EN("forget.last_coordinator")
    assert (await bot.services.repos.users.get(COORDINATOR_ID)).is_coordinator


async def test_a_place_freed_by_forget_goes_to_the_first_waiting(bot: BotUnderTest) -> None:
    olga, going, waiting = bot.person("en"), bot.person("en"), bot.person("en")
    org_id = await seed_organisation(bot, "Free Voices", olga)
    repos, now = bot.services.repos, bot.clock.now()
    event_id = await repos.events.create(org_id, olga.tg_id, {
        "title": "Vigil", "description": "d", "kind": "rally",
        "starts_at": now + timedelta(days=3), "ends_at": None, "timezone": "Europe/Berlin",
        "country": "DE", "city": "Berlin", "venue": "Square", "disclosure": "public",
        "capacity": 1}, now)
    await going.send("/start")
    await waiting.send("/start")
    await repos.events.set_answer(event_id, going.tg_id, "going", now)
    await repos.events.set_answer(event_id, waiting.tg_id, "waiting", now)
    await _forget(going)
    told = await bot.server.wait_for(lambda: next((
        r for r in waiting.received()
        if r.text == EN("rsvp.promoted_venue", title="Vigil", venue="Square")), None))
    assert told
    assert await repos.events.answer_of(event_id, waiting.tg_id) == "going"


async def test_mydata_lists_a_coordinators_records(bot: BotUnderTest) -> None:
    coordinator = bot.person("en", tg_id=COORDINATOR_ID)
    olga, anna = bot.person("en"), bot.person("en")
    await seed_organisation(bot, "Free Voices", olga)
    repos, now = bot.services.repos, bot.clock.now()
    await coordinator.send("/coordinators")
    await coordinator.press("Add")
    await coordinator.send(str(anna.tg_id))
    await coordinator.press("Yes")
    pending = await seed_organisation(bot, "Memorial Circle", status="pending")
    await repos.organisations.add_approval(pending, COORDINATOR_ID, now)
    await repos.events.create_campaign({"title": "Memory Day", "description": "",
                                        "starts_on": "2026-12-01", "ends_on": "2026-12-02"},
                                       COORDINATOR_ID, now)
    await repos.digests.add_election("Elections", date(2027, 3, 1), "DE", COORDINATOR_ID, now,
                                    "Выборы")
    await coordinator.send("/announce")
    await coordinator.send("Vigil on Friday")
    await coordinator.press("Organisers")
    await coordinator.press("Skip")
    await coordinator.press("Send")
    [broadcast] = await repos.announcements.recent(1)
    await bot.services.delivery.finished(broadcast.id)
    await repos.announcements.set_approved_by(broadcast.id, anna.tg_id)
    mine = json.loads((await coordinator.send("/mydata")).last.document)
    assert [(a["text"], a["status"]) for a in mine["announcements_written"]] == [
        ("Vigil on Friday", "done")]
    assert [c["title"] for c in mine["campaigns_created"]] == ["Memory Day"]
    assert [(e["name"], e["name_ru"]) for e in mine["elections_added"]] == [
        ("Elections", "Выборы")]
    assert [(a["what"], a["name"]) for a in mine["approvals_given"]] == [
        ("organisation", "Memorial Circle")]
    assert [(e["action"], e["target"], e["by_you"]) for e in mine["audit_log_entries"]] == [
        ("coordinator.grant", f"user:{COORDINATOR_ID}", False),
        ("coordinator.grant", f"user:{anna.tg_id}", True),
        ("announce.create", f"broadcast:{broadcast.id}", True)]
    theirs = json.loads((await anna.send("/mydata")).last.document)
    assert [a["what"] for a in theirs["approvals_given"]] == ["announcement"]
    assert [e["action"] for e in theirs["audit_log_entries"]] == ["coordinator.grant"]
    olgas = json.loads((await olga.send("/mydata")).last.document)
    assert [(d["kind"], d["status"]) for d in olgas["messages_to_you_still_recorded"]] == [
        ("announcement", "sent")]


async def test_retention_forgets_expired_invites_and_venues_in_finished_reminders(
    bot: BotUnderTest,
) -> None:
    olga, helper = bot.person("en"), bot.person("en")
    org_id = await seed_organisation(bot, "Free Voices", olga)
    await olga.send("/invite")
    await helper.send("/start")
    repos, now = bot.services.repos, bot.clock.now()
    event_id = await repos.events.create(org_id, olga.tg_id, {
        "title": "Vigil", "description": "d", "kind": "rally",
        "starts_at": now + timedelta(days=2), "ends_at": None, "timezone": "Europe/Berlin",
        "country": "DE", "city": "Berlin", "venue": "Back room, Lindenstr. 9",
        "disclosure": "public"}, now)
    await repos.events.set_answer(event_id, helper.tg_id, "going", now)
    await repos.events.set_dues(event_id, {"remind_24h": now + timedelta(minutes=1)})
    bot.clock.advance(minutes=2)
    jobs = bot.application.job_queue
    await jobs.get_jobs_by_name("event-dues")[0].run(bot.application)
    bot.services.delivery.wake()
    reminder = await bot.server.wait_for(lambda: next((
        r for r in helper.received() if "Lindenstr. 9" in (r.text or "")), None))
    assert reminder
    database = bot.services.database
    for (broadcast_id,) in await database.fetch_all(
            "SELECT id FROM broadcasts WHERE kind = 'reminder'"):
        await bot.services.delivery.finished(broadcast_id)
    retention = jobs.get_jobs_by_name("retention")[0]
    await retention.run(bot.application)
    assert await database.fetch_value(
        "SELECT count(*) FROM broadcasts WHERE text LIKE '%Lindenstr%'") == 0
    assert await database.fetch_value("SELECT count(*) FROM invites") == 1
    bot.clock.advance(hours=72)
    await retention.run(bot.application)
    assert await database.fetch_value("SELECT count(*) FROM invites") == 0


async def test_a_coordinator_request_is_in_mydata_and_gone_after_forget(
    server, make_settings, clock,
) -> None:
    settings = make_settings(broadcast_approvals_required=1,
                             coordinator_ids=frozenset({COORDINATOR_ID, 901}))
    async with running_bot(server, settings, clock) as bot:
        first, second = bot.person("en", tg_id=COORDINATOR_ID), bot.person("en", tg_id=901)
        candidate, other = bot.person("en"), bot.person("en")
        await second.send("/start")
        for person in (candidate, other):
            await person.send("/start")
        for person in (candidate, other):
            await first.press("Add", (await first.send("/coordinators")).last)
            await first.send(str(person.tg_id))
            await first.press("Yes")
        requester = await bot.services.members.name(EN, COORDINATOR_ID)
        request = await bot.server.wait_for(lambda: next((
            r for r in second.received() if r.text == EN(
                "coordinators.approval_request", requester=requester,
                person=EN("coordinators.account", tg_id=other.tg_id))), None))
        await second.press("Reject", request)
        data = json.loads((await candidate.send("/mydata")).last.document)
        assert [(r["status"], r["about_you"], r["asked_by_you"]) for r in
                data["coordinator_requests"]] == [("pending", 1, 0)]
        decided = json.loads((await second.send("/mydata")).last.document)
        assert [(r["status"], r["decided_by_you"]) for r in
                decided["coordinator_requests"]] == [("rejected", 1)]
        # Nothing in flight to them (that waits for retention: test_forget_… above).
        await bot.services.delivery.drain()
        await _forget(candidate)
        await _forget(second)
        assert await _tables_naming(bot, candidate.tg_id) == []
        assert await _tables_naming(bot, 901) == []
