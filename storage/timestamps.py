"""The one way a moment is stored as TEXT and read back: UTC, ISO 8601."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


def stored(moment: datetime) -> str:
    """The moment as stored. Timestamps are compared as text in SQL, which is only right if
    every one is UTC in one format; a naive moment has no place on that line."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat()


@overload
def loaded(value: str) -> datetime: ...
@overload
def loaded(value: None) -> None: ...
def loaded(value: str | None) -> datetime | None:
    """A stored timestamp as a moment; None stays None (a column not set)."""
    return None if value is None else datetime.fromisoformat(value)
