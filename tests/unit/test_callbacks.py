"""Button data: each definition builds its string, matches it and reads it back; 64 bytes."""

from __future__ import annotations

import inspect

import pytest

from bot.conversation import callbacks
from bot.conversation.callbacks import CallbackData, word
from bot.conversation.roles import COMMANDS
from handlers import (
    announcements,
    coordinators,
    digests,
    events,
    general,
    needs,
    organisations,
    privacy,
    relay,
    settings,
)

NEED_STATE = "food:UA:critical"
EVENT_STATE = "DE:m:12:30"

# One button of every definition, with the string the bot has always sent for it.
EXAMPLES = {
    callbacks.DialogueAnswer("sub_topics", "~p2"): "d:sub_topics:~p2",
    callbacks.LanguageChoice("ru", True): "lang:ru:s",
    callbacks.SettingsMenu(): "set:menu",
    callbacks.SettingOpen("digest_time"): "set:digest_time",
    callbacks.AlertsMenu(): "set:alerts",
    callbacks.AlertToggle("medicine"): "alert:medicine",
    callbacks.ForgetConfirm(): "forget:yes",
    callbacks.ForgetCancel(): "forget:no",
    callbacks.OrgsPage(3): "orgs:p:3",
    callbacks.OrgCard(41): "orgs:o:41",
    callbacks.OrgApprove(1): "org:ap:1",
    callbacks.OrgReject(2): "org:rj:2",
    callbacks.OrgSuspend(3): "org:su:3",
    callbacks.OrgReinstate(4): "org:re:4",
    callbacks.OrgInvite(5): "org:iv:5",
    callbacks.CoordinatorsPage(1): "coord:p:1",
    callbacks.CoordinatorAdd(): "coord:add",
    callbacks.CoordinatorRemove(1234567890123): "coord:rm:1234567890123",
    callbacks.CoordinatorRemoveConfirm(1234567890123): "coord:rmy:1234567890123",
    callbacks.CoordinatorApprove(7): "coord:ap:7",
    callbacks.CoordinatorReject(8): "coord:rj:8",
    callbacks.PostHide("need", 9): "hide:need:9",
    callbacks.PostUnhide("event", 10): "unhide:event:10",
    callbacks.BroadcastsPage(2): "bcs:p:2",
    callbacks.BroadcastCard(11): "bcs:o:11",
    callbacks.BroadcastCancel(12): "bc:x:12",
    callbacks.BroadcastApprove(13): "bc:ap:13",
    callbacks.NeedsPage(4, NEED_STATE): f"nd:l:4:{NEED_STATE}",
    callbacks.NeedsFilter("u", "-:online:-"): "nd:fu:-:online:-",
    callbacks.NeedCard(1): "nd:o:1",
    callbacks.OfferHelp(14): "need:help:14",
    callbacks.OfferDecision(False, 15): "offer:dc:15",
    callbacks.MyNeedsPage(5): "mn:p:5",
    callbacks.OwnNeed(16): "mn:o:16",
    callbacks.NeedClose("fulfilled", 17): "mn:ful:17",
    callbacks.NeedEdit(18): "mn:ed:18",
    callbacks.NeedEditField(19, "needed_by"): "mn:ef:19:needed_by",
    callbacks.NeedOffers(20): "mn:of:20",
    callbacks.StillNeeded(True, 21): "need:yes:21",
    callbacks.RelayWrite("helper", 23): "rl:h:23",
    callbacks.RelayWrite("organisers", 24): "rl:o:24",
    callbacks.MyOffersPage(1): "mo:p:1",
    callbacks.MyOffer(25): "mo:o:25",
    callbacks.AttendeeReply(26): "rl:e:26",
    callbacks.MessageAttendees(27): "me:ma:27",
    callbacks.EventsPage(0, EVENT_STATE): f"ev:l:0:{EVENT_STATE}",
    callbacks.EventsFilter("c", "-:-:-:-", 2): "ev:fc:-:-:-:-:2",
    callbacks.EventCard(22): "ev:o:22",
    callbacks.Rsvp("not_going", 23): "rsvp:not_going:23",
    callbacks.EventCalendar(24): "ics:24",
    callbacks.MyEventsPage(6): "me:p:6",
    callbacks.MyPlansPage(2): "me:y:2",
    callbacks.OwnEvent(25): "me:o:25",
    callbacks.EventCancelAsk(26): "me:cx:26",
    callbacks.EventEdit(29): "me:ed:29",
    callbacks.EventEditField(30, "venue"): "me:ef:30:venue",
    callbacks.ShiftList(40): "sh:e:40",
    callbacks.ShiftsPage(40, 2): "sh:l:40:2",
    callbacks.ShiftCard(41): "sh:o:41",
    callbacks.ShiftTake(41): "sh:t:41",
    callbacks.ShiftGiveBack(41): "sh:g:41",
    callbacks.ShiftAdd(40): "sh:a:40",
    callbacks.MessageShift(41): "sh:m:41",
    callbacks.AttendanceReport(33): "me:at:33",
    callbacks.AttendanceReport(34, True): "me:at:34:c",
    callbacks.CampaignsPage(7): "cp:p:7",
    callbacks.CampaignCard(31): "cp:o:31",
    callbacks.CampaignSitesPage(32, 1): "cp:s:32:1",
    callbacks.CampaignOverview(35): "cp:ov:35",
    callbacks.CampaignOverviewPage(36, 2): "cp:op:36:2",
    callbacks.ElectionsList(2): "el:list:2",
    callbacks.ElectionAdd(): "el:add",
    callbacks.ElectionsRemoval(1): "el:rmp:1",
    callbacks.ElectionRemove(33): "el:rm:33",
}

DEFINITIONS = [value for value in vars(callbacks).values() if inspect.isclass(value)
               and issubclass(value, CallbackData) and value is not CallbackData]


def test_every_definition_has_an_example() -> None:
    assert {type(example) for example in EXAMPLES} == set(DEFINITIONS)


@pytest.mark.parametrize(("data", "string"), EXAMPLES.items(), ids=str)
def test_builds_the_same_string_and_reads_it_back(data: CallbackData, string: str) -> None:
    assert data.pack() == string
    match = type(data).pattern().match(string)
    assert match is not None
    assert type(data).parse(match) == data


@pytest.mark.parametrize("string", EXAMPLES.values())
def test_only_its_own_definition_matches_a_string(string: str) -> None:
    matching = [definition for definition in DEFINITIONS if definition.pattern().match(string)]
    assert len(matching) == 1, matching


def test_prefixes_are_unique() -> None:
    prefixes = [definition.prefix for definition in DEFINITIONS]
    assert len(prefixes) == len(set(prefixes))


def test_optional_parts_and_older_strings() -> None:
    assert callbacks.LanguageChoice("en", False).pack() == "lang:en"
    assert callbacks.EventsFilter(None, "-:-:-:-").pack() == "ev:f:-:-:-:-"
    assert callbacks.EventsFilter("k", "-:-:-:-", 0).pack() == "ev:fk:-:-:-:-:0"
    # Buttons of older versions, still on people's screens.
    for definition, string in ((callbacks.ElectionsList, "el:list"),
                               (callbacks.ElectionsRemoval, "el:rm")):
        assert definition.parse(definition.pattern().match(string)) == definition(0)


class Note(CallbackData, prefix="note"):
    text: str = word(r"[a-zé]{1,70}")


def test_over_64_bytes_is_refused_when_built() -> None:
    assert len(Note("é" * 29 + "a").pack().encode()) == 64
    with pytest.raises(ValueError, match="over 64 bytes"):
        Note("é" * 29 + "ab")  # 65 bytes, though only 36 characters


def test_a_value_its_pattern_would_not_match_is_refused() -> None:
    with pytest.raises(ValueError, match="does not match"):
        callbacks.NeedEditField(1, "Title")
    with pytest.raises(ValueError, match="does not match"):
        callbacks.NeedCard(-1)


def test_narrowed_pattern_matches_only_those_values() -> None:
    topics = callbacks.DialogueAnswer.pattern(step=("sub_topics",), value=("needs", "events"))
    assert topics.match("d:sub_topics:needs")
    assert not topics.match("d:sub_topics:done")
    assert not topics.match("d:frequency:needs")


def test_every_command_is_registered_once_with_its_role_from_the_table() -> None:
    modules = (general, settings, organisations, coordinators, privacy, announcements, needs,
               relay, digests, events)
    registered = [route.command for module in modules for route in module.ROUTES
                  if route.command is not None]
    assert sorted(registered) == sorted(command.name for command in COMMANDS)
    roles = {command.name: command.role for command in COMMANDS}
    for module in modules:
        for route in module.ROUTES:
            if route.command is not None:
                assert route.role == roles[route.command]
