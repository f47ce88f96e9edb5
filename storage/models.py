"""Domain objects shared by services and repositories, with their limits on the fields."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Language = Literal["en", "ru"]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
City = Annotated[str, StringConstraints(min_length=1, max_length=80)]


class User(BaseModel):
    """A member: anyone who started the bot. Nothing about them beyond what they chose."""

    model_config = ConfigDict(frozen=True)

    tg_id: int
    language: Language | None = None
    country: CountryCode | None = None
    city: City | None = None
    timezone: str | None = None
    digest_time: time | None = None
    is_coordinator: bool = False
    is_active: bool = True
    created_at: datetime


class Dialogue(BaseModel):
    """Where a person is in a multi-step question-and-answer flow."""

    tg_id: int
    flow: str
    step: str
    answers: dict[str, object] = Field(default_factory=dict)
