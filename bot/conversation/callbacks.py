"""Button data: one definition per action builds a button's callback string, gives its handler's
pattern and reads a pressed button back, so the two sides cannot drift apart.

A definition is a frozen dataclass with a `prefix` and typed fields; its string is the prefix
and the fields joined by ":" (`NeedCard(7)` is "nd:o:7"). The strings are those the bot has
always sent: buttons on people's screens keep working across versions.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self, dataclass_transform

from bot.infra.config import LANGUAGES

# Telegram refuses a button whose callback_data is longer, counted in bytes; nothing checks it
# before sending, so a definition checks it when a button is built.
LIMIT = 64

_PART = "part"


@dataclass(frozen=True)
class _Part:
    """How one field looks in the string. An optional part is left out while its field holds
    the default."""

    regex: str
    read: Callable[[str], object]
    write: Callable[[Any], str]
    optional: bool = False


def _field(part: _Part, **options: Any) -> Any:
    return field(metadata={_PART: part}, **options)


def number(digits: int = 12, *, optional: bool = False, **options: Any) -> Any:
    """A non-negative integer of at most `digits` digits (an id, a page)."""
    if optional:
        options.setdefault("default", None)
    return _field(_Part(rf"\d{{1,{digits}}}", int, str, optional), **options)


def word(regex: str) -> Any:
    """A string of the given form (the regex must not capture)."""
    return _field(_Part(regex, str, str))


def one_of(codes: Mapping[str, object] | Sequence[str]) -> Any:
    """One of a few codes, read as the value it stands for (`{"yes": True, "no": False}`)."""
    values = dict(codes) if isinstance(codes, Mapping) else {code: code for code in codes}
    names = {value: code for code, value in values.items()}
    return _field(_Part("|".join(map(re.escape, values)), values.__getitem__,
                        names.__getitem__))


def flag(code: str) -> Any:
    """True when the string carries `code`, False (and left out) otherwise."""
    return _field(_Part(re.escape(code), lambda text: True, lambda on: code, optional=True),
                  default=False)


@dataclass_transform(frozen_default=True, field_specifiers=(field, number, word, one_of, flag))
class CallbackData:
    """A button's action. Subclasses: `class NeedCard(CallbackData, prefix="nd:o")`.

    `legacy` lists strings of older versions' buttons without fields that still mean this action
    (read with the fields' defaults).
    """

    prefix: ClassVar[str]
    legacy: ClassVar[tuple[str, ...]] = ()
    _pattern: ClassVar[re.Pattern[str]]

    def __init_subclass__(cls, *, prefix: str, legacy: tuple[str, ...] = (), **kwargs: Any):
        super().__init_subclass__(**kwargs)
        cls.prefix, cls.legacy = prefix, legacy
        dataclass(frozen=True)(cls)
        assert not legacy or all(
            item.default is not dataclasses.MISSING for item in dataclasses.fields(cls)
        ), f"{cls.__name__}: legacy strings need a default for every field"
        cls._pattern = cls.pattern()

    def __post_init__(self) -> None:
        data = self.pack()
        if len(data.encode()) > LIMIT:
            raise ValueError(f"callback data over {LIMIT} bytes: {data!r}")
        if not self._pattern.match(data):
            # A value its handler would not recognise: a dead button.
            raise ValueError(f"callback data its pattern does not match: {data!r}")

    def pack(self) -> str:
        """The callback string."""
        pieces = [self.prefix]
        for item in dataclasses.fields(self):
            part, value = item.metadata[_PART], getattr(self, item.name)
            if not (part.optional and value == item.default):
                pieces.append(part.write(value))
        return ":".join(pieces)

    @classmethod
    def pattern(cls, **only: Sequence[object]) -> re.Pattern[str]:
        """The handler's anchored pattern (PTB uses re.match); `only` narrows fields to a few
        values (one step's buttons of the dialogue's answers)."""
        body = re.escape(cls.prefix)
        for item in dataclasses.fields(cls):
            part = item.metadata[_PART]
            regex = ("|".join(re.escape(part.write(value)) for value in only[item.name])
                     if item.name in only else part.regex)
            body += f"(?::({regex}))?" if part.optional else f":({regex})"
        return re.compile(f"^(?:{'|'.join([body, *map(re.escape, cls.legacy)])})$")

    @classmethod
    def parse(cls, match: re.Match[str]) -> Self:
        """The pressed button's action, from its pattern's match."""
        values = {
            item.name: item.metadata[_PART].read(text)
            for item, text in zip(dataclasses.fields(cls), match.groups(), strict=True)
            if text is not None
        }
        return cls(**values)


# Filters of /needs: category, country, urgency ("-": any).
_NEED_STATE = r"(?:[a-z]{2,12}|-):(?:[A-Z]{2}|online|-):(?:[a-z]{6,8}|-)"
# Filters of /events: country, near me, campaign, days ("-": any).
_EVENT_STATE = r"(?:[A-Z]{2}|-):(?:m|-):(?:\d{1,9}|-):(?:7|30|-)"
_KINDS = ("need", "event")


class DialogueAnswer(CallbackData, prefix="d"):
    """A button of a dialogue question: a choice, a day (ISO date), Skip, Back, a page turn,
    Publish, Cancel."""

    step: str = word(r"[a-z_]{1,20}")
    value: str = word(r"[~a-z0-9_-]{1,30}")


# General and settings

class LanguageChoice(CallbackData, prefix="lang"):
    language: str = one_of(LANGUAGES)
    from_settings: bool = flag("s")


class SettingsMenu(CallbackData, prefix="set:menu"):
    pass


class SettingOpen(CallbackData, prefix="set"):
    setting: str = one_of(("language", "country", "city", "timezone", "digest_time", "label"))


class AlertsMenu(CallbackData, prefix="set:alerts"):
    pass


class AlertToggle(CallbackData, prefix="alert"):
    category: str = word(r"[a-z]{2,12}")


class ForgetConfirm(CallbackData, prefix="forget:yes"):
    pass


class ForgetCancel(CallbackData, prefix="forget:no"):
    pass


# Organisations

class OrgsPage(CallbackData, prefix="orgs:p"):
    page: int = number(6)


class OrgCard(CallbackData, prefix="orgs:o"):
    org_id: int = number()


class OrgApprove(CallbackData, prefix="org:ap"):
    org_id: int = number()


class OrgReject(CallbackData, prefix="org:rj"):
    org_id: int = number()


class OrgSuspend(CallbackData, prefix="org:su"):
    org_id: int = number()


class OrgReinstate(CallbackData, prefix="org:re"):
    org_id: int = number()


class OrgInvite(CallbackData, prefix="org:iv"):
    org_id: int = number()


# Coordinators and posts

class CoordinatorsPage(CallbackData, prefix="coord:p"):
    page: int = number(6)


class CoordinatorAdd(CallbackData, prefix="coord:add"):
    pass


class CoordinatorRemove(CallbackData, prefix="coord:rm"):
    tg_id: int = number(16)


class CoordinatorRemoveConfirm(CallbackData, prefix="coord:rmy"):
    tg_id: int = number(16)


class CoordinatorApprove(CallbackData, prefix="coord:ap"):
    grant_id: int = number()


class CoordinatorReject(CallbackData, prefix="coord:rj"):
    grant_id: int = number()


class PostHide(CallbackData, prefix="hide"):
    kind: str = one_of(_KINDS)
    post_id: int = number()


class PostUnhide(CallbackData, prefix="unhide"):
    kind: str = one_of(_KINDS)
    post_id: int = number()


# Announcements

class BroadcastsPage(CallbackData, prefix="bcs:p"):
    page: int = number(3)


class BroadcastCard(CallbackData, prefix="bcs:o"):
    broadcast_id: int = number()


class BroadcastCancel(CallbackData, prefix="bc:x"):
    broadcast_id: int = number()


class BroadcastApprove(CallbackData, prefix="bc:ap"):
    broadcast_id: int = number()


# Needs

class NeedsPage(CallbackData, prefix="nd:l"):
    page: int = number(6)
    state: str = word(_NEED_STATE)


class NeedsFilter(CallbackData, prefix="nd"):
    facet: str | None = one_of({"f": None, "fc": "c", "fk": "k", "fu": "u"})
    state: str = word(_NEED_STATE)


class NeedCard(CallbackData, prefix="nd:o"):
    need_id: int = number()


class OfferHelp(CallbackData, prefix="need:help"):
    need_id: int = number()


class OfferDecision(CallbackData, prefix="offer"):
    accept: bool = one_of({"ac": True, "dc": False})
    offer_id: int = number()


class MyNeedsPage(CallbackData, prefix="mn:p"):
    page: int = number(6)


class OwnNeed(CallbackData, prefix="mn:o"):
    need_id: int = number()


class NeedClose(CallbackData, prefix="mn"):
    status: str = one_of({"ful": "fulfilled", "cls": "closed"})
    need_id: int = number()


class NeedEdit(CallbackData, prefix="mn:ed"):
    need_id: int = number()


class NeedEditField(CallbackData, prefix="mn:ef"):
    need_id: int = number()
    field: str = word(r"[a-z_]{4,16}")


class NeedOffers(CallbackData, prefix="mn:of"):
    need_id: int = number()


class StillNeeded(CallbackData, prefix="need"):
    needed: bool = one_of({"yes": True, "no": False})
    need_id: int = number()


# Relayed conversations and the offers a person made

class RelayWrite(CallbackData, prefix="rl"):
    """Write to helper / Write to organisers / Reply: a message about one offer, to that side."""

    to: str = one_of({"h": "helper", "o": "organisers"})
    offer_id: int = number()


class AttendeeReply(CallbackData, prefix="rl:e"):
    """Reply on a message to an event's attendees: to that event's organisers."""

    event_id: int = number()


class MyOffersPage(CallbackData, prefix="mo:p"):
    page: int = number(6)


class MyOffer(CallbackData, prefix="mo:o"):
    offer_id: int = number()


# Events and campaigns

class EventsPage(CallbackData, prefix="ev:l"):
    page: int = number(6)
    state: str = word(_EVENT_STATE)


class EventsFilter(CallbackData, prefix="ev"):
    facet: str | None = one_of({"f": None, "fk": "k", "fc": "c"})
    state: str = word(_EVENT_STATE)
    page: int | None = number(6, optional=True)


class EventCard(CallbackData, prefix="ev:o"):
    event_id: int = number()


class Rsvp(CallbackData, prefix="rsvp"):
    answer: str = one_of(("going", "maybe", "not_going"))
    event_id: int = number()


class EventCalendar(CallbackData, prefix="ics"):
    event_id: int = number()


class MyEventsPage(CallbackData, prefix="me:p"):
    page: int = number(6)


class MyPlansPage(CallbackData, prefix="me:y"):
    """A page of the events the person answered Going or Maybe to and the shifts they took."""

    page: int = number(6)


class OwnEvent(CallbackData, prefix="me:o"):
    event_id: int = number()


class EventCancelAsk(CallbackData, prefix="me:cx"):
    event_id: int = number()


class MessageAttendees(CallbackData, prefix="me:ma"):
    event_id: int = number()


class EventEdit(CallbackData, prefix="me:ed"):
    event_id: int = number()


class EventEditField(CallbackData, prefix="me:ef"):
    event_id: int = number()
    field: str = word(r"[a-z]{4,12}")


class ShiftList(CallbackData, prefix="sh:e"):
    event_id: int = number()


class ShiftsPage(CallbackData, prefix="sh:l"):
    event_id: int = number()
    page: int = number(6)


class ShiftCard(CallbackData, prefix="sh:o"):
    shift_id: int = number()


class ShiftTake(CallbackData, prefix="sh:t"):
    shift_id: int = number()


class ShiftGiveBack(CallbackData, prefix="sh:g"):
    shift_id: int = number()


class ShiftAdd(CallbackData, prefix="sh:a"):
    event_id: int = number()


class MessageShift(CallbackData, prefix="sh:m"):
    shift_id: int = number()


class AttendanceReport(CallbackData, prefix="me:at"):
    """How many came: answering the question (first answer counts) or changing it."""

    event_id: int = number()
    change: bool = flag("c")


class CampaignsPage(CallbackData, prefix="cp:p"):
    page: int = number(6)


class CampaignCard(CallbackData, prefix="cp:o"):
    campaign_id: int = number()


class CampaignSitesPage(CallbackData, prefix="cp:s"):
    campaign_id: int = number()
    page: int = number(6)


class CampaignOverview(CallbackData, prefix="cp:ov"):
    """A campaign's numbers by site, and their chart (coordinators, organisers of a site)."""

    campaign_id: int = number()


class CampaignOverviewPage(CallbackData, prefix="cp:op"):
    campaign_id: int = number()
    page: int = number(6)


# Elections

class ElectionsList(CallbackData, prefix="el:list", legacy=("el:list",)):
    page: int = number(6, default=0)


class ElectionAdd(CallbackData, prefix="el:add"):
    pass


class ElectionsRemoval(CallbackData, prefix="el:rmp", legacy=("el:rm",)):
    page: int = number(6, default=0)


class ElectionRemove(CallbackData, prefix="el:rm"):
    election_id: int = number()
