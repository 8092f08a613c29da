"""Tines' action-events endpoints: parse, translate, call the service, translate back."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from chronicle import auth, errors, models
from chronicle.api.deps import get_service, get_settings
from chronicle.api.http import json_response, key_from, read_body
from chronicle.dialects.tines import translate
from chronicle.service import EventService

PATHS = ("/api/v1/actions/{action_id}/events", "/api/v1/agents/{action_id}/events")
_LOOKUP_CHUNK = 1000
"""Parent ids looked up per query (one query for any page up to 1000 distinct parents)."""


async def _principal(request: Request, service: EventService, scope: str) -> auth.Principal:
    # Tines' own clients send ``Authorization: Bearer``; the official Terraform provider and
    # older clients send ``x-user-token``.
    principal = await service.authenticate(key_from(request, headers=("x-user-token",)))
    if not principal.allows(scope):
        raise errors.Forbidden(f"this API key lacks the scope {scope}")
    return principal


async def _events_by_id(service: EventService, tenant: str, ids: tuple[str, ...]) -> list[models.Event]:
    found: list[models.Event] = []
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        chunk = ids[start : start + _LOOKUP_CHUNK]
        page = await service.query(
            tenant,
            models.EventQuery(ids=chunk),
            models.PageRequest(order="seq_asc", limit=len(chunk), with_total=False),
        )
        found.extend(page.events)
    return found


async def _ids_by_seq(service: EventService, tenant: str, seqs: tuple[int, ...]) -> tuple[str, ...]:
    ids = []
    for seq in seqs:
        page = await service.query(
            tenant,
            models.EventQuery(seq_after=seq - 1, seq_upto=seq),
            models.PageRequest(order="seq_asc", limit=1, with_total=False),
        )
        if not page.events:
            raise errors.InvalidInput(f"previous event {seq} does not exist")
        ids.append(page.events[0].id)
    return tuple(ids)


async def list_events(request: Request, action_id: str) -> Response:
    """Events the action emitted, newest first, paged as Tines pages."""
    service = get_service(request)
    principal = await _principal(request, service, "events:read")
    params = translate.parse_list_params(dict(request.query_params))
    query = params.query(translate.check_action_id(action_id))
    page = await service.query(principal.tenant_id, query, params.page_request())
    parents = await _events_by_id(service, principal.tenant_id, translate.parent_ids_of(page.events))
    return json_response(
        {
            "events": translate.from_events(page.events, parents),
            "meta": translate.meta(request.url, params, page.total or 0),
        }
    )


async def create_event(request: Request, action_id: str) -> Response:
    """Record an event as emitted by the action (Chronicle's own convenience, not Tines')."""
    service = get_service(request)
    principal = await _principal(request, service, "events:write")
    action_id = translate.check_action_id(action_id)
    body = translate.parse_create(await read_body(request, get_settings(request).max_body_bytes))
    parent_ids = await _ids_by_seq(service, principal.tenant_id, body.previous_ids)
    written = await service.record(principal.tenant_id, [translate.to_new_event(action_id, body, parent_ids)])
    parents = await _events_by_id(service, principal.tenant_id, parent_ids)
    return json_response(translate.from_events([written[0].event], parents)[0], 201)


def build_router() -> APIRouter:
    """Both paths (``actions`` and the legacy ``agents``) serve the same resource."""
    router = APIRouter(tags=["tines"])
    for path in PATHS:
        kind = path.split("/")[3]
        router.add_api_route(
            path,
            list_events,
            methods=["GET"],
            operation_id=f"tines_list_{kind}_events",
            summary=f"Tines: list an action's events ({kind})",
        )
        router.add_api_route(
            path,
            create_event,
            methods=["POST"],
            status_code=201,
            operation_id=f"tines_create_{kind}_event",
            summary=f"Tines: record an event as the action ({kind})",
        )
    return router
