"""Shifts (SPEC §12.1): an event's organisers add turns (one, or a series in one step);
members take at most a few per event, give them back, wait for a full one, and are reminded
1 h before. Organisers see counts per shift, never names."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import Field

from bot.conversation.answers import Limit, line_of, number_of
from bot.conversation.callbacks import (
    MessageShift,
    ShiftAdd,
    ShiftCard,
    ShiftGiveBack,
    ShiftList,
    ShiftsPage,
    ShiftTake,
)
from bot.conversation.dialogue import Dialogues, Flow, Invalid, Step
from bot.conversation.listing import PAGE_SIZE, Entry, clamp_page, render_page
from bot.conversation.replies import Button, Reply
from bot.conversation.session import Session
from bot.conversation.timeparse import local_to_utc, parse_future_datetime, parse_time
from bot.features.events import when_for, when_in
from bot.features.members import Members
from bot.features.notices import Notices
from bot.infra.clock import Clock
from bot.infra.i18n import Html, Texts
from storage.database import Database
from storage.events import EventRepository
from storage.models import Event, Shift, ShiftRole
from storage.shifts import NewShift, ShiftRepository

REMIND_BEFORE = timedelta(hours=1)
# An event without an end has its shifts within its first hours.
OPEN_END = timedelta(hours=3)
# A series longer than this is a typing mistake (every minute for a day), not a plan.
MOST_IN_SERIES = 200
Minutes = Annotated[int, Field(ge=1, le=720)]
ROLE = Limit.of_type(ShiftRole)
PLACES = Limit.of(Shift, "places")
MINUTES = Limit.of_type(Minutes)
parse_role = line_of(ROLE)
parse_places = number_of(PLACES, "shift.invalid.number")
parse_minutes = number_of(MINUTES, "shift.invalid.number")


def event_window(event: Event) -> tuple[datetime, datetime]:
    """When an event's shifts may be: from its start to its end (start + 3 h without one)."""
    return event.starts_at, event.ends_at or event.starts_at + OPEN_END


def series(answers: dict[str, Any]) -> list[tuple[datetime, datetime]]:
    """The shifts the answers make: one from start to end, or `length` minutes each, a new
    one every `every` minutes (one after another without it), all ending by the end."""
    start, end = datetime.fromisoformat(answers["start"]), datetime.fromisoformat(answers["end"])
    if not answers.get("length"):
        return [(start, end)]
    length = timedelta(minutes=answers["length"])
    step = timedelta(minutes=answers.get("every") or answers["length"])
    made, at = [], start
    while at + length <= end and len(made) <= MOST_IN_SERIES:
        made.append((at, at + length))
        at += step
    return made


def _check_series(session: Session, answers: dict[str, Any]) -> None:
    if datetime.fromisoformat(answers["end"]) <= datetime.fromisoformat(answers["start"]):
        raise Invalid("invalid.end_before_start")
    made = series(answers)
    if not made:
        raise Invalid("shift.invalid.length")
    if len(made) > MOST_IN_SERIES:
        raise Invalid("shift.invalid.too_many", count=MOST_IN_SERIES)


class Shifts:
    def __init__(
        self, shifts_repo: ShiftRepository, events_repo: EventRepository, dialogues: Dialogues,
        members: Members, notices: Notices, database: Database, clock: Clock, *,
        per_event: int,
    ) -> None:
        self._repo = shifts_repo
        self._events = events_repo
        self._dialogues = dialogues
        self._members = members
        self._notices = notices
        self._database = database
        self._clock = clock
        self._per_event = per_event
        window = self._window_values
        dialogues.register(Flow(name="shiftnew", steps=(
            Step("role", "shift.ask.role", parse=parse_role, label="shift.field.role",
                 question_values=lambda session, answers: {
                     **ROLE.length_values(session, answers), "title": answers["title"]}),
            Step("start", "shift.ask.start", parse=self._parse_moment, label="shift.field.start",
                 question_values=window),
            Step("end", "shift.ask.end", parse=self._parse_end, label="shift.field.end",
                 question_values=window, check=_check_series),
            Step("length", "shift.ask.length", parse=self._parse_length, optional=True,
                 label="shift.field.length", question_values=MINUTES.range_values,
                 check=_check_series, then=("every",)),
            Step("every", "shift.ask.every", parse=self._parse_every, optional=True,
                 when=lambda answers: bool(answers.get("length")), label="shift.field.every",
                 question_values=MINUTES.range_values, check=_check_series),
            Step("places", "shift.ask.places", parse=parse_places, label="shift.field.places",
                 question_values=PLACES.range_values),
        ), preview=self._preview, finish=self._create))

    # --- whose shift, and may they see it ----------------------------------------------------

    async def _event_of(self, session: Session, event_id: int) -> tuple[Event, bool] | None:
        """The event and whether the person organises it; None if they may not see it."""
        event = await self._events.get(event_id)
        if event is None or event.status != "scheduled":
            return None
        organiser = session.org_id == event.org_id
        return (event, organiser) if organiser or event.listed else None

    async def _shift_of(self, session: Session,
                        shift_id: int) -> tuple[Shift, Event, bool] | None:
        shift = await self._repo.get(shift_id)
        found = await self._event_of(session, shift.event_id) if shift else None
        return None if found is None else (shift, *found)

    # --- adding --------------------------------------------------------------------------------

    async def begin_add(self, session: Session, event_id: int) -> Reply:
        found = await self._event_of(session, event_id)
        if found is None or not found[1] or found[0].starts_at <= self._clock.now():
            return Reply(session.texts("not_available"))
        event = found[0]
        start, end = event_window(event)
        return await self._dialogues.start(session, "shiftnew", {
            "event": event.id, "title": event.title, "zone": event.timezone,
            "from": start.isoformat(), "until": end.isoformat()})

    @staticmethod
    def _window_values(session: Session, answers: dict[str, Any]) -> dict[str, object]:
        zone = ZoneInfo(answers["zone"])
        start = datetime.fromisoformat(answers["from"]).astimezone(zone)
        end = datetime.fromisoformat(answers["until"]).astimezone(zone)
        return {"start": f"{start:%H:%M}", "end": f"{end:%H:%M}", "zone": answers["zone"],
                "title": answers["title"]}

    def _parse_moment(self, text: str, session: Session, answers: dict[str, Any]) -> str:
        """A time within the event, in its zone: HH:MM on the event's day (the next day when
        the event runs past midnight and that time is before its start), or a date and time."""
        zone = answers["zone"]
        start = datetime.fromisoformat(answers["from"])
        end = datetime.fromisoformat(answers["until"])
        if len(text.split()) == 1:
            moment = parse_time(text)
            day = start.astimezone(ZoneInfo(zone)).date()
            at = local_to_utc(day, moment, zone)
            if at < start:
                at = local_to_utc(day + timedelta(days=1), moment, zone)
        else:
            at = parse_future_datetime(text, zone, self._clock.now())
        if not start <= at <= end:
            raise Invalid("shift.invalid.outside", **self._window_values(session, answers))
        return at.isoformat()

    def _parse_end(self, text: str, session: Session, answers: dict[str, Any]) -> str:
        end = self._parse_moment(text, session, answers)
        _check_series(session, {**answers, "end": end})
        return end

    @staticmethod
    def _parse_length(text: str, session: Session, answers: dict[str, Any]) -> int:
        length = parse_minutes(text, session, answers)
        _check_series(session, {**answers, "length": length})
        return length

    @staticmethod
    def _parse_every(text: str, session: Session, answers: dict[str, Any]) -> int:
        every = parse_minutes(text, session, answers)
        _check_series(session, {**answers, "every": every})
        return every

    async def _preview(self, session: Session, answers: dict[str, Any]) -> str:
        t = session.texts
        made = series(answers)
        zone = answers["zone"]
        role, title = answers["role"], answers["title"]
        shifts = (t("shift.preview_one", role=role, title=title, when=when_in(t, *made[0], zone))
                  if len(made) == 1 else
                  t.plural("shift.preview", len(made), role=role, title=title,
                           first=when_in(t, *made[0], zone), last=when_in(t, *made[-1], zone)))
        return "\n".join([shifts, t.plural("shift.preview_places", answers["places"])])

    async def _create(self, session: Session, answers: dict[str, Any]) -> Reply:
        t = session.texts
        session = await self._members.reload(session)
        found = await self._event_of(session, answers["event"])
        if found is None or not found[1] or found[0].starts_at <= self._clock.now():
            return Reply(t("not_available"))
        made: list[NewShift] = [(answers["role"], start, end, answers["places"])
                                for start, end in series(answers)]
        await self._repo.create(answers["event"], made, REMIND_BEFORE)
        return Reply(t.plural("shift.created", len(made), role=answers["role"],
                              title=answers["title"]),
                     [[Button(t("button.shifts"), ShiftList(answers["event"]))]])

    # --- the list and a shift's card -----------------------------------------------------------

    async def shifts(self, session: Session, event_id: int, page: int = 0) -> Reply:
        """The event's shifts, soonest first: free places for members, counts for organisers."""
        t = session.texts
        found = await self._event_of(session, event_id)
        if found is None:
            return Reply(t("not_available"))
        event, organiser = found
        total = await self._repo.count_of_event(event.id)
        page = clamp_page(page, total)
        viewer = self._members.timezone(session.user)
        entries = [Entry(shift.id, Html(self._line(t, event, shift, viewer, organiser)))
                   for shift in await self._repo.of_event(event.id, page * PAGE_SIZE, PAGE_SIZE)]
        extra = [[Button(t("button.add_shifts"), ShiftAdd(event.id))]] if organiser else []
        return render_page(t, title=t.plural("shift.list.title", total, title=event.title),
                           empty=t("shift.list.empty", title=event.title), opens=ShiftCard,
                           turn=lambda number: ShiftsPage(event.id, number), entries=entries,
                           page=page, total=total, extra=extra)

    @staticmethod
    def _line(t: Texts, event: Event, shift: Shift, viewer: str, organiser: bool) -> str:
        when = when_for(t, shift.starts_at, shift.ends_at, event.timezone, viewer)
        if organiser:
            return t.plural("shift.line_counts", shift.places, role=shift.role, when=Html(when),
                            taken=shift.taken, waiting=shift.waiting)
        if shift.free:
            return t.plural("shift.line", shift.free, role=shift.role, when=Html(when))
        return t.plural("shift.line_full", shift.waiting, role=shift.role, when=Html(when))

    async def card(self, session: Session, shift_id: int) -> Reply:
        t = session.texts
        found = await self._shift_of(session, shift_id)
        if found is None:
            return Reply(t("not_available"))
        shift, event, organiser = found
        state = await self._repo.state_of(shift.id, session.user.tg_id)
        lines = [t("shift.card", role=shift.role, title=event.title, when=Html(when_for(
            t, shift.starts_at, shift.ends_at, event.timezone,
            self._members.timezone(session.user))))]
        if organiser:
            lines.append(t.plural("shift.card_counts", shift.places, taken=shift.taken,
                                  waiting=shift.waiting))
        elif shift.free:
            lines.append(t.plural("shift.card_free", shift.free))
        else:
            lines.append(t.plural("shift.card_full", shift.waiting))
        if state == "waiting":
            lines.append(t("shift.yours.waiting", position=await self._repo.waiting_position(
                shift.id, session.user.tg_id)))
        elif state == "taken":
            lines.append(t("shift.yours.taken"))
        rows = []
        if event.listed and shift.starts_at > self._clock.now():
            rows.append([Button(t("button.give_back"), ShiftGiveBack(shift.id)) if state
                         else Button(t("button.take_shift"), ShiftTake(shift.id))])
        if organiser and shift.taken and event.listed:
            rows.append([Button(t("button.message_shift"), MessageShift(shift.id))])
        rows.append([Button(t("button.shifts"), ShiftList(event.id))])
        return Reply("\n".join(lines), rows)

    # --- taking and giving back ----------------------------------------------------------------

    async def take(self, session: Session, shift_id: int) -> Reply:
        """A place, or the waiting list when the shift is full; at most `per_event` of an
        event's shifts a person (taken or waited for)."""
        t, tg_id, now = session.texts, session.user.tg_id, self._clock.now()
        async with self._database.transaction():
            found = await self._shift_of(session, shift_id)
            if found is None or not found[1].listed or found[0].starts_at <= now:
                return Reply(t("not_available"))
            shift, event, _ = found
            state = await self._repo.state_of(shift.id, tg_id)
            if state is None:
                if await self._repo.count_signed(event.id, tg_id) >= self._per_event:
                    return Reply(t.plural("shift.limit", self._per_event, title=event.title))
                state = "taken" if shift.free else "waiting"
                await self._repo.sign(shift.id, tg_id, state, now)
        back = [[Button(t("button.give_back"), ShiftGiveBack(shift.id))]]
        if state == "waiting":
            return Reply(t("shift.waiting", role=shift.role, title=event.title,
                           position=await self._repo.waiting_position(shift.id, tg_id)), back)
        when = when_for(t, shift.starts_at, shift.ends_at, event.timezone,
                        self._members.timezone(session.user))
        return Reply(t("shift.taken", role=shift.role, title=event.title, when=Html(when)), back)

    async def give_back(self, session: Session, shift_id: int) -> Reply:
        t = session.texts
        async with self._database.transaction():
            found = await self._shift_of(session, shift_id)
            if found is None or found[0].starts_at <= self._clock.now():
                return Reply(t("not_available"))
            shift, event, _ = found
            if await self._give_back(shift, event, session.user.tg_id) is None:
                return Reply(t("not_available"))
        return Reply(t("shift.given_back", role=shift.role, title=event.title))

    async def _give_back(self, shift: Shift, event: Event, tg_id: int) -> str | None:
        """Leave the shift; a place given up goes to the first waiting, who is told."""
        state = await self._repo.give_back(shift.id, tg_id)
        if state != "taken":
            return state
        promoted = await self._repo.promote_first(shift.id)
        if promoted is not None:
            await self._notices.send([promoted], lambda tx: Reply(tx(
                "shift.promoted", role=shift.role, title=event.title,
                when=Html(when_in(tx, shift.starts_at, shift.ends_at, event.timezone)))))
        return state

    async def leave_all(self, tg_id: int) -> None:
        """Someone who leaves (/forget) gives back every shift, as with Give back."""
        async with self._database.transaction():
            for shift_id in await self._repo.signed_by(tg_id):
                shift = await self._repo.get(shift_id)
                event = await self._events.get(shift.event_id)
                await self._give_back(shift, event, tg_id)

    # --- reminders -----------------------------------------------------------------------------

    async def run_dues(self) -> None:
        """The reminder 1 h before each shift, once, to those holding a place; one missed
        while the bot was down goes out now if the shift has not begun."""
        now = self._clock.now()
        for shift in await self._repo.due(now):
            async with self._database.transaction():
                if not await self._repo.mark_reminded(shift.id, now) or shift.starts_at <= now:
                    continue
                event = await self._events.get(shift.event_id)
                await self._notices.send(
                    await self._repo.people(shift.id), lambda tx, shift=shift, event=event: Reply(
                        tx("shift.reminder", role=shift.role, title=event.title, when=Html(
                            when_in(tx, shift.starts_at, shift.ends_at, event.timezone))),
                        [[Button(tx("button.shifts"), ShiftList(event.id))]]),
                    kind="reminder")
