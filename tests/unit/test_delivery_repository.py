"""Storage of the delivery queue: creating, claiming with leases, outcomes, counters, cancel."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.database import Connection, Database
from storage.deliveries import (
    CHUNK,
    Broadcast,
    ClaimedDelivery,
    DeliveryRepository,
    Outcome,
    Result,
)
from tests.harness import FakeClock

LEASE = timedelta(minutes=5)


pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
def repo(database: Database) -> DeliveryRepository:
    return DeliveryRepository(database)


async def add_members(database: Database, ids, *, country: str | None = None,
                      active: bool = True) -> None:
    async with database.transaction() as connection:
        await connection.executemany(
            "INSERT INTO users (tg_id, country, is_active, created_at) VALUES (?, ?, ?, ?)",
            [(tg_id, country, int(active), "2026-11-01T00:00:00+00:00") for tg_id in ids],
        )


async def rows(database: Database, broadcast_id: int) -> dict[int, dict]:
    found = await database.fetch_all(
        "SELECT * FROM deliveries WHERE broadcast_id = ? ORDER BY chat_id", (broadcast_id,))
    return {row["chat_id"]: dict(row) for row in found}


async def check_counters(database: Database, broadcast: Broadcast) -> None:
    """The counters account for every row: what is not settled is still queued or in flight."""
    open_rows = await database.fetch_value(
        "SELECT count(*) FROM deliveries WHERE broadcast_id = ? AND status IN "
        "('queued', 'sending')", (broadcast.id,))
    assert broadcast.pending == open_rows


async def claim(repo: DeliveryRepository, clock: FakeClock, limit: int = 100):
    return await repo.claim(clock.now(), limit=limit, lease=LEASE)


async def test_everyone_is_every_active_member_and_a_country_is_a_subset(
    database: Database, repo: DeliveryRepository, clock: FakeClock
) -> None:
    await add_members(database, [1, 2, 3], country="DE")
    await add_members(database, [4, 5], country="GE")
    await add_members(database, [6], country="DE", active=False)
    everyone = await repo.create(kind="announcement", text="Hi", audience="everyone",
                                 now=clock.now())
    germany = await repo.create(kind="announcement", text="Hallo", audience="country:DE",
                                now=clock.now(), author_id=1)
    assert sorted(await rows(database, everyone)) == [1, 2, 3, 4, 5]
    assert sorted(await rows(database, germany)) == [1, 2, 3]
    assert await repo.count_audience("everyone") == 5
    assert await repo.count_audience("country:GE") == 2
    broadcast = await repo.get(germany)
    assert (broadcast.kind, broadcast.audience, broadcast.author_id, broadcast.status) == (
        "announcement", "country:DE", 1, "scheduled")
    assert (broadcast.total, broadcast.pending, broadcast.not_before) == (3, 3, clock.now())
    for audience in ("nobody", "country:Germany", "everyone:1"):
        with pytest.raises(ValueError, match="unknown audience"):
            await repo.create(kind="announcement", text="x", audience=audience, now=clock.now())


async def test_explicit_recipients_are_streamed_deduplicated_and_skip_blocked_members(
    database: Database, repo: DeliveryRepository, clock: FakeClock
) -> None:
    await add_members(database, [7], active=False)
    recipients = (chat_id for chat_id in [*range(1, 2501), 5, 7])
    broadcast_id = await repo.create(kind="notice", text="Hi", recipients=recipients,
                                     now=clock.now())
    broadcast = await repo.get(broadcast_id)
    assert (broadcast.audience, broadcast.total) == ("direct", 2499)
    assert 7 not in await rows(database, broadcast_id)
    own = await repo.create(kind="digest", text="shared", audience="digest:ru",
                            recipients=[(1, "<b>one</b>"), (2, None)], now=clock.now())
    assert (await repo.get(own)).audience == "digest:ru"
    claimed = await claim(repo, clock, limit=3000)
    texts = {(d.broadcast_id, d.chat_id): d.text for d in claimed.deliveries}
    assert texts[own, 1] == "<b>one</b>" and texts[own, 2] == "shared"
    assert texts[broadcast_id, 2500] == "Hi"


async def test_explicit_recipients_cost_one_statement_a_chunk_not_one_a_row(
    database: Database, repo: DeliveryRepository, clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    statements: list[str] = []
    for connection_class in Connection.__subclasses__():
        for method in ("execute", "executemany"):
            original = getattr(connection_class, method)

            async def counted(self, sql, params=(), original=original):
                statements.append(sql)
                return await original(self, sql, params)

            monkeypatch.setattr(connection_class, method, counted)
    big = 4_000_000_001  # Telegram ids no longer fit in 32 bits
    recipients = [(big + n, f"own {n}", '{"k": 1}') for n in range(2 * CHUNK + 1)]
    broadcast_id = await repo.create(kind="digest", text="shared", recipients=recipients,
                                     now=clock.now())
    assert len(statements) == 2 + 3  # the broadcast, its total, and three chunks
    found = await rows(database, broadcast_id)
    assert len(found) == 2 * CHUNK + 1
    assert (found[big + CHUNK]["text"], found[big + CHUNK]["reply_markup"]) == (
        f"own {CHUNK}", '{"k": 1}')
    claimed = (await claim(repo, clock, limit=3 * CHUNK)).deliveries
    statements.clear()
    retry_at = clock.now() + timedelta(minutes=1)
    await repo.record([Outcome(delivery, Result.RETRY, f"timeout {delivery.chat_id}", retry_at)
                       if (delivery.chat_id - big) % 2 else Outcome(delivery, Result.SENT)
                       for delivery in claimed], clock.now(), wall=1.0)
    # Two results, two chunks each at most, the counters and the broadcast's end.
    assert len(statements) <= 2 * 2 + 3, statements
    found = await rows(database, broadcast_id)
    assert {row["status"] for chat, row in found.items() if (chat - big) % 2 == 0} == {"sent"}
    odd = found[big + 1]
    assert (odd["status"], odd["error"], odd["attempts"], odd["attempted_at"]) == (
        "queued", f"timeout {big + 1}", 1, 1.0)
    broadcast = await repo.get(broadcast_id)
    assert broadcast.sent == sum(1 for chat in found if (chat - big) % 2 == 0)


async def test_rows_are_written_in_the_callers_transaction(
    database: Database, repo: DeliveryRepository, clock: FakeClock
) -> None:
    with pytest.raises(RuntimeError):
        async with database.transaction():
            await repo.create(kind="notice", text="Hi", recipients=[1, 2], now=clock.now())
            raise RuntimeError("the action that caused the notice failed")
    assert await database.fetch_value("SELECT count(*) FROM broadcasts") == 0
    assert await database.fetch_value("SELECT count(*) FROM deliveries") == 0


async def test_claim_leases_due_rows_in_batches(
    database: Database, repo: DeliveryRepository, clock: FakeClock
) -> None:
    broadcast_id = await repo.create(kind="announcement", text="Hi", recipients=range(1, 6),
                                     now=clock.now())
    first = await claim(repo, clock, limit=3)
    assert [d.chat_id for d in first.deliveries] == [1, 2, 3]
    assert [b.id for b in first.started] == [broadcast_id]
    assert first.deliveries[0] == ClaimedDelivery(
        first.deliveries[0].id, broadcast_id, 1, "Hi", None, 0)
    stored = await rows(database, broadcast_id)
    assert stored[1]["status"] == "sending"
    assert stored[1]["lease_until"] == (clock.now() + LEASE).isoformat()
    assert stored[4]["status"] == "queued"
    second = await claim(repo, clock, limit=3)
    assert [d.chat_id for d in second.deliveries] == [4, 5]
    assert second.started == []
    assert (await claim(repo, clock)).deliveries == []
    assert (await repo.get(broadcast_id)).status == "sending"


async def test_an_expired_lease_is_claimed_again_and_counted_as_resent(
    database: Database, repo: DeliveryRepository, clock: FakeClock
) -> None:
    broadcast_id = await repo.create(kind="announcement", text="Hi", recipients=[1, 2],
                                     now=clock.now())
    leased = (await claim(repo, clock)).deliveries
    clock.advance(minutes=4)
    assert (await claim(repo, clock)).deliveries == []
    clock.advance(minutes=2)
    again = (await claim(repo, clock)).deliveries
    assert [d.chat_id for d in again] == [1, 2]
    assert {d.id for d in again} == {d.id for d in leased}
    broadcast = await repo.get(broadcast_id)
    assert (broadcast.resent, broadcast.pending) == (2, 2)
    await check_counters(database, broadcast)


async def test_rows_the_sender_still_holds_are_not_taken_back_when_the_clock_jumps(
    database: Database, repo: DeliveryRepository, clock: FakeClock
) -> None:
    broadcast_id = await repo.create(kind="announcement", text="Hi", recipients=[1, 2],
                                     now=clock.now())
    leased = (await claim(repo, clock)).deliveries
    clock.advance(days=1)
    held = {d.id for d in leased if d.chat_id == 1}
    again = (await repo.claim(clock.now(), limit=10, lease=LEASE, held=held)).deliveries
    assert [d.chat_id for d in again] == [2]
    assert (await rows(database, broadcast_id))[1]["status"] == "sending"
    assert (await repo.get(broadcast_id)).resent == 1


async def test_requeue_in_flight_takes_back_every_leased_row(
    database: Database, repo: DeliveryRepository, clock: FakeClock
) -> None:
    broadcast_id = await repo.create(kind="announcement", text="Hi", recipients=[1, 2, 3],
                                     now=clock.now())
    await claim(repo, clock, limit=2)
    assert await repo.requeue_in_flight(clock.now()) == 2
    assert {row["status"] for row in (await rows(database, broadcast_id)).values()} == {"queued"}
    assert (await repo.get(broadcast_id)).resent == 2
    assert len((await claim(repo, clock)).deliveries) == 3


async def test_outcomes_move_rows_and_counters_in_one_go(
    database: Database, repo: DeliveryRepository, clock: FakeClock
) -> None:
    await add_members(database, range(1, 7))
    broadcast_id = await repo.create(kind="announcement", text="Hi", audience="everyone",
                                     now=clock.now())
    by_chat = {d.chat_id: d for d in (await claim(repo, clock)).deliveries}
    retry_at = clock.now() + timedelta(seconds=30)
    finished = await repo.record([
        Outcome(by_chat[1], Result.SENT),
        Outcome(by_chat[2], Result.BLOCKED, "Forbidden: bot was blocked by the user"),
        Outcome(by_chat[3], Result.FAILED, "BadRequest: message is too long"),
        Outcome(by_chat[4], Result.RETRY, "TimedOut: Timed out", retry_at, uncertain=True),
        Outcome(by_chat[5], Result.RETRY, "NetworkError: Bad Gateway", retry_at),
        Outcome(by_chat[6], Result.POSTPONED),
    ], clock.now())
    assert finished == []
    stored = await rows(database, broadcast_id)
    assert {chat: (row["status"], row["attempts"]) for chat, row in stored.items()} == {
        1: ("sent", 0), 2: ("blocked", 0), 3: ("failed", 1), 4: ("queued", 1),
        5: ("queued", 1), 6: ("queued", 0)}
    assert stored[1]["sent_at"] == clock.now().isoformat()
    assert stored[3]["error"] == "BadRequest: message is too long"
    assert stored[5]["next_attempt_at"] == retry_at.isoformat()
    assert all(row["lease_until"] is None for row in stored.values())
    assert await database.fetch_value("SELECT is_active FROM users WHERE tg_id = 2") == 0
    broadcast = await repo.get(broadcast_id)
    assert (broadcast.sent, broadcast.blocked, broadcast.failed, broadcast.resent) == (1, 1, 1, 1)
    await check_counters(database, broadcast)

    # The postponed row is due at once, the retries only from retry_at.
    sixth = (await claim(repo, clock)).deliveries
    assert [d.chat_id for d in sixth] == [6]
    clock.set(retry_at)
    again = (await claim(repo, clock)).deliveries
    assert [(d.chat_id, d.attempts) for d in again] == [(4, 1), (5, 1)]
    done = await repo.record([Outcome(d, Result.SENT) for d in [*sixth, *again]], clock.now())
    assert [(b.id, b.status, b.sent, b.pending) for b in done] == [(broadcast_id, "done", 4, 0)]
    await check_counters(database, done[0])


async def test_a_broadcast_is_done_when_no_row_is_left_and_an_outcome_counts_once(
    database: Database, repo: DeliveryRepository, clock: FakeClock
) -> None:
    broadcast_id = await repo.create(kind="alert", text="Hi", recipients=[1, 2],
                                     now=clock.now())
    claimed = (await claim(repo, clock)).deliveries
    assert await repo.record([Outcome(claimed[0], Result.SENT)], clock.now()) == []
    clock.advance(seconds=3)
    done = await repo.record([Outcome(d, Result.SENT) for d in claimed], clock.now())
    assert [(b.id, b.status, b.sent, b.finished_at) for b in done] == [
        (broadcast_id, "done", 2, clock.now())]
    await check_counters(database, done[0])


async def test_a_broadcast_without_recipients_is_done_when_it_starts(
    repo: DeliveryRepository, clock: FakeClock
) -> None:
    broadcast_id = await repo.create(kind="announcement", text="Hi", audience="country:FR",
                                     now=clock.now())
    claimed = await claim(repo, clock)
    assert [b.id for b in claimed.started] == [broadcast_id]
    assert [(b.id, b.status, b.total) for b in claimed.finished] == [(broadcast_id, "done", 0)]


async def test_scheduled_broadcast_starts_when_the_clock_passes_not_before(
    repo: DeliveryRepository, clock: FakeClock
) -> None:
    later = clock.now() + timedelta(hours=2)
    broadcast_id = await repo.create(kind="reminder", text="Hi", recipients=[1], now=clock.now(),
                                     not_before=later)
    assert (await claim(repo, clock)).deliveries == []
    assert (await repo.get(broadcast_id)).status == "scheduled"
    clock.set(later)
    claimed = await claim(repo, clock)
    assert [d.chat_id for d in claimed.deliveries] == [1]
    assert (await repo.get(broadcast_id)).status == "sending"


async def test_drafts_wait_until_scheduled(repo: DeliveryRepository, clock: FakeClock) -> None:
    broadcast_id = await repo.create(kind="announcement", text="Hi", recipients=[1],
                                     now=clock.now(), status="awaiting_approval")
    assert (await claim(repo, clock)).deliveries == []
    assert await repo.schedule(broadcast_id, clock.now() + timedelta(seconds=60))
    assert not await repo.schedule(broadcast_id, clock.now())
    assert (await claim(repo, clock)).deliveries == []
    clock.advance(seconds=60)
    assert [d.chat_id for d in (await claim(repo, clock)).deliveries] == [1]
    with pytest.raises(ValueError, match="starts as one of"):
        await repo.create(kind="announcement", text="Hi", recipients=[1], now=clock.now(),
                          status="sending")


async def test_urgent_kinds_are_claimed_first(repo: DeliveryRepository, clock: FakeClock) -> None:
    digest = await repo.create(kind="digest", text="d", recipients=[1, 2], now=clock.now())
    announcement = await repo.create(kind="announcement", text="a", recipients=[1, 2],
                                     now=clock.now())
    reminder = await repo.create(kind="reminder", text="r", recipients=[1, 2], now=clock.now())
    claimed = (await claim(repo, clock, limit=5)).deliveries
    assert [d.broadcast_id for d in claimed] == [reminder, reminder, announcement,
                                                 announcement, digest]


async def test_cancel_stops_queued_rows_while_rows_in_flight_may_finish(
    database: Database, repo: DeliveryRepository, clock: FakeClock
) -> None:
    broadcast_id = await repo.create(kind="announcement", text="Hi", recipients=range(1, 6),
                                     now=clock.now())
    in_flight = (await claim(repo, clock, limit=3)).deliveries
    assert await repo.cancel(broadcast_id, clock.now())
    assert not await repo.cancel(broadcast_id, clock.now())
    assert (await claim(repo, clock)).deliveries == []
    await repo.record([Outcome(in_flight[0], Result.SENT),
                       Outcome(in_flight[1], Result.POSTPONED),
                       Outcome(in_flight[2], Result.RETRY, "NetworkError: x",
                               clock.now() + timedelta(seconds=30))], clock.now())
    broadcast = await repo.get(broadcast_id)
    assert (broadcast.status, broadcast.sent, broadcast.cancelled, broadcast.pending) == (
        "cancelled", 1, 4, 0)
    assert broadcast.finished_at == clock.now()
    await check_counters(database, broadcast)
    stored = await rows(database, broadcast_id)
    assert [row["status"] for row in stored.values()] == ["sent"] + ["cancelled"] * 4


async def test_cancelled_rows_whose_lease_expires_stay_cancelled(
    database: Database, repo: DeliveryRepository, clock: FakeClock
) -> None:
    broadcast_id = await repo.create(kind="announcement", text="Hi", recipients=[1, 2],
                                     now=clock.now())
    await claim(repo, clock, limit=1)
    await repo.cancel(broadcast_id, clock.now())
    clock.advance(minutes=6)
    await claim(repo, clock)
    broadcast = await repo.get(broadcast_id)
    assert (broadcast.cancelled, broadcast.resent, broadcast.pending) == (2, 0, 0)
    await check_counters(database, broadcast)


async def test_forget_deletes_a_persons_rows_and_counts_what_was_queued_as_cancelled(
    database: Database, repo: DeliveryRepository, clock: FakeClock
) -> None:
    first = await repo.create(kind="announcement", text="a", recipients=[1, 2], now=clock.now())
    delivered = (await claim(repo, clock)).deliveries
    await repo.record([Outcome(d, Result.SENT) for d in delivered if d.chat_id == 1],
                      clock.now())
    second = await repo.create(kind="announcement", text="b", recipients=[1], now=clock.now())
    third = await repo.create(kind="announcement", text="c", recipients=[1, 3], now=clock.now(),
                              not_before=clock.now() + timedelta(hours=1))
    assert await repo.forget(1, clock.now()) == 3
    assert await database.fetch_value(
        "SELECT count(*) FROM deliveries WHERE chat_id = 1") == 0
    assert (await repo.get(first)).sent == 1
    assert ((await repo.get(second)).cancelled, (await repo.get(second)).pending) == (1, 0)
    assert [b.id for b in (await claim(repo, clock)).finished] == [second]
    assert (await repo.get(third)).pending == 1
    for broadcast_id in (first, second, third):
        await check_counters(database, await repo.get(broadcast_id))


async def test_recent_lists_newest_first(repo: DeliveryRepository, clock: FakeClock) -> None:
    ids = [await repo.create(kind="notice", text=str(n), recipients=[n], now=clock.now())
           for n in range(3)]
    await repo.cancel(ids[1], clock.now())
    assert [b.id for b in await repo.recent(limit=2)] == [ids[2], ids[1]]
    assert [b.id for b in await repo.recent(status="cancelled")] == [ids[1]]
