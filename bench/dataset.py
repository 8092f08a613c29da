"""Realistic events, and the large data set (generated once into bench/data/ and reused).

Events look like an audit/ops feed: 20 event types (some ending in ``.failed``/``.succeeded`` so
outcomes derive), ~1,000 actors of 4 types with a skewed popularity, 8 resource types, 2-4 tags,
2-3 metadata keys and a small payload, spread over 30 days. Eight tenants, one of which
(``acme``) holds 92% of the events, so a page 9,000 deep exists at 1M events.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from bench.util import DATA, log, pg_exists, pg_recreate, pg_url, sqlite_remove

DATASET_VERSION = 1
SEED = 20261122
DAY_MS = 86_400_000
SPAN_MS = 30 * DAY_MS
T_END_MS = 1_793_491_200_000  # 2026-11-01T00:00:00Z: the newest event; fixed so runs compare
BIG_TENANT = "acme"
TENANTS = ("acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka")
TENANT_WEIGHTS = (92, 2, 1.5, 1.2, 1, 0.9, 0.8, 0.6)
EVENT_TYPES = (
    "user.login",
    "user.logout",
    "user.created",
    "user.password_reset",
    "order.created",
    "order.paid",
    "order.cancelled",
    "payment.succeeded",
    "payment.failed",
    "invoice.sent",
    "deploy.started",
    "deploy.completed",
    "deploy.failed",
    "build.succeeded",
    "build.failed",
    "document.viewed",
    "document.updated",
    "api.request",
    "job.completed",
    "job.error",
)
TYPE_WEIGHTS = (14, 8, 2, 1, 9, 7, 1.5, 7, 1, 4, 3, 2.7, 0.3, 6, 1, 12, 5, 10, 4, 1.5)
ACTOR_TYPES = ("user", "service", "device", "bot")
ACTOR_TYPE_WEIGHTS = (50, 30, 15, 5)
RESOURCE_TYPES = ("order", "invoice", "repository", "deployment", "device", "document", "account", "pipeline")
TAGS = (
    "env:prod",
    "env:staging",
    "region:eu-west-1",
    "region:us-east-1",
    "region:ap-south-1",
    "team:payments",
    "team:platform",
    "team:growth",
    "priority:high",
    "priority:low",
    "audit",
    "billing",
    "canary",
    "pii",
)
REGIONS = ("eu-west-1", "us-east-1", "ap-south-1")
ACTORS = [
    (f"{kind}-{i:04d}", kind)
    for i, kind in enumerate(random.Random(SEED).choices(ACTOR_TYPES, ACTOR_TYPE_WEIGHTS, k=1000))
]
# A skewed popularity: a few actors cause most events, as in real feeds.
_ACTOR_CUM = list(itertools.accumulate(1 / (i + 1) ** 0.9 for i in range(len(ACTORS))))
_TYPE_CUM = list(itertools.accumulate(TYPE_WEIGHTS))
_TENANT_CUM = list(itertools.accumulate(TENANT_WEIGHTS))
_RESOURCE_OF = {t: RESOURCE_TYPES[i % len(RESOURCE_TYPES)] for i, t in enumerate(EVENT_TYPES)}


def iso(ms: int) -> str:
    """RFC 3339 UTC with milliseconds, as clients send it."""
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def make_event(rng: random.Random, occurred_at: int) -> dict[str, Any]:
    """One event as a client POSTs it (about 300 bytes of JSON)."""
    event_type = rng.choices(EVENT_TYPES, cum_weights=_TYPE_CUM)[0]
    actor_id, actor_type = rng.choices(ACTORS, cum_weights=_ACTOR_CUM)[0]
    resource_type = _RESOURCE_OF[event_type] if rng.random() < 0.9 else "account"
    tags = rng.sample(TAGS, rng.randint(2, 4))
    metadata: dict[str, Any] = {
        "region": rng.choice(REGIONS),
        "durationMs": rng.randint(1, 5000),
    }
    if rng.random() < 0.3:
        metadata["retry"] = rng.random() < 0.2
    return {
        "eventType": event_type,
        "occurredAt": iso(occurred_at),
        "actorId": actor_id,
        "actorType": actor_type,
        "resourceType": resource_type,
        "resourceId": f"{resource_type}-{rng.randint(1, 20000)}",
        "correlationId": f"run-{rng.getrandbits(40):010x}",
        "tags": tags,
        "metadata": metadata,
        "payload": {"amount": rng.randint(1, 99999) / 100},
    }


def events_over_time(seed: int, count: int, *, start_ms: int, span_ms: int) -> Iterator[dict[str, Any]]:
    """``count`` events roughly in time order (with jitter) across ``span_ms``."""
    rng = random.Random(seed)
    step = span_ms / max(count, 1)
    for i in range(count):
        yield make_event(rng, int(start_ms + i * step + rng.uniform(0, step)))


def request_bodies(seed: int, count: int, per_body: int) -> list[bytes]:
    """``count`` distinct JSON request bodies (an object, or a list of ``per_body`` events)."""
    now = int(time.time() * 1000)
    events = events_over_time(seed, count * per_body, start_ms=now - DAY_MS, span_ms=DAY_MS)
    if per_body == 1:
        return [orjson.dumps(e) for e in events]
    return [orjson.dumps(list(itertools.islice(events, per_body))) for _ in range(count)]


# -- the large data set ------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    """Where a data set of ``events`` events lives on each backend."""

    events: int

    @property
    def label(self) -> str:
        n = self.events
        return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)

    @property
    def sqlite_path(self) -> Path:
        return DATA / f"chronicle-{self.label}.db"

    @property
    def pg_database(self) -> str:
        return f"chronicle_bench_{self.label}"

    def url(self, backend: str) -> str:
        return f"sqlite:///{self.sqlite_path}" if backend == "sqlite" else pg_url(self.pg_database)

    def marker(self, backend: str) -> Path:
        name = self.sqlite_path.name if backend == "sqlite" else self.pg_database
        return DATA / f"{name}.{backend}.json"


async def ensure(dataset: Dataset, backend: str) -> float:
    """Make the data set exist (reusing a complete one); returns seconds spent loading."""
    marker = dataset.marker(backend)
    if await _complete(dataset, backend):
        log(f"reusing {backend} data set {dataset.label} ({dataset.url(backend)})")
        await _analyze(dataset, backend)
        return 0.0
    marker.unlink(missing_ok=True)
    log(f"generating {backend} data set of {dataset.events:,} events (once; reused afterwards)")
    started = time.monotonic()
    if backend == "sqlite":
        sqlite_remove(dataset.sqlite_path)
    else:
        await pg_recreate(dataset.pg_database)
    await _load(dataset, backend)
    await _analyze(dataset, backend)
    seconds = time.monotonic() - started
    info = {"version": DATASET_VERSION, "events": dataset.events, "seed": SEED, "seconds": seconds}
    marker.write_bytes(orjson.dumps(info))
    log(f"{backend} data set loaded in {seconds:.0f} s")
    return seconds


async def _analyze(dataset: Dataset, backend: str) -> None:
    """PostgreSQL: planner statistics, as autovacuum keeps them in a live database.

    SQLite is left as the product leaves it (the product never runs ANALYZE).
    """
    if backend != "postgres":
        return
    import asyncpg

    conn = await asyncpg.connect(dataset.url(backend))
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def _complete(dataset: Dataset, backend: str) -> bool:
    """Whether a finished load of this version is there (its marker and its head agree)."""
    from chronicle.storage import open_store

    marker = dataset.marker(backend)
    if not marker.exists() or orjson.loads(marker.read_bytes()).get("version") != DATASET_VERSION:
        return False
    if backend == "postgres" and not await pg_exists(dataset.pg_database):
        return False
    if backend == "sqlite" and not dataset.sqlite_path.exists():
        return False
    store = open_store(dataset.url(backend))
    await store.open()
    try:
        return await store.head() >= dataset.events
    finally:
        await store.aclose()


async def _load(dataset: Dataset, backend: str) -> None:
    """Append through the product's own store (group commit), so every kept count is right."""
    from chronicle import models
    from chronicle.storage import AppendRequest, open_store

    options: dict[str, object] = {"synchronous": "OFF"} if backend == "sqlite" else {}
    store = open_store(dataset.url(backend), **options)
    await store.open()
    rng = random.Random(SEED + 1)
    source = events_over_time(SEED, dataset.events, start_ms=T_END_MS - SPAN_MS, span_ms=SPAN_MS)
    pending: set[asyncio.Task[list[models.Written]]] = set()
    done_events = 0
    last_report = time.monotonic()
    try:
        while batch := list(itertools.islice(source, 1000)):
            tenant = rng.choices(TENANTS, cum_weights=_TENANT_CUM)[0]
            request = AppendRequest(tenant, [_new_event(e) for e in batch])
            pending.add(asyncio.create_task(store.append(request)))
            if len(pending) >= 8:
                finished, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    done_events += len(task.result())
            if time.monotonic() - last_report > 15:
                last_report = time.monotonic()
                log(f"  {done_events:,} / {dataset.events:,} events loaded")
        if pending:
            await asyncio.gather(*pending)
    finally:
        await store.aclose()


def _new_event(wire: dict[str, Any]) -> Any:
    from chronicle import models
    from chronicle.timefmt import parse_time

    return models.NewEvent(
        event_type=wire["eventType"],
        tags=models.expand_tags(wire["tags"]),
        payload=wire["payload"],
        occurred_at=parse_time(wire["occurredAt"]),
        actor_id=wire["actorId"],
        actor_type=wire["actorType"],
        resource_type=wire["resourceType"],
        resource_id=wire["resourceId"],
        correlation_id=wire["correlationId"],
        metadata=wire["metadata"],
    )
