"""The live bus: one per process, it follows the store's head and feeds every stream and long-poll.

The store stays the source of truth. The bus keeps a window of recent events in commit order,
each serialized at most once per wire shape, and tells waiters when the head moves. A reader
whose cursor is inside the window is answered from memory; one that fell behind (a slow
client, a resume from long ago) is answered from the store, so no reader can miss an event
and none can make the bus hold more than its window.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from chronicle import models
from chronicle.filtering import matches
from chronicle.storage import EventStore
from chronicle.storage.watch import HeadWatch
from chronicle.timefmt import now_ms

log = logging.getLogger("chronicle.live")

Encoder = Callable[[models.Event], bytes]


@dataclass(slots=True)
class LiveEvent:
    """An event on the bus, with its encodings cached so each shape is encoded once."""

    event: models.Event
    _encoded: dict[str, bytes] = field(default_factory=dict)

    def encoded(self, shape: str, encoder: Encoder) -> bytes:
        """The event encoded by ``encoder``, computed on first use for this shape."""
        data = self._encoded.get(shape)
        if data is None:
            data = self._encoded[shape] = encoder(self.event)
        return data


class LiveBus:
    """Follows the store's head; readers ask for what follows their cursor, then wait."""

    def __init__(
        self,
        store: EventStore,
        *,
        window: int = 20_000,
        fetch_batch: int = 1000,
        revocation_poll: float = 1.0,
        tick: float = 1.0,
    ) -> None:
        self.store = store
        self._window = window
        self._fetch_batch = fetch_batch
        self._revocation_poll = revocation_poll
        self._tick = tick
        self._seqs: list[int] = []
        self._items: list[LiveEvent] = []
        self.head = 0
        self._floor = 0
        self._watch = HeadWatch()
        self._tasks: list[asyncio.Task[None]] = []
        self.closing = False
        self.followers = 0
        self._memo: dict[tuple[str, models.EventQuery, int], list[LiveEvent]] = {}
        self._memo_head = -1
        self.revoked: set[str] = set()
        self._revocation_listeners: list[Callable[[str], None]] = []

    async def start(self) -> None:
        """Start following from the current head."""
        self.store.on_commit(self._take_local)
        self.head = self._floor = await self.store.head()
        self._watch.advance(self.head)
        self._tasks = [
            asyncio.create_task(self._follow(), name="chronicle-live-follow"),
            asyncio.create_task(self._watch_revocations(), name="chronicle-live-revocations"),
            asyncio.create_task(self._ticker(), name="chronicle-live-ticker"),
        ]

    async def _ticker(self) -> None:
        # One timer for every follower: each wakes, sees whether its heartbeat is due, sleeps.
        while not self.closing:
            await asyncio.sleep(self._tick)
            self._watch.poke()

    async def aclose(self) -> None:
        """Stop following and release every waiting reader (streams end on shutdown)."""
        self.closing = True
        self._watch.poke()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def end_streams(self) -> None:
        """Make every follower finish (the server is stopping); safe to call from a signal."""
        self.closing = True
        self._watch.poke()

    def on_revocation(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(key_id)`` whenever any process revokes a key."""
        self._revocation_listeners.append(listener)

    def revoke(self, key_id: str) -> None:
        """Record a revocation seen in this process and wake readers so they can end."""
        if key_id in self.revoked:
            return
        self.revoked.add(key_id)
        for listener in self._revocation_listeners:
            listener(key_id)
        self._watch.poke()

    async def _follow(self) -> None:
        while not self.closing:
            try:
                target = await self.store.wait_for_new(self.head, 1.0)
                if target > self.head:
                    await self._catch_up(target)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("live bus failed to read new events; retrying")
                await asyncio.sleep(0.5)

    def _take_local(self, events: list[models.Event]) -> None:
        # This process's own commits need no read back when they directly follow the head
        # (seq numbers of one commit are consecutive); otherwise _follow reads the gap.
        if not events or events[0].seq != self.head + 1:
            return
        for event in events:
            self._seqs.append(event.seq)
            self._items.append(LiveEvent(event))
        self.head = events[-1].seq
        self._trim()
        self._watch.advance(self.head)

    async def _catch_up(self, target: int) -> None:
        if self.followers == 0:
            # Nobody streams here: skip reading; a later reader older than the window
            # is served from the store.
            self._seqs.clear()
            self._items.clear()
            self.head = self._floor = target
            self._watch.advance(target)
            return
        while self.head < target:
            batch = await self.store.read_after(self.head, target, self._fetch_batch)
            full = len(batch) == self._fetch_batch
            # This process's commits may have been taken meanwhile (_take_local).
            for event in batch:
                if event.seq > self.head:
                    self._seqs.append(event.seq)
                    self._items.append(LiveEvent(event))
                    self.head = event.seq
            if not full:
                self.head = max(self.head, target)
            self._trim()
            self._watch.advance(self.head)

    def _trim(self) -> None:
        excess = len(self._items) - self._window
        if excess > self._window // 4:
            self._floor = self._seqs[excess - 1]
            del self._seqs[:excess]
            del self._items[:excess]

    async def _watch_revocations(self) -> None:
        since = now_ms()
        while not self.closing:
            await asyncio.sleep(self._revocation_poll)
            try:
                # Overlap the window a little: clocks of several processes differ.
                checked = now_ms()
                for key_id in await self.store.revoked_since(since - 5_000):
                    self.revoke(key_id)
                since = checked
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - retried on the next tick
                log.warning("checking for revoked keys failed: %s", exc)

    async def wait(self, after: int, timeout: float) -> int:
        """Wait until the head passes ``after`` (or a revocation, shutdown or the timeout)."""
        return await self._watch.wait_past(after, timeout)

    async def sleep(self, after: int) -> int:
        """Wait until the head passes ``after``, or the next tick, revocation or shutdown."""
        return await self._watch.sleep_past(after)

    def read_window(
        self, tenant_id: str, query: models.EventQuery, after: int
    ) -> tuple[list[LiveEvent], int] | None:
        """``read`` without a database round trip, or ``None`` if ``after`` is behind the window."""
        if after < self._floor:
            return None
        return self._read_window(tenant_id, query, after), max(after, self.head)

    async def read(
        self, tenant_id: str, query: models.EventQuery, after: int, limit: int = 1000
    ) -> tuple[list[LiveEvent], int]:
        """Matching events with ``seq > after`` and the cursor to continue from."""
        window = self.read_window(tenant_id, query, after)
        return window if window is not None else await self._read_store(tenant_id, query, after, limit)

    def _read_window(self, tenant_id: str, query: models.EventQuery, after: int) -> list[LiveEvent]:
        # Followers with the same tenant and filter wake together at the same cursor: filter
        # once per head for all of them (fan-out must coalesce, see PERFORMANCE.md).
        key = (tenant_id, query, after)
        if self._memo_head != self.head:
            self._memo.clear()
            self._memo_head = self.head
        found = self._memo.get(key)
        if found is None:
            start = bisect.bisect_right(self._seqs, after)
            found = [
                item
                for item in self._items[start:]
                if item.event.tenant_id == tenant_id and matches(query, item.event)
            ]
            if len(self._memo) < 10_000:
                self._memo[key] = found
        return found

    async def _read_store(
        self, tenant_id: str, query: models.EventQuery, after: int, limit: int
    ) -> tuple[list[LiveEvent], int]:
        # Everything up to the bus head is committed and visible, so a short page means the
        # reader has seen every match up to that head.
        head = self.head
        page = await self.store.read(
            tenant_id,
            replace(query, seq_after=after, seq_upto=head),
            models.PageRequest(order="seq_asc", limit=limit, with_total=False),
        )
        found = [LiveEvent(e) for e in page.events]
        if page.has_next and found:
            return found, found[-1].event.seq
        return found, max(after, head)
