"""The read figures on the large data set: HTTP paths, and the hand-written SQL for each.

Each figure is a request of the native API (as a tenant's reader key sees it) and the SQL an
expert would write for the same answer against the same tables.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import asyncpg

from bench.dataset import BIG_TENANT, DAY_MS, T_END_MS, Dataset, iso
from bench.rawsql import HandQuery

FILTER_TYPE = "order.created"
FILTER_TAG = "team:payments"
PAGE_SIZE = 100
DEEP_PAGE = 9000
_COLUMNS = (
    "seq, tenant_id, id, event_type, tags, value, payload, payload_bytes, occurred_at, "
    "received_at, actor_id, actor_type, resource_type, resource_id, correlation_id, "
    "causation_id, parent_ids, outcome, metadata, attributes, source"
)


def _prefixed(alias: str) -> str:
    return ", ".join(f"{alias}.{c.strip()}" for c in _COLUMNS.split(","))


@dataclass(frozen=True)
class Figure:
    """One read figure: the HTTP path and the hand SQL (``?`` placeholders; numbered for PG)."""

    name: str
    path: str
    sql: list[tuple[str, list[Any]]]
    note: str = ""


class Probe:
    """Untimed look-ups on the data set: counts, a sample id, and keysets deep in a listing."""

    def __init__(self, dataset: Dataset, backend: str) -> None:
        self.dataset = dataset
        self.backend = backend

    async def fetch(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        if self.backend == "sqlite":
            conn = sqlite3.connect(self.dataset.sqlite_path)
            try:
                return conn.execute(sql, params).fetchall()
            finally:
                conn.close()
        pg = await asyncpg.connect(self.dataset.url("postgres"))
        try:
            return [tuple(r) for r in await pg.fetch(numbered(sql), *params)]
        finally:
            await pg.close()


def numbered(sql: str) -> str:
    """``?`` placeholders as PostgreSQL's ``$1, $2, ...``."""
    parts = sql.split("?")
    return "".join(p + (f"${i}" if i < len(parts) else "") for i, p in enumerate(parts, 1))


async def build(dataset: Dataset, backend: str) -> tuple[list[Figure], dict[str, Any]]:
    """The figures, with the deep page numbers that exist in this data set."""
    from chronicle import cursors, models

    probe = Probe(dataset, backend)
    tenant = BIG_TENANT
    total_all = (await probe.fetch("SELECT COUNT(*) FROM events WHERE tenant_id = ?", [tenant]))[0][0]
    total_type = (
        await probe.fetch(
            "SELECT COUNT(*) FROM events WHERE tenant_id = ? AND event_type = ?", [tenant, FILTER_TYPE]
        )
    )[0][0]
    sample_id = (
        await probe.fetch(
            "SELECT id FROM events WHERE tenant_id = ? ORDER BY seq LIMIT 1 OFFSET ?",
            [tenant, total_all // 2],
        )
    )[0][0]
    info: dict[str, Any] = {"tenant": tenant, "tenant_events": total_all, "type_events": total_type}

    async def keyset_before(page: int, extra: str, params: list[Any]) -> tuple[int, int, int]:
        """(page, occurred_at, seq) of the event that ends page ``page - 1``: its cursor."""
        page = max(2, min(page, (params_total(extra) - 1) // PAGE_SIZE + 1))
        rows = await probe.fetch(
            f"SELECT occurred_at, seq FROM events WHERE tenant_id = ?{extra} "
            "ORDER BY occurred_at DESC, seq DESC LIMIT 1 OFFSET ?",
            [tenant, *params, (page - 1) * PAGE_SIZE - 1],
        )
        return page, int(rows[0][0]), int(rows[0][1])

    def params_total(extra: str) -> int:
        return int(total_type if extra else total_all)

    type_where = " AND event_type = ?"
    deep_all = await keyset_before(DEEP_PAGE, "", [])
    deep_type = await keyset_before(DEEP_PAGE, type_where, [FILTER_TYPE])
    info["deep_page_all"] = deep_all[0]
    info["deep_page_type"] = deep_type[0]

    def cursor(keyset: tuple[int, int, int]) -> str:
        return cursors.encode(models.Keyset("newest", keyset[1], keyset[2]))

    def page_sql(extra: str, params: list[Any], keyset: tuple[int, int, int] | None) -> tuple[str, list[Any]]:
        where = f"tenant_id = ?{extra}"
        values: list[Any] = [tenant, *params]
        if keyset is not None:
            where += " AND occurred_at <= ? AND (occurred_at < ? OR seq < ?)"
            values += [keyset[1], keyset[1], keyset[2]]
        sql = f"SELECT {_COLUMNS} FROM events WHERE {where} ORDER BY occurred_at DESC, seq DESC LIMIT ?"
        return sql, [*values, PAGE_SIZE + 1]

    week_from = T_END_MS - 7 * DAY_MS + 1_800_000  # not on an hour: exercises the edge queries
    week = {"from": iso(week_from), "to": iso(T_END_MS)}
    by_dims = [
        (f"SELECT {col}, COUNT(*) FROM events WHERE tenant_id = ?{{range}} GROUP BY {col}", col)
        for col in ("actor_type", "event_type", "resource_type")
    ]
    range_sql = " AND occurred_at >= ? AND occurred_at < ?"

    def aggregate_sql(ranged: bool) -> list[tuple[str, list[Any]]]:
        extra = [week_from, T_END_MS] if ranged else []
        return [(sql.format(range=range_sql if ranged else ""), [tenant, *extra]) for sql, _ in by_dims]

    stats_sql = (
        "SELECT actor_id, actor_type, COUNT(*), "
        "SUM(CASE WHEN outcome = 'success' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN outcome = 'failure' THEN 1 ELSE 0 END) "
        "FROM events WHERE tenant_id = ? GROUP BY actor_id, actor_type"
    )
    q_type = urlencode({"event_type": FILTER_TYPE, "limit": PAGE_SIZE})
    figures = [
        Figure(
            "list, type filter, page 1",
            f"/api/v1/events?{q_type}",
            [page_sql(type_where, [FILTER_TYPE], None)],
        ),
        Figure(
            f"list, type filter, cursor page {deep_type[0]}",
            f"/api/v1/events?{q_type}&cursor={cursor(deep_type)}",
            [page_sql(type_where, [FILTER_TYPE], deep_type)],
        ),
        Figure("list, tenant only, page 1", f"/api/v1/events?limit={PAGE_SIZE}", [page_sql("", [], None)]),
        Figure(
            f"list, tenant only, cursor page {deep_all[0]}",
            f"/api/v1/events?limit={PAGE_SIZE}&cursor={cursor(deep_all)}",
            [page_sql("", [], deep_all)],
        ),
        Figure(
            "get one event by id",
            f"/api/v1/events/{sample_id}",
            [(f"SELECT {_COLUMNS} FROM events WHERE tenant_id = ? AND id = ?", [tenant, sample_id])],
        ),
        Figure(
            "total, type filter",
            f"/api/v1/events?event_type={FILTER_TYPE}&limit=1",
            [
                (page_sql(type_where, [FILTER_TYPE], None)[0], [tenant, FILTER_TYPE, 2]),
                ("SELECT COUNT(*) FROM events WHERE tenant_id = ? AND event_type = ?", [tenant, FILTER_TYPE]),
            ],
            "the answer holds a 1-event page and the total",
        ),
        Figure(
            "total, tag filter",
            f"/api/v1/events?{urlencode({'tag': FILTER_TAG})}&limit=1",
            [
                (
                    f"SELECT {_prefixed('e')} FROM event_tags t JOIN events e ON e.seq = t.seq "
                    "WHERE t.tenant_id = ? AND t.tag = ? ORDER BY t.occurred_at DESC, t.seq DESC LIMIT 2",
                    [tenant, FILTER_TAG],
                ),
                ("SELECT COUNT(*) FROM event_tags WHERE tenant_id = ? AND tag = ?", [tenant, FILTER_TAG]),
            ],
            "no kept count answers a tag",
        ),
        Figure("aggregate, all time", "/api/v1/events/aggregate", aggregate_sql(False)),
        Figure("aggregate, last 7 days", f"/api/v1/events/aggregate?{urlencode(week)}", aggregate_sql(True)),
        Figure("stats by actor, all time", "/api/v1/events/stats/by-actor", [(stats_sql, [tenant])]),
    ]
    return figures, info


def hand_queries(figures: list[Figure], backend: str) -> list[HandQuery]:
    """The figures' SQL in the backend's placeholder style."""
    convert = (lambda s: s) if backend == "sqlite" else numbered
    return [HandQuery(f.name, [(convert(sql), params) for sql, params in f.sql]) for f in figures]
