"""Conversions between core models and table rows, shared by every SQL backend."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import orjson

from chronicle import models

HOUR_MS = 3_600_000
ALL_TIME = -1

EVENT_COLUMNS = (
    "seq, tenant_id, id, event_type, tags, value, payload, payload_bytes, occurred_at, "
    "received_at, actor_id, actor_type, resource_type, resource_id, correlation_id, "
    "causation_id, parent_ids, outcome, metadata, attributes, source"
)

EventRow = tuple[Any, ...]
TagRow = tuple[str, str, int, int]
MetaRow = tuple[str, str, str, str, str | None, float | None, int]
CountKey = tuple[str, str, int, str, str]
CountDelta = list[int]


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def event_row(event: models.Event) -> EventRow:
    """The ``events`` row of an event, in ``EVENT_COLUMNS`` order."""
    return (
        event.seq,
        event.tenant_id,
        event.id,
        event.event_type,
        _dumps(event.tags),
        event.value,
        _dumps(event.payload),
        event.payload_bytes,
        event.occurred_at,
        event.received_at,
        event.actor_id,
        event.actor_type,
        event.resource_type,
        event.resource_id,
        event.correlation_id,
        event.causation_id,
        _dumps(event.parent_ids),
        event.outcome,
        _dumps(event.metadata),
        _dumps(event.attributes),
        event.source,
    )


def event_from_row(row: Sequence[Any]) -> models.Event:
    """Rebuild an event from a row selected as ``EVENT_COLUMNS``."""
    return models.StoredEvent._make(row).decode()


def tag_rows(event: models.Event) -> list[TagRow]:
    """One ``event_tags`` row per tag."""
    return [(event.tenant_id, tag, event.occurred_at, event.seq) for tag in event.tags]


def meta_rows(event: models.Event) -> list[MetaRow]:
    """One typed ``event_meta`` row per metadata and attribute key."""
    rows: list[MetaRow] = []
    for key, value in event.metadata.items():
        rows.append((event.tenant_id, "metadata", key, *typed_value(value), event.seq))
    for key, text in event.attributes.items():
        rows.append((event.tenant_id, "attributes", key, "s", text, None, event.seq))
    return rows


def meta_keys(event: models.Event) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The keys of an event's metadata rows, split as the typed indexes are:
    ``(tenant, ns, key, vtext, seq)`` for text and ``(tenant, ns, key, vnum, seq)`` for numbers."""
    text, number = [], []
    for tenant, ns, key, _, vtext, vnum, seq in meta_rows(event):
        if vtext is not None:
            text.append((tenant, ns, key, vtext, seq))
        else:
            number.append((tenant, ns, key, vnum, seq))
    return text, number


def typed_value(value: models.MetaValue) -> tuple[str, str | None, float | None]:
    """``(kind, vtext, vnum)`` of a metadata value: booleans are kept apart from numbers."""
    if isinstance(value, bool):
        return "b", None, 1.0 if value else 0.0
    if isinstance(value, int | float):
        return "n", None, float(value)
    return "s", str(value), None


def count_key(value: str | None) -> str:
    """A count key component: ``'v:<value>'``, or ``'n'`` where the field is absent."""
    return "n" if value is None else "v:" + value


def key_value(key: str) -> str | None:
    """The inverse of ``count_key``."""
    return None if key == "n" else key[2:]


class CountDeltas:
    """Changes to ``event_counts`` accumulated over a group commit, applied in one statement."""

    def __init__(self) -> None:
        self.deltas: dict[CountKey, CountDelta] = defaultdict(lambda: [0, 0, 0])

    def add(self, event: models.Event, sign: int) -> None:
        """Count an event in (``sign`` 1) or out (``sign`` -1) of every dimension."""
        success = sign if event.outcome == "success" else 0
        failure = sign if event.outcome == "failure" else 0
        hour = event.occurred_at - event.occurred_at % HOUR_MS
        dims = (
            ("e", count_key(event.event_type), ""),
            ("a", count_key(event.actor_type), ""),
            ("r", count_key(event.resource_type), ""),
            ("x", count_key(event.actor_id), count_key(event.actor_type)),
        )
        for dim, key1, key2 in dims:
            for bucket in (hour, ALL_TIME):
                delta = self.deltas[(event.tenant_id, dim, bucket, key1, key2)]
                delta[0] += sign
                delta[1] += success
                delta[2] += failure

    def rows(self) -> list[tuple[Any, ...]]:
        """``(tenant, dim, bucket, key1, key2, total, successes, failures)`` rows that change."""
        return [(*key, *delta) for key, delta in self.deltas.items() if any(delta)]
