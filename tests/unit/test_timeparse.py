"""Typed dates and times: formats, impossible dates, daylight-saving gaps, the past."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.conversation.dialogue import Invalid
from bot.conversation.timeparse import parse_date, parse_future_datetime

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("typed", "expected"), [
    ("2026-12-24", date(2026, 12, 24)), ("24.12.2026", date(2026, 12, 24)),
    ("1.2.2027", date(2027, 2, 1)), (" 2028-02-29 ", date(2028, 2, 29))])
def test_dates_in_both_formats(typed: str, expected: date) -> None:
    assert parse_date(typed) == expected


@pytest.mark.parametrize(("typed", "reason"), [
    ("2027-02-31", "invalid.date_impossible"), ("31.02.2027", "invalid.date_impossible"),
    ("2027-02-29", "invalid.date_impossible"), ("2026/12/24", "invalid.date"),
    ("tomorrow", "invalid.date"), ("12-24-2026", "invalid.date")])
def test_bad_dates(typed: str, reason: str) -> None:
    with pytest.raises(Invalid) as raised:
        parse_date(typed)
    assert raised.value.key == reason


def test_local_time_becomes_utc_across_daylight_saving() -> None:
    winter = parse_future_datetime("2026-12-01 10:00", "Asia/Tbilisi", NOW)
    assert winter == datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    summer = parse_future_datetime("01.07.2027 10:00", "Europe/Berlin", NOW)
    assert summer == datetime(2027, 7, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(("typed", "zone", "reason"), [
    ("2027-03-28 02:30", "Europe/Berlin", "invalid.datetime_gap"),
    ("2027-03-14 02:15", "America/New_York", "invalid.datetime_gap"),
    ("2026-11-30 08:59", "Europe/London", "invalid.datetime_past"),
    ("2026-11-30", "Europe/Berlin", "invalid.datetime"),
    ("2026-12-01 25:00", "Europe/Berlin", "invalid.time")])
def test_bad_moments(typed: str, zone: str, reason: str) -> None:
    with pytest.raises(Invalid) as raised:
        parse_future_datetime(typed, zone, NOW)
    assert raised.value.key == reason
