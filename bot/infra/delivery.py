"""The delivery queue: every mass send goes out through it, paced and resumable (SPEC §6.2)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from time import monotonic, time

from telegram import TelegramObject

from bot.infra.clock import Clock
from bot.infra.courier import Courier, Undelivered
from bot.infra.handling import GivesWay
from storage.deliveries import (
    CHANNEL,
    IN_PROCESS,
    Broadcast,
    Claim,
    ClaimedDelivery,
    DeliveryRepository,
    Kind,
    Outcome,
    Recipient,
    Result,
    Topic,
)

log = logging.getLogger("coalition.delivery")

MAX_ATTEMPTS = 5
KEEP_ROWS = timedelta(days=30)
FIRST_RETRY = timedelta(seconds=30)
# Far longer than a claimed row can wait in memory (a batch lasts about a second, a send times
# out within seconds, and a RetryAfter pause gives the batch back): only a sender that died
# without its process leaves a lease to expire.
LEASE = timedelta(minutes=5)
PER_CHAT_INTERVAL = 1.0
IDLE_POLL = 1.0
FLUSH_DELAY = 0.05
# How far pacing may catch up after the event loop was late: a burst of at most this long, so
# over any second the rate stays within 5 % (and one message) of the setting.
CATCH_UP = 0.05
# Send slots are reserved from the rate shared by every sender this many seconds at a time: the
# database is asked ten times a second, not once a message.
SLOT_BLOCK = 0.1
ERROR_PAUSE = 1.0


def window(rate: float) -> int:
    """How many sends may be in flight or accepted but not yet recorded, at most.

    Enough for 0.3 s of sending at `rate`; also the HTTP pool size. After a crash (kill -9) at
    most this many recipients can receive a message twice.
    """
    return max(16, math.ceil(rate * 0.3))


def courier_for(token: str, base_url: str, rate: float) -> Courier:
    """A Courier for a queue sending at `rate`, with a connection pool of its own, so that a
    broadcast never makes the Application's interactive replies wait for a connection."""
    return Courier(token, base_url, pool=window(rate))


class DeliveryQueue:
    """Sends broadcasts row by row: at most `rate` messages a second in all, one a second to
    any chat, several in flight at once, with memory flat in the number of recipients.

    Delivery is at least once. A row is marked sent only after Telegram accepted the message,
    and marks are written in batches every FLUSH_DELAY s; sends in flight plus sends accepted but
    not yet recorded never exceed `window(rate)`, so a crash makes at most that many recipients
    receive a message twice. Rows a crash left claimed come back counted as `resent`, an upper
    bound on those duplicates.

    Several queues (sender processes, each under its own `owner` name) may send from one
    database: the rate is a token bucket in the database and the pause between two messages to
    a chat is checked when rows are claimed, so both hold across senders. A queue starting
    takes back at once the rows a previous run under its name left in flight; a dead sender's
    rows come back to the others when their `lease` expires.

    Pacing and Telegram's RetryAfter pauses run on real time, since they are about Telegram's
    limits; leases, retries and scheduled starts use the injected clock, so tests drive them
    with a FakeClock and `wake()`.
    """

    def __init__(
        self,
        repository: DeliveryRepository,
        clock: Clock,
        *,
        rate: float = 25.0,
        owner: str = IN_PROCESS,
        lease: timedelta = LEASE,
        channel: str | None = None,
    ):
        """`channel`: the coalition's channel (CHANNEL_ID), where rows for CHANNEL go."""
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._repo = repository
        self._clock = clock
        self._owner = owner
        self._lease = lease
        self._interval = 1.0 / rate
        self._slot_block = math.ceil(rate * SLOT_BLOCK)
        self._window = window(rate)
        # A quarter second of sending: few rows sit claimed but unsent, should the process die.
        self._batch_size = max(10, min(500, math.ceil(rate / 4)))
        self._courier: Courier | None = None
        self._sender: asyncio.Task | None = None
        self._flusher: asyncio.Task | None = None
        self._stopping = False
        self._closing = False
        self._nudge = asyncio.Event()
        self._changed = asyncio.Event()
        self._outcomes_ready = asyncio.Event()
        self._batch: deque[ClaimedDelivery] = deque()
        self._sending: set[asyncio.Task] = set()
        # Ids of the rows claimed and not yet recorded, whose leases must not be taken back.
        self._held: set[int] = set()
        # Broadcasts cancelled while this queue runs (a few ids: people cancel by hand).
        self._cancelled: set[int] = set()
        self._outcomes: list[Outcome] = []
        self._unsettled = 0
        # The send slots reserved and not used yet: from _next_slot to _slots_end (Unix time).
        self._next_slot = self._slots_end = 0.0
        # The next batch and the next block of slots, asked for while the current ones are
        # used, so that sending never stops to wait for the database (see _claim_ahead).
        self._claiming: asyncio.Task[Claim] | None = None
        self._reserving: asyncio.Task[float] | None = None
        # Whether the last claim was a full batch: only then is there a next one to claim ahead.
        self._more = False
        self._paused_until = 0.0
        self._give_way: GivesWay | None = None
        # Until when sending does not give way, catching up on its last full wait.
        self._catching_up_until = 0.0
        self._channel = channel
        self._on_channel_lost: Callable[[str], Awaitable[None]] | None = None

    async def enqueue(
        self,
        *,
        kind: Kind,
        text: str,
        audience: str | None = None,
        recipients: Iterable[Recipient] | None = None,
        author_id: int | None = None,
        not_before: datetime | None = None,
        reply_markup: str | TelegramObject | None = None,
        status: str = "scheduled",
        topic: Topic | None = None,
        channel: bool = False,
        channel_subject: str | None = None,
    ) -> int:
        """Write a broadcast and a row per recipient (see DeliveryRepository.create).

        It goes out once the queue runs and `not_before` (default: now) has come. `text` is
        Telegram HTML; `reply_markup` an InlineKeyboardMarkup or its JSON. Inside a caller's
        transaction the rows exist if and only if it commits.
        """
        if isinstance(reply_markup, TelegramObject):
            reply_markup = reply_markup.to_json()
        broadcast_id = await self._repo.create(
            kind=kind, text=text, now=self._clock.now(), audience=audience,
            recipients=recipients, author_id=author_id, not_before=not_before,
            reply_markup=reply_markup, status=status, topic=topic, channel=channel,
            channel_subject=channel_subject,
        )
        self.wake()
        return broadcast_id

    async def cancel(self, broadcast_id: int) -> bool:
        """Cancel a broadcast: nothing more of it goes out beyond the sends already in flight."""
        if not await self._repo.cancel(broadcast_id, self._clock.now()):
            return False
        # Also withdraws rows of a claim that committed just before the cancel did but has not
        # reached the batch yet (see _claim_or_idle).
        self._cancelled.add(broadcast_id)
        held = [d for d in self._batch if d.broadcast_id == broadcast_id]
        self._batch = deque(d for d in self._batch if d.broadcast_id != broadcast_id)
        await self._withdraw(held)
        log.info("broadcast %d cancelled", broadcast_id)
        self._notify()
        return True

    async def _withdraw(self, deliveries: list[ClaimedDelivery]) -> None:
        """Record claimed rows of cancelled broadcasts as cancelled, unsent."""
        try:
            await self._repo.record(
                [Outcome(d, Result.CANCELLED) for d in deliveries], self._clock.now())
        finally:
            self._held.difference_update(d.id for d in deliveries)

    async def prune(self) -> int:
        """Forget who received broadcasts that ended KEEP_ROWS ago (the least, kept the least)."""
        return await self._repo.prune(self._clock.now() - KEEP_ROWS)

    def wake(self) -> None:
        """Look for due work now, not at the next poll (after enqueueing, or moving the clock)."""
        self._nudge.set()

    async def start(self, courier: Courier) -> None:
        """Start sending through `courier`; broadcasts a previous run left unfinished resume at
        once."""
        if self._sender is not None:
            raise RuntimeError("the delivery queue is already running")
        await courier.open()
        self._courier = courier
        requeued = await self._repo.requeue_in_flight(self._clock.now(), self._owner)
        if requeued:
            log.warning("%d sends were in flight when the previous run ended; they go out again",
                        requeued)
        for broadcast in await self._repo.recent(limit=1000, status="sending"):
            log.info("broadcast %d (%s) resumes: %d of %d left", broadcast.id, broadcast.kind,
                     broadcast.pending, broadcast.total)
        self._stopping = self._closing = False
        self._flusher = asyncio.create_task(self._flush_loop(), name="delivery-flush")
        self._sender = asyncio.create_task(self._send_loop(), name="delivery-send")

    async def stop(self) -> None:
        """Stop claiming, give back rows not yet sent, let sends in flight finish, record all."""
        if self._sender is None or self._flusher is None or self._courier is None:
            return
        self._stopping = True
        self._nudge.set()
        await self._sender
        try:
            await self._give_back()
        except Exception:
            log.exception("could not give back unsent rows; they return on the next start")
        if self._reserving is not None:
            reserving, self._reserving = self._reserving, None
            # Slots reserved and unused are merely lost to the rate for a tenth of a second.
            await asyncio.gather(reserving, return_exceptions=True)
        if self._sending:
            await asyncio.gather(*self._sending)
        self._closing = True
        self._outcomes_ready.set()
        await self._flusher
        await self._courier.close()
        self._sender = self._flusher = self._courier = None

    async def drain(self) -> None:
        """Wait until every send started so far has its outcome recorded."""
        while self._unsettled:
            await self._changed.wait()

    async def finished(self, broadcast_id: int) -> Broadcast:
        """Wait until a broadcast is done or cancelled; its final state.

        Also while another process sends it: then nothing here changes, and the database is
        read again every IDLE_POLL seconds.
        """
        while True:
            changed = self._changed
            broadcast = await self._repo.get(broadcast_id)
            if broadcast is None:
                raise LookupError(f"no broadcast {broadcast_id}")
            if broadcast.status in ("done", "cancelled"):
                return broadcast
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(IDLE_POLL):
                    await changed.wait()

    # --- the sender ---------------------------------------------------------------------------

    async def _send_loop(self) -> None:
        while not self._stopping:
            try:
                await self._send_next()
            except Exception:
                log.exception("the sender failed; it carries on in %s s", ERROR_PAUSE)
                try:
                    await self._give_back()
                except Exception:
                    log.exception("could not give back unsent rows; their lease brings them back")
                self._nudge.clear()
                await self._nap(ERROR_PAUSE)

    async def _send_next(self) -> None:
        if self._paused_until > monotonic():
            await self._sit_out_pause()
            return
        if self._unsettled >= self._window:
            self._nudge.clear()
            await self._nap(IDLE_POLL)
            return
        delivery = self._take()
        if delivery is None:
            await self._claim_or_idle()
            return
        if not await self._pace():
            self._batch.appendleft(delivery)
            return
        self._dispatch(delivery)
        self._claim_ahead()

    def _claim_ahead(self) -> None:
        """Claim the next batch while the second half of this one goes out. Sending that stops
        to wait for a claim catches up afterwards in a burst (CATCH_UP), and a burst makes
        whatever else goes to Telegram at that moment, people's replies included, wait."""
        if (self._claiming is None and self._more and not self._stopping
                and len(self._batch) <= self._batch_size // 2):
            self._claiming = asyncio.create_task(self._claim(), name="delivery-claim")

    async def _claim(self) -> Claim:
        await self._people_first()
        claim = await self._repo.claim(
            self._clock.now(), limit=self._batch_size, lease=self._lease, held=self._held,
            owner=self._owner, wall=time(), chat_interval=PER_CHAT_INTERVAL)
        self._held.update(d.id for d in claim.deliveries)
        self._more = len(claim.deliveries) >= self._batch_size
        return claim

    async def _claim_or_idle(self) -> None:
        claiming, self._claiming = self._claiming, None
        if claiming is not None:
            claim = await claiming
            await self._take_claim(claim)
            # Claimed before the last wake(): look again at once rather than nap.
            return
        # Cleared before the claim, so that a wake() during it makes the idle wait end at once.
        self._nudge.clear()
        claim = await self._claim()
        await self._take_claim(claim)
        if not claim.deliveries:
            await self._nap(IDLE_POLL)

    async def _take_claim(self, claim: Claim) -> None:
        withdrawn = [d for d in claim.deliveries if d.broadcast_id in self._cancelled]
        self._batch.extend(d for d in claim.deliveries if d.broadcast_id not in self._cancelled)
        if withdrawn:
            await self._withdraw(withdrawn)
        for broadcast in claim.started:
            log.info("broadcast %d (%s) started: %d recipients", broadcast.id, broadcast.kind,
                     broadcast.total)
        self._log_finished(claim.finished)
        if claim.started or claim.finished:
            self._notify()

    def _take(self) -> ClaimedDelivery | None:
        """The next held delivery; a claim holds at most one per chat (see the repository)."""
        return self._batch.popleft() if self._batch else None

    def when_channel_lost(self, report: Callable[[str], Awaitable[None]]) -> None:
        """Call `report` (with Telegram's reason) when the channel starts refusing the bot:
        once, not again until a post there went through."""
        self._on_channel_lost = report

    def give_way_to(self, handling: GivesWay) -> None:
        """Start no send, claim and record nothing while `handling` says a person's update is
        being handled, so that interactive replies do not wait behind a broadcast."""
        self._give_way = handling

    async def _people_first(self) -> None:
        """Wait while a person's update is handled: its replies and its database work first.

        At most CATCH_UP, which pacing then makes up in a burst; after a wait that long, not
        again for CATCH_UP. So a slow update never stops a broadcast, and updates that never
        stop leave it at least half the time: all of the rate when the machine has the time to
        catch up, and never less than half."""
        if self._give_way is None or monotonic() < self._catching_up_until:
            return
        started = monotonic()
        await self._give_way.idle(CATCH_UP)
        if monotonic() - started >= CATCH_UP:
            self._catching_up_until = monotonic() + CATCH_UP

    async def _pace(self) -> bool:
        """Wait for the next send slot, 1/rate after the last of this queue's reserved slots;
        False if stopping or paused meanwhile. Slots run out, a block more is reserved from the
        rate every sender shares."""
        while True:
            await self._people_first()
            if self._stopping or self._paused_until > monotonic():
                return False
            now = time()
            slot = max(self._next_slot, now - CATCH_UP)
            if slot >= self._slots_end:
                reserving, self._reserving = self._reserving, None
                self._next_slot = await (reserving or self._repo.reserve_slots(
                    self._slot_block, self._interval, now - CATCH_UP))
                self._slots_end = self._next_slot + self._slot_block * self._interval
            elif slot <= now:
                self._next_slot = slot + self._interval
                self._reserve_ahead()
                return True
            else:
                await asyncio.sleep(slot - now)

    def _reserve_ahead(self) -> None:
        """Reserve the next block of slots, from the end of this one, once half of it is used."""
        block = self._slot_block * self._interval
        if self._reserving is None and self._slots_end - self._next_slot <= block / 2:
            self._reserving = asyncio.create_task(self._repo.reserve_slots(
                self._slot_block, self._interval, self._slots_end), name="delivery-slots")

    def _dispatch(self, delivery: ClaimedDelivery) -> None:
        self._unsettled += 1
        task = asyncio.create_task(self._deliver(delivery))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _deliver(self, delivery: ClaimedDelivery) -> None:
        outcome = await self._attempt(delivery)
        # Appended only now: the flusher swaps the list while sends are in flight.
        self._outcomes.append(outcome)
        self._outcomes_ready.set()

    async def _attempt(self, delivery: ClaimedDelivery) -> Outcome:
        assert self._courier is not None
        try:
            if delivery.chat_id != CHANNEL:
                await self._courier.send(delivery.chat_id, delivery.text, delivery.reply_markup)
            elif self._channel is None:
                return Outcome(delivery, Result.FAILED, "CHANNEL_ID is not set")
            else:
                await self._to_channel(self._channel, delivery)
        except Undelivered as refusal:
            if refusal.retry_after is not None:
                self._pause(refusal.retry_after)
                return Outcome(delivery, Result.POSTPONED)
            if refusal.recipient_gone and delivery.chat_id == CHANNEL:
                # Removed from the channel: retrying would not help until someone adds it back.
                await self._channel_lost(refusal.reason)
                return Outcome(delivery, Result.FAILED, refusal.reason)
            if refusal.recipient_gone:
                return Outcome(delivery, Result.BLOCKED, refusal.reason)
            return self._failure(delivery, refusal.reason, uncertain=refusal.uncertain)
        except Exception as error:
            # A bug must not lose the row or stall the queue.
            log.exception("sending delivery %d failed unexpectedly", delivery.id)
            return self._failure(delivery, f"{type(error).__name__}: {error}"[:200])
        return Outcome(delivery, Result.SENT)

    async def _to_channel(self, channel: str, delivery: ClaimedDelivery) -> None:
        """Post to the channel, or edit the post made earlier about the same subject; its
        message id is stored at once, so an edit after a restart finds it."""
        assert self._courier is not None
        subject = delivery.subject
        earlier = await self._repo.channel_message(subject) if subject else None
        try:
            posted = await self._courier.post(channel, delivery.text, delivery.reply_markup,
                                              message_id=earlier)
        except Undelivered as refusal:
            # An edit to what the post already says went through before.
            if earlier is None or "not modified" not in refusal.reason:
                raise
        else:
            if subject and earlier is None:
                await self._repo.remember_channel_message(subject, posted)
        await self._repo.channel_works()

    async def _channel_lost(self, reason: str) -> None:
        log.warning("the channel refuses the bot: %s", reason)
        try:
            if await self._repo.channel_lost(self._clock.now()) and self._on_channel_lost:
                await self._on_channel_lost(reason)
        except Exception:
            # The row's outcome must still be recorded.
            log.exception("could not report that the channel refuses the bot")

    def _failure(
        self, delivery: ClaimedDelivery, reason: str, *, uncertain: bool = False
    ) -> Outcome:
        attempts = delivery.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            return Outcome(delivery, Result.FAILED, reason)
        retry_at = self._clock.now() + FIRST_RETRY * 2 ** (attempts - 1)
        return Outcome(delivery, Result.RETRY, reason, retry_at, uncertain)

    def _pause(self, seconds: float) -> None:
        until = monotonic() + seconds
        if until > self._paused_until:
            log.warning("Telegram asked to wait %.0f s (429): all sending pauses", seconds)
            self._paused_until = until
        self._nudge.set()

    async def _sit_out_pause(self) -> None:
        # Rows held in memory go back to the queue rather than sit leased through the pause.
        await self._give_back()
        while not self._stopping and (left := self._paused_until - monotonic()) > 0:
            self._nudge.clear()
            await self._nap(left)

    async def _give_back(self) -> None:
        claiming, self._claiming = self._claiming, None
        if claiming is not None:
            try:
                await self._take_claim(await claiming)
            except Exception:
                log.exception("claiming the next batch failed (it took no rows)")
        held = list(self._batch)
        self._batch.clear()
        try:
            await self._repo.record(
                [Outcome(d, Result.POSTPONED) for d in held], self._clock.now())
        finally:
            # Given back, or, if that failed, left for their lease to bring back.
            self._held.difference_update(d.id for d in held)

    async def _nap(self, seconds: float) -> None:
        """Sleep up to `seconds` of real time, or until something nudges the sender."""
        if self._stopping:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._nudge.wait()

    # --- recording outcomes -------------------------------------------------------------------

    async def _flush_loop(self) -> None:
        while True:
            await self._outcomes_ready.wait()
            if not self._closing:
                await asyncio.sleep(FLUSH_DELAY)
                await self._people_first()
            self._outcomes_ready.clear()
            outcomes, self._outcomes = self._outcomes, []
            if outcomes and not await self._record(outcomes):
                if self._closing:
                    log.error("%d outcomes were not recorded; those rows go out again after a "
                              "restart", len(outcomes))
                    return
                self._outcomes[:0] = outcomes
                await asyncio.sleep(ERROR_PAUSE)
                self._outcomes_ready.set()
            elif self._closing and not self._outcomes:
                return

    async def _record(self, outcomes: list[Outcome]) -> bool:
        try:
            # Recorded after Telegram answered: the chat's next message waits a second from now.
            finished = await self._repo.record(outcomes, self._clock.now(), time())
        except Exception:
            log.exception("recording %d outcomes failed; retrying", len(outcomes))
            return False
        self._unsettled -= len(outcomes)
        self._held.difference_update(outcome.delivery.id for outcome in outcomes)
        self._log_finished(finished)
        self._nudge.set()
        self._notify()
        return True

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    @staticmethod
    def _log_finished(broadcasts: list[Broadcast]) -> None:
        for b in broadcasts:
            log.info("broadcast %d (%s) done: %d sent, %d blocked, %d failed, %d cancelled of %d "
                     "(%d resent)", b.id, b.kind, b.sent, b.blocked, b.failed, b.cancelled,
                     b.total, b.resent)
