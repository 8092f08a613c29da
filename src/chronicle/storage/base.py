"""The EventStore protocol: what every backend offers the service, in backend-neutral terms."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from chronicle import models


@dataclass(frozen=True, slots=True)
class AppendRequest:
    """One caller's events, committed together (all or nothing) within a group commit.

    ``overwrite`` replaces an event that already has the same id (Roboflow's rule) instead of
    returning the stored one unchanged (the native retry rule).
    """

    tenant_id: str
    events: list[models.NewEvent]
    overwrite: bool = False


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a backend does natively, so the service can refuse rather than approximate."""

    name: str
    native_notifications: bool


class EventStore(Protocol):
    """Durable, tenant-scoped event storage with commit-ordered sequence numbers.

    Every ``seq`` a reader can see is lower than every ``seq`` committed after it: readers may
    tail by ``seq > cursor`` and never skip an event.
    """

    capabilities: Capabilities

    async def open(self) -> None:
        """Connect, migrate the schema and start the writer and the change watcher."""

    async def aclose(self) -> None:
        """Finish queued writes, stop background work and close connections."""

    async def ping(self) -> None:
        """Raise ``StorageError`` unless the database answers."""

    async def append(self, request: AppendRequest) -> list[models.Written]:
        """Commit the request's events durably; returns one result per event, in order."""

    async def get(self, tenant_id: str, event_id: str) -> models.Event | None:
        """One event by id, or ``None``."""

    async def read(
        self, tenant_id: str, query: models.EventQuery, page: models.PageRequest
    ) -> models.Page[models.Event]:
        """A page of a tenant's events matching the query."""

    async def read_stored(
        self, tenant_id: str, query: models.EventQuery, page: models.PageRequest
    ) -> models.Page[models.StoredEvent]:
        """``read``, its events left as stored (for answers that only re-encode them)."""

    async def read_after(self, after_seq: int, upto_seq: int, limit: int) -> list[models.Event]:
        """Events of every tenant with ``after_seq < seq <= upto_seq``, by seq (the live bus)."""

    async def head(self) -> int:
        """The highest committed seq."""

    def on_commit(self, listener: Callable[[list[models.Event]], None]) -> None:
        """Call ``listener(events)`` with the events this process commits, just after commit."""

    async def wait_for_new(self, after: int, timeout: float) -> int:
        """Return the head once it passes ``after`` (or after ``timeout`` seconds)."""

    async def aggregate(
        self, tenant_id: str, occurred_from: int | None, occurred_to: int | None
    ) -> models.Aggregate:
        """Counts by actor type, event type and resource type, from kept counts."""

    async def stats_by_actor(
        self, tenant_id: str, occurred_from: int | None, occurred_to: int | None
    ) -> list[models.ActorStats]:
        """Per-actor totals, successes and failures, from kept counts."""

    async def values(self, tenant_id: str, query: models.EventQuery) -> list[str]:
        """The ``value`` of every matching event (for numeric aggregation by a dialect)."""

    async def put_key(self, key: models.ApiKey, secret_hash: str) -> None:
        """Store a new key by the hash of its secret."""

    async def key_by_hash(self, secret_hash: str) -> models.ApiKey | None:
        """The key whose secret hashes to this, revoked or not."""

    async def list_keys(self) -> list[models.ApiKey]:
        """Every key, newest first."""

    async def revoke_key(self, key_id: str, at: int) -> bool:
        """Mark a key revoked; ``False`` if there is no such live key."""

    async def revoked_since(self, since: int) -> list[str]:
        """Ids of keys revoked at or after ``since``."""

    async def count_keys(self) -> int:
        """How many keys exist, revoked or not."""

    async def put_blob(self, blob: models.Blob) -> None:
        """Store uploaded bytes."""

    async def get_blob(self, tenant_id: str, blob_id: str) -> models.Blob | None:
        """Uploaded bytes by id, or ``None``."""

    async def put_catalog(self, tenant_id: str, kind: str, item_id: str, name: str) -> bool:
        """Record a named thing (e.g. a use case); ``False`` if it already existed."""

    async def list_catalog(self, tenant_id: str, kind: str) -> list[tuple[str, str, int]]:
        """``(id, name, created_at)`` of every named thing of a kind, oldest first."""
