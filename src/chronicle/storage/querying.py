"""SQL for event queries, built once for every backend; values only ever travel as parameters."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from chronicle import models
from chronicle.storage.rows import ALL_TIME, EVENT_COLUMNS, HOUR_MS, count_key

ParamStyle = Literal["qmark", "numeric"]

_FIELDS = {
    "event_type": "e.event_type",
    "resource_type": "e.resource_type",
    "resource_id": "e.resource_id",
    "actor_id": "e.actor_id",
    "actor_type": "e.actor_type",
    "correlation_id": "e.correlation_id",
}
_COMPARE = {"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_ORDER = {
    "newest": "e.occurred_at DESC, e.seq DESC",
    "oldest": "e.occurred_at ASC, e.seq ASC",
    "seq_desc": "e.seq DESC",
    "seq_asc": "e.seq ASC",
}
# Dimension of kept counts -> the events columns it groups by.
DIM_COLUMNS = {
    "e": ("e.event_type",),
    "a": ("e.actor_type",),
    "r": ("e.resource_type",),
    "x": ("e.actor_id", "e.actor_type"),
}


class Params:
    """Collects bound parameters and writes the backend's placeholder for each."""

    def __init__(self, style: ParamStyle) -> None:
        self.style = style
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return "?" if self.style == "qmark" else f"${len(self.values)}"

    def many(self, values: tuple[Any, ...] | list[Any]) -> str:
        return ", ".join(self(v) for v in values)


def matches_nothing(q: models.EventQuery) -> bool:
    """Whether a text filter holds NUL, which no stored text can (PostgreSQL cannot even
    compare it), so the answer is empty without asking the database."""
    texts: list[object] = [getattr(q, name) for name in _FIELDS]
    texts += [q.actor_id_not, *q.event_types, *q.tags, *q.ids]
    texts += [x for f in q.meta for x in (f.key, f.value)]
    return any(isinstance(t, str) and "\x00" in t for t in texts)


def conditions(tenant_id: str, q: models.EventQuery, p: Params) -> list[str]:
    """WHERE conditions (ANDed) over ``events e`` for a tenant and a query."""
    where = [f"e.tenant_id = {p(tenant_id)}"]
    for name, column in _FIELDS.items():
        value = getattr(q, name)
        if value is not None:
            where.append(f"{column} = {p(value)}")
    if q.event_types:
        where.append(f"e.event_type IN ({p.many(q.event_types)})")
    if q.actor_id_not is not None:
        where.append(f"(e.actor_id IS NULL OR e.actor_id <> {p(q.actor_id_not)})")
    if q.ids:
        where.append(f"e.id IN ({p.many(q.ids)})")
    where.extend(_time_conditions(q, p))
    for tag in q.tags:
        where.append(
            "e.seq IN (SELECT t.seq FROM event_tags t "
            f"WHERE t.tenant_id = {p(tenant_id)} AND t.tag = {p(tag)})"
        )
    where.extend(_meta_condition(tenant_id, f, p) for f in q.meta)
    return where


def _time_conditions(q: models.EventQuery, p: Params) -> list[str]:
    where = []
    if q.occurred_from is not None:
        op = ">" if q.occurred_from_exclusive else ">="
        where.append(f"e.occurred_at {op} {p(q.occurred_from)}")
    if q.occurred_to is not None:
        op = "<=" if q.occurred_to_inclusive else "<"
        where.append(f"e.occurred_at {op} {p(q.occurred_to)}")
    if q.seq_after is not None:
        where.append(f"e.seq > {p(q.seq_after)}")
    if q.seq_upto is not None:
        where.append(f"e.seq <= {p(q.seq_upto)}")
    return where


def _meta_condition(tenant_id: str, f: models.MetaFilter, p: Params) -> str:
    negate = f.op == "neq"
    op = "eq" if negate else f.op
    # Placeholders are numbered in the order they are written, so the prefix comes first.
    prefix = (
        f"SELECT m.seq FROM event_meta m WHERE m.tenant_id = {p(tenant_id)} "
        f"AND m.ns = {p(f.namespace)} AND m.key = {p(f.key)}"
    )
    inner = f"{prefix} AND ({_meta_match(f, op, p)})"
    return f"e.seq {'NOT IN' if negate else 'IN'} ({inner})"


def _meta_match(f: models.MetaFilter, op: str, p: Params) -> str:
    sql_op = _COMPARE[op]
    if f.kind == "string":
        return f"m.kind = 's' AND m.vtext {sql_op} {p(str(f.value))}"
    if f.kind == "number":
        return f"m.kind = 'n' AND m.vnum {sql_op} {p(float(f.value))}"
    if f.kind == "boolean":
        return f"m.kind = 'b' AND m.vnum {sql_op} {p(1.0 if f.value is True else 0.0)}"
    text = str(f.value)
    options = [f"(m.kind = 's' AND m.vtext = {p(text)})"]
    number = _as_number(text)
    if number is not None:
        options.append(f"(m.kind = 'n' AND m.vnum = {p(number)})")
    if text in ("true", "false"):
        options.append(f"(m.kind = 'b' AND m.vnum = {p(1.0 if text == 'true' else 0.0)})")
    return " OR ".join(options)


def _as_number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def page_sql(
    tenant_id: str, q: models.EventQuery, page: models.PageRequest, style: ParamStyle
) -> tuple[str, list[Any]]:
    """SELECT of one page (one row more than the limit, to tell whether there is a next)."""
    p = Params(style)
    if q.tags and page.order in ("newest", "oldest"):
        return _tag_driven_page_sql(tenant_id, q, page, p)
    where = conditions(tenant_id, q, p)
    if page.after is not None:
        where.append(_keyset_condition(page.after, p))
    sql = (
        f"SELECT {EVENT_COLUMNS} FROM events e WHERE {' AND '.join(where)} "
        f"ORDER BY {_ORDER[page.order]} LIMIT {p(page.limit + 1)}"
    )
    if page.offset:
        sql += f" OFFSET {p(page.offset)}"
    return sql, p.values


def _tag_driven_page_sql(
    tenant_id: str, q: models.EventQuery, page: models.PageRequest, p: Params
) -> tuple[str, list[Any]]:
    # The tag index is ordered by (tenant, tag, occurred_at, seq): walking it in order and
    # joining each event stops after one page, where "seq IN (every tagged event)" would
    # collect and sort every match first.
    where = [f"t.tenant_id = {p(tenant_id)}", f"t.tag = {p(q.tags[0])}"]
    if q.occurred_from is not None:
        where.append(f"t.occurred_at >= {p(q.occurred_from)}")
    if q.occurred_to is not None:
        where.append(f"t.occurred_at <= {p(q.occurred_to)}")
    where += conditions(tenant_id, replace(q, tags=q.tags[1:]), p)
    if page.after is not None:
        where.append(_keyset_condition(page.after, p, alias="t"))
    direction = "DESC" if page.order == "newest" else "ASC"
    columns = ", ".join(f"e.{c.strip()}" for c in EVENT_COLUMNS.split(","))
    sql = (
        f"SELECT {columns} FROM event_tags t JOIN events e ON e.seq = t.seq "
        f"WHERE {' AND '.join(where)} "
        f"ORDER BY t.occurred_at {direction}, t.seq {direction} LIMIT {p(page.limit + 1)}"
    )
    if page.offset:
        sql += f" OFFSET {p(page.offset)}"
    return sql, p.values


def _keyset_condition(after: models.Keyset, p: Params, alias: str = "e") -> str:
    # Written out rather than as a row comparison so both planners use the index range.
    if after.order == "seq_desc":
        return f"{alias}.seq < {p(after.seq)}"
    if after.order == "seq_asc":
        return f"{alias}.seq > {p(after.seq)}"
    cmp = "<" if after.order == "newest" else ">"
    at, seq = f"{alias}.occurred_at", f"{alias}.seq"
    bound = f"{at} {cmp}= {p(after.occurred_at)}"
    return f"{bound} AND ({at} {cmp} {p(after.occurred_at)} OR {seq} {cmp} {p(after.seq)})"


def count_sql(tenant_id: str, q: models.EventQuery, style: ParamStyle) -> tuple[str, list[Any]]:
    """SELECT COUNT(*) of a query, for filters no kept count answers."""
    p = Params(style)
    return f"SELECT COUNT(*) FROM events e WHERE {' AND '.join(conditions(tenant_id, q, p))}", p.values


def tag_count_sql(tenant_id: str, q: models.EventQuery, style: ParamStyle) -> tuple[str, list[Any]] | None:
    """COUNT of a filter on one tag (and optionally ``occurredAt``), from the tag index alone."""
    if len(q.tags) != 1 or q.occurred_from_exclusive or q.occurred_to_inclusive:
        return None
    if q != models.EventQuery(tags=q.tags, occurred_from=q.occurred_from, occurred_to=q.occurred_to):
        return None
    p = Params(style)
    where = [f"t.tenant_id = {p(tenant_id)}", f"t.tag = {p(q.tags[0])}"]
    if q.occurred_from is not None:
        where.append(f"t.occurred_at >= {p(q.occurred_from)}")
    if q.occurred_to is not None:
        where.append(f"t.occurred_at < {p(q.occurred_to)}")
    return f"SELECT COUNT(*) FROM event_tags t WHERE {' AND '.join(where)}", p.values


def values_sql(tenant_id: str, q: models.EventQuery, style: ParamStyle) -> tuple[str, list[Any]]:
    """SELECT of the ``value`` column of matching events."""
    p = Params(style)
    return f"SELECT e.value FROM events e WHERE {' AND '.join(conditions(tenant_id, q, p))}", p.values


def kept_count_plan(q: models.EventQuery) -> tuple[str, str | None, str | None] | None:
    """``(dim, key1, key2)`` when kept counts answer the query's total exactly, else ``None``.

    Kept counts are per hour, so they answer any filter on at most one counted field plus an
    ``occurredAt`` range; ``None`` for a key means "every key of the dimension".
    """
    if q.occurred_from_exclusive or q.occurred_to_inclusive:
        return None
    unanswerable = (
        q.event_types,
        q.tags,
        q.meta,
        q.ids,
        q.resource_id,
        q.correlation_id,
        q.actor_id_not,
        q.seq_after,
        q.seq_upto,
    )
    if any(v is not None and v != () for v in unanswerable):
        return None
    fields = {
        "e": q.event_type,
        "a": q.actor_type if q.actor_id is None else None,
        "r": q.resource_type,
        "x": q.actor_id,
    }
    chosen = [(dim, value) for dim, value in fields.items() if value is not None]
    if not chosen:
        return "e", None, None
    if len(chosen) > 1:
        return None
    dim, value = chosen[0]
    key2 = count_key(q.actor_type) if dim == "x" and q.actor_type is not None else None
    return dim, count_key(value), key2


def kept_counts_sql(
    tenant_id: str,
    dim: str,
    key1: str | None,
    key2: str | None,
    occurred_from: int | None,
    occurred_to: int | None,
    style: ParamStyle,
) -> list[tuple[str, list[Any], bool]]:
    """Queries whose rows ``(key1, key2, total, successes, failures)`` sum to the kept counts.

    The flag says whether a query's keys are raw column values (edges) rather than count keys.

    Whole hours inside the range come from the hourly buckets; the partial hours at either end
    are counted from the events themselves (at most two hours of rows, through the time index).
    """
    if occurred_from is None and occurred_to is None:
        return [(*_bucket_sql(tenant_id, dim, key1, key2, ALL_TIME, ALL_TIME, style), False)]
    lo = occurred_from
    hi = occurred_to
    first_full = None if lo is None else -(-lo // HOUR_MS) * HOUR_MS
    end_full = None if hi is None else hi - hi % HOUR_MS
    if first_full is not None and end_full is not None and first_full >= end_full:
        return [(*_edge_sql(tenant_id, dim, key1, key2, lo, hi, style), True)]
    queries = [(*_bucket_sql(tenant_id, dim, key1, key2, first_full, end_full, style), False)]
    if lo is not None and first_full is not None and lo < first_full:
        queries.append((*_edge_sql(tenant_id, dim, key1, key2, lo, first_full, style), True))
    if hi is not None and end_full is not None and end_full < hi:
        queries.append((*_edge_sql(tenant_id, dim, key1, key2, end_full, hi, style), True))
    return queries


def _bucket_sql(
    tenant_id: str,
    dim: str,
    key1: str | None,
    key2: str | None,
    lo: int | None,
    hi: int | None,
    style: ParamStyle,
) -> tuple[str, list[Any]]:
    p = Params(style)
    where = [f"tenant_id = {p(tenant_id)}", f"dim = {p(dim)}"]
    if lo == ALL_TIME:
        where.append(f"bucket = {p(ALL_TIME)}")
    else:
        where.append(f"bucket <> {p(ALL_TIME)}")
        if lo is not None:
            where.append(f"bucket >= {p(lo)}")
        if hi is not None:
            where.append(f"bucket < {p(hi)}")
    if key1 is not None:
        where.append(f"key1 = {p(key1)}")
    if key2 is not None:
        where.append(f"key2 = {p(key2)}")
    sql = (
        "SELECT key1, key2, CAST(SUM(total) AS BIGINT), CAST(SUM(successes) AS BIGINT), "
        "CAST(SUM(failures) AS BIGINT) FROM event_counts "
        f"WHERE {' AND '.join(where)} GROUP BY key1, key2"
    )
    return sql, p.values


def _edge_sql(
    tenant_id: str,
    dim: str,
    key1: str | None,
    key2: str | None,
    lo: int | None,
    hi: int | None,
    style: ParamStyle,
) -> tuple[str, list[Any]]:
    p = Params(style)
    columns = DIM_COLUMNS[dim]
    where = [f"e.tenant_id = {p(tenant_id)}"]
    if lo is not None:
        where.append(f"e.occurred_at >= {p(lo)}")
    if hi is not None:
        where.append(f"e.occurred_at < {p(hi)}")
    for column, key in zip(columns, (key1, key2), strict=False):
        if key is not None:
            where.append(f"{column} IS NULL" if key == "n" else f"{column} = {p(key[2:])}")
    group = ", ".join(columns)
    second = columns[1] if len(columns) > 1 else "NULL"
    sql = (
        f"SELECT {columns[0]}, {second}, COUNT(*), "
        "SUM(CASE WHEN e.outcome = 'success' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN e.outcome = 'failure' THEN 1 ELSE 0 END) "
        f"FROM events e WHERE {' AND '.join(where)} GROUP BY {group}"
    )
    return sql, p.values
