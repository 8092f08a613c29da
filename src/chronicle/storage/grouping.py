"""Group commit: concurrent appends share one transaction, acknowledged only after it commits.

One fsync per transaction bounds single-event writes (see shared PERFORMANCE.md); a single
writer per process that commits everything queued turns concurrent requests into batches.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field

from chronicle import errors, models
from chronicle.storage.base import AppendRequest
from chronicle.storage.rows import CountDeltas

log = logging.getLogger("chronicle.storage")

EventKey = tuple[str, str]


@dataclass
class GroupPlan:
    """What one group commit writes: new rows, replaced rows, count changes, per-request results."""

    results: list[list[models.Written]] = field(default_factory=list)
    inserts: list[models.Event] = field(default_factory=list)
    deletes: list[models.Event] = field(default_factory=list)
    counts: CountDeltas = field(default_factory=CountDeltas)


def client_keys(requests: list[AppendRequest]) -> list[EventKey]:
    """The (tenant, id) of every event that names its own id."""
    return [(r.tenant_id, e.id) for r in requests for e in r.events if e.id is not None]


def inserts_needed(requests: list[AppendRequest], existing: dict[EventKey, models.Event]) -> int:
    """How many seq numbers the group needs."""
    return sum(
        1
        for r in requests
        for e in r.events
        if r.overwrite or e.id is None or (r.tenant_id, e.id) not in existing
    )


def plan_group(
    requests: list[AppendRequest],
    existing: dict[EventKey, models.Event],
    first_seq: int,
    received_at: int,
) -> GroupPlan:
    """Decide every row of a group commit; seqs are handed out in request order."""
    plan = GroupPlan()
    seq = first_seq
    ids = new_ids(sum(1 for r in requests for e in r.events if e.id is None))
    for request in requests:
        written = []
        for new in request.events:
            stored = existing.get((request.tenant_id, new.id)) if new.id is not None else None
            if stored is not None and not request.overwrite:
                written.append(models.Written(stored, created=False))
                continue
            if stored is not None:
                plan.deletes.append(stored)
                plan.counts.add(stored, -1)
            event = _commit_event(new, request.tenant_id, seq, received_at, ids)
            seq += 1
            plan.inserts.append(event)
            plan.counts.add(event, 1)
            written.append(models.Written(event, created=stored is None))
        plan.results.append(written)
    return plan


def new_ids(count: int) -> Iterator[str]:
    """``count`` random (version 4) UUIDs, from one read of the OS's random source.

    ``uuid.uuid4()`` makes a system call per id: a tenth of the writer's time on batches.
    """
    random = os.urandom(16 * count)
    for start in range(0, 16 * count, 16):
        chunk = bytearray(random[start : start + 16])
        chunk[6] = chunk[6] & 0x0F | 0x40  # version 4
        chunk[8] = chunk[8] & 0x3F | 0x80  # RFC 4122 variant
        h = chunk.hex()
        yield f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _commit_event(
    new: models.NewEvent, tenant_id: str, seq: int, received_at: int, ids: Iterator[str]
) -> models.Event:
    return models.Event(
        seq=seq,
        id=new.id if new.id is not None else next(ids),
        tenant_id=tenant_id,
        event_type=new.event_type,
        tags=new.tags,
        value=new.value,
        payload=new.payload,
        payload_bytes=new.payload_bytes,
        occurred_at=new.occurred_at if new.occurred_at is not None else received_at,
        received_at=received_at,
        actor_id=new.actor_id,
        actor_type=new.actor_type,
        resource_type=new.resource_type,
        resource_id=new.resource_id,
        correlation_id=new.correlation_id,
        causation_id=new.causation_id,
        parent_ids=new.parent_ids,
        outcome=new.outcome if new.outcome is not None else models.derive_outcome(new.event_type),
        metadata=new.metadata,
        attributes=new.attributes,
        source=new.source,
    )


# A request takes the event loop about three turns from its bytes arriving to its submit();
# the rounds bound how long a flood of arrivals can hold a group open.
_TURNS_TO_SUBMIT = 3
_GATHER_ROUNDS = 64

CommitGroup = Callable[[list[AppendRequest]], Awaitable[list[list[models.Written]]]]
_Pending = tuple[AppendRequest, "asyncio.Future[list[models.Written]]"]


class GroupCommitter:
    """Queues append requests and commits them in groups, one transaction at a time.

    A group never holds two requests for the same (tenant, id), so each request sees the
    effect of every earlier one. If a group's transaction fails, its requests are retried one
    by one, so one bad request cannot fail its neighbours.
    """

    def __init__(self, commit: CommitGroup, *, max_group_events: int = 5000) -> None:
        self._commit = commit
        self._max = max_group_events
        self._queue: list[_Pending] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        """Start the writer task on the running loop."""
        self._task = asyncio.create_task(self._run(), name="chronicle-group-commit")

    async def submit(self, request: AppendRequest) -> list[models.Written]:
        """Queue a request and wait until it is committed (or failed)."""
        if self._closing:
            raise errors.StorageError("the store is closing")
        ids = [e.id for e in request.events if e.id is not None]
        if len(ids) != len(set(ids)):
            raise errors.InvalidInput("the same id appears twice in one batch", field="id")
        future: asyncio.Future[list[models.Written]] = asyncio.get_running_loop().create_future()
        self._queue.append((request, future))
        self._wake.set()
        return await future

    async def aclose(self) -> None:
        """Commit what is queued, then stop."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                await self._gather_arrivals()
                await self._commit_next_group()
            if self._closing:
                return

    async def _gather_arrivals(self) -> None:
        # Requests whose bytes have already arrived join this group: let the loop parse them
        # first, for as long as the queue keeps growing. Larger groups cost less per event;
        # with nothing else ready, a turn of the loop costs microseconds.
        for _ in range(_GATHER_ROUNDS):
            size = len(self._queue)
            for _ in range(_TURNS_TO_SUBMIT):
                await asyncio.sleep(0)
            if len(self._queue) == size:
                return

    def _take_group(self) -> list[_Pending]:
        group: list[_Pending] = []
        keys: set[EventKey] = set()
        size = 0
        for request, future in self._queue:
            request_keys = {(request.tenant_id, e.id) for e in request.events if e.id is not None}
            too_big = group and size + len(request.events) > self._max
            if too_big or keys & request_keys:
                break
            group.append((request, future))
            keys |= request_keys
            size += len(request.events)
        del self._queue[: len(group)]
        return group

    async def _commit_next_group(self) -> None:
        group = self._take_group()
        live = [(r, f) for r, f in group if not f.cancelled()]
        if not live:
            return
        try:
            results = await self._commit([r for r, _ in live])
        except Exception as exc:  # noqa: BLE001 - each request is retried alone below
            if len(live) == 1:
                _fail(live[0][1], exc)
                return
            log.warning("group commit of %d requests failed (%s); retrying one by one", len(live), exc)
            for pending in live:
                await self._commit_alone(pending)
            return
        for (_, future), written in zip(live, results, strict=True):
            if not future.done():
                future.set_result(written)

    async def _commit_alone(self, pending: _Pending) -> None:
        request, future = pending
        try:
            written = (await self._commit([request]))[0]
        except Exception as exc:  # noqa: BLE001 - handed to the waiting caller
            _fail(future, exc)
        else:
            if not future.done():
                future.set_result(written)


def _fail(future: asyncio.Future[list[models.Written]], exc: Exception) -> None:
    if future.done():
        return
    if isinstance(exc, errors.ChronicleError):
        future.set_exception(exc)
    else:
        future.set_exception(errors.StorageError(f"write failed: {exc}"))
