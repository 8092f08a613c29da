"""PostgresStore: the production backend. asyncpg, LISTEN/NOTIFY, commit-ordered seq numbers.

PostgreSQL hands out sequence values at insert time, not commit time, so with several writers
a reader tailing ``seq > cursor`` could pass an event that commits late with a lower number.
Chronicle therefore allocates seq numbers by updating the single ``chronicle_head`` row, whose
row lock is held until commit (https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-ROWS).
The next writer, in this process or another, waits for that lock, so it both allocates higher
numbers and commits later: seq order is commit order. Group commit keeps the lock cheap: one
transaction carries every request queued in a process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import asyncpg

from chronicle import errors, models
from chronicle.storage import grouping, migrate
from chronicle.storage.base import AppendRequest, Capabilities
from chronicle.storage.rows import EVENT_COLUMNS, event_from_row, event_row, meta_keys, meta_rows, tag_rows
from chronicle.storage.sqlbase import Row, SQLStore
from chronicle.storage.watch import HeadWatch
from chronicle.timefmt import now_ms

log = logging.getLogger("chronicle.storage.postgres")

CHANNEL = "chronicle_events"
_MIGRATION_LOCK = 0x43_68_72_6F_6E  # "Chron": serializes schema changes between processes
# Column types of EVENT_COLUMNS, in order, for the unnest() arrays.
_EVENT_TYPES = ("bigint", *["text"] * 6, "bytea", "bigint", "bigint", *["text"] * 11)
_EVENT_COLUMNS = ", ".join(f"${i}::{t}[]" for i, t in enumerate(_EVENT_TYPES, 1))


def _counted(first: int) -> str:
    """The CTE that adds a group's kept-count changes, from eight arrays starting at ``$first``."""
    n = [f"${i}" for i in range(first, first + 8)]
    return f"""counted AS (
    INSERT INTO event_counts (tenant_id, dim, bucket, key1, key2, total, successes, failures)
    SELECT * FROM unnest({n[0]}::text[], {n[1]}::text[], {n[2]}::bigint[], {n[3]}::text[],
                         {n[4]}::text[], {n[5]}::bigint[], {n[6]}::bigint[], {n[7]}::bigint[])
    ON CONFLICT (tenant_id, dim, bucket, key1, key2) DO UPDATE SET
        total = event_counts.total + EXCLUDED.total,
        successes = event_counts.successes + EXCLUDED.successes,
        failures = event_counts.failures + EXCLUDED.failures
)"""


# Every insert of a group, and its notification, in one statement: one round trip instead of
# five. (Data-modifying CTEs all run, whether or not the outer query reads them.)
_WRITE_GROUP = f"""
WITH new_events AS (
    INSERT INTO events ({EVENT_COLUMNS}) SELECT * FROM unnest({_EVENT_COLUMNS})
), new_tags AS (
    INSERT INTO event_tags (tenant_id, tag, occurred_at, seq)
    SELECT * FROM unnest($22::text[], $23::text[], $24::bigint[], $25::bigint[])
), new_meta AS (
    INSERT INTO event_meta (tenant_id, ns, key, kind, vtext, vnum, seq)
    SELECT * FROM unnest($26::text[], $27::text[], $28::text[], $29::text[], $30::text[],
                         $31::float8[], $32::bigint[])
), {_counted(33)}
SELECT pg_notify($41, $42)
"""
# From this many new events a group goes in by COPY (measured: an INSERT from unnest() arrays
# costs more on both sides for batches; for a few events one statement saves round trips).
_COPY_FROM = 256
_EVENT_COLUMN_NAMES = [c.strip() for c in EVENT_COLUMNS.split(",")]
_TAG_COLUMNS = ["tenant_id", "tag", "occurred_at", "seq"]
_META_COLUMNS = ["tenant_id", "ns", "key", "kind", "vtext", "vnum", "seq"]
_UPSERT_COUNTS = f"""
WITH {_counted(1)}
SELECT pg_notify($9, $10)
"""
# Replaced versions (Roboflow's overwrite) are deleted by the full keys of their side rows,
# compared with "=" so the planner can use the typed partial indexes of event_meta.
_DELETE_REPLACED = """
WITH gone_events AS (
    DELETE FROM events WHERE seq = ANY($1::bigint[])
), gone_tags AS (
    DELETE FROM event_tags t USING unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[])
        AS d(tenant_id, tag, occurred_at, seq)
    WHERE t.tenant_id = d.tenant_id AND t.tag = d.tag AND t.occurred_at = d.occurred_at
      AND t.seq = d.seq
), gone_text AS (
    DELETE FROM event_meta m USING unnest($6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[])
        AS d(tenant_id, ns, key, vtext, seq)
    WHERE m.tenant_id = d.tenant_id AND m.ns = d.ns AND m.key = d.key AND m.vtext = d.vtext
      AND m.seq = d.seq
)
DELETE FROM event_meta m USING unnest($11::text[], $12::text[], $13::text[], $14::float8[], $15::bigint[])
    AS d(tenant_id, ns, key, vnum, seq)
WHERE m.tenant_id = d.tenant_id AND m.ns = d.ns AND m.key = d.key AND m.vnum = d.vnum
  AND m.seq = d.seq
"""
_FIND_EXISTING = (
    f"SELECT {', '.join('e.' + c.strip() for c in EVENT_COLUMNS.split(','))} FROM events e "
    "JOIN unnest($1::text[], $2::text[]) AS k(tenant_id, id) "
    "ON e.tenant_id = k.tenant_id AND e.id = k.id"
)


class _PooledConnection(asyncpg.Connection):  # type: ignore[misc]
    """A pooled connection handed back without asyncpg's reset round trip.

    asyncpg resets every released connection with ``RESET ALL; UNLISTEN *; CLOSE ALL;
    SELECT pg_advisory_unlock_all()`` (measured: a quarter of a millisecond per query here).
    Pooled connections never take session state: they run single statements and managed
    transactions only, and the listener and migrations use connections of their own. An open
    transaction is still rolled back by asyncpg whatever this returns.
    """

    def get_reset_query(self) -> str:
        return ""


class PostgresStore(SQLStore):
    """Events in PostgreSQL; any number of ``serve`` processes may share the database."""

    style = "numeric"

    def __init__(self, url: str, *, pool_size: int = 10, safety_poll: float = 1.0) -> None:
        super().__init__()
        self.url = url
        self.capabilities = Capabilities(name="postgres", native_notifications=True)
        self._pool_size = pool_size
        self._safety_poll = safety_poll
        self._pool: asyncpg.Pool | None = None
        self._listener: asyncpg.Connection | None = None
        self._watch = HeadWatch()
        self._tasks: list[asyncio.Task[None]] = []

    async def open(self) -> None:
        try:
            await self._migrate()
            self._pool = await asyncpg.create_pool(
                self.url, min_size=2, max_size=self._pool_size, connection_class=_PooledConnection
            )
        except (OSError, asyncpg.PostgresError) as exc:
            raise errors.StorageError(f"PostgreSQL: {exc}") from exc
        self._watch.advance(await self.head())
        await self._listen()
        self._committer.start()
        self._tasks.append(asyncio.create_task(self._safety_net(), name="chronicle-pg-poll"))
        log.info("opened PostgreSQL store")

    async def _migrate(self) -> None:
        conn = await asyncpg.connect(self.url)
        try:
            await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
            await conn.execute(migrate.VERSION_TABLE)
            applied = {r[0] for r in await conn.fetch("SELECT version FROM chronicle_schema")}
            for m in migrate.pending("postgres", applied):
                log.info("applying migration %04d_%s", m.version, m.name)
                async with conn.transaction():
                    await conn.execute(m.sql)
                    await conn.execute(
                        "INSERT INTO chronicle_schema (version, name, applied_at) "
                        "VALUES ($1, $2, now()::text)",
                        m.version,
                        m.name,
                    )
        finally:
            with contextlib.suppress(Exception):
                await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
            await conn.close()

    async def _listen(self) -> None:
        self._listener = await asyncpg.connect(self.url)
        await self._listener.add_listener(CHANNEL, self._on_notify)

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        with contextlib.suppress(ValueError):
            self._watch.advance(int(payload))

    async def _safety_net(self) -> None:
        # The table is the source of truth: a notification lost with a dropped connection
        # delays delivery by at most one poll, it never loses an event.
        while True:
            await asyncio.sleep(self._safety_poll)
            try:
                self._watch.advance(await self.head())
                if self._listener is None or self._listener.is_closed():
                    await self._listen()
            except (OSError, errors.StorageError, asyncpg.PostgresError) as exc:
                log.warning("PostgreSQL change watch failed: %s", exc)

    async def aclose(self) -> None:
        await self._committer.aclose()
        for task in self._tasks:
            task.cancel()
        if self._listener is not None and not self._listener.is_closed():
            await self._listener.close()
        if self._pool is not None:
            await self._pool.close()

    async def ping(self) -> None:
        await self._fetch("SELECT 1", [])

    async def wait_for_new(self, after: int, timeout: float) -> int:
        return await self._watch.wait_past(after, timeout)

    def _require_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise errors.StorageError("the store is not open")
        return self._pool

    async def _fetch_together(self, statements: list[tuple[str, list[Any]]]) -> list[list[Row]]:
        try:
            async with self._require_pool().acquire() as conn:
                return [list(await conn.fetch(sql, *params)) for sql, params in statements]
        except (OSError, asyncpg.PostgresError) as exc:
            raise errors.StorageError(f"PostgreSQL: {exc}") from exc

    async def _execute(self, sql: str, params: Sequence[Any]) -> int:
        try:
            async with self._require_pool().acquire() as conn:
                status = await conn.execute(sql, *params)
        except (OSError, asyncpg.PostgresError) as exc:
            raise errors.StorageError(f"PostgreSQL: {exc}") from exc
        last = status.rsplit(" ", 1)[-1]
        return int(last) if last.isdigit() else 0

    async def _commit_group(self, requests: list[AppendRequest]) -> list[list[models.Written]]:
        try:
            async with self._require_pool().acquire() as conn, conn.transaction():
                plan = await self._write_group(conn, requests)
        except (OSError, asyncpg.PostgresError) as exc:
            raise errors.StorageError(f"PostgreSQL: {exc}") from exc
        if plan.inserts:
            self._committed(plan.inserts)
            self._watch.advance(plan.inserts[-1].seq)
        return plan.results

    async def _write_group(
        self, conn: asyncpg.Connection, requests: list[AppendRequest]
    ) -> grouping.GroupPlan:
        keys = grouping.client_keys(requests)
        if keys:
            # Take the head row lock first so the duplicate-id check is race-free.
            await conn.execute("SELECT seq FROM chronicle_head WHERE id = 1 FOR UPDATE")
        existing = await _find_existing(conn, keys)
        needed = grouping.inserts_needed(requests, existing)
        last = await conn.fetchval(
            "UPDATE chronicle_head SET seq = seq + $1 WHERE id = 1 RETURNING seq", needed
        )
        plan = grouping.plan_group(requests, existing, last - needed + 1, now_ms())
        if plan.deletes:
            await conn.execute(
                _DELETE_REPLACED,
                [e.seq for e in plan.deletes],
                *_columns([r for e in plan.deletes for r in tag_rows(e)], 4),
                *_columns([r for e in plan.deletes for r in meta_keys(e)[0]], 5),
                *_columns([r for e in plan.deletes for r in meta_keys(e)[1]], 5),
            )
        if len(plan.inserts) >= _COPY_FROM:
            await _copy_inserts(conn, plan, last)
        elif plan.inserts:
            # pg_notify is delivered only when (and if) the transaction commits.
            await conn.execute(
                _WRITE_GROUP,
                *_columns([event_row(e) for e in plan.inserts], 21),
                *_columns([r for e in plan.inserts for r in tag_rows(e)], 4),
                *_columns([r for e in plan.inserts for r in meta_rows(e)], 7),
                *_columns(plan.counts.rows(), 8),
                CHANNEL,
                str(last),
            )
        return plan


async def _copy_inserts(conn: asyncpg.Connection, plan: grouping.GroupPlan, last: int) -> None:
    """A large group's rows, sent with COPY: cheaper for the database and for the encoder."""
    await conn.copy_records_to_table(
        "events", records=[event_row(e) for e in plan.inserts], columns=_EVENT_COLUMN_NAMES
    )
    await conn.copy_records_to_table(
        "event_tags", records=[r for e in plan.inserts for r in tag_rows(e)], columns=_TAG_COLUMNS
    )
    await conn.copy_records_to_table(
        "event_meta", records=[r for e in plan.inserts for r in meta_rows(e)], columns=_META_COLUMNS
    )
    await conn.execute(_UPSERT_COUNTS, *_columns(plan.counts.rows(), 8), CHANNEL, str(last))


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows as column arrays for unnest(); empty arrays when there are no rows."""
    if not rows:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]


async def _find_existing(
    conn: asyncpg.Connection, keys: list[grouping.EventKey]
) -> dict[grouping.EventKey, models.Event]:
    if not keys:
        return {}
    rows = await conn.fetch(_FIND_EXISTING, [k[0] for k in keys], [k[1] for k in keys])
    events = (event_from_row(r) for r in rows)
    return {(e.tenant_id, e.id): e for e in events}
