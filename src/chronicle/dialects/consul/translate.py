"""Pure translations between Consul user events and Chronicle's canonical events."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
import warnings
from collections.abc import Sequence
from typing import Any

import orjson

from chronicle import models
from chronicle.dialects.consul.duration import parse_go_duration

SOURCE = "consul"
MAX_NAME = 256
"""The canonical ``eventType`` limit; the real agent's 512-byte message limit is tighter."""

FILTERS = (("node", "NodeFilter"), ("service", "ServiceFilter"), ("tag", "TagFilter"))
"""Query parameter, JSON field; each is kept in the attribute ``consul.<parameter>``."""

SECOND = 1_000_000_000
MAX_WAIT = 600 * SECOND
"""Consul caps a blocking query at 10 minutes (``maxQueryTime``)."""
DEFAULT_WAIT = 300 * SECOND
"""API.md's default (and py-consul's assumption); the real agent's event list uses 600 s."""

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_UINT = re.compile(r"[0-9]+")
_MAX_UINT64 = (1 << 64) - 1
# RE2 (Go's regexp) rejects what Python's re would accept here: lookarounds and backreferences.
_NOT_RE2 = (
    (re.compile(r"\(\?<?[=!]"), "invalid or unsupported Perl syntax"),
    (re.compile(r"(?<!\\)(?:\\\\)*(\\[1-9])"), "invalid escape sequence"),
)


class FireError(ValueError):
    """A fire request the agent would refuse; the message is Consul's."""


def new_event_id() -> str:
    """A fresh event id: a random (version 4) UUID, which Consul's index formula needs."""
    return str(uuid.uuid4())


def check_name(name: str) -> None:
    """A user event's name: required (the agent's check), and storable by every backend.

    Raises:
        FireError: empty, over 256 characters, or holding a NUL (PostgreSQL text cannot).
    """
    if not name:
        raise FireError("Missing name")
    if len(name) > MAX_NAME:
        raise FireError(f"Invalid name: at most {MAX_NAME} characters")
    if "\x00" in name:
        raise FireError("Invalid name: must not contain NUL characters")


def check_filters(filters: dict[str, str]) -> None:
    """Consul's ``validateUserEventParams``: order of checks and messages as the agent's.

    Raises:
        FireError: ``tag`` without ``service``, or a filter that is not a regular expression
            (or holds a NUL, which PostgreSQL text cannot store).
    """
    if filters.get("tag") and not filters.get("service"):
        raise FireError("Cannot provide tag filter without service filter")
    for name, _ in FILTERS:
        pattern = filters.get(name)
        if pattern and "\x00" in pattern:
            raise FireError(f"Invalid {name} filter: must not contain NUL characters")
        if pattern:
            problem = regexp_problem(pattern)
            if problem:
                raise FireError(f"Invalid {name} filter: error parsing regexp: {problem}")


def regexp_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable regular expression, or ``None`` if it is."""
    for syntax, code in _NOT_RE2:
        found = syntax.search(pattern)
        if found:
            return f"{code}: `{found.group(found.lastindex or 0)}`"
    try:
        with warnings.catch_warnings():
            # e.g. "[[:alpha:]]" is valid RE2; Python only warns about a possible nested set.
            warnings.simplefilter("ignore")
            re.compile(pattern)
    except re.error as exc:
        return f"{exc.msg}: `{pattern}`"
    return None


def list_query(name: str | None) -> models.EventQuery | None:
    """The query for ``?name=`` (exact match); ``None`` if no stored event can match it.

    Names never hold a NUL (``check_name``), and PostgreSQL cannot even compare one.
    """
    if name and "\x00" in name:
        return None
    return models.EventQuery(event_type=name or None)


def to_new_event(name: str, body: bytes, filters: dict[str, str], event_id: str) -> models.NewEvent:
    """A fired user event as a canonical event: the body is kept as exact bytes."""
    return models.NewEvent(
        event_type=name,
        id=event_id,
        payload_bytes=body or None,
        attributes={f"consul.{key}": value for key, value in filters.items() if value},
        source=SOURCE,
    )


def payload_bytes(event: models.Event) -> bytes | None:
    """The bytes Consul's ``Payload`` carries.

    A Consul body is returned exactly. An event from another API gives its JSON payload: a
    string as its UTF-8 text, anything else as compact JSON; a ``null`` payload gives ``None``.
    """
    if event.payload_bytes is not None:
        return event.payload_bytes or None
    if event.payload is None:
        return None
    if isinstance(event.payload, str):
        return event.payload.encode("utf-8") or None
    return orjson.dumps(event.payload)


def to_user_event(event: models.Event) -> dict[str, Any]:
    """A canonical event as Consul's ``UserEvent`` (field order as Go marshals it)."""
    data = payload_bytes(event)
    user_event: dict[str, Any] = {
        "ID": event.id,
        "Name": event.event_type,
        "Payload": base64.b64encode(data).decode("ascii") if data is not None else None,
    }
    for key, field in FILTERS:
        user_event[field] = event.attributes.get(f"consul.{key}", "")
    user_event["Version"] = 1
    user_event["LTime"] = event.seq
    return user_event


def id_to_index(event_id: str) -> int:
    """Consul's ``uuidToUint64``: the two 64-bit halves of the UUID's hex, XORed.

    An id that is not a UUID (written through another API) gets a stable 64-bit hash
    instead: the first 8 bytes of its UTF-8 SHA-256, big-endian.
    """
    if _UUID.fullmatch(event_id):
        hex_digits = event_id.replace("-", "")
        return int(hex_digits[:16], 16) ^ int(hex_digits[16:], 16)
    return int.from_bytes(hashlib.sha256(event_id.encode("utf-8")).digest()[:8], "big")


def list_index(events: Sequence[models.Event]) -> int:
    """``X-Consul-Index`` of a list: the index of its last event, ``1`` when empty (never 0)."""
    if not events:
        return 1
    return id_to_index(events[-1].id) or 1


def parse_index(text: str) -> int:
    """``?index=`` as Go's ``strconv.ParseUint(s, 10, 64)``: ASCII digits, at most 2^64-1.

    Raises:
        ValueError: anything else.
    """
    if not _UINT.fullmatch(text) or int(text) > _MAX_UINT64:
        raise ValueError(text)
    return int(text)


def effective_wait(text: str | None) -> float:
    """Seconds a blocking list may wait, from ``?wait=``.

    Missing or zero gives the default (5 minutes); above 10 minutes, or negative (the agent
    would wait without limit), gives the 10-minute cap.

    Raises:
        ValueError: not a Go duration.
    """
    nanos = DEFAULT_WAIT if text is None else parse_go_duration(text)
    if nanos == 0:
        nanos = DEFAULT_WAIT
    if nanos < 0 or nanos > MAX_WAIT:
        nanos = MAX_WAIT
    return nanos / SECOND


def go_json(body: Any, *, pretty: bool = False) -> bytes:
    """JSON as Go's ``encoding/json`` writes it: ``<``, ``>``, ``&``, U+2028/9 escaped.

    ``pretty`` is Consul's ``?pretty``: four-space indent and a trailing newline.
    """
    if pretty:
        text = json.dumps(body, ensure_ascii=False, indent=4) + "\n"
    else:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text.encode("utf-8", "replace")
