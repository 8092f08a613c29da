"""Vamp's events API under ``/vamp/api/v1/events``: create, list/query/aggregate, SSE stream."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response, StreamingResponse

from chronicle import auth, errors, models, streaming
from chronicle.api.deps import ServiceDep, SettingsDep
from chronicle.api.http import key_from, read_body
from chronicle.dialects.vamp import translate, wire
from chronicle.dialects.vamp.translate import VampInputError, VampQuery
from chronicle.live import LiveEvent
from chronicle.service import EventService
from chronicle.settings import Settings
from chronicle.timefmt import now_ms

PREFIX = "/vamp/api/v1/events"
NO_BODY = object()


def build_router() -> APIRouter:
    """The routes; the list and create answer with or without a trailing slash, as Vamp's do."""
    router = APIRouter(prefix=PREFIX, tags=["vamp"])
    for path, shown in (("", True), ("/", False)):
        router.add_api_route(
            path,
            create_event,
            methods=["POST"],
            status_code=201,
            include_in_schema=shown,
            summary="Vamp: publish an event (JSON or YAML)",
        )
        router.add_api_route(
            path,
            list_events,
            methods=["GET"],
            include_in_schema=shown,
            summary="Vamp: list events (tag, type, page, per_page), or query them with a body",
        )
    router.add_api_route(
        "/get",
        list_events,
        methods=["POST"],
        summary="Vamp: the query-in-body list, for clients that cannot send a body with GET",
    )
    router.add_api_route(
        "/stream",
        stream_events,
        methods=["GET"],
        response_class=StreamingResponse,
        summary="Vamp: live events over Server-Sent Events",
    )
    return router


async def create_event(request: Request, service: ServiceDep, settings: SettingsDep) -> Response:
    """Publish one event; ``201`` with the stored event."""
    principal = await _authorize(request, service, "events:write")
    body = await _body(request, settings)
    try:
        new = translate.to_new_events(None if body is NO_BODY else body)
    except VampInputError as exc:
        raise HTTPException(400, exc.message) from exc
    written = await service.record(principal.tenant_id, new)
    return wire.respond(request, translate.from_event(written[0].event), 201)


async def list_events(request: Request, service: ServiceDep, settings: SettingsDep) -> Response:
    """Newest first, paged with ``X-Total-Count`` and ``Link``; with an aggregator, ``{"value": n}``."""
    principal = await _authorize(request, service, "events:read")
    params = request.query_params
    try:
        page, per_page, offset = translate.normalize_paging(
            translate.page_param("page", params.get("page"), 1),
            translate.page_param("per_page", params.get("per_page"), translate.PER_PAGE),
        )
    except VampInputError as exc:
        raise HTTPException(400, exc.message) from exc
    vamp_query = await _query(request, settings)
    if vamp_query.aggregator is not None:
        value = await _aggregate(service, principal.tenant_id, vamp_query)
        return wire.respond(request, {"value": value})
    found = await service.query(
        principal.tenant_id,
        vamp_query.query,
        models.PageRequest(order="newest", limit=per_page, offset=offset, with_total=True),
    )
    total = found.total or 0
    base = str(request.url.replace(query="", fragment=""))
    headers = {
        "X-Total-Count": str(total),
        "Link": translate.link_header(base, params.multi_items(), page, per_page, total),
    }
    return wire.respond(request, translate.from_events(found.events), 200, headers)


async def stream_events(
    request: Request, service: ServiceDep, settings: SettingsDep
) -> streaming.EventStreamResponse:
    """Every matching event committed after connecting (or after ``Last-Event-ID``), as
    ``event: <type>`` / ``id: <seq>`` / ``data: <event>`` frames, with comment heartbeats."""
    principal = await _authorize(request, service, "events:read")
    query = (await _query(request, settings)).query
    try:
        after = streaming.resume_position(request.headers.get("last-event-id"), None)
    except ValueError as exc:
        raise HTTPException(400, "Last-Event-ID must be a non-negative integer.") from exc
    if after is None:
        # Pin the start now, before the response begins: a client that publishes as soon as
        # the stream is open must see its event.
        after = await service.head()
    only_filters = models.EventQuery(tags=query.tags, event_type=query.event_type)
    ticks = service.follow(
        principal.tenant_id,
        only_filters,
        after,
        heartbeat=settings.heartbeat_seconds,
        key_id=principal.key_id,
    )
    return streaming.sse_response(ticks, _render, retry_ms=settings.sse_retry_ms)


def _vamp_frame(event: models.Event) -> bytes:
    name = event.event_type.replace("\r", " ").replace("\n", " ")
    return streaming.frame(translate.encode_event(event), seq=event.seq, event=name)


def _render(item: LiveEvent) -> bytes:
    # Built once per event, shared by every Vamp subscriber.
    return item.encoded("vamp-frame", _vamp_frame)


async def _authorize(request: Request, service: EventService, scope: str) -> auth.Principal:
    try:
        principal = await service.authenticate(key_from(request))
    except errors.Unauthenticated as exc:
        raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from exc
    if not principal.allows(scope):
        raise HTTPException(403, f"this key lacks the scope {scope}")
    return principal


async def _body(request: Request, settings: Settings) -> object:
    """The parsed body; ``NO_BODY`` when it is blank."""
    raw = await read_body(request, min(settings.max_body_bytes, wire.MAX_BODY))
    if not raw.strip():
        return NO_BODY
    try:
        return wire.parse_body(raw, request.headers.get("content-type"))
    except VampInputError as exc:
        raise HTTPException(400, exc.message) from exc


async def _query(request: Request, settings: Settings) -> VampQuery:
    """The body's query if there is a body (query parameters are then ignored, as in Vamp),
    else ``tag`` and ``type`` from the query string."""
    body = await _body(request, settings)
    try:
        if body is NO_BODY:
            params = request.query_params
            return translate.query_from_params(params.getlist("tag"), params.get("type"))
        return translate.to_query(body, now_ms())
    except VampInputError as exc:
        raise HTTPException(400, exc.message) from exc


async def _aggregate(service: EventService, tenant_id: str, vamp_query: VampQuery) -> int | float:
    if vamp_query.aggregator == "count":
        page = await service.query(tenant_id, vamp_query.query, models.PageRequest(limit=1, with_total=True))
        return page.total or 0
    values = await service.values(tenant_id, vamp_query.query)
    return translate.aggregate(vamp_query.aggregator or "sum", values)
