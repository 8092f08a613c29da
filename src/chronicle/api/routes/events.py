"""The native events API: create, get, list, aggregate, correlation, resource, stats by actor."""

from __future__ import annotations

import re
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import TypeAdapter, ValidationError

from chronicle import codec, cursors, errors, models
from chronicle.api import schemas
from chronicle.api.deps import Reader, ServiceDep, authorize
from chronicle.api.http import json_response, read_body
from chronicle.service import EventService
from chronicle.settings import Settings
from chronicle.timefmt import parse_time

router = APIRouter(prefix="/api/v1/events", tags=["events"])

_META_KEY = re.compile(schemas.METADATA_KEY_PATTERN)
Text = Annotated[str | None, Query(min_length=1, max_length=schemas.MAX_TEXT)]


def invalid(loc: tuple[str | int, ...], msg: str, kind: str = "value_error") -> RequestValidationError:
    """A 422 in FastAPI's shape, for checks FastAPI cannot express as parameter types."""
    return RequestValidationError([{"loc": loc, "msg": msg, "type": kind}])


def _time_param(name: str, text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return parse_time(text)
    except ValueError as exc:
        raise invalid(("query", name), "Input should be an RFC 3339 date-time", "datetime_parsing") from exc


async def time_range(
    from_: Annotated[
        str | None, Query(alias="from", max_length=64, description="occurredAt ≥ this (RFC 3339)")
    ] = None,
    to: Annotated[str | None, Query(max_length=64, description="occurredAt < this (RFC 3339)")] = None,
) -> tuple[int | None, int | None]:
    """``from`` (inclusive) and ``to`` (exclusive) as epoch milliseconds."""
    return _time_param("from", from_), _time_param("to", to)


TimeRange = Annotated[tuple[int | None, int | None], Depends(time_range)]


def _meta_filters(request: Request) -> tuple[models.MetaFilter, ...]:
    found = []
    for name, value in request.query_params.multi_items():
        if not name.startswith("meta."):
            continue
        key = name[5:]
        if not _META_KEY.match(key):
            raise invalid(("query", name), "metadata keys are 1-100 of A-Z a-z 0-9 _ . : - and space")
        if len(value) > schemas.MAX_METADATA_STRING:
            raise invalid(("query", name), "String should have at most 1000 characters", "string_too_long")
        found.append(models.MetaFilter(key, value))
    return tuple(found)


async def event_filters(
    request: Request,
    times: TimeRange,
    event_type: Text = None,
    resource_type: Text = None,
    resource_id: Text = None,
    actor_id: Text = None,
    actor_type: Text = None,
    correlation_id: Text = None,
    tag: Annotated[
        list[str] | None, Query(max_length=schemas.MAX_TEXT, description="repeatable; all must match")
    ] = None,
) -> models.EventQuery:
    """The list filters shared by the list and the stream (``meta.KEY=VALUE`` included)."""
    tags = tuple(tag or ())
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            raise invalid(("query", name), "must not contain NUL characters")
    if len(tags) > schemas.MAX_TAGS:
        raise invalid(("query", "tag"), f"at most {schemas.MAX_TAGS} tags")
    return models.EventQuery(
        event_type=event_type,
        resource_type=resource_type,
        resource_id=resource_id,
        actor_id=actor_id,
        actor_type=actor_type,
        correlation_id=correlation_id,
        tags=tags,
        meta=_meta_filters(request),
        occurred_from=times[0],
        occurred_to=times[1],
    )


Filters = Annotated[models.EventQuery, Depends(event_filters)]


class Paging:
    """``limit``, ``offset`` and ``cursor`` as seed 002 defines them, plus the keyset cursor."""

    def __init__(self, limit: int, offset: int, cursor: str | None) -> None:
        self.limit = limit
        self.offset = offset
        self.cursor = cursor

    def request(self, order: models.Order) -> models.PageRequest:
        """The page request, with the cursor checked against the listing's order."""
        after = None
        if self.cursor is not None:
            if self.offset:
                raise invalid(("query", "offset"), "use either offset or cursor, not both")
            try:
                after = cursors.decode(self.cursor, order)
            except errors.InvalidInput as exc:
                raise invalid(("query", "cursor"), str(exc)) from exc
        return models.PageRequest(order=order, limit=self.limit, offset=self.offset, after=after)

    def body(self, page: models.Page[models.StoredEvent]) -> dict[str, Any]:
        """The list envelope."""
        return {
            "events": [codec.native_stored(e) for e in page.events],
            "hasNext": page.has_next,
            "limit": self.limit,
            "offset": self.offset,
            "total": page.total,
            "nextCursor": cursors.encode(page.next) if page.next else None,
        }


async def paging(
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    cursor: Annotated[
        str | None, Query(max_length=200, description="nextCursor of the previous page")
    ] = None,
) -> Paging:
    """The paging parameters (an async dependency: sync ones cost a thread hop per request)."""
    return Paging(limit, offset, cursor)


PagingDep = Annotated[Paging, Depends(paging)]


@router.post(
    "",
    status_code=201,
    response_model=schemas.EventOut | schemas.EventBatchOut,
    summary="Create an event, or a batch of up to 1000 (all or nothing)",
    responses={200: {"description": "An event with this id exists; it is returned unchanged"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            {"$ref": "#/components/schemas/EventIn"},
                            {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/EventIn"},
                                "maxItems": 1000,
                            },
                        ]
                    }
                }
            },
        }
    },
)
async def create_events(request: Request) -> Response:
    """Record events. Re-sending an existing ``id`` returns the stored event (safe retries).

    Needs the ``events:write`` scope. (Served by ``api.fastpath`` ahead of the router; this route
    documents it and serves it when the fast path is not installed.)
    """
    return await record_events(request)


async def record_events(request: Request) -> Response:
    """The create handler itself, shared by the route and the fast path."""
    principal = await authorize(request, "events:write")
    service: EventService = request.app.state.service
    settings: Settings = request.app.state.settings
    data = _parse_json(await read_body(request, settings.max_body_bytes))
    if isinstance(data, dict):
        written = await service.record(principal.tenant_id, [_validate(data, ("body",)).to_new_event()])
        status = 201 if written[0].created else 200
        return json_response(codec.native_event(written[0].event), status)
    if not isinstance(data, list):
        raise invalid(("body",), "expected an event object or a list of events", "model_type")
    if not data or len(data) > settings.max_batch:
        raise invalid(("body",), f"a batch holds 1 to {settings.max_batch} events", "too_long")
    events = _validate_batch(data)
    written = await service.record(principal.tenant_id, [e.to_new_event() for e in events])
    return json_response({"events": [codec.native_event(w.event) for w in written]}, 201)


def _parse_json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise invalid(("body",), f"Invalid JSON: {exc}", "json_invalid") from exc


def _validate(data: Any, loc: tuple[str | int, ...]) -> schemas.EventIn:
    try:
        return schemas.EventIn.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(_errors(exc, loc)) from exc


_BATCH = TypeAdapter(list[schemas.EventIn])


def _validate_batch(items: list[Any]) -> list[schemas.EventIn]:
    # One call validates the whole list (the loop runs in pydantic-core), and reports every
    # invalid event with its index in ``loc``.
    try:
        valid = _BATCH.validate_python(items)
    except ValidationError as exc:
        raise RequestValidationError(_errors(exc, ("body",))[:100]) from exc
    ids = [e.id for e in valid if e.id is not None]
    if len(ids) != len(set(ids)):
        raise invalid(("body",), "the same id appears twice in one batch")
    return valid


def _errors(exc: ValidationError, loc: tuple[str | int, ...]) -> list[dict[str, Any]]:
    return [
        {"loc": [*loc, *e["loc"]], "msg": e["msg"], "type": e["type"]}
        for e in exc.errors(include_url=False, include_input=False)
    ]


@router.get("", response_model=schemas.EventListOut, summary="List events, newest first")
async def list_events(principal: Reader, service: ServiceDep, query: Filters, paging: PagingDep) -> Response:
    """Filters combine with AND; ``tag`` and ``meta.KEY`` may repeat. Page by ``offset`` or ``cursor``."""
    page = await service.query_stored(principal.tenant_id, query, paging.request("newest"))
    return json_response(paging.body(page))


@router.get("/aggregate", response_model=schemas.AggregateOut, summary="Counts by type")
async def aggregate(principal: Reader, service: ServiceDep, times: TimeRange) -> Response:
    """Counts by actor type, event type and resource type; absent fields count under ``null``."""
    result = await service.aggregate(principal.tenant_id, *times)

    def counts(items: list[models.Count]) -> list[dict[str, Any]]:
        return [{"count": c.count, "key": c.key} for c in items]

    return json_response(
        {
            "byActorType": counts(result.by_actor_type),
            "byEventType": counts(result.by_event_type),
            "byResourceType": counts(result.by_resource_type),
            "total": result.total,
        }
    )


@router.get("/stats/by-actor", response_model=schemas.ActorsOut, summary="Outcomes per actor")
async def stats_by_actor(principal: Reader, service: ServiceDep, times: TimeRange) -> Response:
    """Each actor's events, successes and failures, most active first."""
    stats = await service.stats_by_actor(principal.tenant_id, *times)
    actors = [
        {
            "actorId": s.actor_id,
            "actorType": s.actor_type,
            "failures": s.failures,
            "successes": s.successes,
            "total": s.total,
        }
        for s in stats
    ]
    return json_response({"actors": actors})


@router.get(
    "/correlation/{correlation_id}",
    response_model=schemas.EventListOut,
    summary="A run's events, oldest first",
)
async def by_correlation(
    correlation_id: str, principal: Reader, service: ServiceDep, paging: PagingDep
) -> Response:
    """Every event sharing a correlation id, in the order they happened."""
    query = models.EventQuery(correlation_id=correlation_id)
    page = await service.query_stored(principal.tenant_id, query, paging.request("oldest"))
    return json_response(paging.body(page))


@router.get(
    "/resource/{resource_type}/{resource_id}",
    response_model=schemas.EventListOut,
    summary="A resource's events, newest first",
)
async def by_resource(
    resource_type: str, resource_id: str, principal: Reader, service: ServiceDep, paging: PagingDep
) -> Response:
    """Every event about one resource."""
    query = models.EventQuery(resource_type=resource_type, resource_id=resource_id)
    page = await service.query_stored(principal.tenant_id, query, paging.request("newest"))
    return json_response(paging.body(page))


@router.get("/{event_id}", response_model=schemas.EventOut, summary="One event")
async def get_event(event_id: str, principal: Reader, service: ServiceDep) -> Response:
    """``404`` if absent or another tenant's. (Mounted after the stream, which it would shadow.)"""
    return json_response(codec.native_event(await service.get(principal.tenant_id, event_id)))
