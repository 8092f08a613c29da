"""What SQL backends share: reads, counts, keys and blobs over a small set of primitives."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from chronicle import models
from chronicle.storage import querying
from chronicle.storage.base import AppendRequest, Capabilities
from chronicle.storage.grouping import GroupCommitter
from chronicle.storage.rows import EVENT_COLUMNS, count_key, event_from_row, key_value
from chronicle.timefmt import now_ms

Row = Sequence[Any]


class SQLStore(ABC):
    """An EventStore over a SQL database; subclasses own connections, writes and notifications."""

    capabilities: Capabilities
    style: querying.ParamStyle

    def __init__(self) -> None:
        self._committer = GroupCommitter(self._commit_group)
        self._commit_listeners: list[Callable[[list[models.Event]], None]] = []

    def on_commit(self, listener: Callable[[list[models.Event]], None]) -> None:
        self._commit_listeners.append(listener)

    def _committed(self, events: list[models.Event]) -> None:
        for listener in self._commit_listeners:
            listener(events)

    async def _fetch(self, sql: str, params: Sequence[Any]) -> list[Row]:
        """Run a SELECT on a reading connection."""
        return (await self._fetch_together([(sql, list(params))]))[0]

    @abstractmethod
    async def _fetch_together(self, statements: list[tuple[str, list[Any]]]) -> list[list[Row]]:
        """Run SELECTs one after another on one reading connection (a page and its total).

        One connection beats running them side by side: measured, a second pool checkout or
        thread hop costs more than the short second query it would overlap.
        """

    @abstractmethod
    async def _execute(self, sql: str, params: Sequence[Any]) -> int:
        """Run one statement in its own transaction; returns the affected row count."""

    @abstractmethod
    async def _commit_group(self, requests: list[AppendRequest]) -> list[list[models.Written]]:
        """Commit a group of append requests in one transaction."""

    def _ph(self, n: int) -> str:
        return "?" if self.style == "qmark" else f"${n}"

    async def append(self, request: AppendRequest) -> list[models.Written]:
        if not request.events:
            return []
        return await self._committer.submit(request)

    async def get(self, tenant_id: str, event_id: str) -> models.Event | None:
        if "\x00" in event_id:
            return None
        rows = await self._fetch(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE tenant_id = {self._ph(1)} AND id = {self._ph(2)}",
            [tenant_id, event_id],
        )
        return event_from_row(rows[0]) if rows else None

    async def read(
        self, tenant_id: str, query: models.EventQuery, page: models.PageRequest
    ) -> models.Page[models.Event]:
        return (await self.read_stored(tenant_id, query, page)).decoded()

    async def read_stored(
        self, tenant_id: str, query: models.EventQuery, page: models.PageRequest
    ) -> models.Page[models.StoredEvent]:
        if querying.matches_nothing(query):
            return models.Page(events=[], total=0 if page.with_total else None, has_next=False, next=None)
        statements = [querying.page_sql(tenant_id, query, page, self.style)]
        count = self._total_plan(tenant_id, query) if page.with_total else None
        if count is not None:
            statements += count[0]
        rows, *count_rows = await self._fetch_together(statements)
        total = count[1](count_rows) if count is not None else None
        events = [models.StoredEvent._make(r) for r in rows[: page.limit]]
        has_next = len(rows) > page.limit
        last = events[-1] if events else None
        following = models.Keyset(page.order, last.occurred_at, last.seq) if has_next and last else None
        return models.Page(events=events, total=total, has_next=has_next, next=following)

    def _total_plan(
        self, tenant_id: str, query: models.EventQuery
    ) -> tuple[list[tuple[str, list[Any]]], Callable[[list[list[Row]]], int]]:
        """The statements that count a query's events exactly, and how their rows add up."""
        plan = querying.kept_count_plan(query)
        if plan is None:
            counted = querying.tag_count_sql(tenant_id, query, self.style)
            if counted is None:
                counted = querying.count_sql(tenant_id, query, self.style)
            return [counted], lambda results: int(results[0][0][0])
        dim, key1, key2 = plan
        queries = querying.kept_counts_sql(
            tenant_id, dim, key1, key2, query.occurred_from, query.occurred_to, self.style
        )

        def add_up(results: list[list[Row]]) -> int:
            return sum(int(r[2] or 0) for rows in results for r in rows)

        return [(sql, params) for sql, params, _ in queries], add_up

    async def _kept_counts(
        self,
        tenant_id: str,
        dim: str,
        key1: str | None,
        key2: str | None,
        occurred_from: int | None,
        occurred_to: int | None,
    ) -> dict[tuple[str, str], list[int]]:
        """``{(key1, key2): [total, successes, failures]}`` from kept counts (count-key form)."""
        merged: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        queries = querying.kept_counts_sql(tenant_id, dim, key1, key2, occurred_from, occurred_to, self.style)
        for sql, params, raw in queries:
            for k1, k2, total, successes, failures in await self._fetch(sql, params):
                key = (count_key(k1), count_key(k2) if dim == "x" else "") if raw else (k1, k2)
                counts = merged[key]
                counts[0] += int(total or 0)
                counts[1] += int(successes or 0)
                counts[2] += int(failures or 0)
        return {k: v for k, v in merged.items() if v[0] > 0}

    async def read_after(self, after_seq: int, upto_seq: int, limit: int) -> list[models.Event]:
        rows = await self._fetch(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE seq > {self._ph(1)} AND seq <= {self._ph(2)} "
            f"ORDER BY seq LIMIT {self._ph(3)}",
            [after_seq, upto_seq, limit],
        )
        return [event_from_row(r) for r in rows]

    async def head(self) -> int:
        return int((await self._fetch("SELECT seq FROM chronicle_head", []))[0][0])

    async def aggregate(
        self, tenant_id: str, occurred_from: int | None, occurred_to: int | None
    ) -> models.Aggregate:
        groups = {}
        for dim in ("a", "e", "r"):
            counts = await self._kept_counts(tenant_id, dim, None, None, occurred_from, occurred_to)
            groups[dim] = sorted(
                (models.Count(key_value(k1), c[0]) for (k1, _), c in counts.items()),
                key=lambda c: (-c.count, c.key is None, c.key or ""),
            )
        return models.Aggregate(
            by_actor_type=groups["a"],
            by_event_type=groups["e"],
            by_resource_type=groups["r"],
            total=sum(c.count for c in groups["e"]),
        )

    async def stats_by_actor(
        self, tenant_id: str, occurred_from: int | None, occurred_to: int | None
    ) -> list[models.ActorStats]:
        counts = await self._kept_counts(tenant_id, "x", None, None, occurred_from, occurred_to)
        stats = [
            models.ActorStats(key_value(k1), key_value(k2), c[1], c[2], c[0])
            for (k1, k2), c in counts.items()
        ]
        return sorted(stats, key=lambda s: (-s.total, s.actor_id or "", s.actor_type or ""))

    async def values(self, tenant_id: str, query: models.EventQuery) -> list[str]:
        if querying.matches_nothing(query):
            return []
        sql, params = querying.values_sql(tenant_id, query, self.style)
        return [r[0] for r in await self._fetch(sql, params)]

    async def put_key(self, key: models.ApiKey, secret_hash: str) -> None:
        await self._execute(
            "INSERT INTO api_keys (id, name, tenant_id, scopes, secret_hash, created_at) "
            f"VALUES ({', '.join(self._ph(i) for i in range(1, 7))})",
            [key.id, key.name, key.tenant_id, orjson.dumps(key.scopes).decode(), secret_hash, key.created_at],
        )

    async def key_by_hash(self, secret_hash: str) -> models.ApiKey | None:
        rows = await self._fetch(
            f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE secret_hash = {self._ph(1)}", [secret_hash]
        )
        return _key_from_row(rows[0]) if rows else None

    async def list_keys(self) -> list[models.ApiKey]:
        rows = await self._fetch(f"SELECT {_KEY_COLUMNS} FROM api_keys ORDER BY created_at DESC", [])
        return [_key_from_row(r) for r in rows]

    async def revoke_key(self, key_id: str, at: int) -> bool:
        changed = await self._execute(
            f"UPDATE api_keys SET revoked_at = {self._ph(1)} WHERE id = {self._ph(2)} AND revoked_at IS NULL",
            [at, key_id],
        )
        return changed > 0

    async def revoked_since(self, since: int) -> list[str]:
        rows = await self._fetch(f"SELECT id FROM api_keys WHERE revoked_at >= {self._ph(1)}", [since])
        return [r[0] for r in rows]

    async def count_keys(self) -> int:
        return int((await self._fetch("SELECT COUNT(*) FROM api_keys", []))[0][0])

    async def put_blob(self, blob: models.Blob) -> None:
        await self._execute(
            "INSERT INTO blobs (tenant_id, id, content_type, name, data, metadata, created_at) "
            f"VALUES ({', '.join(self._ph(i) for i in range(1, 8))})",
            [
                blob.tenant_id,
                blob.id,
                blob.content_type,
                blob.name,
                blob.data,
                orjson.dumps(blob.metadata).decode(),
                blob.created_at,
            ],
        )

    async def get_blob(self, tenant_id: str, blob_id: str) -> models.Blob | None:
        rows = await self._fetch(
            "SELECT id, tenant_id, content_type, name, data, metadata, created_at FROM blobs "
            f"WHERE tenant_id = {self._ph(1)} AND id = {self._ph(2)}",
            [tenant_id, blob_id],
        )
        if not rows:
            return None
        r = rows[0]
        return models.Blob(r[0], r[1], r[2], r[3], bytes(r[4]), orjson.loads(r[5]), r[6])

    async def put_catalog(self, tenant_id: str, kind: str, item_id: str, name: str) -> bool:
        inserted = await self._execute(
            "INSERT INTO catalog (tenant_id, kind, id, name, created_at) "
            f"VALUES ({', '.join(self._ph(i) for i in range(1, 6))}) ON CONFLICT DO NOTHING",
            [tenant_id, kind, item_id, name, now_ms()],
        )
        return inserted > 0

    async def list_catalog(self, tenant_id: str, kind: str) -> list[tuple[str, str, int]]:
        rows = await self._fetch(
            "SELECT id, name, created_at FROM catalog "
            f"WHERE tenant_id = {self._ph(1)} AND kind = {self._ph(2)} ORDER BY created_at, id",
            [tenant_id, kind],
        )
        return [(r[0], r[1], r[2]) for r in rows]


_KEY_COLUMNS = "id, name, tenant_id, scopes, created_at, revoked_at"


def _key_from_row(row: Row) -> models.ApiKey:
    return models.ApiKey(
        id=row[0],
        name=row[1],
        tenant_id=row[2],
        scopes=tuple(orjson.loads(row[3])),
        created_at=row[4],
        revoked_at=row[5],
    )
