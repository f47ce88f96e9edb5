"""Announcements (SPEC §6.1): written by a coordinator, sent to an audience via the queue."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime, timedelta
from typing import Any, get_args
from zoneinfo import ZoneInfo

from babel.dates import format_date
from telegram.error import BadRequest, TelegramError

from bot.conversation.answers import Limit
from bot.conversation.callbacks import (
    BroadcastApprove,
    BroadcastCancel,
    BroadcastCard,
    BroadcastsPage,
)
from bot.conversation.dialogue import Dialogues, Flow, Formatted, Invalid, Option, Step
from bot.conversation.listing import PAGE_SIZE, Entry, clamp_page, render_page
from bot.conversation.moments import Moment
from bot.conversation.places import country_name
from bot.conversation.replies import Button, Reply, keyboard
from bot.conversation.roles import Role
from bot.conversation.session import Session
from bot.conversation.text import excerpt
from bot.features.members import Members, parse_country_answer
from bot.features.notices import Notices
from bot.infra.botlink import BotLink
from bot.infra.clock import Clock
from bot.infra.delivery import DeliveryQueue
from bot.infra.i18n import Html, Texts
from storage.announcements import AnnouncementRepository
from storage.audit import AuditRepository
from storage.database import Database
from storage.deliveries import Broadcast, DeliveryRepository
from storage.models import Audience
from storage.users import UserRepository

log = logging.getLogger(__name__)

TEXT = Limit(maximum=3500)  # leaves room for the preview's own lines within Telegram's 4096
AUDIENCES: tuple[Audience, ...] = get_args(Audience)
PROGRESS_EVERY = 3.0  # seconds between edits of a status message
RECENT = 10
OPEN = ("awaiting_approval", "scheduled", "sending")
NOT_STARTED = ("awaiting_approval", "scheduled")
CARD_EXCERPT = 300  # characters of a not yet sent announcement shown on its card
NOW = ("now", "сейчас")  # typed instead of a time: send it as soon as it may go
SEND = Moment("send_at", "send_time")
YES, NO = "yes", "no"  # also posted to the coalition's channel, or not


def parse_text(text: str, session: Session, answers: dict[str, Any]) -> str:
    plain = text.plain if isinstance(text, Formatted) else text
    if len(plain) > TEXT.maximum:
        raise Invalid("invalid.too_long", limit=TEXT.maximum, count=len(plain))
    if not plain.strip():
        raise Invalid("invalid.too_short", count=1)
    return str(text)


def audience_key(answers: dict[str, Any]) -> str:
    audience = answers["audience"]
    return f"country:{answers['country']}" if audience == "country" else audience


class Announcements:
    def __init__(
        self, database: Database, deliveries: DeliveryRepository,
        announcements: AnnouncementRepository, users: UserRepository, audit: AuditRepository,
        queue: DeliveryQueue, dialogues: Dialogues, members: Members, notices: Notices,
        clock: Clock, link: BotLink, *, four_eyes: bool, cancel_window: int, per_hour: int,
        channel: bool = False,
    ) -> None:
        """`channel`: a coalition's channel is set, so the author is asked whether to post
        there too (SPEC §12.3)."""
        self._database = database
        self._deliveries = deliveries
        self._announcements = announcements
        self._users = users
        self._audit = audit
        self._queue = queue
        self._dialogues = dialogues
        self._members = members
        self._notices = notices
        self._clock = clock
        self._link = link
        self._four_eyes = four_eyes
        self._cancel_window = cancel_window  # seconds
        self._per_hour = per_hour
        self._reporters: dict[int, asyncio.Task] = {}
        dialogues.register(Flow(
            name="announce",
            steps=(
                Step("text", "announce.ask.text", parse=parse_text, formatted=True,
                     question_values=TEXT.length_values, label="announce.field.text"),
                Step("audience", "announce.ask.audience", label="announce.field.audience",
                     options=[Option(name, f"audience.{name}") for name in AUDIENCES]),
                Step("country", "announce.ask.country", parse=parse_country_answer,
                     label="announce.field.country",
                     when=lambda answers: answers.get("audience") == "country"),
                Step("channel", "announce.ask.channel", label="announce.field.channel",
                     options=[Option(YES, "button.channel_post"),
                              Option(NO, "button.channel_skip")],
                     when=lambda answers: channel),
                # Skip, or "now" typed, sends it as soon as it may go.
                *SEND.steps(self._send_at_question, "announce.ask.send_time",
                            zone=lambda session, answers: self._members.timezone(session.user),
                            now=clock.now, label="announce.field.send_at", optional=True,
                            skip_words=NOW, question_values=self._send_at_values),
            ),
            preview=self._preview,
            publish_label="button.send",
            finish=self._schedule,
        ))

    # --- writing ---------------------------------------------------------------------------

    async def begin(self, session: Session) -> Reply:
        return await self._dialogues.start(session, "announce")

    def _send_at_question(self, session: Session, answers: dict[str, Any]) -> str:
        """Under four eyes every announcement waits for approval; the question says so."""
        return "announce.ask.send_at.four_eyes" if self._four_eyes else "announce.ask.send_at"

    def _send_at_values(self, session: Session, answers: dict[str, Any]) -> dict[str, object]:
        return {"window": self._cancel_window}

    def _audience_label(self, t: Texts, audience: str) -> str:
        """Who a broadcast goes to, in words; one of a message's per-language copies says which
        language (`alert:legal@ru`, see Notices.broadcast)."""
        audience, _, language = audience.partition("@")
        name, _, detail = audience.partition(":")
        if name == "country":
            label = t("audience.country_named", country=country_name(detail, t.language))
        elif name == "alert":
            category, _, _organisation = detail.partition(":")
            label = t("audience.alert", category=t(f"category.{category}"))
        elif name == "event":
            event_id, _, who = detail.partition(":")
            label = t(f"audience.event.{who}", id=event_id)
        elif name == "shift":
            label = t("audience.shift", id=detail)
        else:
            label = t(f"audience.{name}")
        if not language:
            return label
        return t(f"audience.in_language.{language}", audience=Html(label))

    def _when(self, session: Session, moment: datetime) -> str:
        """A moment in the coordinator's zone, which is named: they may be far from Berlin."""
        zone = self._members.timezone(session.user)
        return f"{moment.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} ({zone})"

    def _start_time(self, send_at: datetime, audience: str, now: datetime) -> datetime:
        """When it may start: the chosen time, and never inside the cancel window counted from
        `now` (the last required approval) for everyone, or for any audience under four eyes."""
        if audience == "everyone" or self._four_eyes:
            return max(send_at, now + timedelta(seconds=self._cancel_window))
        return send_at

    def _chosen_start(self, answers: dict[str, Any], now: datetime) -> datetime:
        chosen = SEND.chosen(answers)
        send_at = datetime.fromisoformat(chosen) if chosen else now
        return self._start_time(send_at, answers["audience"], now)

    async def _preview(self, session: Session, answers: dict[str, Any]) -> str:
        t = session.texts
        audience = audience_key(answers)
        count = await self._deliveries.count_audience(audience)
        start = self._chosen_start(answers, self._clock.now())
        key = "announce.preview.four_eyes" if self._four_eyes else "announce.preview"
        preview = t.plural(key, count, text=Html(answers["text"]),
                           audience=self._audience_label(t, audience),
                           when=self._when(session, start), window=self._cancel_window)
        if answers.get("channel") == YES:
            return f"{preview}\n{t('announce.preview.channel')}"
        return preview

    async def _schedule(self, session: Session, answers: dict[str, Any]) -> Reply:
        t = session.texts
        if not session.may(Role.COORDINATOR):
            return Reply(t("not_available"))
        now = self._clock.now()
        author = session.user.tg_id
        limit = self._per_hour
        if await self._announcements.started_by(author, now - timedelta(hours=1)) >= limit:
            return Reply(t.plural("announce.cap", limit))
        audience = audience_key(answers)
        four_eyes = self._four_eyes
        broadcast_id = await self._queue.enqueue(
            kind="announcement", text=answers["text"], audience=audience, author_id=author,
            not_before=self._chosen_start(answers, now),
            status="awaiting_approval" if four_eyes else "scheduled",
            channel=answers.get("channel") == YES,
        )
        await self._audit.record(author, "announce.create", f"broadcast:{broadcast_id}", now)
        if four_eyes:
            others = [tg_id for tg_id in await self._users.coordinator_ids()
                      if tg_id != author]
            await self._notices.send(others, lambda tx: Reply(
                tx("announce.approval_request", text=Html(answers["text"]),
                   audience=self._audience_label(tx, audience)),
                [[Button(tx("button.approve"), BroadcastApprove(broadcast_id))]]))
        return await self.progress(session, broadcast_id)

    async def progress(self, session: Session, broadcast_id: int) -> Reply:
        """The author's status message of a broadcast just queued, kept up to date in place
        until it ends (announcements, messages to an event's attendees)."""
        broadcast = await self._deliveries.get(broadcast_id)
        author = session.user.tg_id

        async def remember(message_id: int) -> None:
            await self._announcements.set_status_message(broadcast_id, author, message_id)
            self._watch(broadcast_id)

        reply = self._status(session.texts, session, broadcast,
                             await self._name(session.texts, session, broadcast), rate=None)
        reply.on_sent = remember
        return reply

    # --- four eyes, cancelling -------------------------------------------------------------

    async def approve(self, session: Session, broadcast_id: int) -> Reply:
        t = session.texts
        broadcast = await self._deliveries.get(broadcast_id)
        if broadcast is None or broadcast.kind != "announcement" or (
                broadcast.status != "awaiting_approval"):
            return Reply(t("not_available"))
        if broadcast.author_id == session.user.tg_id:
            return Reply(t("announce.approve_own"))
        now = self._clock.now()
        async with self._database.transaction():
            await self._deliveries.schedule(
                broadcast_id, self._start_time(broadcast.not_before, broadcast.audience, now))
            await self._announcements.set_approved_by(broadcast_id, session.user.tg_id)
            await self._audit.record(session.user.tg_id, "announce.approve",
                                     f"broadcast:{broadcast_id}", now)
        self._queue.wake()
        self._watch(broadcast_id)
        return Reply(t("announce.approved"))

    async def cancel(self, session: Session, broadcast_id: int) -> Reply:
        t = session.texts
        broadcast = await self._deliveries.get(broadcast_id)
        if broadcast is None or broadcast.kind != "announcement" or broadcast.status not in OPEN:
            return Reply(t("not_available"))
        if not await self._queue.cancel(broadcast_id):
            return Reply(t("not_available"))
        await self._audit.record(session.user.tg_id, "announce.cancel",
                                 f"broadcast:{broadcast_id}", self._clock.now())
        self._watch(broadcast_id)
        return Reply(t("announce.cancelled"))

    # --- progress --------------------------------------------------------------------------

    def _status(
        self, t: Texts, session: Session, broadcast: Broadcast, name: str, rate: float | None
    ) -> Reply:
        """The status message; each text is plural in the number of recipients (`count`)."""
        total = broadcast.total
        values = {"name": name, "sent": broadcast.sent, "blocked": broadcast.blocked,
                  "failed": broadcast.failed}
        cancel = [[Button(t("button.cancel"), BroadcastCancel(broadcast.id))]]
        if broadcast.status == "awaiting_approval":
            return Reply(t.plural("announce.status.awaiting", total, **values), cancel)
        if broadcast.status == "scheduled":
            return Reply(t.plural("announce.status.scheduled", total, when=self._when(
                session, broadcast.not_before), **values), cancel)
        if broadcast.status == "sending":
            per_second = rate or 0.0
            left = broadcast.pending
            eta = f"{int(left / per_second) // 60}:{int(left / per_second) % 60:02d}" if (
                per_second) else "—"
            return Reply(t.plural("announce.status.sending", total, rate=f"{per_second:.1f}",
                                  eta=eta, **values), cancel)
        key = "announce.status.done" if broadcast.status == "done" else (
            "announce.status.cancelled")
        return Reply(t.plural(key, total, **values))

    async def _name(self, t: Texts, session: Session, broadcast: Broadcast) -> str:
        """How coordinators call a broadcast: an announcement by its number among
        announcements ("Announcement 3"), any other kind (a message to an event's people: by
        its topic) by the day it was made in the reader's zone ("Digest of 1 Dec")."""
        if broadcast.kind == "announcement":
            return t("broadcasts.name.announcement",
                     number=await self._announcements.number(broadcast.id))
        zone = ZoneInfo(self._members.timezone(session.user))
        day = format_date(broadcast.created_at.astimezone(zone), "d MMM", locale=t.language)
        return t(f"broadcasts.name.{broadcast.topic or broadcast.kind}", date=day)

    def _watch(self, broadcast_id: int) -> None:
        """Keep the author's status message up to date until the broadcast ends."""
        running = self._reporters.get(broadcast_id)
        if running is None or running.done():
            self._reporters[broadcast_id] = asyncio.create_task(
                self._report(broadcast_id), name=f"announcement-status-{broadcast_id}")

    async def resume_reporting(self) -> None:
        """On start: status messages of announcements still open are kept up to date again."""
        for broadcast_id in await self._announcements.open_with_status_message():
            self._watch(broadcast_id)

    async def stop_reporting(self) -> None:
        for task in self._reporters.values():
            task.cancel()
        for task in self._reporters.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._reporters.clear()

    async def _report(self, broadcast_id: int) -> None:
        """Follow the broadcast; a failure here stops its status message, never the sending,
        and the task always ends without an exception, so that shutdown can await it."""
        try:
            await self._follow(broadcast_id)
        except Exception:
            log.exception("status of broadcast %d is no longer reported", broadcast_id)

    async def _follow(self, broadcast_id: int) -> None:
        shown: tuple | None = None
        last_sent, last_time = None, time.monotonic()
        rate = None
        while True:
            # Looked up each time: an author who used /forget has no status message any more.
            where = await self._announcements.status_message(broadcast_id)
            broadcast = await self._deliveries.get(broadcast_id)
            if where is None or broadcast is None:
                return
            now = time.monotonic()
            if last_sent is not None and now > last_time and broadcast.sent > last_sent:
                rate = (broadcast.sent - last_sent) / (now - last_time)
            last_sent, last_time = broadcast.sent, now
            state = (broadcast.status, broadcast.sent, broadcast.blocked, broadcast.failed)
            if state != shown:
                await self._show(broadcast, where, rate)
                shown = state
            if broadcast.status not in OPEN:
                return
            # Wake at the end at once, otherwise look again after PROGRESS_EVERY seconds.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PROGRESS_EVERY):
                    await self._queue.finished(broadcast_id)

    async def _show(
        self, broadcast: Broadcast, where: tuple[int, int], rate: float | None
    ) -> None:
        chat_id, message_id = where
        session = await self._members.session_by_id(chat_id)
        reply = self._status(session.texts, session, broadcast,
                             await self._name(session.texts, session, broadcast), rate)
        try:
            await self._link.bot.edit_message_text(
                reply.text, chat_id=chat_id, message_id=message_id,
                reply_markup=keyboard(reply))
        except BadRequest as error:
            if "not modified" not in error.message.lower():
                log.warning("status of broadcast %d not shown: %s", broadcast.id, error.message)
        except TelegramError as error:
            log.warning("status of broadcast %d not shown: %s", broadcast.id, error.message)

    # --- /broadcasts -----------------------------------------------------------------------

    async def overview(self, session: Session, page: int) -> Reply:
        t = session.texts
        recent = await self._announcements.recent(RECENT, with_recipients=True)
        page = clamp_page(page, len(recent))
        shown = recent[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
        entries = [Entry(broadcast.id, Html(self._line(
            t, broadcast, await self._name(t, session, broadcast)))) for broadcast in shown]
        return render_page(t, title=t("broadcasts.title"), empty=t("broadcasts.empty"),
                           opens=BroadcastCard, turn=BroadcastsPage, entries=entries, page=page,
                           total=len(recent))

    def _line(self, t: Texts, broadcast: Broadcast, name: str) -> str:
        return t.plural("broadcasts.line", broadcast.total, name=name,
                        audience=self._audience_label(t, broadcast.audience),
                        status=t(f"broadcasts.status.{broadcast.status}"), sent=broadcast.sent,
                        blocked=broadcast.blocked, failed=broadcast.failed)

    async def card(self, session: Session, broadcast_id: int) -> Reply:
        t = session.texts
        broadcast = await self._deliveries.get(broadcast_id)
        if broadcast is None or broadcast.kind == "notice":
            return Reply(t("not_available"))
        line = Html(self._line(t, broadcast, await self._name(t, session, broadcast)))
        created = self._when(session, broadcast.created_at)
        if broadcast.kind == "announcement" and broadcast.status in NOT_STARTED:
            text = t("broadcasts.card.not_started", line=line, created=created,
                     when=self._when(session, broadcast.not_before),
                     text=excerpt(broadcast.text, CARD_EXCERPT))
        else:
            text = t("broadcasts.card", line=line, created=created)
        if broadcast.kind == "announcement" and broadcast.status in OPEN:
            return Reply(text, [[Button(t("button.cancel"), BroadcastCancel(broadcast.id))]])
        return Reply(text)
