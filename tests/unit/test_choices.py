"""Each choice list exists once, as a Literal; the tuples that order its buttons derive from it."""

from __future__ import annotations

from typing import get_args

import pytest

from bot.features.announcements import AUDIENCES
from bot.features.cadence import FREQUENCIES
from storage.digests import ALL_TOPICS
from storage.models import (
    CATEGORIES,
    DISCLOSURES,
    KINDS,
    URGENCIES,
    Audience,
    Category,
    Disclosure,
    Event,
    EventKind,
    Frequency,
    OrgStatus,
    Topic,
    Urgency,
)
from storage.reports import ORG_STATUSES


@pytest.mark.parametrize(("choices", "literal"), [
    (CATEGORIES, Category), (URGENCIES, Urgency), (KINDS, EventKind),
    (DISCLOSURES, Disclosure), (FREQUENCIES, Frequency), (ALL_TOPICS, Topic),
    (AUDIENCES, Audience), (ORG_STATUSES, OrgStatus),
])
def test_a_choice_tuple_is_its_literal_in_the_same_order(choices, literal):
    assert choices == get_args(literal)


def test_the_event_model_takes_its_kinds_from_the_same_literal():
    assert Event.model_fields["kind"].annotation == EventKind
