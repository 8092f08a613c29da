"""Baselines without HTTP: raw batch inserts into Chronicle's schema, and hand-written queries.

Both go through the driver the product uses (``sqlite3``; ``asyncpg``), with the product's
connection settings, and are timed on the server's core.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from bench import dataset
from bench.util import SERVER_CPU, on_cpu, pg_recreate, pg_url, sqlite_remove, summarize_ms

_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",  # the product's default (durable)
    "PRAGMA busy_timeout = 30000",
    "PRAGMA wal_autocheckpoint = 10000",
    "PRAGMA cache_size = -65536",
)
_TAG_COLUMNS = ("tenant_id", "tag", "occurred_at", "seq")
_META_COLUMNS = ("tenant_id", "ns", "key", "kind", "vtext", "vnum", "seq")
_COUNT_COLUMNS = ("tenant_id", "dim", "bucket", "key1", "key2", "total", "successes", "failures")
_COUNT_TYPES = ("text", "text", "bigint", "text", "text", "bigint", "bigint", "bigint")
_ADD_COUNTS = (
    " ON CONFLICT (tenant_id, dim, bucket, key1, key2) DO UPDATE SET "
    "total = event_counts.total + excluded.total, "
    "successes = event_counts.successes + excluded.successes, "
    "failures = event_counts.failures + excluded.failures"
)


def _insert(table: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def _event_columns() -> list[str]:
    from chronicle.storage.rows import EVENT_COLUMNS

    return [c.strip() for c in EVENT_COLUMNS.split(",")]


@dataclass
class Rows:
    """The rows the product writes for one batch: events, tags, metadata and count deltas."""

    events: list[tuple[Any, ...]]
    tags: list[tuple[Any, ...]]
    meta: list[tuple[Any, ...]]
    counts: list[tuple[Any, ...]]


def _batch_rows(batch: list[dict[str, Any]], first_seq: int) -> Rows:
    """Rows as the product builds them (its own row functions) for one request body's events."""
    from chronicle import models
    from chronicle.storage.rows import CountDeltas, event_row, meta_rows, tag_rows

    now = int(time.time() * 1000)
    events = []
    counts = CountDeltas()
    for i, wire in enumerate(batch):
        new = dataset._new_event(wire)
        event = models.Event(
            seq=first_seq + i,
            id=str(uuid.uuid4()),
            tenant_id="default",
            event_type=new.event_type,
            tags=new.tags,
            value="",
            payload=new.payload,
            payload_bytes=None,
            occurred_at=new.occurred_at,
            received_at=now,
            actor_id=new.actor_id,
            actor_type=new.actor_type,
            resource_type=new.resource_type,
            resource_id=new.resource_id,
            correlation_id=new.correlation_id,
            causation_id=None,
            parent_ids=(),
            outcome=models.derive_outcome(new.event_type),
            metadata=new.metadata,
            attributes={},
            source="native",
        )
        events.append(event)
        counts.add(event, 1)
    return Rows(
        [event_row(e) for e in events],
        [r for e in events for r in tag_rows(e)],
        [r for e in events for r in meta_rows(e)],
        counts.rows(),
    )


async def _bounded_batches(
    write: Callable[[Rows], Awaitable[float]], *, bodies: Path, seconds: float, max_events: int
) -> dict[str, Any]:
    """Time ``write`` (one transaction per body) until ``seconds`` of writing or ``max_events``.

    The batches are the very request bodies the HTTP batch figure sends, in the same order.
    """
    batches = [orjson.loads(line) for line in bodies.read_bytes().split(b"\n") if line]
    spent = 0.0
    written = 0
    latencies: list[float] = []
    wall_deadline = time.monotonic() + seconds * 4 + 30
    while spent < seconds and written < max_events and time.monotonic() < wall_deadline:
        batch = batches[len(latencies) % len(batches)]
        rows = _batch_rows(batch, written + 1)  # built outside the timed part
        took = await write(rows)
        spent += took
        written += len(batch)
        latencies.append(took * 1000)
    return {
        "events": written,
        "seconds": spent,
        "events_per_s": written / spent,
        "latency_ms": summarize_ms(latencies),
    }


async def raw_insert_sqlite(
    path: Path, *, events_only: bool, bodies: Path, seconds: float, max_events: int
) -> dict[str, Any]:
    """``executemany`` of the product's rows into a fresh database, one transaction per batch."""
    from chronicle.storage import migrate

    insert_event = _insert("events", _event_columns())
    insert_tag = _insert("event_tags", _TAG_COLUMNS)
    insert_meta = _insert("event_meta", _META_COLUMNS)
    upsert_count = _insert("event_counts", _COUNT_COLUMNS) + _ADD_COUNTS
    sqlite_remove(path)
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in _SQLITE_PRAGMAS:
        conn.execute(pragma)
    for m in migrate.migrations("sqlite"):
        conn.executescript(m.sql)

    async def write(rows: Rows) -> float:
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(insert_event, rows.events)
        if not events_only:
            conn.executemany(insert_tag, rows.tags)
            conn.executemany(insert_meta, rows.meta)
            conn.executemany(upsert_count, rows.counts)
        conn.execute("COMMIT")
        return time.perf_counter() - started

    try:
        with on_cpu({int(SERVER_CPU)}):
            return await _bounded_batches(write, bodies=bodies, seconds=seconds, max_events=max_events)
    finally:
        conn.close()
        sqlite_remove(path)


async def raw_insert_postgres(
    database: str, *, events_only: bool, bodies: Path, seconds: float, max_events: int
) -> dict[str, Any]:
    """``COPY`` of the product's rows into a fresh database, one transaction per batch.

    Kept counts need an upsert, which COPY cannot do: one ``INSERT ... SELECT FROM unnest(...)
    ON CONFLICT DO UPDATE`` per batch.
    """
    from chronicle.storage import migrate

    arrays = ", ".join(f"${i}::{t}[]" for i, t in enumerate(_COUNT_TYPES, 1))
    upsert_counts = (
        f"INSERT INTO event_counts ({', '.join(_COUNT_COLUMNS)}) SELECT * FROM unnest({arrays})" + _ADD_COUNTS
    )
    await pg_recreate(database)
    conn = await asyncpg.connect(pg_url(database))
    for m in migrate.migrations("postgres"):
        await conn.execute(m.sql)
    event_columns = _event_columns()

    async def write(rows: Rows) -> float:
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("events", records=rows.events, columns=event_columns)
            if not events_only:
                await conn.copy_records_to_table("event_tags", records=rows.tags, columns=_TAG_COLUMNS)
                await conn.copy_records_to_table("event_meta", records=rows.meta, columns=_META_COLUMNS)
                await conn.execute(upsert_counts, *(list(c) for c in zip(*rows.counts, strict=True)))
        return time.perf_counter() - started

    try:
        with on_cpu({int(SERVER_CPU)}):
            return await _bounded_batches(write, bodies=bodies, seconds=seconds, max_events=max_events)
    finally:
        await conn.close()
        await pg_recreate(database)


# -- hand-written queries ------------------------------------------------------------------


@dataclass(frozen=True)
class HandQuery:
    """One figure's hand-written SQL: statements run in sequence, each fully fetched."""

    name: str
    statements: Sequence[tuple[str, Sequence[Any]]]


def time_sqlite(
    path: Path, queries: Sequence[HandQuery], *, iterations: int, seconds: float, warmup: int
) -> dict[str, Any]:
    """Each query timed alone, sequentially, on the product's reader connection settings."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in _SQLITE_PRAGMAS:
        conn.execute(pragma)
    conn.execute("PRAGMA query_only = ON")

    def run(query: HandQuery) -> list[Any]:
        return [conn.execute(sql, params).fetchall() for sql, params in query.statements]

    try:
        with on_cpu({int(SERVER_CPU)}):
            return {q.name: _timed(partial(run, q), iterations, seconds, warmup) for q in queries}
    finally:
        conn.close()


async def time_postgres(
    database: str, queries: Sequence[HandQuery], *, iterations: int, seconds: float, warmup: int
) -> dict[str, Any]:
    """Each query timed alone, sequentially, through asyncpg (prepared, as the pool does)."""
    conn = await asyncpg.connect(pg_url(database))
    results: dict[str, Any] = {}
    try:
        with on_cpu({int(SERVER_CPU)}):
            for query in queries:
                latencies: list[float] = []
                answer: list[Any] = []
                for _ in range(warmup):
                    answer = [await conn.fetch(sql, *params) for sql, params in query.statements]
                deadline = time.perf_counter() + seconds
                while len(latencies) < iterations and (time.perf_counter() < deadline or len(latencies) < 5):
                    started = time.perf_counter()
                    answer = [await conn.fetch(sql, *params) for sql, params in query.statements]
                    latencies.append((time.perf_counter() - started) * 1000)
                results[query.name] = {"latency_ms": summarize_ms(latencies), "sample": _sample(answer)}
    finally:
        await conn.close()
    return results


def _timed(run: Callable[[], list[Any]], iterations: int, seconds: float, warmup: int) -> dict[str, Any]:
    answer: list[Any] = []
    for _ in range(warmup):
        answer = run()
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    while len(latencies) < iterations and (time.perf_counter() < deadline or len(latencies) < 5):
        started = time.perf_counter()
        answer = run()
        latencies.append((time.perf_counter() - started) * 1000)
    return {"latency_ms": summarize_ms(latencies), "sample": _sample(answer)}


def _sample(answer: list[Any]) -> dict[str, Any]:
    first = answer[0] if answer else []
    if len(first) == 1 and len(first[0]) == 1:
        return {"value": first[0][0]}
    return {"rows": len(first), "first": first[0][0] if first else None}
