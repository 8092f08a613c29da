"""Consul's user-event HTTP API: ``PUT /v1/event/fire/<name>`` and ``GET /v1/event/list``."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

from fastapi import APIRouter, Request
from fastapi.responses import Response

from chronicle import auth, errors, models
from chronicle.api.http import BodyTooLarge, key_from, read_body
from chronicle.dialects.consul import translate
from chronicle.service import EventService
from chronicle.settings import Settings

FIRE_METHODS = ("OPTIONS", "PUT")
LIST_METHODS = ("OPTIONS", "GET")
NOT_FOUND = "Invalid URL path: not a recognized HTTP API endpoint\n"
_DISCONNECT_CHECK = 5.0
_OTHER = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]


class ConsulError(Exception):
    """An error answered as the agent does: a status and a plain-text body."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


def text(status: int, body: str, headers: dict[str, str] | None = None) -> Response:
    """A Consul error: plain text, no trailing newline (Go's ``fmt.Fprint``)."""
    return Response(body, status, headers, media_type="text/plain; charset=utf-8")


def build_router() -> APIRouter:
    """The two endpoints, plus Consul's answers to other methods."""
    router = APIRouter(tags=["consul"])
    router.add_api_route("/v1/event/fire/{name:path}", fire, methods=["PUT"], summary="Fire a user event")
    router.add_api_route("/v1/event/fire", fire, methods=["PUT"], include_in_schema=False)
    router.add_api_route("/v1/event/list", list_events, methods=["GET"], summary="List recent user events")
    for path, allowed in (
        ("/v1/event/fire/{name:path}", FIRE_METHODS),
        ("/v1/event/fire", FIRE_METHODS),
        ("/v1/event/list", LIST_METHODS),
    ):
        other = [m for m in _OTHER if m not in allowed[1:]]
        router.add_api_route(path, _method_handler(allowed), methods=other, include_in_schema=False)
    # The agent's mux has no trailing-slash redirects: anything else under /v1/event/ is its 404.
    router.add_api_route("/v1/event/{rest:path}", _unknown_path, methods=_OTHER, include_in_schema=False)
    return router


async def _unknown_path(request: Request) -> Response:
    return text(404, NOT_FOUND)


def _method_handler(allowed: tuple[str, ...]) -> Callable[[Request], Awaitable[Response]]:
    allow = {"Allow": ",".join(allowed)}  # Go: strings.Join(methods, ",")

    async def other_method(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(b"", 200, allow)
        return text(405, f"method {request.method} not allowed", allow)

    return other_method


async def fire(request: Request) -> Response:
    """Record one user event; answers the ``UserEvent`` with ``LTime`` = its seq."""
    name: str = request.path_params.get("name", "")
    try:
        service, principal = await _principal(request, "events:write")
        filters = {key: _query(request, key) for key, _ in translate.FILTERS}
        try:
            translate.check_name(name)
            translate.check_filters(filters)
        except translate.FireError as exc:
            raise ConsulError(400, str(exc)) from exc
        body = await _payload(request)
        new = translate.to_new_event(name, body, filters, translate.new_event_id())
        written = await service.record(principal.tenant_id, [new])
    except ConsulError as exc:
        return text(exc.status, str(exc), exc.headers)
    return _json(request, translate.to_user_event(written[0].event))


async def list_events(request: Request) -> Response:
    """The newest events (oldest first), blocking while ``?index=`` is still current."""
    try:
        wait, index = _blocking_params(request)
        service, principal = await _principal(request, "events:read")
    except ConsulError as exc:
        return text(exc.status, str(exc), exc.headers)
    limit = _settings(request).consul_list_limit
    query = translate.list_query(_query(request, "name"))
    deadline = time.monotonic() + wait
    head = await service.head()  # read before the query: later commits all have a higher seq
    events, current = await _newest(service, principal.tenant_id, query, limit)
    # No index (or 0) answers at once. Otherwise sleep until something commits anywhere; only
    # a new event this query matches can change the last event, so only then list again.
    while index and current == index and not service.closing:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or await request.is_disconnected():
            break
        # Wake now and then to notice a client that gave up (a watch holds many of these).
        seen = await service.wait_for_change(head, min(remaining, _DISCONNECT_CHECK))
        if seen > head and await _matching_after(service, principal.tenant_id, query, head):
            events, current = await _newest(service, principal.tenant_id, query, limit)
        head = seen
    body = [translate.to_user_event(e) for e in events]
    return _json(request, body, {"X-Consul-Index": str(current)})


def _blocking_params(request: Request) -> tuple[float, int]:
    """``wait`` (checked first, as the agent does) and ``index``; empty values count as absent."""
    try:
        wait = translate.effective_wait(_query(request, "wait") or None)
    except ValueError as exc:
        raise ConsulError(400, "Invalid wait time") from exc
    try:
        index = translate.parse_index(_query(request, "index") or "0")
    except ValueError as exc:
        raise ConsulError(400, "Invalid index") from exc
    return wait, index


async def _newest(
    service: EventService, tenant_id: str, query: models.EventQuery | None, limit: int
) -> tuple[list[models.Event], int]:
    if query is None:
        return [], translate.list_index([])
    page = await service.query(
        tenant_id, query, models.PageRequest(order="seq_desc", limit=limit, with_total=False)
    )
    events = page.events[::-1]
    return events, translate.list_index(events)


async def _matching_after(
    service: EventService, tenant_id: str, query: models.EventQuery | None, seq: int
) -> bool:
    if query is None:
        return False
    request = models.PageRequest(order="seq_asc", limit=1, with_total=False)
    page = await service.query(tenant_id, replace(query, seq_after=seq), request)
    return bool(page.events)


async def _principal(request: Request, scope: str) -> tuple[EventService, auth.Principal]:
    service: EventService = request.app.state.service
    secret = key_from(request, headers=("x-consul-token",), query=("token",))
    try:
        principal = await service.authenticate(secret)
    except errors.Unauthenticated as exc:
        raise ConsulError(401, "ACL not found" if secret else "Permission denied: missing token") from exc
    if not principal.allows(scope):
        raise ConsulError(403, "Permission denied")
    return service, principal


async def _payload(request: Request) -> bytes:
    limit = _settings(request).consul_max_payload
    try:
        return await read_body(request, limit)
    except BodyTooLarge as exc:
        message = f"error broadcasting event: user event exceeds configured limit of {limit} bytes"
        raise ConsulError(413, message) from exc


def _query(request: Request, key: str) -> str:
    """A query parameter as Go's ``Query().Get``: the first value if repeated, else ``""``."""
    values = request.query_params.getlist(key)
    return values[0] if values else ""


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings  # what chronicle.api.deps.get_settings reads
    return settings


def _json(request: Request, body: object, headers: dict[str, str] | None = None) -> Response:
    pretty = "pretty" in request.query_params
    return Response(translate.go_json(body, pretty=pretty), 200, headers, media_type="application/json")
