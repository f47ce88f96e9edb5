"""Events (SPEC §5.1): registering, browsing, RSVP with a waiting list, venue disclosure,
calendar files, reminders and cancellation."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from babel.dates import format_date

from bot.conversation.answers import (
    Limit,
    check_length,
    line_of,
    looks_like_link,
    number_of,
    text_of,
    web_address,
)
from bot.conversation.callbacks import (
    AttendanceReport,
    CallbackData,
    EventCalendar,
    EventCancelAsk,
    EventCard,
    EventEdit,
    EventEditField,
    EventsFilter,
    EventsPage,
    MessageAttendees,
    MyEventsPage,
    MyPlansPage,
    OwnEvent,
    Rsvp,
    ShiftCard,
    ShiftList,
)
from bot.conversation.dialogue import Dialogues, Flow, Invalid, Option, Step
from bot.conversation.listing import (
    CHOICES_PER_PAGE,
    PAGE_SIZE,
    Entry,
    clamp_page,
    page_of,
    render_page,
    turning,
)
from bot.conversation.moments import Moment
from bot.conversation.places import country_name, guess_timezone, place
from bot.conversation.replies import Button, Reply
from bot.conversation.roles import Role
from bot.conversation.session import Session
from bot.conversation.timeparse import local_to_utc, parse_future_datetime, parse_time
from bot.features.channel import Channel
from bot.features.members import (
    CITY,
    Members,
    parse_city,
    parse_country_answer,
    parse_timezone_answer,
)
from bot.features.notices import Notices
from bot.features.posts import moderation_row, with_hidden_note
from bot.infra.clock import Clock
from bot.infra.i18n import Html, Texts
from storage.database import Database
from storage.deliveries import Topic
from storage.events import EventFilter, EventRepository
from storage.models import DISCLOSURES, KINDS, Answer, CancelReason, Event, User
from storage.shifts import ShiftRepository

log = logging.getLogger(__name__)

GUESS = "ok"  # the guessed zone's button; dialogues stored by earlier versions keep it as the zone
REMINDERS = {"remind_24h": timedelta(hours=24), "remind_1h": timedelta(hours=1)}
# Organisers are asked how many came this long after the end, or after the start when the
# event has no end (SPEC §12.2).
ATTENDANCE_AFTER_END = timedelta(hours=2)
ATTENDANCE_WITHOUT_END = timedelta(hours=3)
COUNTRY_BUTTONS = 8
PERIODS = (7, 30)
EDIT_FIELDS = ("title", "description", "start", "venue", "capacity")
START = Moment("start", "start_time")
_NONE = "-"
TITLE = Limit.of(Event, "title")
DESCRIPTION = Limit.of(Event, "description")
VENUE = Limit.of(Event, "venue")
HOURS = Limit.of(Event, "disclose_hours")
CAPACITY = Limit.of(Event, "capacity")
CANCEL_REASON = Limit.of_type(CancelReason)
ATTENDANCE = Limit.of(Event, "attendance")
ATTENDANCE_NOTE = Limit.of(Event, "attendance_note")
CANCEL, KEEP = "cancel", "keep"


def parse_venue(text: str, session: Session, answers: dict[str, Any]) -> str:
    venue = line_of(VENUE)(text, session, answers)
    if not looks_like_link(venue):
        return venue
    url = web_address(venue)
    if url is None:
        raise Invalid("invalid.link")
    return check_length(url, VENUE)


parse_title = line_of(TITLE)
parse_description = text_of(DESCRIPTION)
parse_hours = number_of(HOURS, "invalid.hours")
parse_capacity = number_of(CAPACITY, "invalid.capacity")
parse_cancel_reason = text_of(CANCEL_REASON)
parse_attendance = number_of(ATTENDANCE, "invalid.capacity")
parse_attendance_note = text_of(ATTENDANCE_NOTE)


def starts_at(answers: dict[str, Any]) -> datetime:
    """The start answered, by a whole moment or by a day and then its time."""
    return datetime.fromisoformat(START.chosen(answers))


def _end_after_start(session: Session, answers: dict[str, Any]) -> None:
    if datetime.fromisoformat(answers["end"]) <= starts_at(answers):
        raise Invalid("invalid.end_before_start")


def guessed_zone(answers: dict[str, Any]) -> str | None:
    """The zone guessed from the city and country answered so far."""
    return guess_timezone(answers.get("city"), answers.get("country"))


def stored_answers(answers: dict[str, Any]) -> dict[str, Any] | None:
    """Answers of /eventnew as stored: a zone kept as the guess button's marker is the zone
    guessed from the city (None, to start afresh, if none is guessed from it any more)."""
    if answers.get("timezone") != GUESS:
        return answers
    zone = guessed_zone(answers)
    return {**answers, "timezone": zone} if zone else None


def fitting_campaigns(answers: dict[str, Any]) -> list[tuple[int, str]]:
    """The campaigns (id, title) whose days hold the event's start date in its own zone."""
    day = starts_at(answers).astimezone(ZoneInfo(answers["timezone"]))
    return [(campaign_id, title) for campaign_id, title, first, last in answers["_campaigns"]
            if first <= day.date().isoformat() <= last]


def venue_visible(event: Event, answer: Answer | None, now: datetime, *, organiser: bool) -> bool:
    """Whether a person may see the venue now: the whole of the disclosure rule, in one place."""
    if organiser or event.disclosure == "public":
        return True
    if answer != "going":
        return False
    if event.disclosure == "going":
        return True
    return now >= event.starts_at - timedelta(hours=event.disclose_hours or 0)


def event_dues(event: Event) -> dict[str, datetime]:
    dues = {what: event.starts_at - before for what, before in REMINDERS.items()}
    if event.disclosure == "going_before":
        dues["reveal"] = event.starts_at - timedelta(hours=event.disclose_hours or 0)
    dues["attendance"] = (event.ends_at + ATTENDANCE_AFTER_END if event.ends_at
                          else event.starts_at + ATTENDANCE_WITHOUT_END)
    return dues


def when_in(t: Texts, start: datetime, end: datetime | None, zone: str) -> str:
    """A time (and its end) as local to `zone`, with the zone named."""
    local = start.astimezone(ZoneInfo(zone))
    text = f"{local:%Y-%m-%d %H:%M}"
    if end is not None:
        local_end = end.astimezone(ZoneInfo(zone))
        text += f"–{local_end:%H:%M}" if local_end.date() == local.date() else (
            f" – {local_end:%Y-%m-%d %H:%M}")
    return t("event.time_in", time=text, zone=zone)


def when_for(t: Texts, start: datetime, end: datetime | None, zone: str,
             viewer_zone: str) -> str:
    """A time in the event's zone, and in the viewer's too when that is another one."""
    when = when_in(t, start, end, zone)
    if viewer_zone != zone:
        when = t("event.time_both", own=when, viewer=when_in(t, start, end, viewer_zone))
    return when


class Events:
    def __init__(
        self, events_repo: EventRepository, shifts_repo: ShiftRepository, dialogues: Dialogues,
        members: Members, notices: Notices, database: Database, clock: Clock, channel: Channel,
    ) -> None:
        self._repo = events_repo
        self._shifts = shifts_repo
        self._dialogues = dialogues
        self._members = members
        self._notices = notices
        self._database = database
        self._clock = clock
        self._channel = channel
        steps = (
            Step("title", "event.ask.title", parse=parse_title,
                 question_values=TITLE.length_values),
            Step("description", "event.ask.description", parse=parse_description,
                 question_values=DESCRIPTION.length_values),
            Step("kind", "event.ask.kind",
                 options=[Option(kind, f"kind.{kind}") for kind in KINDS]),
            # Another country, another city; another city, perhaps another time zone; the
            # start is stored as an instant, so another zone means asking its local time again.
            Step("country", "event.ask.country", parse=parse_country_answer, then=("city",)),
            Step("city", "event.ask.city", parse=parse_city, question_values=CITY.length_values,
                 then=("timezone",)),
            Step("timezone", self._zone_question, parse=self._parse_zone, as_typed=True,
                 options=self._zone_options, question_values=self._zone_guess,
                 then=(START.day, START.time)),
            *START.steps("event.ask.start", "event.ask.start_time",
                         zone=lambda session, answers: answers["timezone"], now=clock.now),
            Step("end", "event.ask.end", parse=self._parse_end, optional=True,
                 check=_end_after_start),
            Step("venue", "event.ask.venue", parse=parse_venue,
                 question_values=VENUE.length_values),
            Step("disclosure", "event.ask.disclosure",
                 options=[Option(value, f"disclosure.{value}") for value in DISCLOSURES]),
            Step("hours", "event.ask.hours", parse=parse_hours,
                 when=lambda answers: answers.get("disclosure") == "going_before",
                 question_values=HOURS.range_values),
            Step("capacity", "event.ask.capacity", parse=parse_capacity, optional=True,
                 question_values=CAPACITY.range_values),
            Step("campaign", "event.ask.campaign", options=self._campaign_options,
                 optional=True, when=lambda answers: bool(fitting_campaigns(answers))),
        )
        cancelling = (
            Step("reason", "event.cancel.ask_reason", parse=parse_cancel_reason, optional=True,
                 question_values=CANCEL_REASON.length_values),
            Step("confirm", self._cancel_question, question_values=self._cancel_values,
                 options=[Option(CANCEL, "button.cancel_event"), Option(KEEP, "button.back")]),
        )
        # The time of a start given as a day alone is asked with the start, not on its own.
        steps = tuple(step if step.name == START.time else replace(
            step, label=f"event.field.{step.name}") for step in steps)
        # A published event is edited with the same steps and labels as its preview (the
        # fields SPEC allows to change once people may have answered).
        self._edit_flow = Flow(name="event_edit", finish=self._edit, steps=tuple(
            step for step in steps if step.name in (*EDIT_FIELDS, START.time)))
        attendance = (
            Step("people", "attendance.ask.people", parse=parse_attendance, optional=True,
                 question_values=self._attendance_values),
            Step("note", "attendance.ask.note", parse=parse_attendance_note, optional=True,
                 when=lambda answers: answers.get("people") is not None,
                 question_values=ATTENDANCE_NOTE.length_values),
        )
        dialogues.register(
            Flow(name="eventnew", steps=steps, preview=self._preview, finish=self._publish,
                 stored=stored_answers),
            self._edit_flow,
            Flow(name="event_cancel", steps=cancelling, finish=self._cancel_or_keep),
            Flow(name="attendance", steps=attendance, finish=self._report_attendance))

    # --- registering -----------------------------------------------------------------------

    async def begin(self, session: Session) -> Reply:
        if session.org_id is None:  # a coordinator who organises no approved organisation
            return Reply(session.texts("organiser.no_organisation"))
        # The event's own zone is not known yet: keep every campaign not over somewhere on
        # Earth (UTC−12 is the latest date line), and offer those holding the event's local
        # start date at the campaign step.
        earliest = (self._clock.now() - timedelta(hours=12)).date()
        open_campaigns = [[campaign.id, campaign.title, campaign.starts_on.isoformat(),
                           campaign.ends_on.isoformat()]
                          for campaign in await self._repo.campaigns(earliest, open_only=True)]
        return await self._dialogues.start(session, "eventnew", {"_campaigns": open_campaigns})

    def _zone_options(self, session: Session, answers: dict[str, Any]) -> list[Option]:
        guess = guessed_zone(answers)
        return [Option(GUESS, label=f"✅ {guess}")] if guess else []

    def _parse_zone(self, text: str, session: Session, answers: dict[str, Any]) -> str:
        """The guess confirmed with its button is kept as the zone itself, so that a later
        city with another zone is seen as a change."""
        guess = guessed_zone(answers)
        return guess if text == GUESS and guess else parse_timezone_answer(text, session, answers)

    def _zone_question(self, session: Session, answers: dict[str, Any]) -> str:
        guessed = guessed_zone(answers) is not None
        return "event.ask.timezone" if guessed else "event.ask.timezone_unknown"

    def _zone_guess(self, session: Session, answers: dict[str, Any]) -> dict[str, object]:
        guess = guessed_zone(answers)
        return {"guess": guess} if guess else {}

    def _parse_end(self, text: str, session: Session, answers: dict[str, Any]) -> str:
        zone = answers["timezone"]
        start = starts_at(answers)
        if len(text.split()) == 1:
            local_day = start.astimezone(ZoneInfo(zone)).date()
            end = local_to_utc(local_day, parse_time(text), zone)
        else:
            end = parse_future_datetime(text, zone, self._clock.now())
        if end <= start:
            raise Invalid("invalid.end_before_start")
        return end.isoformat()

    def _campaign_options(self, session: Session, answers: dict[str, Any]) -> list[Option]:
        return [Option(str(campaign_id), label=title)
                for campaign_id, title in fitting_campaigns(answers)]

    def _fields(self, answers: dict[str, Any]) -> dict[str, Any]:
        return {
            "title": answers["title"], "description": answers["description"],
            "kind": answers["kind"], "country": answers["country"], "city": answers["city"],
            "timezone": answers["timezone"], "starts_at": starts_at(answers),
            "ends_at": datetime.fromisoformat(answers["end"]) if answers.get("end") else None,
            "venue": answers["venue"], "disclosure": answers["disclosure"],
            "disclose_hours": answers.get("hours"), "capacity": answers.get("capacity"),
            "campaign_id": int(answers["campaign"]) if answers.get("campaign") else None,
        }

    async def _preview(self, session: Session, answers: dict[str, Any]) -> str:
        t = session.texts
        fields = self._fields(answers)
        card = self._details(t, fields, session.membership.org_name,
                             viewer_zone=fields["timezone"], venue=fields["venue"],
                             campaign=self._campaign_title(answers))
        disclosure = fields["disclosure"]
        key = f"event.preview.venue_{disclosure}"
        shown_to = (t.plural(key, fields["disclose_hours"]) if disclosure == "going_before"
                    else t(key))
        return t("event.preview", card=card, venue_shown_to=shown_to)

    def _campaign_title(self, answers: dict[str, Any]) -> str | None:
        chosen = answers.get("campaign")
        return next((title for campaign_id, title in fitting_campaigns(answers)
                     if str(campaign_id) == chosen), None)

    _when = staticmethod(when_in)

    def _details(self, t: Texts, fields: dict[str, Any], org_name: str, *, viewer_zone: str,
                 venue: str | None, campaign: str | None = None) -> Html:
        """An event as a person sees it: the venue only when given (the caller decides)."""
        when = when_for(t, fields["starts_at"], fields.get("ends_at"), fields["timezone"],
                        viewer_zone)
        lines = [t("event.details", title=fields["title"], organisation=org_name,
                   kind=t(f"kind.{fields['kind']}"), when=Html(when),
                   place=place(t.language, city=fields["city"], country=fields["country"]),
                   description=fields["description"])]
        if campaign:
            lines.append(t("event.campaign_line", campaign=campaign))
        if venue is not None:
            lines.append(t("event.venue", venue=venue))
        elif fields["disclosure"] == "going":
            lines.append(t("event.venue_going"))
        else:
            lines.append(t.plural("event.venue_going_before", fields["disclose_hours"]))
        if fields.get("capacity") and fields.get("going", 0) >= fields["capacity"]:
            lines.append(t.plural("event.capacity_full", fields.get("waiting", 0),
                               capacity=fields["capacity"]))
        elif fields.get("capacity"):
            lines.append(t("event.capacity", capacity=fields["capacity"]))
        return Html("\n".join(lines))

    async def _publish(self, session: Session, answers: dict[str, Any]) -> Reply:
        t = session.texts
        session = await self._members.reload(session)
        if session.org_id is None:
            return Reply(t("not_available"))
        fields = self._fields(answers)
        if fields["starts_at"] <= self._clock.now():
            return Reply(t("invalid.datetime_past"))
        async with self._database.transaction():
            event_id = await self._repo.create(session.org_id, session.user.tg_id, fields,
                                               self._clock.now())
            await self._repo.set_dues(event_id, event_dues(await self._repo.get(event_id)))
            await self.show_on_channel(event_id)
        return Reply(t("event.published", title=fields["title"]))

    async def show_on_channel(self, event_id: int) -> None:
        """Post the event to the coalition's channel, or bring its post there up to date: the
        card anyone may read, in the default language and the event's own zone, the venue only
        when public (otherwise the card says who gets it); cancelled, it says so; no longer
        visible (hidden, its organisation suspended), the post says it was withdrawn. A first
        post only for an upcoming event that members see."""
        event = await self._repo.get(event_id)
        text = None
        if event is not None and event.visible:
            t = self._channel.texts
            campaign = await self._repo.campaign(event.campaign_id) if event.campaign_id else None
            text = self._details(t, event.model_dump(), event.org_name,
                                 viewer_zone=event.timezone,
                                 venue=event.venue if event.disclosure == "public" else None,
                                 campaign=campaign.title if campaign else None)
            if event.status == "cancelled":
                text = t("channel.event_cancelled", card=text)
        await self._channel.show(
            f"event:{event_id}", text,
            may_open=event is not None and event.listed and event.starts_at > self._clock.now())

    async def show_organisation_on_channel(self, org_id: int) -> None:
        """An organisation suspended or reinstated: each of its events' channel posts follows,
        by the same rule as one event's (withdrawn, or back once visible again)."""
        async for event_id in self._repo.ids_of_organisation(org_id):
            await self.show_on_channel(event_id)

    # --- browsing --------------------------------------------------------------------------

    async def browse(self, session: Session, state: str, page: int) -> Reply:
        t, now = session.texts, self._clock.now()
        where = self._filter(session, state, now)
        if where is None:
            return Reply(t("not_available"))
        total = await self._repo.count_upcoming(where, now)
        page = clamp_page(page, total)
        events = await self._repo.upcoming(where, now, page * PAGE_SIZE, PAGE_SIZE)
        zone = ZoneInfo(self._members.timezone(session.user))
        this_year = now.astimezone(zone).year
        entries = [Entry(event.id, Html(t(
            "event.line", title=event.title, place=place(
                t.language, city=event.city, country=event.country, beside=(event.title,)),
            when=_list_time(event.starts_at.astimezone(zone), this_year))))
            for event in events]
        buttons = [[Button(t("button.filter"), EventsFilter(None, state))]]
        if state != _blank():
            buttons[0].append(Button(t("button.clear_filters"), EventsPage(0, _blank())))
        shown = await self._filter_text(session, state)
        return render_page(t, title=t.plural("event.list.title", total, filters=shown),
                           empty=t("event.list.empty", filters=shown), opens=EventCard,
                           entries=entries, page=page, total=total, extra=buttons,
                           turn=lambda number: EventsPage(number, state))

    def _filter(self, session: Session, state: str, now: datetime) -> EventFilter | None:
        """Filter state from callback data: country, near me, campaign, days ('-' = any).

        "Near me" is the member's city in their country (as far as their settings tell)."""
        country, mine, campaign, days = state.split(":")
        if mine not in ("m", _NONE):
            return None
        user = session.user
        near = mine == "m"
        return EventFilter(
            country=user.country if near and user.country else (
                None if country == _NONE else country),
            city=user.city if near else None,
            campaign_id=None if campaign == _NONE else int(campaign),
            until=None if days == _NONE else now + timedelta(days=int(days)),
        )

    async def _filter_text(self, session: Session, state: str) -> str:
        """The filters in force, in words, for the list's title."""
        t, user = session.texts, session.user
        country, mine, campaign, days = state.split(":")
        parts = []
        if mine == "m":
            parts.append(t("event.filter.near_city", city=user.city) if user.city
                         else t("event.filter.near_unset"))
        elif country != _NONE:
            parts.append(country_name(country, t.language))
        if campaign != _NONE and (chosen := await self._repo.campaign(int(campaign))):
            parts.append(chosen.title)
        if days != _NONE:
            parts.append(t.plural("event.filter.days", int(days)))
        return ", ".join(parts) if parts else t("event.no_filters")

    async def filter_menu(self, session: Session, state: str, facet: str | None,
                          page: int = 0) -> Reply:
        t, now = session.texts, self._clock.now()
        country, mine, campaign, days = state.split(":")
        back = [Button(t("button.back"), EventsPage(0, state))]
        if facet is None:
            rows = [[Button(t("event.filter.country"), EventsFilter("k", state)),
                     Button(t("event.filter.campaign"), EventsFilter("c", state))],
                    [Button(t("event.filter.near"),
                            EventsPage(0, f"{country}:m:{campaign}:{days}"))],
                    [Button(t.plural("event.filter.days", n),
                            EventsPage(0, f"{country}:{mine}:{campaign}:{n}"))
                     for n in PERIODS], back]
            return Reply(t("event.filter.ask"), rows)
        if facet == "k":
            rows = [[Button(country_name(code, t.language),
                            EventsPage(0, f"{code}:{mine}:{campaign}:{days}"))]
                    for code in await self._repo.upcoming_countries(now, COUNTRY_BUTTONS)]
        else:
            campaigns = await self._repo.campaigns(self._members.today(session.user),
                                                   open_only=True)
            page, shown = page_of(campaigns, page, CHOICES_PER_PAGE)
            rows = [[Button(item.title, EventsPage(0, f"{country}:{mine}:{item.id}:{days}"))]
                    for item in shown]
            if turned := turning(t, page, len(campaigns), lambda number: (
                    EventsFilter("c", state, number)), CHOICES_PER_PAGE, "button.previous"):
                rows.append(turned)
        if not rows:
            return Reply(t("event.filter.no_countries" if facet == "k"
                           else "event.filter.no_campaigns"), [back])
        return Reply(t("event.filter.choose"), [*rows, back])

    async def card(self, session: Session, event_id: int) -> Reply:
        """A scheduled event as members see it; a coordinator also sees it hidden, with Hide
        or Unhide."""
        t = session.texts
        event = await self._repo.get(event_id)
        coordinator = session.may(Role.COORDINATOR)
        if event is None or event.status != "scheduled" or not (event.visible or coordinator):
            return Reply(t("not_available"))
        text = await self._card_text(session, event)
        rows = [[Button(t("button.going"), Rsvp("going", event.id)),
                 Button(t("button.maybe"), Rsvp("maybe", event.id)),
                 Button(t("button.not_going"), Rsvp("not_going", event.id))],
                [Button(t("button.calendar"), EventCalendar(event.id))]] if event.visible else []
        if event.visible and await self._shifts.count_of_event(event.id):
            rows[-1].append(Button(t("button.shifts"), ShiftList(event.id)))
        if coordinator:
            text = with_hidden_note(t, text, event)
            rows.append(moderation_row(t, "event", event))
        return Reply(text, rows)

    async def _card_text(self, session: Session, event: Event) -> Html:
        """The card's text for this person: the venue if they may see it, counts for its
        organisers, their own answer."""
        t = session.texts
        answer = await self._repo.answer_of(event.id, session.user.tg_id)
        organiser = session.org_id == event.org_id
        now = self._clock.now()
        visible = venue_visible(event, answer, now, organiser=organiser)
        campaign = await self._repo.campaign(event.campaign_id) if event.campaign_id else None
        text = self._details(t, event.model_dump(), event.org_name,
                             viewer_zone=self._members.timezone(session.user),
                             venue=event.venue if visible else None,
                             campaign=campaign.title if campaign else None)
        if organiser:
            counts = t("event.counts", going=event.going, maybe=event.maybe,
                       waiting=event.waiting)
            text = Html(f"{text}\n{counts}")
        if answer:
            text = Html(f"{text}\n{t(f'rsvp.yours.{answer}')}")
        return text

    # --- RSVP ------------------------------------------------------------------------------

    async def rsvp(self, session: Session, event_id: int, answer: Answer) -> Reply:
        """Going (or the waiting list beyond capacity), Maybe, Not going; leaving promotes."""
        t = session.texts
        now, tg_id = self._clock.now(), session.user.tg_id
        async with self._database.transaction():
            event = await self._repo.get(event_id)
            if event is None or not event.listed or event.starts_at <= now:
                return Reply(t("not_available"))
            answer = await self._answer(event, tg_id, answer, now)
        event = await self._repo.get(event_id)
        if answer == "waiting":
            position = await self._repo.waiting_position(event_id, tg_id)
            return Reply(t("rsvp.waiting", title=event.title, position=position))
        if answer == "going" and venue_visible(event, "going", now, organiser=False):
            return Reply(t("rsvp.going_venue", title=event.title, venue=event.venue))
        if answer == "going" and event.disclosure == "going_before":
            return Reply(self._venue_later(t, "rsvp.going_venue_later", event, session.user))
        return Reply(t(f"rsvp.done.{answer}", title=event.title))

    def _venue_later(self, t: Texts, key: str, event: Event, user: User) -> str:
        """Going, by an answer or a place freed up, to an event whose address comes later:
        when it will arrive, in the member's own zone."""
        reveal = event_dues(event)["reveal"].astimezone(ZoneInfo(self._members.timezone(user)))
        return t.plural(key, event.disclose_hours or 0, title=event.title,
                        day=format_date(reveal, "EEE d MMM", locale=t.language),
                        time=f"{reveal:%H:%M}")

    async def _answer(self, event: Event, tg_id: int, answer: Answer, now: datetime) -> Answer:
        """Store an answer (Going beyond capacity waits); a place given up goes to the first
        on the waiting list. Returns the answer stored."""
        before = await self._repo.answer_of(event.id, tg_id)
        if answer == "going" and before in ("going", "waiting"):
            answer = before
        elif answer == "going" and event.capacity and event.going >= event.capacity:
            answer = "waiting"
        await self._repo.set_answer(event.id, tg_id, answer, now)
        if before == "going" and answer != "going":
            await self._promote(event)
        return answer

    async def leave_all(self, tg_id: int) -> None:
        """Someone who leaves (/forget) gives up their places as with Not going."""
        now = self._clock.now()
        async with self._database.transaction():
            for event in await self._repo.going_to(tg_id, now):
                await self._answer(event, tg_id, "not_going", now)

    async def _promote(self, event: Event) -> None:
        """The first on the waiting list takes the freed place and is told."""
        promoted = await self._repo.first_waiting(event.id)
        if promoted is None:
            return
        now = self._clock.now()
        await self._repo.set_answer(event.id, promoted, "going", now)
        visible = venue_visible(event, "going", now, organiser=False)
        user = (await self._members.session_by_id(promoted)).user

        def notice(tx: Texts) -> Reply:
            if visible:
                return Reply(tx("rsvp.promoted_venue", title=event.title, venue=event.venue))
            if event.disclosure == "going_before":
                return Reply(self._venue_later(tx, "rsvp.promoted_venue_later", event, user))
            return Reply(tx("rsvp.promoted", title=event.title))

        await self._notices.send([promoted], notice)

    # --- calendar --------------------------------------------------------------------------

    async def calendar(self, session: Session, event_id: int) -> tuple[bytes, str] | None:
        """An RFC 5545 file for the event, with the venue only if this person may see it."""
        event = await self._repo.get(event_id)
        if event is None or not event.listed:
            return None
        answer = await self._repo.answer_of(event_id, session.user.tg_id)
        visible = venue_visible(event, answer, self._clock.now(),
                                organiser=session.org_id == event.org_id)
        zone = ZoneInfo(event.timezone)
        calendar = icalendar.Calendar()
        calendar.add("prodid", "-//coalition-bot//events//EN")
        calendar.add("version", "2.0")
        item = icalendar.Event()
        item.add("uid", f"event-{event.id}@coalition-bot")
        item.add("dtstamp", self._clock.now())
        item.add("summary", event.title)
        item.add("description", event.description)
        item.add("dtstart", event.starts_at.astimezone(zone))
        if event.ends_at:
            item.add("dtend", event.ends_at.astimezone(zone))
        location = place(session.texts.language, city=event.city, country=event.country,
                         first=(event.venue if visible else None,))
        item.add("location", location)
        calendar.add_component(item)
        # One more VEVENT for each of the event's shifts this person took.
        for shift in await self._shifts.taken_by(session.user.tg_id, event.id):
            turn = icalendar.Event()
            turn.add("uid", f"shift-{shift.id}@coalition-bot")
            turn.add("dtstamp", self._clock.now())
            turn.add("summary", session.texts("shift.calendar_summary", role=shift.role,
                                              title=event.title))
            turn.add("dtstart", shift.starts_at.astimezone(zone))
            turn.add("dtend", shift.ends_at.astimezone(zone))
            turn.add("location", location)
            calendar.add_component(turn)
        calendar.add_missing_timezones()
        return calendar.to_ical(), f"event-{event.id}.ics"

    # --- what events owe at given times ----------------------------------------------------

    async def run_dues(self) -> None:
        """Reminders 24 h and 1 h before, venue reveals and the attendance question to the
        organisers after the event, each once, through the queue.

        A reminder missed while the bot was down goes out now if the event has not begun."""
        now = self._clock.now()
        for event_id, what in await self._repo.due(now):
            event = await self._repo.get(event_id)
            if event is not None and not event.visible:
                continue  # hidden since `due` read it: owed still, for when it is shown again
            async with self._database.transaction():
                if not await self._repo.mark_done(event_id, what, now):
                    continue
                if event is None or event.status != "scheduled":
                    continue
                if what == "attendance":
                    await self._ask_attendance(event)
                    continue
                if event.starts_at <= now:
                    continue
                await self._send_to_rsvps(
                    event, "going", lambda t, event=event, what=what: self._due_text(
                        t, event, what, now), "reveal" if what == "reveal" else "reminder")

    def _due_text(self, t: Texts, event: Event, what: str, now: datetime) -> str:
        zone = event.timezone
        when = self._when(t, event.starts_at, event.ends_at, zone)
        visible = venue_visible(event, "going", now, organiser=False)
        if what == "reveal":
            return t("event.reveal", title=event.title, when=Html(when), venue=event.venue)
        key = "event.reminder_venue" if visible else "event.reminder"
        return t(key, title=event.title, when=Html(when), venue=event.venue,
                 left=t(f"event.left.{what}"))

    async def _ask_attendance(self, event: Event) -> None:
        """"How many people came?" to each of the event's organisers, once."""
        if event.attendance_at is not None:
            return
        await self._notices.broadcast(
            f"event:{event.id}:organisers", lambda t: Reply(
                t("attendance.question", title=event.title, when=Html(self._when(
                    t, event.starts_at, event.ends_at, event.timezone))),
                [[Button(t("button.attendance"), AttendanceReport(event.id))]]),
            kind="notice")

    # --- attendance ------------------------------------------------------------------------

    async def begin_attendance(self, session: Session, event_id: int, change: bool) -> Reply:
        """How many came: from the question, the first organiser's answer counts; from
        /myevents (`change`), it replaces the one given."""
        t = session.texts
        event = await self._own_event(session, event_id)
        if event is None or event.status != "scheduled" or event.starts_at > self._clock.now():
            return Reply(t("not_available"))
        if not change and event.attendance_at is not None:
            return await self._attendance_answered(t, event)
        return await self._dialogues.start(session, "attendance", {
            "event": event.id, "title": event.title, "change": change})

    def _attendance_values(self, session: Session, answers: dict[str, Any]) -> dict[str, object]:
        return {"title": answers["title"], **ATTENDANCE.range_values(session, answers)}

    async def _report_attendance(self, session: Session, answers: dict[str, Any]) -> Reply:
        t = session.texts
        session = await self._members.reload(session)
        event = await self._own_event(session, answers["event"])
        if event is None or event.status != "scheduled":
            return Reply(t("not_available"))
        people = answers.get("people")
        if not await self._repo.report_attendance(
                event.id, people, answers.get("note"), session.user.tg_id, self._clock.now(),
                first=not answers["change"]):
            return await self._attendance_answered(t, await self._repo.get(event.id))
        if people is None:
            return Reply(t("attendance.skipped", title=event.title))
        return Reply(t.plural("attendance.saved", people, title=event.title))

    async def _attendance_answered(self, t: Texts, event: Event) -> Reply:
        """Another organiser answered first: who, by label, and what; changed in /myevents."""
        return Reply(await self._members.answered_by(
            t, "attendance.already_answered", event.attendance_by, title=event.title,
            people=self._attendance_text(t, event)))

    def _attendance_text(self, t: Texts, event: Event) -> str:
        if event.attendance_at is None:
            return t("attendance.not_reported")
        if event.attendance is None:
            return t("attendance.not_counted")
        return t.plural("attendance.people", event.attendance)

    async def _send_to_rsvps(self, event: Event, who: str, render, topic: Topic) -> None:
        """A message to the event's Going (or Going and Maybe) members, in their languages;
        `topic` names it in /broadcasts."""
        await self._notices.broadcast(
            f"event:{event.id}:{who}", lambda t: Reply(render(t)), kind="reminder", topic=topic)

    # --- a person's own plans: events answered, shifts taken ------------------------------

    async def plans(self, session: Session, page: int) -> Reply:
        """The coming events the person answered Going or Maybe to and the shifts they took,
        soonest first, in their zone; an event opens its card, a shift its card (Give back)."""
        t, tg_id, now = session.texts, session.user.tg_id, self._clock.now()
        viewer = self._members.timezone(session.user)
        answered = await self._repo.answered_by(tg_id, now)
        events = {event.id: event for event, _ in answered}
        plans: list[tuple[datetime, str, CallbackData]] = [(event.starts_at, t(
            f"myplans.{answer}", title=event.title, when=Html(when_for(
                t, event.starts_at, event.ends_at, event.timezone, viewer))), EventCard(event.id))
            for event, answer in answered]
        for shift in await self._shifts.coming_for(tg_id, now):
            event = events.get(shift.event_id) or await self._repo.get(shift.event_id)
            plans.append((shift.starts_at, t("myplans.shift", role=shift.role, title=event.title,
                                             when=Html(when_for(t, shift.starts_at, shift.ends_at,
                                                                event.timezone, viewer))),
                           ShiftCard(shift.id)))
        plans.sort(key=lambda plan: plan[0])
        page, shown = page_of(plans, page)
        return render_page(t, title=t.plural("myplans.title", len(plans)),
                           empty=t("myplans.empty"), opens=lambda number: shown[number][2],
                           turn=MyPlansPage, entries=[
                               Entry(number, Html(line))
                               for number, (_, line, _) in enumerate(shown)],
                           page=page, total=len(plans))

    # --- the organisation's own events -----------------------------------------------------

    async def own(self, session: Session, page: int) -> Reply:
        """/myevents: the organisation's events for its organisers, with their own plans a
        button away; everyone else's own plans."""
        t, org_id, now = session.texts, session.org_id, self._clock.now()
        if org_id is None:
            return await self.plans(session, page)
        total = await self._repo.count_of_organisation(org_id)
        page = clamp_page(page, total)
        events = await self._repo.of_organisation(org_id, now, page * PAGE_SIZE, PAGE_SIZE)
        entries = [Entry(event.id, Html(t(
            "event.own_line", title=event.title,
            when=f"{event.starts_at.astimezone(ZoneInfo(event.timezone)):%Y-%m-%d %H:%M}",
            status=_status(t, event), going=event.going, maybe=event.maybe,
            waiting=event.waiting))) for event in events]
        return render_page(t, title=t.plural("event.own_title", total),
                           empty=t("event.own_empty"), opens=OwnEvent, turn=MyEventsPage,
                           entries=entries, page=page, total=total,
                           extra=[[Button(t("button.my_plans"), MyPlansPage(0))]])

    async def _own_event(self, session: Session, event_id: int) -> Event | None:
        event = await self._repo.get(event_id)
        return event if event is not None and event.org_id == session.org_id else None

    async def own_card(self, session: Session, event_id: int) -> Reply:
        t = session.texts
        event = await self._own_event(session, event_id)
        if event is None:
            return Reply(t("not_available"))
        if event.status != "scheduled":
            return Reply(t("event.own_cancelled", title=event.title))
        text = with_hidden_note(t, await self._card_text(session, event), event)
        rows = [[Button(t("button.edit"), EventEdit(event.id)),
                 Button(t("button.cancel_event"), EventCancelAsk(event.id))]]
        extra = [Button(t("button.message_attendees"), MessageAttendees(event.id))
                 ] if event.visible else []
        rows.append([*extra, Button(t("button.shifts"), ShiftList(event.id))])
        if event.starts_at <= self._clock.now():
            text = Html(f"{text}\n{t('attendance.line', people=self._attendance_text(t, event))}")
            rows.append([Button(t("button.attendance"), AttendanceReport(event.id, True))])
        return Reply(text, rows)

    async def ask_cancel(self, session: Session, event_id: int) -> Reply:
        """Cancel event: an optional reason, then a last question before it is done (it cannot
        be undone and everyone who answered is told)."""
        event = await self._own_event(session, event_id)
        if event is None or event.status != "scheduled":
            return Reply(session.texts("not_available"))
        return await self._dialogues.start(session, "event_cancel", {
            "event": event.id, "title": event.title, "answered": event.going + event.maybe})

    def _cancel_question(self, session: Session, answers: dict[str, Any]) -> str:
        return "event.cancel.confirm_reason" if answers.get("reason") else "event.cancel.confirm"

    def _cancel_values(self, session: Session, answers: dict[str, Any]) -> dict[str, object]:
        return {"count": answers["answered"], "title": answers["title"],
                "reason": answers.get("reason") or ""}

    async def _cancel_or_keep(self, session: Session, answers: dict[str, Any]) -> Reply:
        t = session.texts
        session = await self._members.reload(session)
        event = await self._own_event(session, answers["event"])
        if event is None:
            return Reply(t("not_available"))
        if answers["confirm"] == KEEP:
            return Reply(t("event.cancel.kept", title=event.title))
        return await self._cancel(t, event, answers.get("reason"))

    async def _cancel(self, t: Texts, event: Event, reason: str | None) -> Reply:
        """Cancel the event and tell everyone who answered Going or Maybe (why, if told)."""
        async with self._database.transaction():
            if not await self._repo.cancel(event.id, self._clock.now()):
                return Reply(t("not_available"))
            await self._send_to_rsvps(event, "answered", lambda tx: tx(
                "event.cancelled_notice_reason" if reason else "event.cancelled_notice",
                title=event.title, organisation=event.org_name, reason=reason or "",
                when=Html(self._when(tx, event.starts_at, event.ends_at, event.timezone))),
                "cancellation")
            await self.show_on_channel(event.id)
        return Reply(t("event.cancelled", title=event.title))

    async def edit_menu(self, session: Session, event_id: int) -> Reply:
        t = session.texts
        event = await self._own_event(session, event_id)
        if event is None or event.status != "scheduled":
            return Reply(t("not_available"))
        return Reply(t("event.edit.ask", title=event.title), [
            [Button(t(step.label), EventEditField(event.id, step.name))]
            for step in self._edit_flow.editable(_answers(event)) if step.label is not None])

    async def begin_edit(self, session: Session, event_id: int, field: str) -> Reply:
        event = await self._own_event(session, event_id)
        if event is None or event.status != "scheduled" or field not in EDIT_FIELDS:
            return Reply(session.texts("not_available"))
        fields = _answers(event)
        return await self._dialogues.start_edit(session, self._edit_flow.name, {
            "event": event_id, "timezone": event.timezone, "was": fields, **fields}, field)

    async def _edit(self, session: Session, answers: dict[str, Any]) -> Reply:
        """Save the changed field; a new time or place is told to those going."""
        t = session.texts
        session = await self._members.reload(session)
        event = await self._own_event(session, answers["event"])
        if event is None or event.status != "scheduled":
            return Reply(t("not_available"))
        now = self._clock.now()
        field = next((name for name in EDIT_FIELDS if answers[name] != answers["was"][name]),
                     None)
        if field is None:
            return await self.own_card(session, event.id)
        if field == "start":
            start = starts_at(answers)
            ends_at = event.ends_at + (start - event.starts_at) if event.ends_at else None
            async with self._database.transaction():
                await self._repo.update(event.id, now, starts_at=start, ends_at=ends_at)
                await self._move_shifts(event, start - event.starts_at, now)
        elif field == "capacity" and answers["capacity"] is None:
            return Reply(t("not_available"))
        else:
            await self._repo.update(event.id, now, **{field: answers[field]})
        changed = await self._repo.get(event.id)
        if field == "start":
            await self._repo.set_dues(event.id, {
                what: due for what, due in event_dues(changed).items() if due > now})
        if field == "capacity":
            while changed.capacity and changed.going < changed.capacity and changed.waiting:
                await self._promote(changed)
                changed = await self._repo.get(event.id)
        if field in ("start", "venue"):
            await self._send_to_rsvps(changed, "going", lambda tx: self._change_text(
                tx, changed, field, now), "change")
        await self.show_on_channel(event.id)
        return await self.own_card(session, event.id)

    async def _move_shifts(self, event: Event, by: timedelta, now: datetime) -> None:
        """The event's shifts move with it, so that they stay within it; those holding one
        are told its new time."""
        for shift in await self._shifts.move(event.id, by, now):
            await self._notices.send(
                await self._shifts.people(shift.id), lambda tx, shift=shift: Reply(tx(
                    "shift.moved", role=shift.role, title=event.title, when=Html(self._when(
                        tx, shift.starts_at, shift.ends_at, event.timezone)))))

    def _change_text(self, t: Texts, event: Event, field: str, now: datetime) -> str:
        when = Html(self._when(t, event.starts_at, event.ends_at, event.timezone))
        if field == "start":
            return t("event.moved", title=event.title, when=when)
        if venue_visible(event, "going", now, organiser=False):
            return t("event.venue_changed", title=event.title, venue=event.venue)
        return t.plural("event.venue_changed_later", event.disclose_hours, title=event.title)


def _answers(event: Event) -> dict[str, Any]:
    """The fields of a published event that may change, as a dialogue's answers."""
    return {"title": event.title, "description": event.description,
            "start": event.starts_at.isoformat(), "venue": event.venue,
            "capacity": event.capacity}


def _status(t: Texts, event: Event) -> str:
    status = t(f"event.status.{event.status}")
    return status if event.hidden_at is None else t("event.status_hidden", status=status)


def _blank() -> str:
    return ":".join([_NONE] * 4)


def _list_time(local: datetime, this_year: int) -> str:
    """Day and time in a list; the year only when it is not this year's."""
    return f"{local:%d.%m %H:%M}" if local.year == this_year else f"{local:%d.%m.%Y %H:%M}"
