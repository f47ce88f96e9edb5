"""Campaigns (SPEC §5.2): one commemoration, many city sites, nearest sites first."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from bot.conversation.answers import Limit, line_of, text_of
from bot.conversation.callbacks import (
    CampaignCard,
    CampaignOverview,
    CampaignOverviewPage,
    CampaignSitesPage,
    CampaignsPage,
    EventCard,
)
from bot.conversation.dialogue import Dialogues, Flow, Invalid, Option, Step
from bot.conversation.listing import PAGE_SIZE, Entry, clamp_page, page_count, render_page, turning
from bot.conversation.places import country_name, place
from bot.conversation.replies import Button, Reply
from bot.conversation.roles import Role
from bot.conversation.session import Session
from bot.conversation.text import fit_field
from bot.conversation.timeparse import parse_coming_date, parse_date
from bot.features.charts import bar_chart
from bot.features.members import Members
from bot.infra.clock import Clock
from bot.infra.i18n import Html, Texts
from storage.audit import AuditRepository
from storage.events import EventRepository
from storage.models import Campaign, Event
from storage.shifts import ShiftRepository

TITLE = Limit.of(Campaign, "title")
DESCRIPTION = Limit.of(Campaign, "description")
parse_title = line_of(TITLE)
parse_description = text_of(DESCRIPTION)


def last_day_example(session: Session, answers: dict[str, Any]) -> dict[str, object]:
    """The day after the chosen first day, as the example of a last day."""
    return _day_example(date.fromisoformat(answers["starts_on"]) + timedelta(days=1))


def _day_example(day: date) -> dict[str, object]:
    return {"example": day.isoformat()}


def days(first: date, last: date) -> str:
    """A campaign's days: one date for a one-day campaign, else the first and the last."""
    return first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"


def nearest_first(sites: list[Event], country: str | None, city: str | None) -> list[Event]:
    """The member's country first (their city first in it), then the others by country."""
    return sorted(sites, key=lambda site: (
        site.country != country, site.country, site.city != city, site.city, site.starts_at))


def _last_day_holds(session: Session, answers: dict[str, Any]) -> None:
    if answers["ends_on"] < answers["starts_on"]:
        raise Invalid("invalid.last_day_before_first", first=answers["starts_on"])


class Campaigns:
    def __init__(
        self, events_repo: EventRepository, shifts_repo: ShiftRepository,
        audit_repo: AuditRepository, dialogues: Dialogues, members: Members, clock: Clock,
    ) -> None:
        self._repo = events_repo
        self._shifts = shifts_repo
        self._audit_repo = audit_repo
        self._dialogues = dialogues
        self._members = members
        self._clock = clock
        dialogues.register(Flow(
            name="campaignnew",
            steps=(Step("title", "campaign.ask.title", parse=parse_title,
                        question_values=TITLE.length_values, label="campaign.field.title"),
                   Step("description", "campaign.ask.description", parse=parse_description,
                        question_values=DESCRIPTION.length_values,
                        label="campaign.field.description"),
                   Step("starts_on", "campaign.ask.starts_on", parse=self._parse_first_day,
                        question_values=self._first_day_example,
                        options=members.day_options, as_typed=True,
                        label="campaign.field.starts_on"),
                   Step("ends_on", "campaign.ask.ends_on", parse=self._parse_last_day,
                        question_values=last_day_example,
                        options=self._last_day_options, as_typed=True,
                        label="campaign.field.ends_on", check=_last_day_holds)),
            preview=self._preview, finish=self._publish))

    def _parse_first_day(self, text: str, session: Session, answers: dict[str, Any]) -> str:
        return parse_coming_date(text, self._members.today(session.user)).isoformat()

    def _parse_last_day(self, text: str, session: Session, answers: dict[str, Any]) -> str:
        day = parse_date(text, self._members.today(session.user)).isoformat()
        _last_day_holds(session, {**answers, "ends_on": day})
        return day

    def _last_day_options(self, session: Session, answers: dict[str, Any]) -> list[Option]:
        """The same day (a one-day campaign), then the coming days after the first day."""
        first = answers["starts_on"]
        return [Option(first, "button.same_day"), *(
            option for option in self._members.day_options(session, answers)
            if option.value > first)]

    def _first_day_example(self, session: Session, answers: dict[str, Any]) -> dict[str, object]:
        """A first day to show as the example: four weeks from the coordinator's today."""
        return _day_example(self._members.today(session.user) + timedelta(weeks=4))

    async def begin(self, session: Session) -> Reply:
        return await self._dialogues.start(session, "campaignnew")

    async def _preview(self, session: Session, answers: dict[str, Any]) -> str:
        return session.texts("campaign.preview", title=answers["title"],
                             description=answers["description"], dates=days(
                                 date.fromisoformat(answers["starts_on"]),
                                 date.fromisoformat(answers["ends_on"])))

    async def _publish(self, session: Session, answers: dict[str, Any]) -> Reply:
        t = session.texts
        if not session.may(Role.COORDINATOR):
            return Reply(t("not_available"))
        now = self._clock.now()
        campaign_id = await self._repo.create_campaign(answers, session.user.tg_id, now)
        await self._audit_repo.record(session.user.tg_id, "campaign.create",
                                      f"campaign:{campaign_id}", now)
        return Reply(t("campaign.published", title=answers["title"]))

    async def overview(self, session: Session, page: int) -> Reply:
        t = session.texts
        campaigns = await self._repo.campaigns(self._members.today(session.user), open_only=False)
        page = clamp_page(page, len(campaigns))
        shown = campaigns[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
        entries = [Entry(campaign.id, Html(t(
            "campaign.line", title=campaign.title,
            dates=days(campaign.starts_on, campaign.ends_on)))) for campaign in shown]
        return render_page(t, title=t("campaign.list.title"), empty=t("campaign.list.empty"),
                           opens=CampaignCard, turn=CampaignsPage, entries=entries, page=page,
                           total=len(campaigns))

    async def card(self, session: Session, campaign_id: int, page: int = 0) -> Reply:
        """The campaign with a page of its sites grouped by country, nearest first: one
        message per page like every list, as many sites make any single text too long."""
        t, user = session.texts, session.user
        campaign = await self._repo.campaign(campaign_id)
        if campaign is None:
            return Reply(t("not_available"))
        sites = nearest_first(await self._repo.sites(campaign_id), user.country, user.city)
        page, pages = clamp_page(page, len(sites)), page_count(len(sites))
        shown = list(enumerate(sites[page * PAGE_SIZE:(page + 1) * PAGE_SIZE], 1))
        zone = ZoneInfo(self._members.timezone(user))
        lines = []
        for country, in_country in groupby(shown, key=lambda numbered: numbered[1].country):
            lines.append(t("campaign.country", country=country_name(country, t.language)))
            lines.extend(t("campaign.site", number=number, title=site.title,
                           place=place(t.language, city=site.city, first=(site.org_name,),
                                       beside=(site.title,)),
                           when=f"{site.starts_at.astimezone(zone):%Y-%m-%d %H:%M}")
                         for number, site in in_country)
        if lines:
            lines += ["", t("list.page", page=page + 1, pages=pages)]
        body = Html("\n".join(lines) if lines else t("campaign.no_sites"))
        text = fit_field(lambda description: t(
            "campaign.card", title=campaign.title, description=description,
            dates=days(campaign.starts_on, campaign.ends_on), sites=body), campaign.description)
        rows = [[Button(str(number), EventCard(site.id)) for number, site in shown]]
        rows.append(turning(t, page, len(sites),
                            lambda number: CampaignSitesPage(campaign_id, number)))
        if _may_see_overview(session, sites):
            rows.append([Button(t("button.overview"), CampaignOverview(campaign_id))])
        return Reply(text, [row for row in rows if row])

    # --- the overview: numbers by site for those who run the campaign -----------------------

    async def _overview_sites(self, session: Session,
                              campaign_id: int) -> tuple[Campaign, list[Event]] | None:
        """The campaign and its sites, if this person may see its overview now."""
        campaign = await self._repo.campaign(campaign_id)
        if campaign is None:
            return None
        sites = await self._repo.sites(campaign_id)
        return (campaign, sites) if _may_see_overview(session, sites) else None

    async def site_overview(self, session: Session, campaign_id: int, page: int = 0) -> Reply:
        """Each site's date, Going, shift coverage and reported attendance, with the totals;
        paged like every list. Organisations, never people."""
        t = session.texts
        found = await self._overview_sites(session, campaign_id)
        if found is None:
            return Reply(t("not_available"))
        campaign, sites = found
        page = clamp_page(page, len(sites))
        reported = [site.attendance for site in sites if site.attendance is not None]
        coverage = await self._shifts.coverage([site.id for site in sites])
        title = t.plural("overview.title", len(sites), campaign=campaign.title,
                         going=sum(site.going for site in sites),
                         shifts=_coverage(tuple(map(sum, zip(*coverage.values(), strict=True)))
                                          if coverage else None),
                         came=sum(reported), reported=len(reported))
        entries = [Entry(site.id, Html(_site_line(t, site, _coverage(coverage.get(site.id)))))
                   for site in sites[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]]
        return render_page(t, title=title, empty=title, opens=EventCard,
                           turn=lambda number: CampaignOverviewPage(campaign_id, number),
                           entries=entries, page=page, total=len(sites))

    async def overview_chart(self, session: Session, campaign_id: int) -> tuple[bytes, str] | None:
        """A PNG bar chart of the sites, largest first, and its caption: by attendance once the
        campaign is over, by Going until then. None when there is nothing to draw."""
        found = await self._overview_sites(session, campaign_id)
        if found is None or not found[1]:
            return None
        campaign, sites = found
        t = session.texts
        over = self._members.today(session.user) > campaign.ends_on
        bars = sorted(((site.attendance or 0) if over else site.going,
                       place(t.language, city=site.city, first=(site.org_name,)))
                      for site in sites)
        bars.reverse()
        # Drawing takes a noticeable fraction of a second: off the loop that answers people.
        picture = await asyncio.to_thread(
            bar_chart, [label for _, label in bars], [value for value, _ in bars],
            campaign.title)
        caption = t.plural("overview.chart_came" if over else "overview.chart_going",
                           len(sites), campaign=campaign.title)
        return picture, caption


def _may_see_overview(session: Session, sites: list[Event]) -> bool:
    """Coordinators, and organisers of any of the campaign's sites (SPEC §12.2)."""
    return session.may(Role.COORDINATOR) or (
        session.org_id is not None and session.org_id in {site.org_id for site in sites})


def _coverage(places: tuple[int, int] | None) -> str:
    """Places taken of all places in shifts, or a dash where there are no shifts."""
    return "—" if places is None else "{}/{}".format(*places)


def _site_line(t: Texts, site: Event, shifts: str) -> str:
    day = f"{site.starts_at.astimezone(ZoneInfo(site.timezone)):%Y-%m-%d}"
    where = place(t.language, city=site.city, country=site.country)
    if site.attendance is None:
        return t("overview.site", place=where, organisation=site.org_name, day=day,
                 going=site.going, shifts=shifts)
    return t("overview.site_came", place=where, organisation=site.org_name, day=day,
             going=site.going, shifts=shifts, came=site.attendance)
