"""Core value types: the event as written, as stored, and the questions asked of the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Literal, NamedTuple, TypeVar

import orjson

Outcome = Literal["success", "failure"]
Order = Literal["newest", "oldest", "seq_desc", "seq_asc"]
MetaOp = Literal["eq", "neq", "gt", "gte", "lt", "lte"]
MetaKind = Literal["auto", "string", "number", "boolean"]
MetaValue = str | int | float | bool

SOURCES = ("native", "consul", "vamp", "roboflow", "tines")

_FAILURE_WORDS = frozenset({"failed", "failure", "error"})
_SUCCESS_WORDS = frozenset({"succeeded", "success", "completed"})


# NewEvent and Event are built for every event written and read, and a frozen dataclass's
# __init__ costs 2.6x a plain one (measured: 4.0 against 1.5 us for 18 fields). Treat them as
# immutable all the same: committed events are shared by every stream of the process.
@dataclass(slots=True)
class NewEvent:
    """An event as a client gives it, already validated; the store adds seq, tenant and times."""

    event_type: str = "event"
    id: str | None = None
    tags: tuple[str, ...] = ()
    value: str = ""
    payload: Any = None
    payload_bytes: bytes | None = None
    occurred_at: int | None = None
    actor_id: str | None = None
    actor_type: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    parent_ids: tuple[str, ...] = ()
    outcome: Outcome | None = None
    metadata: dict[str, MetaValue] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    source: str = "native"


@dataclass(slots=True)
class Event:
    """An event as committed: every field of the canonical event."""

    seq: int
    id: str
    tenant_id: str
    event_type: str
    tags: tuple[str, ...]
    value: str
    payload: Any
    payload_bytes: bytes | None
    occurred_at: int
    received_at: int
    actor_id: str | None
    actor_type: str | None
    resource_type: str | None
    resource_id: str | None
    correlation_id: str | None
    causation_id: str | None
    parent_ids: tuple[str, ...]
    outcome: Outcome | None
    metadata: dict[str, MetaValue]
    attributes: dict[str, str]
    source: str


class StoredEvent(NamedTuple):
    """An event as the store returns it: its JSON fields still the JSON text it keeps.

    A listing that only re-encodes events passes that text through undecoded (see
    ``codec.native_stored``), which halves the Python work of a page; ``decode`` gives the
    ``Event`` everything else uses. Field order is the store's column order.
    """

    seq: int
    tenant_id: str
    id: str
    event_type: str
    tags_json: str
    value: str
    payload_json: str
    payload_bytes: bytes | None
    occurred_at: int
    received_at: int
    actor_id: str | None
    actor_type: str | None
    resource_type: str | None
    resource_id: str | None
    correlation_id: str | None
    causation_id: str | None
    parent_ids_json: str
    outcome: Outcome | None
    metadata_json: str
    attributes_json: str
    source: str

    def decode(self) -> Event:
        """The event, its JSON fields parsed."""
        # Hot on every read: positional construction, and no parsing of the common empty values.
        return Event(
            self.seq,
            self.id,
            self.tenant_id,
            self.event_type,
            _json_tuple(self.tags_json),
            self.value,
            None if self.payload_json == "null" else orjson.loads(self.payload_json),
            bytes(self.payload_bytes) if self.payload_bytes is not None else None,
            self.occurred_at,
            self.received_at,
            self.actor_id,
            self.actor_type,
            self.resource_type,
            self.resource_id,
            self.correlation_id,
            self.causation_id,
            _json_tuple(self.parent_ids_json),
            self.outcome,
            {} if self.metadata_json == "{}" else orjson.loads(self.metadata_json),
            {} if self.attributes_json == "{}" else orjson.loads(self.attributes_json),
            self.source,
        )


def _json_tuple(text: str) -> tuple[Any, ...]:
    return () if text == "[]" else tuple(orjson.loads(text))


@dataclass(frozen=True, slots=True)
class Written:
    """What one append did with one event: stored it anew, or found it already there."""

    event: Event
    created: bool


@dataclass(frozen=True, slots=True)
class MetaFilter:
    """A condition on one metadata (or attribute) key.

    ``kind="auto"`` is the native ``meta.KEY=VALUE`` rule: a string equal to the text, or a
    number or boolean equal to its parse.
    """

    key: str
    value: MetaValue
    op: MetaOp = "eq"
    kind: MetaKind = "auto"
    namespace: Literal["metadata", "attributes"] = "metadata"


@dataclass(frozen=True, slots=True)
class EventQuery:
    """A question for the store; filters combine with AND. Times are epoch milliseconds."""

    event_type: str | None = None
    event_types: tuple[str, ...] = ()
    resource_type: str | None = None
    resource_id: str | None = None
    actor_id: str | None = None
    actor_id_not: str | None = None
    actor_type: str | None = None
    correlation_id: str | None = None
    tags: tuple[str, ...] = ()
    meta: tuple[MetaFilter, ...] = ()
    occurred_from: int | None = None
    occurred_to: int | None = None
    occurred_to_inclusive: bool = False
    occurred_from_exclusive: bool = False
    seq_after: int | None = None
    seq_upto: int | None = None
    ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Keyset:
    """Where a keyset page ends: the sort key of its last event."""

    order: Order
    occurred_at: int
    seq: int


@dataclass(frozen=True, slots=True)
class PageRequest:
    """How much of a query's answer to return, and from where."""

    order: Order = "newest"
    limit: int = 100
    offset: int = 0
    after: Keyset | None = None
    with_total: bool = True


PageItem = TypeVar("PageItem", Event, StoredEvent)


@dataclass(frozen=True, slots=True)
class Page(Generic[PageItem]):
    """One page of events; ``next`` is the keyset to continue from, if there is more."""

    events: list[PageItem]
    total: int | None
    has_next: bool
    next: Keyset | None

    def decoded(self: Page[StoredEvent]) -> Page[Event]:
        """The same page with every stored event decoded."""
        return Page([e.decode() for e in self.events], self.total, self.has_next, self.next)


@dataclass(frozen=True, slots=True)
class Count:
    """One group of an aggregate: a key (``None`` where the field is absent) and its count."""

    key: str | None
    count: int


@dataclass(frozen=True, slots=True)
class Aggregate:
    """Counts of a tenant's events by actor type, event type and resource type."""

    by_actor_type: list[Count]
    by_event_type: list[Count]
    by_resource_type: list[Count]
    total: int


@dataclass(frozen=True, slots=True)
class ActorStats:
    """How many events one actor caused, and how they turned out."""

    actor_id: str | None
    actor_type: str | None
    successes: int
    failures: int
    total: int


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored key, without its secret."""

    id: str
    name: str
    tenant_id: str
    scopes: tuple[str, ...]
    created_at: int
    revoked_at: int | None = None


@dataclass(frozen=True, slots=True)
class Blob:
    """Bytes stored beside the events (uploaded images), served by every process."""

    id: str
    tenant_id: str
    content_type: str
    name: str | None
    data: bytes
    metadata: dict[str, Any]
    created_at: int


def expand_tags(tags: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Vamp's rule: ``a:b`` is stored as ``a`` and ``a:b``; order kept, duplicates dropped."""
    seen: dict[str, None] = {}
    for tag in tags:
        head, colon, _ = tag.partition(":")
        if colon and head:
            seen.setdefault(head, None)
        seen.setdefault(tag, None)
    return tuple(seen)


def derive_outcome(event_type: str) -> Outcome | None:
    """The outcome implied by the last dot-segment of an event type, if any."""
    last = event_type.rsplit(".", 1)[-1].lower()
    if last in _FAILURE_WORDS:
        return "failure"
    if last in _SUCCESS_WORDS:
        return "success"
    return None
