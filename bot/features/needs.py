"""Needs (SPEC §4): posting, browsing with filters, offers of help, alerts, expiry."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from bot.conversation.answers import Limit, line_of, text_of
from bot.conversation.callbacks import (
    AlertToggle,
    MyNeedsPage,
    NeedCard,
    NeedClose,
    NeedEdit,
    NeedEditField,
    NeedOffers,
    NeedsFilter,
    NeedsPage,
    OfferDecision,
    OfferHelp,
    OwnNeed,
    SettingsMenu,
    StillNeeded,
)
from bot.conversation.dialogue import Dialogues, Flow, Invalid, Option, Step
from bot.conversation.listing import PAGE_SIZE, Entry, clamp_page, render_page
from bot.conversation.places import parse_country, place
from bot.conversation.replies import Button, Reply
from bot.conversation.roles import Role
from bot.conversation.session import Session
from bot.conversation.timeparse import parse_coming_date
from bot.features.members import CITY, Members, parse_city
from bot.features.notices import Notices
from bot.features.posts import moderation_row, with_hidden_note
from bot.features.relay import relay_open, write_to_helper, write_to_organisers
from bot.infra.clock import Clock
from bot.infra.i18n import Html, Texts
from storage.database import Database
from storage.models import CATEGORIES, ONLINE, URGENCIES, Need, Offer
from storage.needs import NeedFilter, NeedRepository
from storage.organisations import OrganisationRepository

log = logging.getLogger(__name__)

UNTOUCHED = timedelta(days=14)
COUNTRY_BUTTONS = 8
URGENCY_ICON = {"critical": "🔴", "urgent": "🟠", "normal": "⚪"}
EDITABLE_ORDER = ("title", "description", "private_details", "category", "urgency", "country",
                  "city", "deadline")
_NONE = "-"


TITLE = Limit.of(Need, "title")
DESCRIPTION = Limit.of(Need, "description")
PRIVATE = Limit.of(Need, "private_details")
OFFER = Limit.of(Offer, "message")
parse_title = line_of(TITLE)
parse_description = text_of(DESCRIPTION)
parse_private = text_of(PRIVATE)
parse_offer_message = text_of(OFFER)


def parse_place(text: str, session: Session, answers: dict[str, Any]) -> str:
    if text.strip().casefold() in (ONLINE, "онлайн"):
        return ONLINE
    code = parse_country(text) if len(text) <= 60 else None
    if code is None:
        raise Invalid("invalid.need_country")
    return code


def _options(kind: str, values: tuple[str, ...]) -> list[Option]:
    return [Option(value, f"{kind}.{value}") for value in values]


def _answers(need: Need) -> dict[str, Any]:
    """A need's editable fields as a dialogue's answers."""
    fields = need.model_dump(include=set(EDITABLE_ORDER), mode="json")
    if need.country == ONLINE:
        del fields["city"]  # never asked: its step's `when` does not hold
    return fields


def need_place(t: Texts, country: str, city: str | None, beside: tuple[str, ...] = ()) -> str:
    """Where a need is, composed as every place is (`places.place`: the city said once, then
    the country); online has neither."""
    if country == ONLINE:
        return t("need.online")
    return place(t.language, city=city, country=country, beside=beside)


class Needs:
    def __init__(
        self, needs_repo: NeedRepository, orgs_repo: OrganisationRepository,
        dialogues: Dialogues, members: Members, notices: Notices, database: Database,
        clock: Clock,
    ) -> None:
        self._repo = needs_repo
        self._orgs_repo = orgs_repo
        self._dialogues = dialogues
        self._members = members
        self._notices = notices
        self._database = database
        self._clock = clock
        steps = {
            "title": Step("title", "need.ask.title", parse=parse_title,
                          question_values=TITLE.length_values),
            "description": Step("description", "need.ask.description", parse=parse_description,
                                question_values=DESCRIPTION.length_values),
            "private_details": Step("private_details", "need.ask.private", parse=parse_private,
                                    optional=True, question_values=PRIVATE.length_values),
            "category": Step("category", "need.ask.category",
                             options=_options("category", CATEGORIES)),
            "urgency": Step("urgency", "need.ask.urgency",
                            options=_options("urgency", URGENCIES)),
            "country": Step("country", "need.ask.country", parse=parse_place, then=("city",)),
            "city": Step("city", "need.ask.city", parse=parse_city, optional=True,
                         when=lambda answers: answers.get("country") != ONLINE,
                         question_values=CITY.length_values),
            "deadline": Step("deadline", "need.ask.deadline", parse=self._parse_deadline,
                             optional=True, options=self._members.day_options,
                             as_typed=True),
        }
        steps = tuple(replace(steps[name], label=f"need.field.{name}") for name in EDITABLE_ORDER)
        # A published need is edited with the same steps, labels and dependants as its preview.
        self._edit_flow = Flow(name="need_edit", steps=steps, finish=self._edit)
        dialogues.register(
            Flow(name="neednew", steps=steps, preview=self._preview, finish=self._publish),
            Flow(name="offer", steps=(
                Step("message", "offer.ask.message", parse=parse_offer_message,
                     question_values=OFFER.length_values, label="offer.field.message"),
                Step("share", "offer.ask.share", label="offer.field.share", options=[
                    Option("share", "offer.share"), Option("noshare", "offer.noshare")]),
            ), preview=self._offer_preview, publish_label="button.send", finish=self._offer),
            self._edit_flow,
        )

    # --- posting ---------------------------------------------------------------------------

    def _parse_deadline(self, text: str, session: Session, answers: dict[str, Any]) -> str:
        return parse_coming_date(text, self._members.today(session.user),
                                 "invalid.deadline_past").isoformat()

    async def begin(self, session: Session) -> Reply:
        if session.org_id is None:  # a coordinator who organises no approved organisation
            return Reply(session.texts("organiser.no_organisation"))
        return await self._dialogues.start(session, "neednew")

    def _details(self, t: Texts, fields: dict[str, Any], org_name: str) -> Html:
        deadline = fields.get("deadline")
        return Html(t(
            "need.details", icon=URGENCY_ICON[fields["urgency"]], title=fields["title"],
            organisation=org_name, category=t(f"category.{fields['category']}"),
            urgency=t(f"urgency.{fields['urgency']}"),
            place=need_place(t, fields["country"], fields.get("city")),
            deadline=deadline.isoformat() if isinstance(deadline, date) else (
                deadline or t("need.no_deadline")),
            description=fields["description"],
        ))

    async def _preview(self, session: Session, answers: dict[str, Any]) -> str:
        t = session.texts
        details = self._details(t, answers, session.membership.org_name)
        if answers.get("private_details"):
            details = Html(t("need.preview_private", card=details,
                             private=answers["private_details"]))
        return t("need.preview", card=details)

    async def _publish(self, session: Session, answers: dict[str, Any]) -> Reply:
        t = session.texts
        session = await self._members.reload(session)
        if session.org_id is None:
            return Reply(t("not_available"))
        now = self._clock.now()
        need_id = await self._repo.create(session.org_id, session.user.tg_id, answers, now)
        need = await self._repo.get(need_id)
        if need.urgency == "critical":
            await self._alert(need)
        return Reply(t("need.published", title=need.title))

    async def _alert(self, need: Need) -> None:
        """Critical needs go at once to the members who asked for alerts in that category,
        except the posting organisation's own."""
        await self._notices.broadcast(
            f"alert:{need.category}:{need.org_id}", lambda t: Reply(
                t("need.alert", card=self._public_card(t, need)),
                [[Button(t("button.help"), OfferHelp(need.id))]]), kind="alert")

    def _public_card(self, t: Texts, need: Need) -> Html:
        """What anyone may see of a need: never its private details."""
        return self._details(t, need.model_dump(), need.org_name)

    # --- browsing --------------------------------------------------------------------------

    async def browse(self, session: Session, where: NeedFilter, page: int) -> Reply:
        t = session.texts
        total = await self._repo.count(where)
        page = clamp_page(page, total)
        needs = await self._repo.browse(where, page * PAGE_SIZE, PAGE_SIZE)
        entries = [Entry(need.id, Html(t(
            "need.line", icon=URGENCY_ICON[need.urgency], title=need.title,
            organisation=need.org_name,
            place=need_place(t, need.country, need.city, beside=(need.title, need.org_name)),
        ))) for need in needs]
        state = _state(where)
        filters = [[Button(t("button.filter"), NeedsFilter(None, state))]]
        if where != NeedFilter():
            filters[0].append(Button(t("button.clear_filters"), NeedsPage(0, _state(NeedFilter()))))
        shown = self._filter_text(t, where)
        return render_page(
            t, title=t.plural("need.list.title", total, filters=shown),
            empty=t("need.list.empty", filters=shown), opens=NeedCard, entries=entries, page=page,
            total=total, extra=filters, turn=lambda number: NeedsPage(number, state))

    def _filter_text(self, t: Texts, where: NeedFilter) -> str:
        parts = []
        if where.category:
            parts.append(t(f"category.{where.category}"))
        if where.country:
            parts.append(need_place(t, where.country, None))
        if where.urgency:
            parts.append(t(f"urgency.{where.urgency}"))
        return ", ".join(parts) if parts else t("need.no_filters")

    async def filter_menu(self, session: Session, where: NeedFilter, facet: str | None) -> Reply:
        """The filter buttons: facets first, then the values of the chosen facet."""
        t, state = session.texts, _state(where)
        back = [Button(t("button.back"), NeedsPage(0, state))]
        if facet is None:
            return Reply(t("need.filter.ask"), [[
                Button(t("need.filter.category"), NeedsFilter("c", state)),
                Button(t("need.filter.country"), NeedsFilter("k", state)),
                Button(t("need.filter.urgency"), NeedsFilter("u", state))], back])
        if facet == "c":
            values = [(value, t(f"category.{value}")) for value in CATEGORIES]
        elif facet == "u":
            values = [(value, t(f"urgency.{value}")) for value in URGENCIES]
        else:
            values = [(code, need_place(t, code, None))
                      for code in await self._repo.countries(COUNTRY_BUTTONS)]
        field = {"c": "category", "u": "urgency", "k": "country"}[facet]
        rows = [[Button(label, NeedsPage(0, _state(_with(where, field, value))))]
                for value, label in values]
        return Reply(t("need.filter.choose" if rows else "need.filter.no_countries"),
                     [*rows, back])

    async def card(self, session: Session, need_id: int) -> Reply:
        """An open need as members see it; a coordinator also sees it hidden, with Hide or
        Unhide."""
        t = session.texts
        need = await self._repo.get(need_id)
        coordinator = session.may(Role.COORDINATOR)
        if need is None or need.status != "open" or not (need.visible or coordinator):
            return Reply(t("not_available"))
        age = (self._clock.now() - need.created_at).days
        text = t("need.card", card=self._public_card(t, need),
                 age=t.plural("need.age", age) if age else t("need.age_today"))
        rows = [[Button(t("button.help"), OfferHelp(need.id))]] if need.visible else []
        if coordinator:
            text = with_hidden_note(t, text, need)
            rows.append(moderation_row(t, "need", need))
        return Reply(text, rows)

    # --- offers ----------------------------------------------------------------------------

    async def begin_offer(self, session: Session, need_id: int) -> Reply:
        t = session.texts
        need = await self._repo.get(need_id)
        if need is None or not need.listed:
            return Reply(t("not_available"))
        if session.org_id == need.org_id:
            return Reply(t("offer.own_organisation"))
        if await self._repo.has_offered(need_id, session.user.tg_id):
            return Reply(t("offer.already"))
        return await self._dialogues.start(session, "offer", {"need": need_id})

    async def _offer_preview(self, session: Session, answers: dict[str, Any]) -> str:
        need = await self._repo.get(answers["need"])
        title = need.title if need is not None else ""
        if answers["share"] != "share":
            return session.texts("offer.preview.hidden", title=title, message=answers["message"])
        if session.username is None:
            return session.texts("offer.preview.no_username", title=title,
                                 message=answers["message"])
        return session.texts("offer.preview.shared", title=title, message=answers["message"],
                             username=f"@{session.username}")

    async def _offer(self, session: Session, answers: dict[str, Any]) -> Reply:
        t = session.texts
        need = await self._repo.get(answers["need"])
        if need is None or not need.listed:
            return Reply(t("not_available"))
        username = session.username if answers["share"] == "share" else None
        offer_id = await self._repo.add_offer(need.id, session.user.tg_id, answers["message"],
                                              username, self._clock.now())
        if offer_id is None:
            return Reply(t("offer.already"))
        offer = await self._repo.offer(offer_id)
        organisers = await self._orgs_repo.members(need.org_id)
        await self._notices.send(organisers, lambda tx: self._offer_notice(tx, need, offer))
        key = "offer.sent_no_username" if answers["share"] == "share" and username is None else (
            "offer.sent")
        return Reply(t(key, title=need.title), [[write_to_organisers(t, offer)]])

    def _offer_notice(self, t: Texts, need: Need, offer: Offer) -> Reply:
        contact = t("offer.contact", username=f"@{offer.username}") if offer.username else (
            t("offer.no_contact"))
        return Reply(
            t("offer.notice", title=need.title, message=offer.message, contact=contact),
            [[Button(t("button.accept"), OfferDecision(True, offer.id)),
              Button(t("button.decline"), OfferDecision(False, offer.id))],
             [write_to_helper(t, offer)]])

    async def decide_offer(self, session: Session, offer_id: int, accept: bool) -> Reply:
        """An organiser of the posting organisation accepts (revealing the private details to
        that helper only) or declines an offer."""
        t = session.texts
        offer = await self._repo.offer(offer_id)
        need = await self._repo.get(offer.need_id) if offer else None
        if offer is None or need is None or session.org_id != need.org_id:
            return Reply(t("not_available"))
        async with self._database.transaction():
            if not await self._repo.decide_offer(offer_id, "accepted" if accept else "declined",
                                                 session.user.tg_id, self._clock.now()):
                return await self._already_answered(t, offer_id)
            if accept:
                await self._notices.send([offer.helper_id], lambda tx: Reply(
                    tx("offer.accepted_private", title=need.title, organisation=need.org_name,
                       private=need.private_details) if need.private_details else
                    tx("offer.accepted", title=need.title, organisation=need.org_name),
                    [[write_to_organisers(tx, offer)]] if need.listed else []))
            else:
                await self._notices.send([offer.helper_id], lambda tx: Reply(
                    tx("offer.declined", title=need.title, organisation=need.org_name)))
        return Reply(t("offer.accepted_done" if accept else "offer.declined_done"))

    async def _already_answered(self, t: Texts, offer_id: int) -> Reply:
        """Another organiser was first: what they answered and who, by label."""
        offer = await self._repo.offer(offer_id)
        if offer is None or offer.status not in ("accepted", "declined"):
            return Reply(t("offer.already_decided"))
        return Reply(await self._members.answered_by(
            t, f"offer.already_{offer.status}", offer.decided_by))

    # --- the organisation's own needs ------------------------------------------------------

    async def own(self, session: Session, page: int) -> Reply:
        t, org_id = session.texts, session.org_id
        if org_id is None:
            return Reply(t("organiser.no_organisation"))
        total = await self._repo.count_of_organisation(org_id)
        page = clamp_page(page, total)
        needs = await self._repo.of_organisation(org_id, page * PAGE_SIZE, PAGE_SIZE)
        entries = [Entry(need.id, Html(t(
            "need.own_line", icon=URGENCY_ICON[need.urgency], title=need.title,
            status=_status(t, need), offers=t.plural("need.offers", need.offers),
        ))) for need in needs]
        return render_page(t, title=t.plural("need.own_title", total), empty=t("need.own_empty"),
                           opens=OwnNeed, turn=MyNeedsPage, entries=entries, page=page, total=total)

    async def _own_need(self, session: Session, need_id: int) -> Need | None:
        """The need, if the person may act for its organisation right now."""
        need = await self._repo.get(need_id)
        return need if need is not None and need.org_id == session.org_id else None

    async def own_card(self, session: Session, need_id: int) -> Reply:
        t = session.texts
        need = await self._own_need(session, need_id)
        if need is None:
            return Reply(t("not_available"))
        text = t("need.own_card", card=self._public_card(t, need),
                 status=_status(t, need), offers=t.plural("need.offers", need.offers))
        if need.private_details:
            text = t("need.preview_private", card=Html(text), private=need.private_details)
        text = with_hidden_note(t, text, need)
        rows = [[Button(t("button.offers"), NeedOffers(need.id))]]
        if need.status == "open":
            rows.insert(0, [Button(t("button.fulfilled"), NeedClose("fulfilled", need.id)),
                            Button(t("button.close"), NeedClose("closed", need.id)),
                            Button(t("button.edit"), NeedEdit(need.id))])
        return Reply(text, rows)

    async def close(self, session: Session, need_id: int, status: str) -> Reply:
        t = session.texts
        need = await self._own_need(session, need_id)
        if need is None or not await self._repo.set_status(need_id, status, self._clock.now()):
            return Reply(t("not_available"))
        return Reply(t(f"need.{status}", title=need.title))

    async def edit_menu(self, session: Session, need_id: int) -> Reply:
        t = session.texts
        need = await self._own_need(session, need_id)
        if need is None or need.status != "open":
            return Reply(t("not_available"))
        return Reply(t("need.edit.ask", title=need.title), [
            [Button(t(step.label), NeedEditField(need.id, step.name))]
            for step in self._edit_flow.editable(_answers(need)) if step.label is not None])

    async def begin_edit(self, session: Session, need_id: int, field: str) -> Reply:
        need = await self._own_need(session, need_id)
        if need is None or need.status != "open" or field not in {
                step.name for step in self._edit_flow.editable(_answers(need))}:
            return Reply(session.texts("not_available"))
        fields = _answers(need)
        return await self._dialogues.start_edit(
            session, self._edit_flow.name, {"need": need_id, "was": fields, **fields}, field)

    async def _edit(self, session: Session, answers: dict[str, Any]) -> Reply:
        """Save what the edit changed (the field chosen, and a city its country asked for or
        dropped), not the rest: another organiser may have changed it meanwhile."""
        t = session.texts
        session = await self._members.reload(session)
        need = await self._own_need(session, answers["need"])
        if need is None or need.status != "open":
            return Reply(t("not_available"))
        changed = {name: answers.get(name) for name in EDITABLE_ORDER
                   if answers.get(name) != answers["was"].get(name)}
        if changed:
            await self._repo.update(need.id, self._clock.now(), **changed)
        return await self.own_card(session, need.id)

    async def offers(self, session: Session, need_id: int) -> list[Reply]:
        """The need's offers, one message each, pending ones with Accept / Decline."""
        t = session.texts
        need = await self._own_need(session, need_id)
        if need is None:
            return [Reply(t("not_available"))]
        offers = await self._repo.offers_for(need_id)
        if not offers:
            return [Reply(t("offer.none", title=need.title))]
        replies = []
        for offer in offers:
            reply = self._offer_notice(t, need, offer)
            if offer.status != "pending":
                reply = Reply(f"{reply.text}\n{t(f'offer.status.{offer.status}')}",
                              [[write_to_helper(t, offer)]] if relay_open(need, offer) else [])
            replies.append(reply)
        return replies

    # --- keeping the board fresh -----------------------------------------------------------

    async def housekeeping(self) -> None:
        """Expire needs past their deadline; ask about needs untouched for 14 days (once)."""
        now = self._clock.now()
        expired = await self._repo.expire(now.date(), now)
        if expired:
            log.info("%d needs expired", len(expired))
        for need in await self._repo.untouched(now - UNTOUCHED):
            # Marked and queued together: a crash in between neither loses nor repeats it.
            async with self._database.transaction():
                if not await self._repo.mark_asked(need.id, now):
                    continue
                organisers = await self._orgs_repo.members(need.org_id)
                await self._notices.send(organisers, lambda tx, need=need: Reply(
                    tx("need.still_needed", title=need.title),
                    [[Button(tx("button.yes"), StillNeeded(True, need.id)),
                      Button(tx("button.no"), StillNeeded(False, need.id))]]))

    async def still_needed(self, session: Session, need_id: int, needed: bool) -> Reply:
        t = session.texts
        need = await self._own_need(session, need_id)
        now = self._clock.now()
        if need is None:
            return Reply(t("not_available"))
        if needed and await self._repo.confirm_still_needed(need_id, now):
            return Reply(t("need.kept", title=need.title))
        if not needed and await self._repo.set_status(need_id, "closed", now):
            return Reply(t("need.closed", title=need.title))
        return Reply(t("not_available"))

    # --- alert choices (from /settings) ----------------------------------------------------

    async def alerts_menu(self, session: Session, notice: str | None = None) -> Reply:
        t = session.texts
        chosen = await self._repo.alert_categories(session.user.tg_id)
        rows = [[Button(("✅ " if value in chosen else "▫️ ") + t(f"category.{value}"),
                        AlertToggle(value))] for value in CATEGORIES]
        rows.append([Button(t("button.back"), SettingsMenu())])
        text = t("alerts.menu")
        return Reply(f"{notice}\n\n{text}" if notice else text, rows)

    async def toggle_alert(self, session: Session, category: str) -> Reply:
        if category not in CATEGORIES:
            return Reply(session.texts("not_available"))
        await self._repo.toggle_alert(session.user.tg_id, category)
        return await self.alerts_menu(session)


def _status(t: Texts, need: Need) -> str:
    status = t(f"need.status.{need.status}")
    return status if need.hidden_at is None else t("need.status_hidden", status=status)


def _state(where: NeedFilter) -> str:
    return ":".join(value or _NONE for value in (where.category, where.country, where.urgency))


def parse_state(category: str, country: str, urgency: str) -> NeedFilter | None:
    """Filter state from callback data; None when a value is not one the bot offers."""
    values = [None if value == _NONE else value for value in (category, country, urgency)]
    if values[0] not in (None, *CATEGORIES) or values[2] not in (None, *URGENCIES):
        return None
    if values[1] not in (None, ONLINE) and (len(values[1]) != 2 or not values[1].isupper()):
        return None
    return NeedFilter(*values)


def _with(where: NeedFilter, field: str, value: str) -> NeedFilter:
    return NeedFilter(**{"category": where.category, "country": where.country,
                         "urgency": where.urgency, field: value})
