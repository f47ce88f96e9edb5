"""Typed dates and times: formats, impossible dates, daylight-saving gaps, the past."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.conversation.dialogue import Invalid
from bot.conversation.timeparse import parse_date, parse_future_datetime

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


TODAY = date(2026, 11, 30)  # a Monday

# What people type, and the day it names for someone whose today is Monday 2026-11-30.
DATES = [
    ("2026-12-24", date(2026, 12, 24)), ("24.12.2026", date(2026, 12, 24)),
    ("1.2.2027", date(2027, 2, 1)), (" 2028-02-29 ", date(2028, 2, 29)),
    ("today", TODAY), ("Today", TODAY), ("tomorrow", date(2026, 12, 1)),
    ("сегодня", TODAY), ("Завтра", date(2026, 12, 1)), ("послезавтра", date(2026, 12, 2)),
    ("fri", date(2026, 12, 4)), ("friday", date(2026, 12, 4)), ("on Friday", date(2026, 12, 4)),
    ("tue", date(2026, 12, 1)), ("sun", date(2026, 12, 6)), ("Wednesday", date(2026, 12, 2)),
    ("пятница", date(2026, 12, 4)), ("в пятницу", date(2026, 12, 4)), ("пт", date(2026, 12, 4)),
    ("во вторник", date(2026, 12, 1)), ("в среду", date(2026, 12, 2)),
    ("воскресенье", date(2026, 12, 6)), ("сб", date(2026, 12, 5)),
    ("20.12", date(2026, 12, 20)), ("30.11", TODAY), ("29.11", date(2027, 11, 29)),
    ("1.1", date(2027, 1, 1)), ("20 декабря", date(2026, 12, 20)),
    ("20 дек", date(2026, 12, 20)), ("5 января", date(2027, 1, 5)), ("1 мая", date(2027, 5, 1)),
    ("20 декабря 2027", date(2027, 12, 20)), ("20 декабря 2027 г.", date(2027, 12, 20)),
    ("20 Dec", date(2026, 12, 20)), ("Dec 20", date(2026, 12, 20)),
    ("December 20", date(2026, 12, 20)), ("20 december 2027", date(2027, 12, 20)),
    ("Dec 20, 2027", date(2027, 12, 20)), ("3 sept", date(2027, 9, 3)),
    ("２０.１２", date(2026, 12, 20)),
    ("1.3.2020", date(2020, 3, 1)),  # a past date with a year: the step decides
]

# What must be asked again, and why.
REFUSED = [
    ("2027-02-31", "invalid.date_impossible"), ("31.02.2027", "invalid.date_impossible"),
    ("2027-02-29", "invalid.date_impossible"), ("31.02", "invalid.date_impossible"),
    ("31 ноября", "invalid.date_impossible"), ("29.02", "invalid.date_impossible"),
    ("monday", "invalid.date_weekday_today"), ("в понедельник", "invalid.date_weekday_today"),
    ("2026/12/24", "invalid.date"), ("12-24-2026", "invalid.date"), ("12/20", "invalid.date"),
    ("next week", "invalid.date"), ("скоро", "invalid.date"), ("20 бла", "invalid.date"),
    ("вчера", "invalid.date"), ("", "invalid.date"), ("20", "invalid.date"),
]


@pytest.mark.parametrize(("typed", "expected"), DATES)
def test_dates_as_people_type_them(typed: str, expected: date) -> None:
    assert parse_date(typed, TODAY) == expected


@pytest.mark.parametrize(("typed", "reason"), REFUSED)
def test_refused_dates(typed: str, reason: str) -> None:
    with pytest.raises(Invalid) as raised:
        parse_date(typed, TODAY)
    assert raised.value.key == reason


def test_the_table_is_large_enough() -> None:
    assert len(DATES) + len(REFUSED) >= 40


@pytest.mark.parametrize(("typed", "expected"), [
    ("завтра 19:00", datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),
    ("завтра в 19:00", datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),
    ("tomorrow at 7:30", datetime(2026, 12, 1, 6, 30, tzinfo=UTC)),
    ("20.12 18:30", datetime(2026, 12, 20, 17, 30, tzinfo=UTC)),
    ("в пятницу 10:00", datetime(2026, 12, 4, 9, 0, tzinfo=UTC)),
    ("Dec 20 18:30", datetime(2026, 12, 20, 17, 30, tzinfo=UTC)),
    ("today 23:00", datetime(2026, 11, 30, 22, 0, tzinfo=UTC)),
])
def test_dates_with_a_time(typed: str, expected: datetime) -> None:
    assert parse_future_datetime(typed, "Europe/Berlin", NOW) == expected


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
    ("2026-12-01 25:00", "Europe/Berlin", "invalid.time"),
    ("сегодня 09:00", "Europe/Berlin", "invalid.datetime_past"),
    ("завтра", "Europe/Berlin", "invalid.datetime"),
    ("скоро 19:00", "Europe/Berlin", "invalid.date")])
def test_bad_moments(typed: str, zone: str, reason: str) -> None:
    with pytest.raises(Invalid) as raised:
        parse_future_datetime(typed, zone, NOW)
    assert raised.value.key == reason
