"""Digests (SPEC §7): subscriptions, the elections calendar, composition and the schedule."""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from bot.conversation import places
from bot.conversation.answers import Limit, line_of
from bot.conversation.callbacks import ElectionAdd, ElectionRemove, ElectionsList, ElectionsRemoval
from bot.conversation.dialogue import Dialogues, Flow, Invalid, NotAvailable, Option, Step
from bot.conversation.listing import PAGE_SIZE, page_count, page_of, turning
from bot.conversation.places import country_name
from bot.conversation.replies import Button, Reply
from bot.conversation.roles import Role
from bot.conversation.session import Session
from bot.conversation.text import excerpt, fits, shown_length
from bot.conversation.timeparse import parse_date
from bot.features.cadence import FREQUENCIES, days_to_election, next_due
from bot.features.members import (
    DEFAULT_DIGEST_TIME,
    Members,
    digest_time,
    parse_country_answer,
    parse_time_of_day,
)
from bot.features.needs import URGENCY_ICON, need_place
from bot.infra.clock import Clock
from bot.infra.delivery import DeliveryQueue
from bot.infra.i18n import Html, Texts, texts
from storage.audit import AuditRepository
from storage.database import Database
from storage.digests import ALL_TOPICS, DigestRepository, Election, Line, Section
from storage.models import ElectionName, User
from storage.users import UserRepository

log = logging.getLogger("coalition.digests")

LATE = timedelta(hours=6)  # a digest missed by more than this is skipped, not sent late
# A schedule computed again (a changed zone or digest time, a changed calendar) counts from a
# little before the tick, so a digest due between the change and the tick is not lost.
RECOMPUTE_GRACE = timedelta(minutes=2)
FIRST_PERIOD = timedelta(days=7)  # what "new" means for a first digest
EVENTS_AHEAD = timedelta(days=14)
ALWAYS_WITHIN = 7  # days to an election within which a digest goes out even with nothing new
URGENT_SHOWN, NEW_SHOWN, EVENTS_SHOWN, ANNOUNCEMENTS_SHOWN = 5, 10, 10, 5
EXCERPT = 200
RECIPIENTS_PER_BROADCAST = 5000
SCHEDULE_BATCH = 1000
ELECTION_YEARS_AHEAD = 10
ELECTION_NAME = Limit.of_type(ElectionName)

parse_election_name = line_of(ELECTION_NAME)


@dataclass(frozen=True)
class Digest:
    """A composed digest: its text, and whether the schedule sends it."""

    text: str
    send: bool


@dataclass(frozen=True)
class TickReport:
    dropped: int = 0
    skipped: int = 0
    queued: int = 0
    quiet: int = 0
    broadcasts: int = 0


class Digests:
    def __init__(
        self, digests_repo: DigestRepository, users_repo: UserRepository,
        audit_repo: AuditRepository, dialogues: Dialogues, members: Members,
        delivery: DeliveryQueue, database: Database, clock: Clock, *, default_language: str,
        default_timezone: str,
    ) -> None:
        self._repo = digests_repo
        self._users_repo = users_repo
        self._audit_repo = audit_repo
        self._dialogues = dialogues
        self._members = members
        self._delivery = delivery
        self._database = database
        self._clock = clock
        self._default_language = default_language
        self._default_timezone = default_timezone
        self._elections: list[Election] | None = None
        self._ticking = asyncio.Lock()
        self._topics_step = Step("sub_topics", "subscribe.ask.topics",
                                 options=self._topic_options)
        dialogues.register(
            Flow(name="subscribe", steps=(
                Step("frequency", "subscribe.ask.frequency",
                     options=[Option(value, f"frequency.{value}") for value in FREQUENCIES]),
                self._topics_step,
                Step("country", "subscribe.ask.country", parse=parse_country_answer,
                     optional=True),
                Step("time", "subscribe.ask.time", parse=parse_time_of_day, optional=True,
                     question_values=self._time_values),
            ), finish=self._subscribe),
            Flow(name="election_add", steps=(
                Step("name", "elections.ask.name", parse=parse_election_name,
                     question_values=ELECTION_NAME.length_values, label="elections.field.name"),
                Step("name_ru", "elections.ask.name_ru", parse=parse_election_name,
                     question_values=ELECTION_NAME.length_values, optional=True,
                     label="elections.field.name_ru"),
                Step("date", "elections.ask.date", parse=self._parse_date,
                     options=self._members.day_options, as_typed=True,
                     label="elections.field.date"),
                Step("country", "elections.ask.country", parse=parse_country_answer,
                     label="elections.field.country"),
            ), preview=self._election_preview, publish_label="button.add",
                finish=self._add_election),
        )

    # --- what a member sees ----------------------------------------------------------------

    def _zone(self, user: User) -> str:
        return self._members.timezone(user)

    def _when(self, t: Texts, moment: datetime, zone: str) -> str:
        local = moment.astimezone(ZoneInfo(zone))
        return format_datetime(local, "EEEE d MMMM y, HH:mm", locale=t.language)

    def _date(self, t: Texts, day: date) -> str:
        return format_date(day, "d MMMM y", locale=t.language)

    def next_digest(self, user: User, frequency: str, now: datetime) -> datetime:
        """When this member's next digest is due, from their current settings."""
        dates = [election.date for election in self._elections or ()]
        return next_due(frequency, digest_time(user), self._zone(user),
                        dates, now)

    def _next_line(self, t: Texts, user: User, frequency: str) -> str:
        zone = self._zone(user)
        due = self.next_digest(user, frequency, self._clock.now())
        return t("digest.next", when=self._when(t, due, zone), zone=zone)

    async def settings_line(self, session: Session) -> str:
        """The /settings menu's "Next digest" line (with its newline), for subscribers."""
        subscription = await self._repo.subscription(session.user.tg_id)
        if subscription is None:
            return ""
        await self._load_elections()
        return "\n" + self._next_line(session.texts, session.user, subscription.frequency)

    # --- /subscribe, /unsubscribe ----------------------------------------------------------

    async def begin_subscribe(self, session: Session) -> Reply:
        await self._load_elections()
        return await self._dialogues.start(session, "subscribe")

    def _topic_options(self, session: Session, answers: dict[str, Any]) -> list[Option]:
        chosen = answers.get("topics", list(ALL_TOPICS))
        t = session.texts
        return [*(Option(topic, label=("✅ " if topic in chosen else "▫️ ") + t(f"topic.{topic}"))
                  for topic in ALL_TOPICS), Option("done", "button.done")]

    def _time_values(self, session: Session, answers: dict[str, Any]) -> dict[str, object]:
        current = digest_time(session.user)
        return {"zone": self._zone(session.user), "time": current.strftime("%H:%M")}

    async def toggle_topic(self, session: Session, topic: str) -> Reply:
        """Switch a topic of the subscription being written on or off (at least one stays)."""
        state = await self._dialogues.current(session.user.tg_id)
        if state is None or state.flow != "subscribe" or state.step != "sub_topics" or (
                topic not in ALL_TOPICS):
            raise NotAvailable
        chosen = list(state.answers.get("topics", ALL_TOPICS))
        notice = None
        if topic in chosen and len(chosen) == 1:
            notice = session.texts("subscribe.topics_needed")
        elif topic in chosen:
            chosen.remove(topic)
        else:
            chosen = [name for name in ALL_TOPICS if name in chosen or name == topic]
        answers = {**state.answers, "topics": chosen}
        await self._dialogues.keep_answers(state, answers)
        reply = self._dialogues.ask(session, self._topics_step, answers)
        if notice:
            reply.text = f"{notice}\n\n{reply.text}"
        return reply

    async def _subscribe(self, session: Session, answers: dict[str, Any]) -> Reply:
        t = session.texts
        tg_id, now = session.user.tg_id, self._clock.now()
        topics = [topic for topic in ALL_TOPICS if topic in answers.get("topics", ALL_TOPICS)]
        if answers.get("time"):
            await self._users_repo.update(tg_id, digest_time=answers["time"])
            session = await self._members.reload(session)
        await self._load_elections()
        due = self.next_digest(session.user, answers["frequency"], now)
        await self._repo.subscribe(tg_id, answers["frequency"], topics, answers.get("country"),
                                   due, now)
        country = answers.get("country")
        zone = self._zone(session.user)
        return Reply(t(
            "subscribe.done", frequency=t(f"frequency.{answers['frequency']}"),
            topics=Html(", ".join(t(f"topic.{topic}") for topic in topics)),
            country=Html(t("subscribe.only_country", country=country_name(country, t.language))
                         if country else t("subscribe.all_countries")),
            when=self._when(t, due, zone), zone=zone))

    async def unsubscribe(self, session: Session) -> Reply:
        t, tg_id = session.texts, session.user.tg_id
        stopped = await self._repo.unsubscribe(tg_id)
        return Reply(t("unsubscribe.done" if stopped else "unsubscribe.not_subscribed"))

    # --- /digest ---------------------------------------------------------------------------

    async def digest_now(self, session: Session) -> list[Reply]:
        """The member's digest right now, as the schedule would send it, and when the next
        one is due (Auto and all topics if they are not subscribed)."""
        t, user = session.texts, session.user
        now = self._clock.now()
        await self._load_elections()
        subscription = await self._repo.subscription(user.tg_id)
        since = (subscription.last_until if subscription and subscription.last_until
                 else now - FIRST_PERIOD)
        digest = await self.compose(
            t.language, subscription.topics if subscription else ALL_TOPICS,
            subscription.country if subscription else None, user.country, self._zone(user),
            since, now)
        text = digest.text if digest.send else self._quiet(t, digest.text)
        footer = self._next_line(t, user, subscription.frequency) if subscription else t(
            "digest.not_subscribed")
        return [Reply(text), Reply(footer)]

    def _quiet(self, t: Texts, text: str) -> str:
        """What /digest says when the schedule would send nothing: the countdown, if any."""
        countdown = text.split("\n", 1)[0] if text.startswith("🗳") else None
        nothing = t("digest.nothing_new")
        return f"{countdown}\n\n{nothing}" if countdown else nothing

    # --- composition -----------------------------------------------------------------------

    async def compose(
        self, language: str, topics: Sequence[str], country: str | None, home: str | None,
        zone: str, since: datetime, until: datetime,
    ) -> Digest:
        """One digest for everyone with this choice and period (§7.3).

        Sections only when not empty; the countdown first; never a need's private details nor
        an event's venue (the repository does not even read them); every value escaped.
        """
        t, repo = texts(language), self._repo
        tz = ZoneInfo(zone)
        today = until.astimezone(tz).date()
        blocks: list[_Block] = []
        news = 0
        if "needs" in topics:
            urgent = await repo.urgent_needs(country, since, URGENT_SHOWN)
            new = await repo.new_needs(country, since, until, NEW_SHOWN + URGENT_SHOWN)
            shown = {line.id for line in urgent.lines}
            fresh = [line for line in new.lines if line.id not in shown]
            new = Section(fresh[:NEW_SHOWN], new.total - (len(new.lines) - len(fresh)), new.new)
            news += urgent.new + new.total
            blocks.append(self._block(t, "digest.section.urgent", urgent, "/needs",
                                      lambda line: self._need_line(t, line)))
            blocks.append(self._block(t, "digest.section.new_needs", new, "/needs",
                                      lambda line: self._need_line(t, line)))
        if "events" in topics:
            events = await repo.upcoming_events(country, country or home, until,
                                                until + EVENTS_AHEAD, since, EVENTS_SHOWN)
            news += events.new
            blocks.append(self._block(t, "digest.section.events", events, "/events",
                                      lambda line: self._event_line(t, line, tz)))
        if "announcements" in topics:
            announcements = await repo.announcements(since, until, ANNOUNCEMENTS_SHOWN)
            news += announcements.total
            blocks.append(self._block(t, "digest.section.announcements", announcements, None,
                                      lambda line: t("digest.announcement_line",
                                                     text=excerpt(line.text or "", EXCERPT))))
        upcoming = [e for e in self._elections or () if e.date >= today]
        d = days_to_election(today, [e.date for e in upcoming])
        countdown = None
        if d is not None:
            election = next(e for e in upcoming if (e.date - today).days == d)
            values = {"election": election.name_in(t.language),
                      "date": self._date(t, election.date)}
            countdown = t("digest.election_day", **values) if d == 0 else t.plural(
                "digest.countdown", d, **values)
        blocks = [block for block in blocks if block.lines]
        text = _fit(t, countdown, blocks)
        return Digest(text, send=news > 0 or (d is not None and d <= ALWAYS_WITHIN))

    def _block(self, t: Texts, title: str, section: Section, command: str | None,
               render) -> _Block:
        return _Block(t(title), [render(line) for line in section.lines],
                      section.total - len(section.lines), command)

    def _need_line(self, t: Texts, line: Line) -> str:
        return t("digest.need_line", icon=URGENCY_ICON.get(line.urgency or "", "⚪"),
                 title=line.title, organisation=line.organisation,
                 place=need_place(t, line.country or "", line.city,
                                  beside=(line.title, line.organisation)))

    def _event_line(self, t: Texts, line: Line, tz: ZoneInfo) -> str:
        assert line.starts_at is not None
        when = format_datetime(line.starts_at.astimezone(tz), "EEE d MMM, HH:mm",
                               locale=t.language)
        return t("digest.event_line", when=when, title=line.title,
                 place=places.place(t.language, city=line.city, first=(line.organisation,),
                                    beside=(line.title,)))

    # --- the schedule ----------------------------------------------------------------------

    async def tick(self) -> TickReport:
        """Queue every digest that is due (§7.4); run every minute and at start.

        Per (subscriber, period) at most once: a group of subscribers is queued and marked
        handled in one transaction, so a restart finds each either queued or still due. Of the
        digests missed while the bot was down, only one less than LATE late is sent (see
        `_skip_late`). Memory stays flat: the
        due subscribers are grouped in SQL and read a few thousand ids at a time.
        """
        async with self._ticking:
            repo = self._repo
            now = self._clock.now()
            await self._load_elections()
            dropped = await repo.drop_inactive(now)
            skipped = await self._skip_late(now)
            await self.reschedule(now)
            await repo.mark_due(now, self._default_language, self._default_timezone)
            queued = quiet = broadcasts = 0
            for group in await repo.due_groups():
                digest = await self.compose(
                    group.language, group.topics, group.country, group.home_country, group.zone,
                    group.since or group.until - FIRST_PERIOD, group.until)
                while True:
                    async with self._database.transaction():
                        tg_ids = await repo.take_group(group.key, RECIPIENTS_PER_BROADCAST)
                        if not tg_ids:
                            break
                        if digest.send:
                            await self._delivery.enqueue(
                                kind="digest", text=digest.text, recipients=tg_ids,
                                audience="subscribers", not_before=now)
                            queued += len(tg_ids)
                            broadcasts += 1
                        else:
                            quiet += len(tg_ids)
                        await repo.handled(tg_ids, group, covered=True)
                    if len(tg_ids) < RECIPIENTS_PER_BROADCAST:
                        break
            await self.reschedule(now)
            report = TickReport(dropped, skipped, queued, quiet, broadcasts)
            if dropped or skipped or queued or quiet:
                log.info("digests: %d queued in %d broadcasts, %d with nothing new, %d skipped "
                         "as too late, %d dropped (blocked the bot)", queued, broadcasts, quiet,
                         skipped, dropped)
            return report

    async def _skip_late(self, now: datetime) -> int:
        """SPEC §7.4 after downtime: a subscriber's missed digests due LATE or more ago are
        skipped, and their next due time becomes the first one after that: a digest less than
        LATE late, which this tick sends, or the next one to come. Returns how many were
        skipped. The skipped periods are not lost: the next digest counts from the last one
        sent (last_until)."""
        oldest = now - LATE
        dates = [election.date for election in self._elections or ()]
        skipped = 0
        while batch := await self._repo.late(oldest, SCHEDULE_BATCH):
            schedule = []
            for row in batch:
                missed = last = due = row.schedule_from
                while due <= oldest:
                    skipped += 1
                    last, due = due, next_due(
                        row.frequency, row.digest_time or DEFAULT_DIGEST_TIME,
                        row.timezone or self._default_timezone, dates, due)
                schedule.append((row.tg_id, missed, last, due))
            await self._repo.skip_to(schedule)
        return skipped

    async def reschedule(self, now: datetime) -> int:
        """Compute the next due time of every subscriber who has none, in batches."""
        dates = [election.date for election in self._elections or ()]
        done = 0
        while batch := await self._repo.unscheduled(SCHEDULE_BATCH):
            schedule = []
            for row in batch:
                after = max(row.schedule_from or now, now - RECOMPUTE_GRACE)
                schedule.append((row.tg_id, next_due(
                    row.frequency, row.digest_time or DEFAULT_DIGEST_TIME,
                    row.timezone or self._default_timezone, dates, after)))
            await self._repo.set_next_due(schedule)
            done += len(batch)
        return done

    # --- elections -------------------------------------------------------------------------

    async def _load_elections(self) -> list[Election]:
        self._elections = await self._repo.elections()
        return self._elections

    async def elections_overview(self, session: Session, notice: str | None = None,
                                 page: int = 0) -> Reply:
        t = session.texts
        today = self._members.today(session.user)
        upcoming = await self._repo.elections(today)
        page, shown = page_of(upcoming, page)
        lines = Html("\n".join(t("elections.line", number=number, name=election.name_in(t.language),
                            date=self._date(t, election.date),
                            country=country_name(election.country, t.language))
                          for number, election in enumerate(shown, page * PAGE_SIZE + 1)))
        text = t("elections.list", lines=lines) if upcoming else t("elections.empty")
        if len(upcoming) > PAGE_SIZE:
            pages = t("list.page", page=page + 1, pages=page_count(len(upcoming)))
            text = Html(f"{text}\n\n{pages}")
        rows = []
        if turned := turning(t, page, len(upcoming), ElectionsList):
            rows.append(turned)
        row = [Button(t("button.add"), ElectionAdd())]
        if upcoming:
            row.append(Button(t("button.remove"), ElectionsRemoval(page)))
        rows.append(row)
        return Reply(f"{notice}\n\n{text}" if notice else text, rows)

    async def removal_menu(self, session: Session, page: int = 0) -> Reply:
        """The elections of one page of the calendar, a button each, to remove one."""
        t = session.texts
        today = self._members.today(session.user)
        upcoming = await self._repo.elections(today)
        page, shown = page_of(upcoming, page)
        rows = [[Button(f"{election.name_in(t.language)}, {self._date(t, election.date)}",
                        ElectionRemove(election.id))] for election in shown]
        if turned := turning(t, page, len(upcoming), ElectionsRemoval,
                             previous="button.previous"):
            rows.append(turned)
        rows.append([Button(t("button.back"), ElectionsList(page))])
        return Reply(t("elections.ask.remove"), rows)

    async def begin_election(self, session: Session) -> Reply:
        return await self._dialogues.start(session, "election_add")

    def _parse_date(self, text: str, session: Session, answers: dict[str, Any]) -> str:
        today = self._members.today(session.user)
        day = parse_date(text, today)
        if day < today:
            raise Invalid("invalid.election_past")
        if day.year > today.year + ELECTION_YEARS_AHEAD:
            raise Invalid("invalid.election_far", count=ELECTION_YEARS_AHEAD)
        return day.isoformat()

    async def _election_preview(self, session: Session, answers: dict[str, Any]) -> str:
        t = session.texts
        names = Html("\n".join(html.escape(name, quote=False)
                                for name in (answers["name"], answers.get("name_ru")) if name))
        return t("elections.preview", name=names,
                 date=self._date(t, date.fromisoformat(answers["date"])),
                 country=country_name(answers["country"], t.language))

    async def _add_election(self, session: Session, answers: dict[str, Any]) -> Reply:
        t = session.texts
        if not session.may(Role.COORDINATOR):
            return Reply(t("not_available"))
        now = self._clock.now()
        day = date.fromisoformat(answers["date"])
        name, name_ru = answers["name"], answers.get("name_ru")
        election_id = await self._repo.add_election(name, day, answers["country"],
                                                    session.user.tg_id, now, name_ru)
        await self._audit_repo.record(session.user.tg_id, "election.add",
                                      f"election:{election_id}", now)
        await self._calendar_changed()
        added = Election(election_id, name, day, answers["country"], name_ru)
        return await self.elections_overview(session, t(
            "elections.added", name=added.name_in(t.language), date=self._date(t, day)))

    async def remove_election(self, session: Session, election_id: int) -> Reply:
        t = session.texts
        now = self._clock.now()
        async with self._database.transaction():
            removed = await self._repo.remove_election(election_id)
            if removed is None:
                return Reply(t("not_available"))
            await self._audit_repo.record(session.user.tg_id, "election.remove",
                                          f"election:{election_id}", now)
            await self._calendar_changed()
        return await self.elections_overview(session, t(
            "elections.removed", name=removed.name_in(t.language),
            date=self._date(t, removed.date)))

    async def _calendar_changed(self) -> None:
        """Auto subscribers' next digests are computed again (by the next tick, in batches)."""
        await self._load_elections()
        count = await self._repo.reschedule_auto()
        log.info("elections changed: %d Auto subscribers to reschedule", count)


@dataclass
class _Block:
    title: str
    lines: list[str]
    more: int
    command: str | None


def _render(t: Texts, countdown: str | None, blocks: Sequence[_Block]) -> str:
    parts = [countdown] if countdown else []
    for block in blocks:
        lines = [block.title, *block.lines]
        if block.more:
            lines.append(t.plural("digest.more", block.more, command=block.command)
                         if block.command else t.plural("digest.more_plain", block.more))
        parts.append("\n".join(lines))
    if not blocks:
        parts.append(t("digest.nothing_new"))
    return "\n\n".join(parts)


def _fit(t: Texts, countdown: str | None, blocks: list[_Block]) -> str:
    """The digest within one Telegram message: the longest section gives up its last entries,
    each cut counted in its "…and N more" line."""
    text = _render(t, countdown, blocks)
    while not fits(text):
        longest = max((block for block in blocks if block.lines),
                      key=lambda block: sum(map(shown_length, block.lines)))
        longest.lines.pop()
        longest.more += 1
        text = _render(t, countdown, blocks)
    return Html(text)
