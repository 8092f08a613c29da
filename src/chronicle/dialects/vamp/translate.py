"""Vamp's event resource and event query <-> Chronicle's models. Pure, synchronous functions.

Inputs are already-parsed bodies (plain JSON values, see ``wire.parse_body``). Every refusal is a
``VampInputError`` carrying the message the real Vamp server gives for that case, where it has one.
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import orjson

from chronicle import models
from chronicle.timefmt import format_ms, parse_time

DEFAULT_TYPE = "event"
SOURCE = "vamp"
PER_PAGE = 30
"""Vamp's default and maximum ``per_page``."""

MAX_TAGS = 100
MAX_TEXT = 256
MAX_VALUE = 10_000
_MAX_LONG = 2**63 - 1
_MAX_OFFSET = 2**62

# Java's \w is ASCII-only, so Vamp's ^[\w\d\-_]+$ is exactly this.
_TYPE = re.compile(r"^[A-Za-z0-9_-]+$")
_EVENT_KEYS = ("tags", "value", "timestamp", "type")
_QUERY_KEYS = ("tags", "type", "timestamp", "aggregator")
_RANGE_KEYS = ("lt", "lte", "gt", "gte")
_AGGREGATOR_KEYS = ("type", "field")
AGGREGATORS = ("min", "max", "average", "sum", "count")

NO_TAGS = "Publishing an event without tags is not allowed."
TIME_RANGE = "Event query time range is not valid, both 'lt' and 'lte' or 'gt' and 'gte' are not allowed."


class VampInputError(ValueError):
    """A request Vamp refuses with ``400 {"message": ...}``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class VampQuery:
    """An event query: the filters, and the aggregation asked for, if any."""

    query: models.EventQuery
    aggregator: str | None = None


# -- events -------------------------------------------------------------------------------------


def to_new_events(body: Any) -> list[models.NewEvent]:
    """The event(s) a create request holds: one resource, or a list holding exactly one.

    Raises:
        VampInputError: with Vamp's message for the first problem found.
    """
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    if not isinstance(body, dict):
        raise VampInputError("Unexpected type for path '/'.")
    tags = _tags(body.get("tags"))
    value, payload = _value(body.get("value"))
    occurred_at = None if body.get("timestamp") is None else _event_time(body["timestamp"])
    event_type = _text("type", body.get("type"), DEFAULT_TYPE)
    _reject_unknown(body, _EVENT_KEYS)
    if not tags:
        raise VampInputError(NO_TAGS)
    if len(event_type) > MAX_TEXT or not _TYPE.match(event_type):
        raise VampInputError(
            f"Unsupported event type '{event_type}', only alphanumerics, '-' and '_' are allowed."
        )
    expanded = models.expand_tags(tags)
    if len(expanded) > MAX_TAGS:
        raise VampInputError(f"An event may have at most {MAX_TAGS} tags, counting expanded combined tags.")
    return [
        models.NewEvent(
            event_type=event_type,
            tags=expanded,
            value=value,
            payload=payload,
            occurred_at=occurred_at,
            source=SOURCE,
        )
    ]


def from_event(event: models.Event) -> dict[str, Any]:
    """An event as Vamp shows it: ``id``, ``tags``, ``value``, ``timestamp``, ``type``."""
    return {
        "id": event.id,
        "tags": list(event.tags),
        "value": event.value,
        "timestamp": format_ms(event.occurred_at),
        "type": event.event_type,
    }


def from_events(events: list[models.Event]) -> list[dict[str, Any]]:
    """A page of events in Vamp's shape."""
    return [from_event(e) for e in events]


def encode_event(event: models.Event) -> bytes:
    """``from_event`` as compact JSON (the SSE ``data:`` line)."""
    return orjson.dumps(from_event(event))


def _tags(raw: Any) -> list[str]:
    if raw is None:
        raise VampInputError("Can't find any value for path: /tags")
    items = raw if isinstance(raw, list) else [raw]
    tags = []
    for item in items:
        tag = _scalar_text(item)
        if tag is None:
            raise VampInputError("Unexpected type for path '/tags'.")
        if not tag or len(tag) > MAX_TEXT:
            raise VampInputError(f"Unsupported event tag '{tag}', a tag has 1 to {MAX_TEXT} characters.")
        tags.append(tag)
    return tags


def _value(raw: Any) -> tuple[str, Any]:
    """``(value, payload)``: a string is the value; anything else is kept as its JSON text in the
    value (as Vamp's Elasticsearch store kept it) and as itself in the payload."""
    if raw is None:
        return "", None
    text = raw if isinstance(raw, str) else orjson.dumps(raw).decode()
    if len(text) > MAX_VALUE:
        raise VampInputError(f"Event value is too large: at most {MAX_VALUE} characters.")
    return text, None if isinstance(raw, str) else raw


def _text(name: str, raw: Any, default: str) -> str:
    if raw is None:
        return default
    text = _scalar_text(raw)
    if text is None:
        raise VampInputError(f"Unexpected type for path '/{name}'.")
    return text


def _scalar_text(raw: Any) -> str | None:
    """A scalar as Vamp's reader turns it into a string (``toString``); ``None`` for containers."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, str | int | float):
        return str(raw)
    return None


def _event_time(raw: Any) -> int:
    text = _scalar_text(raw) or orjson.dumps(raw).decode()
    try:
        if not isinstance(raw, str) or len(raw) > 64:
            raise ValueError(raw)
        return parse_time(raw)
    except (ValueError, OverflowError) as exc:
        raise VampInputError(f"Event timestamp cannot be parsed: '{text}'.") from exc


def _reject_unknown(body: dict[str, Any], known: tuple[str, ...], path: tuple[str, ...] = ()) -> None:
    extra = {k: v for k, v in body.items() if k not in known}
    if not extra:
        return
    for key in reversed(path):
        extra = {key: extra}
    raise VampInputError(f"Unexpected in DSL: {orjson.dumps(extra).decode()}")


# -- queries ------------------------------------------------------------------------------------


def query_from_params(tags: list[str], event_type: str | None) -> VampQuery:
    """The query of a request without a body: ``tag`` (repeatable) and ``type``."""
    return VampQuery(models.EventQuery(tags=tuple(tags), event_type=event_type))


def to_query(body: Any, now: int) -> VampQuery:
    """The query a request body holds: ``tags``, ``type``, ``timestamp`` range, ``aggregator``.

    ``now`` (epoch ms) anchors Elasticsearch-style date math such as ``now-10m``.

    Raises:
        VampInputError: with Vamp's message for the first problem found.
    """
    if not isinstance(body, dict):
        raise VampInputError("Unexpected type for path '/'.")
    tags = _tags(body.get("tags"))
    event_type = None if body.get("type") is None else _text("type", body["type"], DEFAULT_TYPE)
    query = models.EventQuery(tags=tuple(tags), event_type=event_type)
    if body.get("timestamp") is not None:
        query = _time_range(query, body["timestamp"], now)
    aggregator = None if body.get("aggregator") is None else _aggregator(body["aggregator"])
    _reject_unknown(body, _QUERY_KEYS)
    return VampQuery(query, aggregator)


def _time_range(query: models.EventQuery, raw: Any, now: int) -> models.EventQuery:
    if not isinstance(raw, dict):
        raise VampInputError("Unexpected type for path '/timestamp'.")
    _reject_unknown(raw, _RANGE_KEYS, ("timestamp",))
    bounds = {k: v for k, v in raw.items() if v is not None}
    if ("lt" in bounds and "lte" in bounds) or ("gt" in bounds and "gte" in bounds):
        raise VampInputError(TIME_RANGE)
    if "gte" in bounds:
        query = replace(query, occurred_from=_bound(bounds["gte"], now, round_up=False))
    if "gt" in bounds:
        at = _bound(bounds["gt"], now, round_up=True)
        query = replace(query, occurred_from=at, occurred_from_exclusive=True)
    if "lt" in bounds:
        query = replace(query, occurred_to=_bound(bounds["lt"], now, round_up=False))
    if "lte" in bounds:
        at = _bound(bounds["lte"], now, round_up=True)
        query = replace(query, occurred_to=at, occurred_to_inclusive=True)
    return query


def _aggregator(raw: Any) -> str:
    if not isinstance(raw, dict):
        raise VampInputError("Unexpected type for path '/aggregator'.")
    _reject_unknown(raw, _AGGREGATOR_KEYS, ("aggregator",))
    kind = _scalar_text(raw.get("type")) if raw.get("type") is not None else None
    if kind is None:
        raise VampInputError("Can't find any value for path: /aggregator/type")
    kind = kind.lower()
    if kind not in AGGREGATORS:
        raise VampInputError(f"Unsupported aggregator: {kind}.")
    field = raw.get("field")
    if field is not None and field != "value":
        shown = _scalar_text(field) or orjson.dumps(field).decode()
        raise VampInputError(f"Unsupported aggregator field: {shown}.")
    return kind


def aggregate(kind: str, values: list[str]) -> float:
    """``min``, ``max``, ``average`` or ``sum`` of the values that are numbers (others are
    skipped, as Elasticsearch skips them); ``0.0`` when none is."""
    numbers = [n for n in (_number(v) for v in values) if n is not None]
    if not numbers:
        return 0.0
    if kind == "min":
        return min(numbers)
    if kind == "max":
        return max(numbers)
    total = math.fsum(numbers)
    return total / len(numbers) if kind == "average" else total


def _number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


# -- Elasticsearch date math (what Vamp handed its range bounds to) ------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MATH_STEP = re.compile(r"([+-])(\d{1,9})([yMwdhHms])|/([yMwdhHms])")


def _bound(raw: Any, now: int, *, round_up: bool) -> int:
    """A range bound in ms: an ISO time, epoch millis, ``now``, or date math (``now-1d/d``,
    ``2017-01-01||+1M``). Rounding follows Elasticsearch: ``gt``/``lte`` round up, others down."""
    text = raw.strip() if isinstance(raw, str) else None
    try:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return _epoch_ms(raw)
        if text is None or len(text) > 64:
            raise ValueError(raw)
        if text.isdigit():
            return _epoch_ms(int(text))
        if text.startswith("now"):
            anchor, math_part = now, text[3:]
        elif "||" in text:
            head, _, math_part = text.partition("||")
            anchor = parse_time(head)
        else:
            return parse_time(text)
        return _apply_math(anchor, math_part, round_up)
    except (ValueError, OverflowError) as exc:
        shown = _scalar_text(raw) or orjson.dumps(raw).decode()
        raise VampInputError(f"Event timestamp cannot be parsed: '{shown}'.") from exc


def _epoch_ms(number: int) -> int:
    if abs(number) > _MAX_OFFSET:
        raise ValueError(number)
    return number


def _apply_math(anchor: int, steps: str, round_up: bool) -> int:
    moment = _EPOCH + timedelta(milliseconds=anchor)
    position = 0
    while position < len(steps):
        match = _MATH_STEP.match(steps, position)
        if match is None:
            raise ValueError(steps)
        position = match.end()
        sign, amount, unit, rounding = match.groups()
        if rounding:
            moment = _round(moment, rounding, round_up)
        else:
            moment = _shift(moment, int(amount) * (1 if sign == "+" else -1), unit)
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _shift(moment: datetime, amount: int, unit: str) -> datetime:
    if unit in ("y", "M"):
        months = moment.year * 12 + moment.month - 1 + amount * (12 if unit == "y" else 1)
        year, month = divmod(months, 12)
        day = min(moment.day, calendar.monthrange(year, month + 1)[1])
        return moment.replace(year=year, month=month + 1, day=day)
    seconds = {"w": 604_800, "d": 86_400, "h": 3_600, "H": 3_600, "m": 60, "s": 1}[unit]
    return moment + timedelta(seconds=amount * seconds)


def _round(moment: datetime, unit: str, up: bool) -> datetime:
    start = moment.replace(microsecond=0)
    if unit in ("m", "h", "H", "d", "w", "M", "y"):
        start = start.replace(second=0)
    if unit in ("h", "H", "d", "w", "M", "y"):
        start = start.replace(minute=0)
    if unit in ("d", "w", "M", "y"):
        start = start.replace(hour=0)
    if unit == "w":
        start -= timedelta(days=start.weekday())
    if unit in ("M", "y"):
        start = start.replace(day=1)
    if unit == "y":
        start = start.replace(month=1)
    if not up:
        return start
    end = _shift(start, 1, unit)
    return end - timedelta(milliseconds=1)


# -- paging -------------------------------------------------------------------------------------


def page_param(name: str, raw: str | None, default: int) -> int:
    """``page``/``per_page`` as Vamp reads them: a 64-bit integer, else a 400."""
    if raw is None:
        return default
    try:
        number = int(raw.strip())
        if not -_MAX_LONG - 1 <= number <= _MAX_LONG:
            raise ValueError(raw)
    except ValueError as exc:
        raise VampInputError(
            f"The query parameter '{name}' was malformed: '{raw}' is not a valid 64-bit signed integer value"
        ) from exc
    return number


def normalize_paging(page: int, per_page: int) -> tuple[int, int, int]:
    """``(page, per_page, offset)`` clamped as Vamp clamps them: page ≥ 1, per_page 1..30."""
    page = max(page, 1)
    per_page = min(max(per_page, 1), PER_PAGE)
    return page, per_page, min((page - 1) * per_page, _MAX_OFFSET)


def last_page(total: int, per_page: int) -> int:
    """The last page number; 1 when there is nothing (Vamp said 0, which is no page at all)."""
    return max(1, -(-total // per_page))


def link_header(base_url: str, params: list[tuple[str, str]], page: int, per_page: int, total: int) -> str:
    """Vamp's ``Link`` header: ``first``, ``prev``, ``next``, ``last``, each always present.

    Every other query parameter is kept (repeated ones too, unlike Vamp, which kept only the last);
    ``per_page`` and ``page`` keep their place or are appended. ``prev``/``next`` stay within
    ``1..last``.
    """
    last = last_page(total, per_page)
    targets = (
        ("first", 1),
        ("prev", min(page - 1, last) if page > 1 else 1),
        ("next", page + 1 if page < last else last),
        ("last", last),
    )
    return ", ".join(f"<{_page_url(base_url, params, n, per_page)}>; rel={rel}" for rel, n in targets)


def _page_url(base_url: str, params: list[tuple[str, str]], page: int, per_page: int) -> str:
    fixed = {"per_page": str(per_page), "page": str(page)}
    items: list[tuple[str, str]] = []
    for key, value in params:
        if key not in fixed:
            items.append((key, value))
        elif key not in (k for k, _ in items):
            items.append((key, fixed[key]))
    items.extend((k, v) for k, v in fixed.items() if k not in (key for key, _ in items))
    return f"{base_url}?{urlencode(items)}"
