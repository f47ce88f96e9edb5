"""When a subscriber's next digest is due: the pre-election cadence of SPEC §7.2, pure.

The cadence is decided per calendar day in the subscriber's own time zone. For a day D, let d be
the number of days from D to the nearest election on or after D (any country):

    frequency 'auto'   d = 0              → a digest (election day, at the digest time)
                       1 ≤ d ≤ 14         → a digest every day
                       15 ≤ d ≤ 60        → Monday and Thursday
                       d > 60, or none    → Monday
    frequency 'daily'  every day, elections ignored
    frequency 'weekly' Monday, elections ignored

The digest goes out at the subscriber's digest time *on the local wall clock* of that day, so
09:00 stays 09:00 across daylight-saving changes. A wall-clock time that does not exist that day
(inside a spring-forward gap) is taken as the same number of minutes after the gap's start, the
way zoneinfo resolves it (02:30 becomes 03:30 in Europe/Berlin); an ambiguous one (the repeated
hour in autumn) is its first occurrence.

Guarantees (property-tested): the result is after `after`; it is at most 7 local calendar days
ahead (a Monday always comes within a week), so in absolute time at most 7 days plus the change of
UTC offset between the two moments; and within 14 days of an election an Auto subscriber gets a
digest every day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import get_args
from zoneinfo import ZoneInfo

from storage.models import Frequency

FREQUENCIES: tuple[Frequency, ...] = get_args(Frequency)

MONDAY, THURSDAY = 0, 3
DAILY_WITHIN = 14
TWICE_WEEKLY_WITHIN = 60


def days_to_election(day: date, elections: Iterable[date]) -> int | None:
    """d for that day: days to the nearest election on or after it; None if there is none."""
    ahead = [(election - day).days for election in elections if election >= day]
    return min(ahead) if ahead else None


def is_digest_day(frequency: Frequency, day: date, elections: Iterable[date]) -> bool:
    """Whether a subscriber with this frequency gets a digest on this local day."""
    if frequency == "daily":
        return True
    if frequency == "weekly":
        return day.weekday() == MONDAY
    d = days_to_election(day, elections)
    if d is not None and d <= DAILY_WITHIN:
        return True
    if d is not None and d <= TWICE_WEEKLY_WITHIN:
        return day.weekday() in (MONDAY, THURSDAY)
    return day.weekday() == MONDAY


def local_slot(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a local day (see the module's note on gaps)."""
    return datetime.combine(day, at).replace(tzinfo=zone).astimezone(UTC)


def next_due(
    frequency: Frequency,
    digest_time: time,
    zone: str,
    elections: Iterable[date],
    after: datetime,
) -> datetime:
    """The first digest moment strictly after `after` (UTC), for one subscriber.

    `elections` are the dates of the known elections (past ones are ignored); `zone` an IANA
    name. Days are walked in the subscriber's zone from the local date of `after`; a Monday
    always comes within eight days, so the walk is short.
    """
    if after.tzinfo is None:
        raise ValueError("`after` must be timezone-aware")
    if frequency not in FREQUENCIES:
        raise ValueError(f"unknown frequency {frequency!r}")
    tz = ZoneInfo(zone)
    dates = sorted(set(elections))
    day = after.astimezone(tz).date()
    for offset in range(9):
        candidate = day + timedelta(days=offset)
        if not is_digest_day(frequency, candidate, dates):
            continue
        slot = local_slot(candidate, digest_time, tz)
        if slot > after:
            return slot
    raise AssertionError("a Monday comes within any nine days")  # pragma: no cover
