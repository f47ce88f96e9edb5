"""A moment asked as people give one: a day (a button or typed) and then, on its own question,
the time on that day ("At what time on Tuesday, 1 December 2026?"), or both typed at once.

Every question for a moment (an announcement's send time, an event's start, also when edited)
is this pair of steps, so each offers the same day buttons and refuses, with the reason, a
moment already past or a time the clocks skip in the zone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.conversation.dialogue import Option, Step
from bot.conversation.session import Session
from bot.conversation.timeparse import (
    day_label,
    day_options,
    future_instant,
    parse_day_or_moment,
    parse_time,
)

# The zone a moment is given in: the person's own, or the event's.
Zone = Callable[[Session, dict[str, Any]], str]
Values = Callable[[Session, dict[str, Any]], dict[str, object]]


def day_only(value: str | None) -> bool:
    """Whether an answer is a day without its time (an ISO date has no "T")."""
    return value is not None and "T" not in value


@dataclass(frozen=True)
class Moment:
    day: str  # the step answered with a day, or with a whole moment
    time: str  # the step asking the time on that day

    def chosen(self, answers: dict[str, Any]) -> str | None:
        """The moment answered (ISO, UTC), whichever of the two steps gave it."""
        value = answers.get(self.day)
        return answers.get(self.time) if day_only(value) else value

    def steps(
        self, question: str | Callable[[Session, dict[str, Any]], str], time_question: str, *,
        zone: Zone, now: Callable[[], datetime], label: str | None = None,
        optional: bool = False, skip_words: tuple[str, ...] = (),
        question_values: Values = lambda session, answers: {},
    ) -> tuple[Step, Step]:
        """The day step (its buttons the coming days in `zone`; typed words in `skip_words`
        answer as Skip does) and the time step, asked when the day came alone. The question
        texts take the zone as {zone}; the time question also the full date as {day}."""

        def options(session: Session, answers: dict[str, Any]) -> list[Option]:
            today = now().astimezone(ZoneInfo(zone(session, answers))).date()
            return day_options(today, session.texts)

        def parse_day(text: str, session: Session, answers: dict[str, Any]) -> str | None:
            if text.strip().lower() in skip_words:
                return None
            return parse_day_or_moment(text, zone(session, answers), now()).isoformat()

        def parse_hour(text: str, session: Session, answers: dict[str, Any]) -> str:
            return future_instant(date.fromisoformat(answers[self.day]), parse_time(text),
                                  zone(session, answers), now()).isoformat()

        def day_values(session: Session, answers: dict[str, Any]) -> dict[str, object]:
            return {"zone": zone(session, answers), **question_values(session, answers)}

        def time_values(session: Session, answers: dict[str, Any]) -> dict[str, object]:
            day = date.fromisoformat(answers[self.day])
            return {"day": day_label(day, session.texts, year=True),
                    "zone": zone(session, answers)}

        return (
            Step(self.day, question, parse=parse_day, optional=optional, options=options,
                 as_typed=True, question_values=day_values, label=label, then=(self.time,)),
            Step(self.time, time_question, parse=parse_hour, question_values=time_values,
                 when=lambda answers: day_only(answers.get(self.day))),
        )
