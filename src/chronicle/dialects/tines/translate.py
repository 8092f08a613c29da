"""Pure translations between Tines' action-events API and Chronicle's canonical event.

Tines' event ``id`` is Chronicle's ``seq``; ``agent_id`` is the ``actorId`` of an event whose
``actorType`` is ``action``; ``story_run_guid`` is ``correlationId``; ``previous_events_ids``
are the ``seq`` of the events named in ``parentIds``; both timestamps are ``receivedAt``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import orjson

from chronicle import codec, errors, models
from chronicle.timefmt import format_ms

ACTOR_TYPE = "action"
EVENT_TYPE = "tines.event"
SOURCE = "tines"

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 500
MAX_ID = 2**63 - 1
"""Largest ``since_id``/``until_id``/``page`` accepted: a seq is a signed 64-bit integer."""
MAX_OFFSET = 2**62
"""Offsets beyond every possible store are clamped here, so SQL never overflows."""
MAX_TEXT = 256
MAX_PARENTS = 100
MAX_EXTRA_FIELDS = 20
MAX_EXTRA_TEXT = 1000

_DIGITS = re.compile(r"[0-9]+")
_KNOWN_FIELDS = frozenset({"payload", "story_run_guid", "previous_event_ids", "previous_events_ids"})


# -- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListParams:
    """The validated query of a list request."""

    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    since_id: int | None = None
    until_id: int | None = None

    def query(self, action_id: str) -> models.EventQuery:
        """The canonical query: this action's events, within the id window."""
        return models.EventQuery(
            actor_type=ACTOR_TYPE,
            actor_id=action_id,
            seq_after=self.since_id,
            seq_upto=self.until_id,
        )

    def page_request(self) -> models.PageRequest:
        """Newest first by id (seq), offset paging with an exact total for ``meta``."""
        offset = min((self.page - 1) * self.per_page, MAX_OFFSET)
        return models.PageRequest(order="seq_desc", limit=self.per_page, offset=offset, with_total=True)


def _integer(params: dict[str, str], name: str, minimum: int, rule: str) -> int | None:
    raw = params.get(name, "")
    if raw == "":
        return None
    if not _DIGITS.fullmatch(raw) or len(raw) > 19 or int(raw) < minimum or int(raw) > MAX_ID:
        shown = raw if len(raw) <= 40 else raw[:40] + "..."
        raise errors.InvalidInput(f"{name} must be {rule}; got {shown!r}")
    return int(raw)


def parse_list_params(params: dict[str, str]) -> ListParams:
    """Validate ``page``, ``per_page``, ``since_id`` and ``until_id``.

    Empty values count as absent. ``per_page`` above 500 is clamped to 500 (the documented
    maximum); everything else that is not a whole number in range is refused.

    Raises:
        InvalidInput: a malformed or out-of-range value.
    """
    raw_per_page = params.get("per_page", "")
    if _DIGITS.fullmatch(raw_per_page) and (len(raw_per_page) > 19 or int(raw_per_page) > MAX_PER_PAGE):
        per_page: int | None = MAX_PER_PAGE
    else:
        per_page = _integer(
            params,
            "per_page",
            1,
            f"a whole number of at least 1 (values over {MAX_PER_PAGE} become {MAX_PER_PAGE})",
        )
    page = _integer(params, "page", 1, "a whole number of at least 1")
    since_id = _integer(params, "since_id", 0, "a whole number (an event id)")
    until_id = _integer(params, "until_id", 0, "a whole number (an event id)")
    return ListParams(
        page=page or 1,
        per_page=per_page or DEFAULT_PER_PAGE,
        since_id=since_id,
        until_id=until_id,
    )


def check_action_id(action_id: str) -> str:
    """An action id as a Chronicle ``actorId`` (1-256 characters, no NUL).

    Raises:
        InvalidInput: it is not.
    """
    if not action_id or len(action_id) > MAX_TEXT or "\x00" in action_id:
        raise errors.InvalidInput(f"action_id must be 1 to {MAX_TEXT} characters")
    return action_id


def agent_id(actor_id: str | None) -> int | str | None:
    """Tines' ``agent_id``: an integer when the actor id is one written canonically, else the text.

    ``"21"`` becomes ``21``; ``"007"``, ``"abc"`` and numbers past 64 bits stay strings, so the
    value always reads back to the very same ``actorId``.
    """
    if actor_id is not None and _DIGITS.fullmatch(actor_id) and len(actor_id) <= 19:
        number = int(actor_id)
        if str(number) == actor_id and number <= MAX_ID:
            return number
    return actor_id


def parent_ids_of(events: list[models.Event]) -> tuple[str, ...]:
    """Every distinct parent id named by the events, in first-seen order."""
    return tuple(dict.fromkeys(pid for e in events for pid in e.parent_ids))


def from_event(event: models.Event, seq_of: dict[str, int]) -> dict[str, Any]:
    """One event in Tines' shape; parents missing from ``seq_of`` (not in the tenant) are skipped."""
    created = format_ms(event.received_at)
    previous = [seq_of[pid] for pid in event.parent_ids if pid in seq_of]
    return {
        "id": event.seq,
        "agent_id": agent_id(event.actor_id),
        "payload": codec.native_payload(event),
        "created_at": created,
        "updated_at": created,
        "story_run_guid": event.correlation_id,
        "previous_events_ids": previous,
        "previous_event_ids": list(previous),
    }


def from_events(events: list[models.Event], parents: list[models.Event]) -> list[dict[str, Any]]:
    """Events in Tines' shape, given the parent events found in the tenant."""
    seq_of = {p.id: p.seq for p in parents}
    return [from_event(e, seq_of) for e in events]


def meta(url: Any, params: ListParams, count: int) -> dict[str, Any]:
    """Tines' ``meta``: links keep every other query parameter of the request.

    ``url`` is the request's ``starlette.datastructures.URL``.
    """
    pages = math.ceil(count / params.per_page)
    has_previous = 1 < params.page <= pages
    has_next = params.page < pages

    def link(page: int) -> str:
        return str(url.include_query_params(page=page, per_page=params.per_page))

    return {
        "current_page": link(params.page),
        "previous_page": link(params.page - 1) if has_previous else None,
        "next_page": link(params.page + 1) if has_next else None,
        "next_page_number": params.page + 1 if has_next else None,
        "per_page": params.per_page,
        "pages": pages,
        "count": count,
    }


# -- writing ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateRequest:
    """A validated ``POST /api/v1/actions/<id>/events`` body."""

    payload: Any
    story_run_guid: str | None
    previous_ids: tuple[int, ...]
    extra: dict[str, str]


def parse_create(raw: bytes) -> CreateRequest:
    """Validate the body ``{"payload", "story_run_guid"?, "previous_event_ids"?: [int]}``.

    ``previous_events_ids`` is accepted as an alias. Other top-level fields are kept (as JSON
    text) in the event's attributes under ``tines.<name>``.

    Raises:
        InvalidInput: not such a body.
    """
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise errors.InvalidInput(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise errors.InvalidInput("the body must be a JSON object")
    if "payload" not in data:
        raise errors.InvalidInput("payload is required")
    guid = data.get("story_run_guid")
    if guid is not None and (not isinstance(guid, str) or not guid or len(guid) > MAX_TEXT or "\x00" in guid):
        raise errors.InvalidInput(f"story_run_guid must be a string of 1 to {MAX_TEXT} characters")
    if "previous_event_ids" in data and "previous_events_ids" in data:
        raise errors.InvalidInput("give previous_event_ids or previous_events_ids, not both")
    previous = data.get("previous_event_ids", data.get("previous_events_ids")) or []
    if (
        not isinstance(previous, list)
        or len(previous) > MAX_PARENTS
        or not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i <= MAX_ID for i in previous)
    ):
        raise errors.InvalidInput(f"previous_event_ids must be a list of at most {MAX_PARENTS} event ids")
    unknown = {k: v for k, v in data.items() if k not in _KNOWN_FIELDS}
    if len(unknown) > MAX_EXTRA_FIELDS:
        raise errors.InvalidInput(f"at most {MAX_EXTRA_FIELDS} fields besides the known ones")
    extra = {f"tines.{k}"[:MAX_TEXT]: orjson.dumps(v).decode() for k, v in unknown.items()}
    if any(len(text) > MAX_EXTRA_TEXT for text in extra.values()):
        raise errors.InvalidInput(f"an extra field's JSON is longer than {MAX_EXTRA_TEXT} characters")
    return CreateRequest(data["payload"], guid, tuple(dict.fromkeys(previous)), extra)


def to_new_event(action_id: str, body: CreateRequest, parent_ids: tuple[str, ...]) -> models.NewEvent:
    """The canonical event an action emits; ``parent_ids`` are the parents' event ids."""
    return models.NewEvent(
        event_type=EVENT_TYPE,
        payload=body.payload,
        actor_type=ACTOR_TYPE,
        actor_id=action_id,
        correlation_id=body.story_run_guid,
        parent_ids=parent_ids,
        attributes=body.extra,
        source=SOURCE,
    )
