"""Pure translation between Roboflow vision events and Chronicle's canonical events."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, cast

from chronicle import cursors, errors, models
from chronicle.dialects.roboflow import validation as v
from chronicle.timefmt import format_ms, parse_time

SOURCE = "roboflow"
ACTOR_TYPE = "device"
MAX_ID = 256
MAX_USE_CASE_ID = 256
DAY_MS = 86_400_000
YEAR_MS = 365 * DAY_MS
MAX_BATCH = 100
MAX_QUERY_EVENT_TYPES = 20
MAX_METADATA_FILTERS = 100
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
# Fields that are also kept as filterable attributes (not user metadata).
ATTRIBUTE_FIELDS = ("streamId", "workflowId", "workflowVersion")
CONTEXT_FILTERS = ("deviceId", "streamId", "workflowId", "externalId")
_KNOWN = frozenset(
    {
        "eventId",
        "eventType",
        "useCaseId",
        "timestamp",
        "eventData",
        "images",
        "displayImagePosition",
        "customMetadata",
        *v.OPTIONAL_STRINGS,
    }
)
_TYPE_LIST = ", ".join(v.EVENT_TYPES)


class Rejected(ValueError):
    """The request fails a strict check; the message names the field (a 400)."""


@dataclass(frozen=True)
class Ingested:
    """One accepted event: what to store, and what the client is told about its input."""

    event: models.NewEvent
    warnings: list[dict[str, Any]] = field(default_factory=list)
    deprecations: list[dict[str, Any]] = field(default_factory=list)


# -- writing ------------------------------------------------------------------------------------


def to_new_event(body: Any, now: int, *, path: str = "") -> Ingested:
    """Validate the four required fields strictly and everything else eagerly.

    Raises:
        Rejected: a required field is missing or invalid (or the body is not an object).
    """
    if not isinstance(body, dict):
        raise Rejected(f"{path} must be an object" if path else "body must be a JSON object")
    event_id = _required_string(body, "eventId", MAX_ID, path)
    event_type = body.get("eventType")
    if event_type is None:
        raise Rejected(f"{_label(path, 'eventType')} is required")
    if event_type not in v.EVENT_TYPES:
        raise Rejected(f"{_label(path, 'eventType')} must be one of [{_TYPE_LIST}]")
    use_case = _required_string(body, "useCaseId", MAX_USE_CASE_ID, path)
    occurred_at = _timestamp(body.get("timestamp"), now, path)

    c = v.Checker()
    event_data = v.event_data(c, event_type, body.get("eventData", v.MISSING))
    payload: dict[str, Any] = {"eventData": event_data, "images": []}
    if "images" in body:
        images = v.IMAGES(c, "images", body["images"])
        payload["images"] = [] if images is v.MISSING else images
    if "displayImagePosition" in body:
        position = v.DISPLAY_IMAGE_POSITION(c, "displayImagePosition", body["displayImagePosition"])
        if position is not v.MISSING:
            payload["displayImagePosition"] = position
    strings: dict[str, str] = {}
    for name, limit in v.OPTIONAL_STRINGS.items():
        if name in body and body[name] is not None:
            checked = v.string(limit)(c, name, body[name])
            if checked is not v.MISSING:
                strings[name] = checked
    metadata = v.custom_metadata(c, body.get("customMetadata", v.MISSING))
    unknown = {k: val for k, val in body.items() if k not in _KNOWN}
    for key, value in unknown.items():
        c.warn("object.unknown", key, value)
    payload.update({k: strings[k] for k in ATTRIBUTE_FIELDS if k in strings})
    if unknown:
        payload["unknownFields"] = unknown

    attributes = {k: strings[k] for k in ATTRIBUTE_FIELDS if k in strings}
    external_id = event_data.get("externalId")
    if isinstance(external_id, str):
        attributes["externalId"] = external_id
    event = models.NewEvent(
        event_type=event_type,
        id=event_id,
        payload=payload,
        occurred_at=occurred_at,
        actor_id=strings.get("deviceId"),
        actor_type=ACTOR_TYPE if "deviceId" in strings else None,
        correlation_id=use_case,
        outcome=_outcome(event_type, event_data),
        metadata=metadata,
        attributes=attributes,
        source=SOURCE,
    )
    warnings = [{**w, "path": _prefixed(path, w["path"])} for w in c.warnings]
    return Ingested(event, warnings)


def batch_events(body: Any) -> list[Any]:
    """The ``events`` array of a batch request.

    Raises:
        Rejected: not ``{"events": [...]}`` with at most 100 events.
    """
    if not isinstance(body, dict):
        raise Rejected("body must be a JSON object")
    events = body.get("events")
    if events is None:
        raise Rejected("events is required")
    if not isinstance(events, list):
        raise Rejected("events must be an array")
    if len(events) > MAX_BATCH:
        raise Rejected(f"events must contain less than or equal to {MAX_BATCH} items")
    unknown = [k for k in body if k != "events"]
    if unknown:
        raise Rejected(f"{unknown[0]} is not allowed")
    return events


def _label(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _prefixed(path: str, inner: str) -> str:
    return f"{path}.{inner}" if path else inner


def _required_string(body: dict[str, Any], name: str, limit: int, path: str) -> str:
    value = body.get(name)
    label = _label(path, name)
    if value is None:
        raise Rejected(f"{label} is required")
    if not isinstance(value, str):
        raise Rejected(f"{label} must be a string")
    if not value.strip():
        raise Rejected(f"{label} is not allowed to be empty")
    if len(value) > limit:
        raise Rejected(f"{label} length must be less than or equal to {limit} characters long")
    return value


def _timestamp(value: Any, now: int, path: str) -> int:
    label = _label(path, "timestamp")
    if value is None:
        raise Rejected(f"{label} is required")
    if not isinstance(value, str):
        raise Rejected(f"{label} must be a valid ISO 8601 date")
    try:
        occurred = parse_time(value)
    except (ValueError, OverflowError) as exc:
        raise Rejected(f"{label} must be a valid ISO 8601 date") from exc
    if not now - YEAR_MS <= occurred <= now + DAY_MS:
        raise Rejected(f"{label} must be between one year ago and tomorrow")
    return occurred


def _outcome(event_type: str, event_data: dict[str, Any]) -> models.Outcome | None:
    if event_type == "quality_check":
        return {"pass": "success", "fail": "failure"}.get(event_data.get("result", ""))  # type: ignore[return-value]
    return None


# -- reading ------------------------------------------------------------------------------------


def from_event(event: models.Event) -> dict[str, Any]:
    """A stored event in the shape it was created in (any event, whichever API wrote it)."""
    payload = event.payload if isinstance(event.payload, dict) else None
    ours = event.source == SOURCE and payload is not None
    body: dict[str, Any] = {
        "eventId": event.id,
        "eventType": event.event_type,
        "useCaseId": event.correlation_id,
        "timestamp": format_ms(event.occurred_at),
    }
    if event.actor_id is not None and (ours or event.actor_type == ACTOR_TYPE):
        body["deviceId"] = event.actor_id
    for name in ATTRIBUTE_FIELDS:
        found = payload.get(name) if ours and payload else event.attributes.get(name)
        if found is not None:
            body[name] = found
    if ours and payload is not None:
        body["eventData"] = payload.get("eventData", {})
        body["images"] = payload.get("images", [])
        if "displayImagePosition" in payload:
            body["displayImagePosition"] = payload["displayImagePosition"]
    else:
        body["eventData"] = _foreign_event_data(event)
        body["images"] = []
    body["customMetadata"] = dict(event.metadata)
    return body


def _foreign_event_data(event: models.Event) -> dict[str, Any]:
    if isinstance(event.payload, dict):
        return dict(event.payload)
    if event.payload is None:
        return {"value": event.value} if event.value else {}
    return {"value": event.payload}


# -- querying -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A translated query: what to match, and which page."""

    query: models.EventQuery
    page: models.PageRequest


_QUERY_KEYS = frozenset(
    {
        "useCaseId",
        "startTime",
        "endTime",
        "eventType",
        "eventTypes",
        "customMetadataFilters",
        "limit",
        "cursor",
        *CONTEXT_FILTERS,
    }
)
_NUMBER_OPS = ("eq", "neq", "gt", "gte", "lt", "lte")
_EQUALITY_OPS = ("eq", "neq")
_FILTER_TYPES = ("string", "number", "boolean")


def to_query(body: Any) -> Query:
    """A ``POST /vision-events/query`` body as an event query, newest first.

    Raises:
        Rejected: a missing use case, an unknown key or operator, a malformed value or cursor.
    """
    if not isinstance(body, dict):
        raise Rejected("body must be a JSON object")
    for key in body:
        if key not in _QUERY_KEYS:
            raise Rejected(f"{key} is not allowed")
    use_case = _required_string(body, "useCaseId", MAX_USE_CASE_ID, "")
    event_type = body.get("eventType")
    if event_type is not None and event_type not in v.EVENT_TYPES:
        raise Rejected(f"eventType must be one of [{_TYPE_LIST}]")
    event_types = _event_types(body.get("eventTypes"))
    occurred_from = _query_time(body, "startTime")
    occurred_to = _query_time(body, "endTime")
    actor_id = actor_id_not = None
    meta: list[models.MetaFilter] = []
    for name in CONTEXT_FILTERS:
        if body.get(name) is None:
            continue
        op, value = _context_filter(name, body[name])
        if name == "deviceId":
            actor_id, actor_id_not = (value, None) if op == "eq" else (None, value)
        else:
            meta.append(models.MetaFilter(name, value, op, "string", "attributes"))
    meta.extend(_metadata_filters(body.get("customMetadataFilters")))
    limit = body.get("limit", DEFAULT_LIMIT)
    if limit is None:
        limit = DEFAULT_LIMIT
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise Rejected(f"limit must be an integer from 1 to {MAX_LIMIT}")
    after = None
    cursor = body.get("cursor")
    if cursor is not None:
        if not isinstance(cursor, str):
            raise Rejected("cursor must be a string")
        try:
            after = cursors.decode(cursor, "newest")
        except errors.InvalidInput as exc:
            raise Rejected("cursor is invalid") from exc
    query = models.EventQuery(
        event_type=event_type,
        event_types=event_types,
        correlation_id=use_case,
        actor_id=actor_id,
        actor_id_not=actor_id_not,
        meta=tuple(meta),
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        occurred_to_inclusive=True,
    )
    return Query(query, models.PageRequest(order="newest", limit=limit, after=after, with_total=False))


def _event_types(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise Rejected("eventTypes must be an array")
    if len(value) > MAX_QUERY_EVENT_TYPES:
        raise Rejected(f"eventTypes must contain less than or equal to {MAX_QUERY_EVENT_TYPES} items")
    for index, item in enumerate(value):
        if item not in v.EVENT_TYPES:
            raise Rejected(f"eventTypes.{index} must be one of [{_TYPE_LIST}]")
    return tuple(value)


def _query_time(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Rejected(f"{name} must be a valid ISO 8601 date")
    try:
        return parse_time(value)
    except (ValueError, OverflowError) as exc:
        raise Rejected(f"{name} must be a valid ISO 8601 date") from exc


def _context_filter(name: str, value: Any) -> tuple[models.MetaOp, str]:
    if not isinstance(value, dict):
        raise Rejected(f"{name} must be an object with operator and value")
    unknown = [k for k in value if k not in ("operator", "value")]
    if unknown:
        raise Rejected(f"{name}.{unknown[0]} is not allowed")
    op = value.get("operator")
    if op not in _EQUALITY_OPS:
        raise Rejected(f"{name}.operator must be one of [eq, neq]")
    target = value.get("value")
    if not isinstance(target, str):
        raise Rejected(f"{name}.value must be a string")
    return op, target


def _metadata_filters(value: Any) -> list[models.MetaFilter]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Rejected("customMetadataFilters must be an array")
    if len(value) > MAX_METADATA_FILTERS:
        raise Rejected(
            f"customMetadataFilters must contain less than or equal to {MAX_METADATA_FILTERS} items"
        )
    return [_metadata_filter(f"customMetadataFilters.{i}", item) for i, item in enumerate(value)]


def _metadata_filter(label: str, item: Any) -> models.MetaFilter:
    if not isinstance(item, dict):
        raise Rejected(f"{label} must be an object")
    unknown = [k for k in item if k not in ("field", "operator", "value", "type")]
    if unknown:
        raise Rejected(f"{label}.{unknown[0]} is not allowed")
    key = item.get("field")
    if not isinstance(key, str) or not v.METADATA_KEY.match(key):
        raise Rejected(f"{label}.field must be a custom metadata key ([a-zA-Z0-9_ -], 1-100 characters)")
    value = item.get("value")
    kind = item.get("type")
    if kind is None:
        kind = {bool: "boolean", int: "number", float: "number", str: "string"}.get(type(value))
    if kind not in _FILTER_TYPES:
        raise Rejected(f"{label}.type must be one of [string, number, boolean]")
    ops = _NUMBER_OPS if kind == "number" else _EQUALITY_OPS
    op = item.get("operator")
    if op not in ops:
        raise Rejected(f"{label}.operator must be one of [{', '.join(ops)}] for type {kind}")
    return models.MetaFilter(
        key, _typed(label, kind, value), cast(models.MetaOp, op), cast(models.MetaKind, kind)
    )


def _typed(label: str, kind: str, value: Any) -> models.MetaValue:
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value in ("true", "false"):
            return value == "true"
    elif kind == "number":
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return value
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if math.isfinite(number):
                return number
    elif isinstance(value, str):
        if len(value) <= v.MAX_METADATA_STRING:
            return value
        raise Rejected(f"{label}.value length must be less than or equal to 1000 characters long")
    raise Rejected(f"{label}.value must be a {kind}")
