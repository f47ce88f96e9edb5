"""Dates and times as people type them (SPEC §3: YYYY-MM-DD or DD.MM.YYYY, HH:MM, 24 h)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bot.conversation.answers import ascii_digits
from bot.conversation.dialogue import Invalid

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_date(text: str) -> date:
    """A calendar date; Invalid with a reason and an example otherwise."""
    text = ascii_digits(text.strip())
    iso, dotted = _ISO.match(text), _DOTTED.match(text)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
    elif dotted:
        day, month, year = (int(part) for part in dotted.groups())
    else:
        raise Invalid("invalid.date")
    try:
        return date(year, month, day)
    except ValueError:
        raise Invalid("invalid.date_impossible") from None


def parse_time(text: str) -> time:
    match = _TIME.match(ascii_digits(text.strip()))
    if match is None:
        raise Invalid("invalid.time")
    return time(int(match.group(1)), int(match.group(2)))


def local_to_utc(day: date, moment: time, zone: str) -> datetime:
    """The instant a wall-clock time names in a zone; Invalid inside a daylight-saving gap."""
    tz = ZoneInfo(zone)
    local = datetime.combine(day, moment).replace(tzinfo=tz)
    instant = local.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise Invalid("invalid.datetime_gap", zone=zone)
    return instant


def parse_future_datetime(text: str, zone: str, now: datetime) -> datetime:
    """'YYYY-MM-DD HH:MM' or 'DD.MM.YYYY HH:MM' in `zone`, in the future, as UTC."""
    parts = text.split()
    if len(parts) != 2:
        raise Invalid("invalid.datetime")
    instant = local_to_utc(parse_date(parts[0]), parse_time(parts[1]), zone)
    if instant <= now:
        raise Invalid("invalid.datetime_past")
    return instant
