"""Relayed conversations (SPEC §10.1): the bot is the channel between a helper and the
organisers of the need they offered help for, so neither side learns who the other is;
messages from an event's organisers to its attendees (or to the people of one of its
shifts), who answer them the same way; and /myoffers, the offers a person made.

Every press and every send checks, at that moment, that the presser is that offer's helper (or
that event's attendee) or an organiser of its organisation, and that the conversation is still
open. The texts go out as
notices through the delivery queue, which forgets them once delivered; what stays is when each
person sent one (for the hourly limit) and a count per offer.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import StringConstraints

from bot.conversation.answers import Limit, text_of
from bot.conversation.callbacks import (
    AttendeeReply,
    CallbackData,
    MyOffer,
    MyOffersPage,
    RelayWrite,
)
from bot.conversation.dialogue import Dialogues, Flow, Option, Step
from bot.conversation.listing import PAGE_SIZE, Entry, clamp_page, render_page
from bot.conversation.replies import Button, Reply
from bot.conversation.session import Session
from bot.features.announcements import TEXT as ANNOUNCEMENT
from bot.features.announcements import Announcements, parse_text
from bot.features.events import when_in
from bot.features.members import Members
from bot.features.notices import Notices
from bot.infra.clock import Clock
from bot.infra.i18n import Html, Texts
from storage.events import EventRepository
from storage.models import Answer, Event, Need, Offer
from storage.needs import NeedRepository
from storage.organisations import OrganisationRepository
from storage.relay import RelayRepository
from storage.shifts import ShiftRepository

RelayedText = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
TEXT = Limit.of_type(RelayedText)
parse_relayed = text_of(TEXT)
PER_HOUR = 20
WINDOW = timedelta(hours=1)
# Whom a message to an event's attendees reaches, by the choice of its organiser.
GROUPS: dict[str, tuple[Answer, ...]] = {
    "going": ("going",), "waiting": ("going", "waiting"), "answered": ("going", "maybe")}


def relay_open(need: Need, offer: Offer) -> bool:
    """Helper and organisers may write to each other while the need is open and members may
    see it, and the offer is not declined."""
    return need.listed and offer.status != "declined"


def event_open(event: Event) -> bool:
    """Organisers and attendees may write while the event is scheduled and members see it."""
    return event.status == "scheduled" and event.visible


def write_to_helper(t: Texts, offer: Offer) -> Button:
    return Button(t("button.write_helper"), RelayWrite("helper", offer.id))


def write_to_organisers(t: Texts, offer: Offer) -> Button:
    return Button(t("button.write_organisers"), RelayWrite("organisers", offer.id))


@dataclass(frozen=True)
class Thread:
    """Where a relayed message goes and how its recipients see it."""

    recipients: list[int]
    # The recipient's copy: the header with the text, in the recipient's language.
    message: Callable[[Texts, str], str]
    # The Reply button on the recipient's copy (None: no way back).
    reply: CallbackData | None
    question: str
    subject: str
    offer_id: int | None = None


class Closed(Exception):
    """The conversation is closed (the need is done or hidden, the offer declined)."""


class Refused(Exception):
    """Not the presser's conversation: a forged or stale button."""


class Relays:
    def __init__(
        self, relay_repo: RelayRepository, needs_repo: NeedRepository,
        events_repo: EventRepository, shifts_repo: ShiftRepository,
        orgs_repo: OrganisationRepository,
        dialogues: Dialogues, members: Members, notices: Notices,
        announcements: Announcements, clock: Clock,
    ) -> None:
        self._repo = relay_repo
        self._needs = needs_repo
        self._events = events_repo
        self._shifts = shifts_repo
        self._orgs = orgs_repo
        self._announcements = announcements
        self._dialogues = dialogues
        self._members = members
        self._notices = notices
        self._clock = clock
        dialogues.register(Flow(name="relay", steps=(
            Step("text", lambda session, answers: answers["question"], parse=parse_relayed,
                 question_values=lambda session, answers: {
                     "title": answers["subject"], "count": TEXT.maximum}),
        ), finish=self._send), Flow(name="attendees", steps=(
            Step("group", "attendees.ask.group", options=self._groups,
                 label="attendees.field.group", when=lambda answers: "shift" not in answers),
            Step("text", "attendees.ask.text", parse=parse_text, formatted=True,
                 question_values=ANNOUNCEMENT.length_values, label="attendees.field.text"),
        ), preview=self._attendees_preview, publish_label="button.send",
            finish=self._send_to_attendees))

    # --- whose conversation, and is it open --------------------------------------------------

    async def _offer_thread(self, session: Session, to: str, offer_id: int) -> Thread:
        offer = await self._needs.offer(offer_id)
        need = await self._needs.get(offer.need_id) if offer else None
        if offer is None or need is None:
            raise Refused
        if to == "helper":
            if session.org_id != need.org_id:
                raise Refused
            thread = Thread(
                [offer.helper_id], lambda t, text: t(
                    "relay.from_organisation", organisation=need.org_name, title=need.title,
                    text=text),
                RelayWrite("organisers", offer.id), "relay.ask.helper", need.title, offer.id)
        else:
            if session.user.tg_id != offer.helper_id:
                raise Refused
            thread = Thread(
                await self._orgs.members(need.org_id), lambda t, text: t(
                    "relay.from_helper", title=need.title, text=text),
                RelayWrite("helper", offer.id), "relay.ask.organisers", need.title, offer.id)
        if not relay_open(need, offer):
            raise Closed
        return thread

    async def _attendee_thread(self, session: Session, event_id: int) -> Thread:
        """An attendee (Going, waiting or Maybe, or holding one of its shifts) answering the
        event's organisers."""
        event = await self._events.get(event_id)
        answer = await self._events.answer_of(event_id, session.user.tg_id)
        if event is None or (answer not in ("going", "waiting", "maybe") and not (
                await self._shifts.taken_by(session.user.tg_id, event_id))):
            raise Refused
        if not event_open(event):
            raise Closed
        return Thread(await self._orgs.members(event.org_id), lambda t, text: t(
            "relay.from_attendee", title=event.title, text=text), None, "relay.ask.event",
            event.title)

    async def _thread(self, session: Session, answers: dict[str, Any]) -> Thread:
        if answers["to"] == "event":
            return await self._attendee_thread(session, answers["event"])
        return await self._offer_thread(session, answers["to"], answers["offer"])

    async def _limited(self, session: Session) -> Reply | None:
        """The polite refusal once the person relayed PER_HOUR messages within the hour."""
        sent = await self._repo.sent_since(session.user.tg_id, self._clock.now() - WINDOW)
        if len(sent) < PER_HOUR:
            return None
        free_at = sent[-PER_HOUR] + WINDOW
        minutes = max(1, math.ceil((free_at - self._clock.now()).total_seconds() / 60))
        return Reply(session.texts.plural("relay.too_many", minutes, limit=PER_HOUR))

    # --- writing -----------------------------------------------------------------------------

    async def _open(self, session: Session, answers: dict[str, Any]) -> Thread | Reply:
        """The conversation the answers point to, or the answer why it cannot be used now."""
        try:
            return await self._thread(session, answers)
        except Refused:
            return Reply(session.texts("not_available"))
        except Closed:
            return Reply(session.texts("relay.closed"))

    async def write(self, session: Session, answers: dict[str, Any]) -> Reply:
        """Write / Reply pressed: ask for the text (one step; /cancel leaves)."""
        thread = await self._open(session, answers)
        if isinstance(thread, Reply):
            return thread
        if (limited := await self._limited(session)) is not None:
            return limited
        return await self._dialogues.start(session, "relay", {
            **answers, "question": thread.question, "subject": thread.subject})

    async def write_about_offer(self, session: Session, to: str, offer_id: int) -> Reply:
        return await self.write(session, {"to": to, "offer": offer_id})

    async def reply_to_event(self, session: Session, event_id: int) -> Reply:
        return await self.write(session, {"to": "event", "event": event_id})

    async def _send(self, session: Session, answers: dict[str, Any]) -> Reply:
        """The text typed: rights and openness checked again as it goes (the limit was checked
        when the question opened, and only a send, which ends the question, counts), then
        queued to the other side in the dialogue's transaction."""
        t = session.texts
        session = await self._members.reload(session)
        thread = await self._open(session, answers)
        if isinstance(thread, Reply):
            return thread
        text = answers["text"]
        await self._notices.send(thread.recipients, lambda tx: Reply(
            thread.message(tx, text),
            [[Button(tx("button.reply"), thread.reply)]] if thread.reply else []))
        now = self._clock.now()
        await self._repo.record(session.user.tg_id, now, now - WINDOW, thread.offer_id)
        return Reply(t("relay.sent"))

    # --- messages to an event's attendees ----------------------------------------------------

    async def _own_event(self, session: Session, event_id: int) -> Event | None:
        """The event, if the person organises it now and it is open for messages."""
        event = await self._events.get(event_id)
        if event is None or event.org_id != session.org_id or not event_open(event):
            return None
        return event

    async def begin_attendees(self, session: Session, event_id: int) -> Reply:
        """Message attendees pressed on the event's own card: choose whom, then the text."""
        event = await self._own_event(session, event_id)
        if event is None:
            return Reply(session.texts("not_available"))
        if (limited := await self._limited(session)) is not None:
            return limited
        counts = {"going": event.going, "waiting": event.going + event.waiting,
                  "answered": event.going + event.maybe}
        return await self._dialogues.start(session, "attendees", {
            "event": event.id, "title": event.title, "counts": counts})

    async def begin_shift(self, session: Session, shift_id: int) -> Reply:
        """Message this shift on a shift's card: the same dialogue, to the shift's people."""
        shift = await self._shifts.get(shift_id)
        event = await self._own_event(session, shift.event_id) if shift else None
        if event is None:
            return Reply(session.texts("not_available"))
        if (limited := await self._limited(session)) is not None:
            return limited
        return await self._dialogues.start(session, "attendees", {
            "event": event.id, "title": event.title, "shift": shift.id, "role": shift.role,
            "zone": event.timezone, "starts_at": shift.starts_at.isoformat(),
            "ends_at": shift.ends_at.isoformat()})

    async def _recipients(self, answers: dict[str, Any]) -> list[int]:
        """Who the message goes to: the shift's people, or the chosen group of attendees."""
        if "shift" in answers:
            return await self._shifts.people(answers["shift"])
        return await self._events.attendees(answers["event"], GROUPS[answers["group"]])

    @staticmethod
    def _groups(session: Session, answers: dict[str, Any]) -> list[Option]:
        """The three groups, each with how many it had when Message attendees was pressed."""
        return [Option(group, label=session.texts.plural(
            f"attendees.group.{group}", answers["counts"][group])) for group in GROUPS]

    async def _attendees_preview(self, session: Session, answers: dict[str, Any]) -> str:
        t = session.texts
        count = len(await self._recipients(answers))
        if "shift" in answers:
            return t.plural("attendees.preview_shift", count, title=answers["title"],
                            role=answers["role"], text=Html(answers["text"]), when=Html(when_in(
                                t, datetime.fromisoformat(answers["starts_at"]),
                                datetime.fromisoformat(answers["ends_at"]), answers["zone"])))
        return t.plural("attendees.preview", count, title=answers["title"],
                        group=t(f"attendees.who.{answers['group']}"), text=Html(answers["text"]))

    async def _send_to_attendees(self, session: Session, answers: dict[str, Any]) -> Reply:
        """Send pressed: checked again, then one broadcast with each attendee's copy in their
        language, followed by the status message of announcements."""
        t = session.texts
        session = await self._members.reload(session)
        event = await self._own_event(session, answers["event"])
        if event is None:
            return Reply(t("not_available"))
        broadcast_id = await self._notices.each(
            await self._recipients(answers),
            lambda tx: Reply(
                tx("relay.from_organisation_event", organisation=event.org_name,
                   title=event.title, text=Html(answers["text"])),
                [[Button(tx("button.reply"), AttendeeReply(event.id))]]),
            audience=f"shift:{answers['shift']}" if "shift" in answers
            else f"event:{event.id}:{answers['group']}")
        now = self._clock.now()
        await self._repo.record(session.user.tg_id, now, now - WINDOW)
        return await self._announcements.progress(session, broadcast_id)

    # --- /myoffers ---------------------------------------------------------------------------

    async def my_offers(self, session: Session, page: int) -> Reply:
        t, tg_id = session.texts, session.user.tg_id
        total = await self._needs.count_offers_by(tg_id)
        page = clamp_page(page, total)
        entries = []
        for offer in await self._needs.offers_by(tg_id, page * PAGE_SIZE, PAGE_SIZE):
            need = await self._needs.get(offer.need_id)
            entries.append(Entry(offer.id, Html(t(
                "myoffers.line", title=need.title, organisation=need.org_name,
                state=_state(t, need, offer)))))
        return render_page(t, title=t.plural("myoffers.title", total), empty=t("myoffers.empty"),
                           opens=MyOffer, turn=MyOffersPage, entries=entries, page=page,
                           total=total)

    async def my_offer(self, session: Session, offer_id: int) -> Reply:
        """One of my offers: what I wrote, its state, and Write to organisers while open."""
        t = session.texts
        offer = await self._needs.offer(offer_id)
        need = await self._needs.get(offer.need_id) if offer else None
        if offer is None or need is None or offer.helper_id != session.user.tg_id:
            return Reply(t("not_available"))
        text = t("myoffers.card", title=need.title, organisation=need.org_name,
                 message=offer.message, state=_state(t, need, offer),
                 relayed=t.plural("myoffers.relayed", offer.relayed))
        if not relay_open(need, offer):
            return Reply(f"{text}\n\n{t('relay.closed')}")
        return Reply(text, [[write_to_organisers(t, offer)]])


def _state(t: Texts, need: Need, offer: Offer) -> str:
    state = t(f"myoffers.state.{offer.status}")
    if need.status != "open":
        return t("myoffers.state_need", offer=state, need=t(f"need.status.{need.status}"))
    return state
