"""Evaluates an EventQuery against one event in memory, exactly as the SQL backends do.

The live bus matches fresh events against every subscriber's query without a database round
trip; tests check that this and the SQL agree.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from chronicle import models

_FIELDS = ("event_type", "resource_type", "resource_id", "actor_id", "actor_type", "correlation_id")
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "neq": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def matches(q: models.EventQuery, e: models.Event) -> bool:
    """Whether the event satisfies every condition of the query."""
    for name in _FIELDS:
        wanted = getattr(q, name)
        if wanted is not None and getattr(e, name) != wanted:
            return False
    if q.event_types and e.event_type not in q.event_types:
        return False
    if q.actor_id_not is not None and e.actor_id == q.actor_id_not:
        return False
    if q.ids and e.id not in q.ids:
        return False
    if not _in_ranges(q, e):
        return False
    if q.tags and not all(tag in e.tags for tag in q.tags):
        return False
    return all(_meta_matches(f, e) for f in q.meta)


def _in_ranges(q: models.EventQuery, e: models.Event) -> bool:
    at = e.occurred_at
    lo, hi = q.occurred_from, q.occurred_to
    if lo is not None and (at < lo or (q.occurred_from_exclusive and at == lo)):
        return False
    if hi is not None and (at > hi or (not q.occurred_to_inclusive and at == hi)):
        return False
    if q.seq_after is not None and e.seq <= q.seq_after:
        return False
    return q.seq_upto is None or e.seq <= q.seq_upto


def _meta_matches(f: models.MetaFilter, e: models.Event) -> bool:
    source: dict[str, Any] = e.metadata if f.namespace == "metadata" else dict(e.attributes)
    if f.op == "neq":
        return not _meta_matches(models.MetaFilter(f.key, f.value, "eq", f.kind, f.namespace), e)
    if f.key not in source:
        return False
    stored = source[f.key]
    compare = _COMPARE[f.op]
    if f.kind == "string":
        return isinstance(stored, str) and compare(stored, str(f.value))
    if f.kind == "number":
        return _is_number(stored) and compare(float(stored), float(f.value))
    if f.kind == "boolean":
        return isinstance(stored, bool) and compare(stored, f.value is True)
    return _auto_equal(stored, str(f.value))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _auto_equal(stored: Any, text: str) -> bool:
    if isinstance(stored, bool):
        return text in ("true", "false") and stored == (text == "true")
    if _is_number(stored):
        try:
            return float(text) == float(stored)
        except ValueError:
            return False
    return isinstance(stored, str) and stored == text
