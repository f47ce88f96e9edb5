"""The pre-election cadence (SPEC §7.2): the table at every boundary, DST, zones, invariants."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.features.cadence import FREQUENCIES, days_to_election, is_digest_day, next_due

BERLIN = "Europe/Berlin"
NINE = time(9, 0)
ELECTION = date(2027, 9, 19)  # a Sunday


def _local(text: str, zone: str = BERLIN) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def _due_local(frequency: str, now: datetime, elections, zone: str = BERLIN,
               at: time = NINE) -> datetime:
    return next_due(frequency, at, zone, elections, now.astimezone(UTC)).astimezone(
        ZoneInfo(zone))


def _day_with(d: int, weekday: int) -> tuple[date, date]:
    """A day of the given weekday and an election d days after it."""
    day = date(2027, 1, 4) + timedelta(days=weekday)  # 2027-01-04 is a Monday
    return day, day + timedelta(days=d)


# --- the table, day by day -------------------------------------------------------------------

@pytest.mark.parametrize(("d", "weekday", "digest"), [
    (61, 0, True), (61, 3, False), (61, 1, False),   # more than 60 days: Monday only
    (60, 0, True), (60, 3, True), (60, 1, False), (60, 6, False),  # 15..60: Monday, Thursday
    (15, 3, True), (15, 2, False), (15, 4, False),
    (14, 2, True), (14, 5, True), (14, 6, True),     # 1..14: every day
    (1, 1, True), (1, 6, True),
    (0, 2, True), (0, 6, True),                      # election day
])
def test_auto_cadence_at_each_boundary(d: int, weekday: int, digest: bool) -> None:
    day, election = _day_with(d, weekday)
    assert days_to_election(day, [election]) == d
    assert is_digest_day("auto", day, [election]) is digest


@pytest.mark.parametrize("weekday", range(7))
def test_the_day_after_the_election_and_no_election_are_weekly(weekday: int) -> None:
    day, _ = _day_with(0, weekday)
    yesterday = day - timedelta(days=1)  # d = -1: no longer upcoming
    assert days_to_election(day, [yesterday]) is None
    assert is_digest_day("auto", day, [yesterday]) is (weekday == 0)
    assert is_digest_day("auto", day, []) is (weekday == 0)


def test_the_nearest_upcoming_of_two_elections_counts() -> None:
    day, _ = _day_with(0, 2)  # a Wednesday
    far, near = day + timedelta(days=100), day + timedelta(days=10)
    assert days_to_election(day, [far, near]) == 10
    assert is_digest_day("auto", day, [far, near])
    past = day - timedelta(days=3)
    assert days_to_election(day, [past, far]) == 100
    assert not is_digest_day("auto", day, [past, far])
    assert days_to_election(day, [day + timedelta(days=30), far]) == 30


@pytest.mark.parametrize("frequency", ["daily", "weekly"])
def test_daily_and_weekly_ignore_elections(frequency: str) -> None:
    for weekday in range(7):
        day, election = _day_with(3, weekday)
        expected = frequency == "daily" or weekday == 0
        assert is_digest_day(frequency, day, [election]) is expected
        assert is_digest_day(frequency, day, []) is expected


# --- next due moments ------------------------------------------------------------------------

def test_next_due_walks_the_table_as_the_election_nears() -> None:
    def due(now: str) -> str:
        return _due_local("auto", _local(now), [ELECTION]).strftime("%Y-%m-%d %a %H:%M")

    assert due("2027-07-15 10:00") == "2027-07-19 Mon 09:00"  # Thu, d = 66: weekly
    # Monday d = 62; Tuesday d = 61 and Wednesday d = 60 have none; Thursday d = 59 has one.
    assert due("2027-07-19 09:00") == "2027-07-22 Thu 09:00"
    assert due("2027-07-22 09:00") == "2027-07-26 Mon 09:00"
    assert due("2027-07-26 09:00") == "2027-07-29 Thu 09:00"  # d = 52: Mon + Thu
    assert due("2027-09-02 09:00") == "2027-09-05 Sun 09:00"  # Thu, d = 17 → Sun d = 14
    assert due("2027-09-05 09:00") == "2027-09-06 Mon 09:00"  # daily
    assert due("2027-09-18 08:59") == "2027-09-18 Sat 09:00"  # d = 1
    assert due("2027-09-18 09:00") == "2027-09-19 Sun 09:00"  # election day, digest time
    assert due("2027-09-19 09:00") == "2027-09-20 Mon 09:00"  # d = -1 → weekly (Monday)
    assert due("2027-09-20 09:00") == "2027-09-27 Mon 09:00"


def test_no_election_is_weekly_on_monday_and_daily_is_every_day() -> None:
    now = _local("2027-01-06 12:00")  # a Wednesday
    assert _due_local("auto", now, []).strftime("%Y-%m-%d %H:%M") == "2027-01-11 09:00"
    assert _due_local("weekly", now, [ELECTION]).strftime("%Y-%m-%d %H:%M") == "2027-01-11 09:00"
    assert _due_local("daily", now, []).strftime("%Y-%m-%d %H:%M") == "2027-01-07 09:00"
    assert _due_local("daily", _local("2027-01-06 08:00"), []).strftime(
        "%Y-%m-%d %H:%M") == "2027-01-06 09:00"


def test_nine_stays_nine_across_daylight_saving_changes() -> None:
    # Europe/Berlin leaves summer time on 2026-10-25 and enters it on 2027-03-28.
    autumn = next_due("weekly", NINE, BERLIN, [], _local("2026-10-19 09:00").astimezone(UTC))
    assert autumn == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)  # 09:00 CET
    summer = next_due("daily", NINE, BERLIN, [], datetime(2026, 10, 24, 7, 0, tzinfo=UTC))
    assert summer == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)
    spring = next_due("daily", NINE, BERLIN, [], datetime(2027, 3, 27, 8, 0, tzinfo=UTC))
    assert spring == datetime(2027, 3, 28, 7, 0, tzinfo=UTC)  # 09:00 CEST
    for moment in (autumn, summer, spring):
        assert moment.astimezone(ZoneInfo(BERLIN)).time() == NINE


def test_a_time_inside_the_spring_gap_goes_out_just_after_it() -> None:
    due = next_due("daily", time(2, 30), BERLIN, [], datetime(2027, 3, 27, 12, 0, tzinfo=UTC))
    assert due.astimezone(ZoneInfo(BERLIN)).strftime("%Y-%m-%d %H:%M") == "2027-03-28 03:30"


def test_days_are_counted_in_each_members_own_zone() -> None:
    # 2027-09-01 22:30 UTC: Wednesday evening in New York, already Thursday in Tbilisi.
    now = datetime(2027, 9, 1, 22, 30, tzinfo=UTC)
    election = date(2027, 10, 17)  # Thursday 2027-09-02 is d = 45 (Mon + Thu)
    tbilisi = next_due("auto", NINE, "Asia/Tbilisi", [election], now)
    new_york = next_due("auto", NINE, "America/New_York", [election], now)
    assert tbilisi.astimezone(ZoneInfo("Asia/Tbilisi")).strftime("%a %d %H:%M") == "Thu 02 09:00"
    assert new_york.astimezone(ZoneInfo("America/New_York")).strftime(
        "%a %d %H:%M") == "Thu 02 09:00"
    assert new_york - tbilisi == timedelta(hours=8)
    # A day later Tbilisi's next is Monday, while New York (still Thursday 18:30) waits too.
    later = now + timedelta(days=1)
    assert next_due("auto", NINE, "Asia/Tbilisi", [election], later).astimezone(
        ZoneInfo("Asia/Tbilisi")).strftime("%a %d") == "Mon 06"
    # Within 14 days, the zone's own date decides: d = 14 in Tbilisi, 15 in New York.
    close = date(2027, 9, 16)
    assert next_due("auto", NINE, "Asia/Tbilisi", [close], now).astimezone(
        ZoneInfo("Asia/Tbilisi")).strftime("%a %d") == "Thu 02"
    assert next_due("auto", NINE, "America/New_York", [close], now - timedelta(hours=14)) \
        .astimezone(ZoneInfo("America/New_York")).strftime("%a %d") == "Thu 02"


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_due("auto", NINE, BERLIN, [], datetime(2027, 1, 1))
    with pytest.raises(ValueError, match="frequency"):
        next_due("hourly", NINE, BERLIN, [], datetime(2027, 1, 1, tzinfo=UTC))  # type: ignore[arg-type]


# --- invariants ------------------------------------------------------------------------------

ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tbilisi", "Australia/Lord_Howe",
         "America/Santiago", "Pacific/Chatham", "Asia/Kolkata", "UTC")
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31),
                       timezones=st.just(UTC))
times = st.times().map(lambda value: value.replace(second=0, microsecond=0))


@st.composite
def cases(draw):
    now = draw(moments)
    offsets = draw(st.lists(st.integers(-20, 120), max_size=3))
    elections = [now.date() + timedelta(days=offset) for offset in offsets]
    return draw(st.sampled_from(FREQUENCIES)), draw(times), draw(st.sampled_from(ZONES)), \
        elections, now


def _offset(moment: datetime, zone: str) -> timedelta:
    return moment.astimezone(ZoneInfo(zone)).utcoffset() or timedelta(0)


@settings(max_examples=400, deadline=None)
@given(cases())
def test_never_in_the_past_and_never_more_than_seven_days_away(case) -> None:
    frequency, at, zone, elections, now = case
    due = next_due(frequency, at, zone, elections, now)
    assert due > now
    tz = ZoneInfo(zone)
    assert (due.astimezone(tz).date() - now.astimezone(tz).date()).days <= 7
    # In absolute time, seven days plus what a change of UTC offset adds in between.
    assert due - now <= timedelta(days=7) + max(timedelta(0),
                                                _offset(now, zone) - _offset(due, zone))


@settings(max_examples=400, deadline=None)
@given(moments, times, st.sampled_from(ZONES), st.integers(2, 14))
def test_daily_inside_fourteen_days(now, at, zone, d) -> None:
    today = now.astimezone(ZoneInfo(zone)).date()
    election = today + timedelta(days=d)
    due = next_due("auto", at, zone, [election], now)
    # Today's digest if its time is still to come, else tomorrow's (d - 1 ≥ 1 is daily too).
    assert (due.astimezone(ZoneInfo(zone)).date() - today).days <= 1


@settings(max_examples=200, deadline=None)
@given(cases())
def test_the_digest_time_is_kept_on_the_local_clock(case) -> None:
    frequency, at, zone, elections, now = case
    due = next_due(frequency, at, zone, elections, now)
    tz = ZoneInfo(zone)
    local = due.astimezone(tz)
    wanted = datetime.combine(local.date(), at).replace(tzinfo=tz)
    exists = wanted.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wanted.replace(
        tzinfo=None)
    if exists:
        assert local.time() == at
