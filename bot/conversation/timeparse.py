"""Dates and times as people type them (SPEC §3 and §8): YYYY-MM-DD, DD.MM.YYYY, and the
everyday forms in English and Russian — today / tomorrow / сегодня / завтра / послезавтра,
weekday names ("fri", "в пятницу", "пт"), a day and month without a year ("20.12",
"20 декабря", "Dec 20", the next such date), each optionally followed by HH:MM (24 h).

Relative forms are read against the person's own "today" (their zone), which the caller
passes in. Whatever cannot be read one way only is refused with a reason, never guessed.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot.conversation.answers import ascii_digits
from bot.conversation.dialogue import Invalid, Option
from bot.infra.i18n import Texts

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\.(\d{4}))?$")
_DAY_MONTH = re.compile(r"^(\d{1,2}) ([^\W\d]+)(?: (\d{4}))?$")
_MONTH_DAY = re.compile(r"^([^\W\d]+) (\d{1,2})(?: (\d{4}))?$")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

_DAYS_AHEAD = {"today": 0, "сегодня": 0, "tomorrow": 1, "завтра": 1, "послезавтра": 2,
               "day after tomorrow": 2}
# Every spelling of a weekday, Monday = 0; Russian also in the accusative of "в пятницу".
_WEEKDAYS = {
    name: day for day, names in enumerate((
        ("mon", "monday", "пн", "понедельник"),
        ("tue", "tues", "tuesday", "вт", "вторник"),
        ("wed", "wednesday", "ср", "среда", "среду"),
        ("thu", "thur", "thurs", "thursday", "чт", "четверг"),
        ("fri", "friday", "пт", "пятница", "пятницу"),
        ("sat", "saturday", "сб", "суббота", "субботу"),
        ("sun", "sunday", "вс", "воскресенье"),
    )) for name in names
}
# Month names a typed word may abbreviate (three letters at least): English, and Russian in
# the genitive that follows a day number ("20 декабря"), plus "май" said of May.
_MONTHS = (
    ("january", "января"), ("february", "февраля"), ("march", "марта"), ("april", "апреля"),
    ("may", "мая", "май"), ("june", "июня"), ("july", "июля"), ("august", "августа"),
    ("september", "сентября"), ("october", "октября"), ("november", "ноября"),
    ("december", "декабря"),
)
DAY_BUTTONS = 7  # today and the six days after it: a week to choose from
# Words that only join a date to its time or mark a weekday: "в пятницу", "tomorrow at 19:00".
_JOINERS = ("в", "во", "on", "at")


def _words(text: str) -> str:
    """Lower case, ASCII digits, single spaces, without the commas and year marks people add."""
    text = ascii_digits(text).lower().replace(",", " ")
    return " ".join(word for word in text.split() if word not in ("г", "г."))


def _month(word: str) -> int | None:
    word = word.rstrip(".")
    if len(word) < 3:
        return None
    return next((number for number, names in enumerate(_MONTHS, start=1)
                 if any(name.startswith(word) for name in names)), None)


def _next_such(day: int, month: int, today: date) -> date:
    """A day and month without a year: this year's if not past, else next year's."""
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    raise Invalid("invalid.date_impossible")


def _calendar(day: int, month: int, year: int | None, today: date) -> date:
    if year is None:
        return _next_such(day, month, today)
    try:
        return date(year, month, day)
    except ValueError:
        raise Invalid("invalid.date_impossible") from None


def parse_date(text: str, today: date) -> date:
    """A calendar date; Invalid with a reason and an example otherwise. A date with a year
    may be past (the step decides); the other forms always name today or a later day."""
    words = _words(text)
    if words.split(" ", 1)[0] in _JOINERS:
        words = words.split(" ", 1)[1] if " " in words else ""
    if words in _DAYS_AHEAD:
        return today + timedelta(days=_DAYS_AHEAD[words])
    if words in _WEEKDAYS:
        ahead = (_WEEKDAYS[words] - today.weekday()) % 7
        if ahead == 0:  # "friday" said on a Friday: today or in a week — ask
            raise Invalid("invalid.date_weekday_today")
        return today + timedelta(days=ahead)
    if iso := _ISO.match(words):
        year, month, day = (int(part) for part in iso.groups())
        return _calendar(day, month, year, today)
    if dotted := _DOTTED.match(words):
        day, month = int(dotted.group(1)), int(dotted.group(2))
        return _calendar(day, month, int(dotted.group(3)) if dotted.group(3) else None, today)
    for pattern, day_group, month_group in ((_DAY_MONTH, 1, 2), (_MONTH_DAY, 2, 1)):
        if (named := pattern.match(words)) and (month := _month(named.group(month_group))):
            year = int(named.group(3)) if named.group(3) else None
            return _calendar(int(named.group(day_group)), month, year, today)
    raise Invalid("invalid.date")


def day_label(day: date, texts: Texts, *, year: bool = False) -> str:
    """A day with its weekday, as a day button shows it: "Friday, 4 December" (with its year
    where the day may be far off and a wrong guess must show)."""
    label = format_date(day, "EEEE, d MMMM y" if year else "EEEE, d MMMM", locale=texts.language)
    return label[:1].upper() + label[1:]


def day_options(today: date, texts: Texts) -> list[Option]:
    """Buttons for today and the coming days, labelled with weekday and full date; each
    answers with the ISO date, read by the step's parser as if typed."""
    options = []
    for ahead in range(DAY_BUTTONS):
        day = today + timedelta(days=ahead)
        label = day_label(day, texts)
        if ahead < 2:
            label = texts(("button.day_today", "button.day_tomorrow")[ahead], day=label)
        options.append(Option(day.isoformat(), label=label))
    return options


def parse_coming_date(text: str, today: date, refusal: str = "invalid.date_past") -> date:
    """A date as `parse_date` reads it, today or later; an earlier one is refused with
    `refusal` (a deadline and a campaign's first day say it each in their own words)."""
    day = parse_date(text, today)
    if day < today:
        raise Invalid(refusal)
    return day


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


def parse_day_or_moment(text: str, zone: str, now: datetime) -> date | datetime:
    """A future moment ("today 18:00", "20.12 18:30") as `parse_future_datetime` reads it, or,
    typed without a time, a day, today or later ("tomorrow", "friday", "20.12"), for the
    question to ask its time next."""
    if ":" not in _words(text).rpartition(" ")[2]:
        return parse_coming_date(text, now.astimezone(ZoneInfo(zone)).date())
    return parse_future_datetime(text, zone, now)


def parse_future_datetime(text: str, zone: str, now: datetime) -> datetime:
    """A date in any form `parse_date` reads, then HH:MM, in `zone`, in the future, as UTC."""
    words = _words(text).split(" ")
    if len(words) < 2 or ":" not in words[-1]:
        raise Invalid("invalid.datetime")
    moment = parse_time(words[-1])
    day_words = words[:-2] if words[-2] in _JOINERS and len(words) > 2 else words[:-1]
    today = now.astimezone(ZoneInfo(zone)).date()
    return future_instant(parse_date(" ".join(day_words), today), moment, zone, now)


def future_instant(day: date, moment: time, zone: str, now: datetime) -> datetime:
    """The instant a wall-clock time on a day names in a zone, refused unless after `now`."""
    instant = local_to_utc(day, moment, zone)
    if instant <= now:
        raise Invalid("invalid.datetime_past")
    return instant
