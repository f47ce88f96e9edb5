"""Each dialogue step's limit is its model's: the parser takes the limit and refuses one past it,
and the model itself (pydantic) draws the line at the same place."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from bot.conversation.answers import Limit
from bot.conversation.dialogue import Invalid
from bot.features import campaigns, digests, events, members, needs, organisations, posts
from storage.models import (
    Campaign,
    ElectionName,
    Event,
    Need,
    Offer,
    Organisation,
    Post,
    RejectionReason,
    User,
)


def _adapter(model: type[BaseModel] | None, name: str | Any) -> TypeAdapter:
    if model is None:
        return TypeAdapter(name)
    field = model.model_fields[name]
    if not field.metadata:
        return TypeAdapter(field.annotation)
    return TypeAdapter(Annotated[(field.annotation, *field.metadata)])


def _accepted(adapter: TypeAdapter, value: object) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


TEXTS = [
    (needs.parse_title, Need, "title", ""),
    (needs.parse_description, Need, "description", ""),
    (needs.parse_private, Need, "private_details", ""),
    (needs.parse_offer_message, Offer, "message", ""),
    (events.parse_title, Event, "title", ""),
    (events.parse_description, Event, "description", ""),
    (events.parse_venue, Event, "venue", ""),
    (campaigns.parse_title, Campaign, "title", ""),
    (campaigns.parse_description, Campaign, "description", ""),
    (posts.parse_hide_reason, Post, "hidden_reason", ""),
    (organisations.parse_name, Organisation, "name", ""),
    (organisations.parse_description, Organisation, "description", ""),
    (organisations.parse_reason, None, RejectionReason, ""),
    (organisations.parse_website, Organisation, "website", "https://example.org/"),
    (members.parse_city, User, "city", ""),
    (digests.parse_election_name, None, ElectionName, ""),
]


@pytest.mark.parametrize(("parse", "model", "name", "prefix"), TEXTS)
def test_a_text_answer_is_refused_one_past_its_models_limit(parse, model, name, prefix):
    limit = Limit.of_type(name) if model is None else Limit.of(model, name)
    adapter = _adapter(model, name)

    def text(length: int) -> str:
        return prefix + "a" * (length - len(prefix))

    assert limit.maximum is not None
    assert _accepted(adapter, text(limit.maximum))
    assert not _accepted(adapter, text(limit.maximum + 1))
    assert parse(text(limit.maximum), None, {}) == text(limit.maximum)
    with pytest.raises(Invalid) as refused:
        parse(text(limit.maximum + 1), None, {})
    assert refused.value.key in ("invalid.too_long", "invalid.website")
    if limit.minimum > len(prefix) + 1:
        assert _accepted(adapter, text(limit.minimum))
        assert not _accepted(adapter, text(limit.minimum - 1))
        assert parse(text(limit.minimum), None, {}) == text(limit.minimum)
        with pytest.raises(Invalid, match=r"invalid\.too_short"):
            parse(text(limit.minimum - 1), None, {})


@pytest.mark.parametrize(("parse", "name"), [
    (events.parse_hours, "disclose_hours"), (events.parse_capacity, "capacity"),
])
def test_a_number_answer_is_refused_one_past_its_models_range(parse, name):
    limit = Limit.of(Event, name)
    adapter = _adapter(Event, name)
    assert limit.maximum is not None
    for accepted in (limit.minimum, limit.maximum):
        assert _accepted(adapter, accepted)
        assert parse(str(accepted), None, {}) == accepted
    for refused in (limit.minimum - 1, limit.maximum + 1):
        assert not _accepted(adapter, refused)
        with pytest.raises(Invalid) as invalid:
            parse(str(refused), None, {})
        assert invalid.value.values == {"minimum": limit.minimum, "maximum": limit.maximum}


def test_an_empty_typed_answer_is_refused_even_where_the_model_allows_empty():
    assert Limit.of(Need, "description").minimum == 0
    with pytest.raises(Invalid, match=r"invalid\.too_short"):
        needs.parse_description("\u200b", None, {})
