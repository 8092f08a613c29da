"""Wire models of the native API (kept apart from the core models they translate to)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from chronicle import models
from chronicle.timefmt import parse_time

MAX_TEXT = 256
MAX_VALUE = 10_000
MAX_TAGS = 100
MAX_PARENTS = 100
MAX_METADATA_KEYS = 100
MAX_METADATA_STRING = 1000
METADATA_KEY_PATTERN = r"^[A-Za-z0-9_.:\- ]{1,100}$"


def _no_nul(text: str) -> str:
    # PostgreSQL text cannot hold NUL, and no identifier needs one: refuse it on both backends.
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    return text


def _rfc3339(text: str) -> str:
    parse_time(text)
    return text


Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT), AfterValidator(_no_nul)]
Value = Annotated[str, StringConstraints(max_length=MAX_VALUE), AfterValidator(_no_nul)]
Timestamp = Annotated[str, StringConstraints(max_length=64), AfterValidator(_rfc3339)]
MetaString = Annotated[str, StringConstraints(max_length=MAX_METADATA_STRING), AfterValidator(_no_nul)]
MetaKey = Annotated[str, StringConstraints(pattern=METADATA_KEY_PATTERN)]


class EventIn(BaseModel):
    """An event to record. Unknown fields are refused, so a typo never loses data silently."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: Text | None = None
    eventType: Text = "event"
    # default_factory, not ``= []``: pydantic deep-copies a mutable default for every event.
    tags: Annotated[list[Text], Field(max_length=MAX_TAGS, default_factory=list)]
    value: Value = ""
    payload: Any = None
    occurredAt: Timestamp | None = None
    actorId: Text | None = None
    actorType: Text | None = None
    resourceType: Text | None = None
    resourceId: Text | None = None
    correlationId: Text | None = None
    causationId: Text | None = None
    parentIds: Annotated[list[Text], Field(max_length=MAX_PARENTS, default_factory=list)]
    outcome: Literal["success", "failure"] | None = None
    metadata: Annotated[
        dict[MetaKey, MetaString | bool | int | float],
        Field(max_length=MAX_METADATA_KEYS, default_factory=dict),
    ]

    def to_new_event(self) -> models.NewEvent:
        """The core event this request describes."""
        return models.NewEvent(
            id=self.id,
            event_type=self.eventType,
            tags=models.expand_tags(self.tags),
            value=self.value,
            payload=self.payload,
            occurred_at=parse_time(self.occurredAt) if self.occurredAt else None,
            actor_id=self.actorId,
            actor_type=self.actorType,
            resource_type=self.resourceType,
            resource_id=self.resourceId,
            correlation_id=self.correlationId,
            causation_id=self.causationId,
            parent_ids=tuple(dict.fromkeys(self.parentIds)),
            outcome=self.outcome,
            metadata=dict(self.metadata),
            source="native",
        )


class EventOut(BaseModel):
    """A stored event (the canonical event)."""

    id: str
    seq: int
    tenantId: str
    eventType: str
    tags: list[str]
    value: str
    payload: Any
    occurredAt: str
    receivedAt: str
    actorId: str | None
    actorType: str | None
    resourceType: str | None
    resourceId: str | None
    correlationId: str | None
    causationId: str | None
    parentIds: list[str]
    outcome: Literal["success", "failure"] | None
    metadata: dict[str, Any]
    source: str
    attributes: dict[str, str] | None = None
    payloadBase64: str | None = None


class EventBatchOut(BaseModel):
    """The events of a batch, in the order sent."""

    events: list[EventOut]


class EventListOut(BaseModel):
    """A page of events, as seed 002 shows it, plus the keyset cursor of the next page."""

    events: list[EventOut]
    hasNext: bool
    limit: int
    offset: int
    total: int
    nextCursor: str | None


class CountOut(BaseModel):
    """One group of an aggregate; ``key`` is ``null`` for events lacking the field."""

    key: str | None
    count: int


class AggregateOut(BaseModel):
    """Counts by actor type, event type and resource type."""

    byActorType: list[CountOut]
    byEventType: list[CountOut]
    byResourceType: list[CountOut]
    total: int


class ActorStatsOut(BaseModel):
    """One actor's events and outcomes."""

    actorId: str | None
    actorType: str | None
    failures: int
    successes: int
    total: int


class ActorsOut(BaseModel):
    """Stats per actor, most active first."""

    actors: list[ActorStatsOut]


class KeyIn(BaseModel):
    """A key to create."""

    model_config = ConfigDict(extra="forbid")

    name: Text
    tenantId: Text
    scopes: Annotated[list[str], Field(min_length=1, max_length=10)]


class KeyOut(BaseModel):
    """A key, without its secret."""

    id: str
    name: str
    tenantId: str
    scopes: list[str]
    createdAt: str
    revokedAt: str | None = None


class KeyCreatedOut(KeyOut):
    """A new key with its secret: shown this once, stored only as a hash."""

    key: str


class KeyListOut(BaseModel):
    """Every key, without secrets."""

    keys: list[KeyOut]
