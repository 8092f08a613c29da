"""EventService: the one entry point of the core. Routes, dialects and the CLI call only this."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from chronicle import auth, errors, models
from chronicle.live import LiveBus, LiveEvent
from chronicle.settings import Settings
from chronicle.storage import AppendRequest, EventStore, open_store
from chronicle.timefmt import now_ms

log = logging.getLogger("chronicle.service")


@dataclass(frozen=True, slots=True)
class Tick:
    """What a follower yields: new matching events, or an empty tick at each heartbeat."""

    events: list[LiveEvent]
    cursor: int


class EventService:
    """Records and reads events, follows them live, and manages keys, for every API."""

    def __init__(self, store: EventStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.bus = LiveBus(store, window=settings.live_window, tick=min(1.0, settings.heartbeat_seconds / 4))
        self._key_cache: dict[str, tuple[auth.Principal | None, float]] = {}
        self.bus.on_revocation(self._forget_key)

    @classmethod
    def from_settings(cls, settings: Settings) -> EventService:
        """A service over the store the settings' database URL names (not yet started)."""
        options: dict[str, object] = {}
        if settings.database_url.startswith("sqlite:"):
            options["synchronous"] = settings.sqlite_synchronous
        return cls(open_store(settings.database_url, **options), settings)

    async def start(self) -> str | None:
        """Open the store, start the bus and make sure an admin key exists.

        Returns:
            A newly created admin key's secret, to be shown once, or ``None``.
        """
        await self.store.open()
        await self.bus.start()
        return await self._bootstrap_admin()

    async def prepare(self) -> str | None:
        """Migrate the schema and make sure an admin key exists, then close the store.

        ``serve`` runs this once before starting worker processes, so they neither race to
        create the bootstrap key nor print several.

        Returns:
            A newly created admin key's secret, to be shown once, or ``None``.
        """
        await self.store.open()
        try:
            return await self._bootstrap_admin()
        finally:
            await self.store.aclose()

    async def aclose(self) -> None:
        """End streams, finish queued writes and close the store."""
        await self.bus.aclose()
        await self.store.aclose()

    # -- events -------------------------------------------------------------------------

    async def record(
        self, tenant_id: str, events: list[models.NewEvent], *, overwrite: bool = False
    ) -> list[models.Written]:
        """Commit events (all or nothing); acknowledged only once durable.

        Raises:
            InvalidInput: too many events, or the same id twice.
        """
        if len(events) > self.settings.max_batch:
            raise errors.InvalidInput(f"at most {self.settings.max_batch} events per request", field="events")
        return await self.store.append(AppendRequest(tenant_id, events, overwrite))

    async def get(self, tenant_id: str, event_id: str) -> models.Event:
        """One event of the tenant.

        Raises:
            NotFound: no such event in this tenant.
        """
        event = await self.store.get(tenant_id, event_id)
        if event is None:
            raise errors.NotFound(f"event {event_id!r} not found")
        return event

    async def query(
        self, tenant_id: str, query: models.EventQuery, page: models.PageRequest
    ) -> models.Page[models.Event]:
        """A page of the tenant's events matching the query."""
        return await self.store.read(tenant_id, query, page)

    async def query_stored(
        self, tenant_id: str, query: models.EventQuery, page: models.PageRequest
    ) -> models.Page[models.StoredEvent]:
        """``query`` with the events as stored, for answers that only re-encode them."""
        return await self.store.read_stored(tenant_id, query, page)

    async def aggregate(
        self, tenant_id: str, occurred_from: int | None = None, occurred_to: int | None = None
    ) -> models.Aggregate:
        """Counts by actor type, event type and resource type."""
        return await self.store.aggregate(tenant_id, occurred_from, occurred_to)

    async def stats_by_actor(
        self, tenant_id: str, occurred_from: int | None = None, occurred_to: int | None = None
    ) -> list[models.ActorStats]:
        """Per-actor totals with successes and failures."""
        return await self.store.stats_by_actor(tenant_id, occurred_from, occurred_to)

    async def values(self, tenant_id: str, query: models.EventQuery) -> list[str]:
        """The ``value`` of every matching event."""
        return await self.store.values(tenant_id, query)

    async def head(self) -> int:
        """The highest seq this process has seen committed."""
        return self.bus.head

    # -- live ---------------------------------------------------------------------------

    async def follow(
        self,
        tenant_id: str,
        query: models.EventQuery,
        after: int | None,
        *,
        heartbeat: float,
        key_id: str | None = None,
    ) -> AsyncIterator[Tick]:
        """Yield every matching event committed after ``after`` (or after now), in seq order.

        Ends when the key is revoked or the service shuts down; yields an empty tick when
        ``heartbeat`` seconds pass without events, so the caller can keep the line open.
        """
        cursor = self.bus.head if after is None else after
        last_sent = time.monotonic()
        self.bus.followers += 1
        try:
            while not self._stream_over(key_id):
                window = self.bus.read_window(tenant_id, query, cursor)
                found, cursor = window or await self.bus.read(tenant_id, query, cursor)
                if found:
                    last_sent = time.monotonic()
                    yield Tick(found, found[-1].event.seq)
                    continue
                if time.monotonic() - last_sent >= heartbeat:
                    last_sent = time.monotonic()
                    yield Tick([], cursor)
                    continue
                # No timer per stream: the bus ticks often enough for the heartbeat.
                await self.bus.sleep(cursor)
        finally:
            self.bus.followers -= 1

    @property
    def closing(self) -> bool:
        """Whether the service is shutting down (long-polls should answer now)."""
        return self.bus.closing

    def _stream_over(self, key_id: str | None) -> bool:
        return self.bus.closing or (key_id is not None and key_id in self.bus.revoked)

    async def wait_for_change(self, after: int, timeout: float) -> int:
        """Sleep until any event commits after ``after`` (or the timeout); returns the head."""
        return await self.bus.wait(after, timeout)

    # -- keys ---------------------------------------------------------------------------

    async def create_key(
        self, name: str, tenant_id: str, scopes: Iterable[str], *, secret: str | None = None
    ) -> tuple[models.ApiKey, str]:
        """Create a key; returns it with its secret, which is stored only as a hash.

        Raises:
            InvalidInput: an unknown scope.
        """
        scopes = tuple(dict.fromkeys(scopes))
        unknown = [s for s in scopes if s not in auth.SCOPES]
        if unknown:
            raise errors.InvalidInput(f"unknown scope(s): {', '.join(unknown)}", field="scopes")
        secret = secret or auth.new_secret()
        key = models.ApiKey(
            id=str(uuid.uuid4()),
            name=name,
            tenant_id=tenant_id,
            scopes=scopes,
            created_at=now_ms(),
        )
        await self.store.put_key(key, auth.hash_secret(secret))
        log.info("created key %s (%s) for tenant %s", key.id, name, tenant_id)
        return key, secret

    async def list_keys(self) -> list[models.ApiKey]:
        """Every key, without secrets."""
        return await self.store.list_keys()

    async def revoke_key(self, key_id: str) -> None:
        """Refuse a key from now on and end its streams.

        Raises:
            NotFound: no such live key.
        """
        if not await self.store.revoke_key(key_id, now_ms()):
            raise errors.NotFound(f"key {key_id!r} not found")
        self.bus.revoke(key_id)
        log.info("revoked key %s", key_id)

    async def authenticate(self, secret: str | None) -> auth.Principal:
        """The principal a request acts as.

        Raises:
            Unauthenticated: no key and no anonymous policy, or an unknown or revoked key.
        """
        if not secret:
            return self._anonymous()
        hashed = auth.hash_secret(secret)
        cached = self._key_cache.get(hashed)
        if cached is not None and cached[1] > time.monotonic():
            principal = cached[0]
        else:
            principal = await self._load_principal(hashed)
        if principal is None or principal.key_id in self.bus.revoked:
            raise errors.Unauthenticated("invalid or revoked API key")
        return principal

    async def _load_principal(self, hashed: str) -> auth.Principal | None:
        key = await self.store.key_by_hash(hashed)
        principal = None
        if key is not None and key.revoked_at is None:
            principal = auth.Principal(key.id, key.tenant_id, frozenset(key.scopes))
        # Unknown keys are remembered briefly only: a key just made by another process
        # must start working quickly. Revocations reach the cache through the bus.
        ttl = self.settings.key_cache_seconds if principal else 1.0
        self._key_cache[hashed] = (principal, time.monotonic() + ttl)
        return principal

    def _anonymous(self) -> auth.Principal:
        if self.settings.anonymous_tenant is None:
            raise errors.Unauthenticated("an API key is required")
        return auth.Principal(None, self.settings.anonymous_tenant, frozenset(self.settings.anonymous_scopes))

    def _forget_key(self, key_id: str) -> None:
        for hashed, (principal, _) in list(self._key_cache.items()):
            if principal is not None and principal.key_id == key_id:
                del self._key_cache[hashed]

    async def _bootstrap_admin(self) -> str | None:
        configured = self.settings.admin_key
        if configured:
            if await self.store.key_by_hash(auth.hash_secret(configured)) is None:
                try:
                    await self.create_key(
                        "bootstrap admin", auth.DEFAULT_TENANT, [auth.ADMIN], secret=configured
                    )
                except errors.StorageError:
                    # Another process starting at the same moment stored it first.
                    if await self.store.key_by_hash(auth.hash_secret(configured)) is None:
                        raise
            return None
        if await self.store.count_keys() > 0:
            return None
        _, secret = await self.create_key("bootstrap admin", auth.DEFAULT_TENANT, [auth.ADMIN])
        return secret

    # -- blobs and catalog --------------------------------------------------------------

    async def put_blob(
        self,
        tenant_id: str,
        data: bytes,
        content_type: str,
        *,
        name: str | None = None,
        metadata: dict[str, object] | None = None,
    ) -> models.Blob:
        """Store uploaded bytes in the event store, so every process can serve them."""
        blob = models.Blob(
            id=uuid.uuid4().hex,
            tenant_id=tenant_id,
            content_type=content_type,
            name=name,
            data=data,
            metadata=dict(metadata or {}),
            created_at=now_ms(),
        )
        await self.store.put_blob(blob)
        return blob

    async def get_blob(self, tenant_id: str, blob_id: str) -> models.Blob:
        """Uploaded bytes by id.

        Raises:
            NotFound: no such blob in this tenant.
        """
        blob = await self.store.get_blob(tenant_id, blob_id)
        if blob is None:
            raise errors.NotFound(f"{blob_id!r} not found")
        return blob

    async def ensure_catalog(self, tenant_id: str, kind: str, item_id: str, name: str) -> bool:
        """Record a named thing if new; ``True`` if it was created."""
        return await self.store.put_catalog(tenant_id, kind, item_id, name)

    async def list_catalog(self, tenant_id: str, kind: str) -> list[tuple[str, str, int]]:
        """``(id, name, created_at)`` of every named thing of a kind."""
        return await self.store.list_catalog(tenant_id, kind)
