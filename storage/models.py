"""Domain objects shared by services and repositories, with their limits on the fields."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Language = Literal["en", "ru"]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
City = Annotated[str, StringConstraints(min_length=1, max_length=80)]
Title = Annotated[str, StringConstraints(min_length=3, max_length=120)]
Description = Annotated[str, StringConstraints(max_length=2000)]
# How a coordinator or an organiser is shown to the others ("Anna, Berlin secretariat").
Label = Annotated[str, StringConstraints(min_length=2, max_length=40)]


class User(BaseModel):
    """A member: anyone who started the bot. Nothing about them beyond what they chose."""

    model_config = ConfigDict(frozen=True)

    tg_id: int
    language: Language | None = None
    client_language: Language | None = None
    country: CountryCode | None = None
    city: City | None = None
    timezone: str | None = None
    digest_time: time | None = None
    is_coordinator: bool = False
    is_active: bool = True
    created_at: datetime
    label: Label | None = None  # coordinators and organisers only: chosen, never required


PersonRole = Literal["coordinator", "organiser", "member"]


class Person(BaseModel):
    """Someone as coordinators and organisers see them: a label, or a role and a number (the
    audit log's pseudonym), never a Telegram id."""

    model_config = ConfigDict(frozen=True)

    tg_id: int
    label: Label | None
    role: PersonRole
    number: int


class Dialogue(BaseModel):
    """Where a person is in a multi-step question-and-answer flow."""

    tg_id: int
    flow: str
    step: str
    answers: dict[str, object] = Field(default_factory=dict)


OrgStatus = Literal["pending", "approved", "rejected", "suspended"]


class Organisation(BaseModel):
    """A member organisation of the coalition; acts only once approved."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: Annotated[str, StringConstraints(min_length=2, max_length=80)]
    description: Annotated[str, StringConstraints(max_length=1000)] = ""
    country: CountryCode
    city: City | None = None
    website: Annotated[str, StringConstraints(max_length=200)] | None = None
    status: OrgStatus = "pending"
    applicant_id: int | None = None
    created_at: datetime
    decided_at: datetime | None = None


# Why an application is rejected: sent to the applicant, not kept on the organisation.
RejectionReason = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class Membership(BaseModel):
    """A person's link to their organisation, with the organisation's current status."""

    model_config = ConfigDict(frozen=True)

    org_id: int
    org_name: str
    org_status: OrgStatus


class AuditEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    at: datetime
    actor_id: int | None  # None for the command line, or once the actor is forgotten
    actor_number: int | None  # the actor's pseudonym; None for the command line
    action: str
    target: str  # `user:<id>` names a person; '' once that person is forgotten
    subject_number: int | None  # the pseudonym of the person the target names

    @property
    def actor_forgotten(self) -> bool:
        return self.actor_number is not None and self.actor_id is None

    @property
    def subject_forgotten(self) -> bool:
        return self.subject_number is not None and not self.target

    @property
    def subject_id(self) -> int | None:
        """The Telegram id of the person the target names, while they are not forgotten."""
        return int(self.target[5:]) if self.target.startswith("user:") else None


GrantStatus = Literal["pending", "approved", "rejected"]


class CoordinatorGrant(BaseModel):
    """Coordinator rights one coordinator asked for; a second one decides (four eyes)."""

    model_config = ConfigDict(frozen=True)

    id: int
    candidate_id: int
    requested_by: int
    requested_at: datetime
    status: GrantStatus
    decided_by: int | None = None
    decided_at: datetime | None = None


# Each choice list is its Literal; the tuples derived from them keep its order, the order of
# the buttons people choose from.
Category = Literal["legal", "housing", "evacuation", "money", "volunteers", "translation",
                   "media", "medical", "other"]
CATEGORIES: tuple[Category, ...] = get_args(Category)
Urgency = Literal["normal", "urgent", "critical"]
URGENCIES: tuple[Urgency, ...] = get_args(Urgency)
NeedStatus = Literal["open", "fulfilled", "closed", "expired"]
ONLINE = "online"


class Post(BaseModel):
    """What needs and events share: the organisation behind them and whether members may
    see them."""

    model_config = ConfigDict(frozen=True)

    id: int
    org_id: int
    org_name: str
    org_status: OrgStatus = "approved"
    hidden_at: datetime | None = None
    hidden_reason: Annotated[str, StringConstraints(min_length=3, max_length=300)] | None = None

    @property
    def visible(self) -> bool:
        """The one rule of who sees a post (SQL: storage.posts.visible): members only while
        its organisation is approved and no coordinator has hidden it."""
        return self.org_status == "approved" and self.hidden_at is None


class Need(Post):
    """Something a member organisation needs; private details go only to an accepted helper."""

    author_id: int | None = None
    title: Title
    description: Description
    private_details: Annotated[str, StringConstraints(max_length=1000)] | None = None
    category: Category
    urgency: Urgency
    country: Annotated[str, StringConstraints(pattern=r"^([A-Z]{2}|online)$")]
    city: City | None = None
    deadline: date | None = None
    status: NeedStatus = "open"
    created_at: datetime
    updated_at: datetime
    offers: int = 0

    @property
    def listed(self) -> bool:
        """Open and visible: only then is it shown to members and may it get offers."""
        return self.status == "open" and self.visible


OfferStatus = Literal["pending", "accepted", "declined"]


class Offer(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    need_id: int
    helper_id: int
    message: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    username: str | None = None
    status: OfferStatus = "pending"
    relayed: int = 0  # messages relayed through this offer (their texts are not kept)
    created_at: datetime
    decided_by: int | None = None


EventKind = Literal["commemoration", "rally", "fundraiser", "cultural", "meeting", "other"]
KINDS: tuple[EventKind, ...] = get_args(EventKind)
Disclosure = Literal["public", "going", "going_before"]
DISCLOSURES: tuple[Disclosure, ...] = get_args(Disclosure)
Answer = Literal["going", "maybe", "not_going", "waiting"]


# Why an event is cancelled: told to those who answered, not kept on the event.
CancelReason = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class Event(Post):
    """An event of a member organisation; its venue is shown only as `disclosure` allows."""

    campaign_id: int | None = None
    title: Title
    description: Description
    kind: EventKind
    starts_at: datetime
    ends_at: datetime | None = None
    timezone: str
    country: CountryCode
    city: City
    venue: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    disclosure: Disclosure
    disclose_hours: Annotated[int, Field(ge=1, le=168)] | None = None
    capacity: Annotated[int, Field(ge=1, le=100_000)] | None = None
    status: Literal["scheduled", "cancelled"] = "scheduled"
    going: int = 0
    maybe: int = 0
    waiting: int = 0
    # How many came, as its organisers reported (SPEC §12.2); answered with no count: skipped.
    attendance: Annotated[int, Field(ge=0, le=100_000)] | None = None
    attendance_note: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = None
    attendance_by: int | None = None
    attendance_at: datetime | None = None

    @property
    def listed(self) -> bool:
        """Scheduled and visible: only then is it shown to members and may they answer it."""
        return self.status == "scheduled" and self.visible


ShiftRole = Annotated[str, StringConstraints(min_length=2, max_length=40)]
ShiftState = Literal["taken", "waiting"]


class Shift(BaseModel):
    """A turn of an event (a reader's ten minutes, the set-up): a role, a time, places."""

    model_config = ConfigDict(frozen=True)

    id: int
    event_id: int
    role: ShiftRole
    starts_at: datetime
    ends_at: datetime
    places: Annotated[int, Field(ge=1, le=1000)]
    taken: int = 0
    waiting: int = 0

    @property
    def free(self) -> int:
        return max(0, self.places - self.taken)


class Campaign(BaseModel):
    """A world-wide commemoration (Returning the Names): one date range, many city sites."""

    model_config = ConfigDict(frozen=True)

    id: int
    title: Title
    description: Description
    starts_on: date
    ends_on: date


ElectionName = Annotated[str, StringConstraints(min_length=2, max_length=120)]
Frequency = Literal["auto", "daily", "weekly"]  # of a digest subscription
Topic = Literal["needs", "events", "announcements"]  # what a digest may hold
Audience = Literal["everyone", "organisers", "subscribers", "country"]  # of an announcement
