"""The Roboflow Vision Events routes: parse, translate, call the service, translate back."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from chronicle import auth, cursors, errors
from chronicle.api.deps import ServiceDep, SettingsDep
from chronicle.api.http import BodyTooLarge, json_response, key_from, read_body
from chronicle.dialects.roboflow import images, translate
from chronicle.dialects.roboflow import validation as v
from chronicle.service import EventService
from chronicle.timefmt import format_ms, now_ms

PREFIX = "/vision-events"
USE_CASE = "use_case"
WRITE_SCOPES = ("vision-events:write", "device:update")
READ_SCOPES = ("vision-events:read",)
FORBIDDEN = "Insufficient permissions for this resource."
MULTIPART_OVERHEAD = 1024 * 1024
MAX_NAME = 256


async def principal_for(request: Request, service: ServiceDep, scopes: tuple[str, ...]) -> auth.Principal:
    """The caller (Bearer, X-API-Key or ``?api_key=``): 401 without a valid key, 403 without the scope."""
    try:
        principal = await service.authenticate(key_from(request, query=("api_key",)))
    except errors.Unauthenticated as exc:
        raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from exc
    if not principal.allows(*scopes):
        raise HTTPException(403, FORBIDDEN)
    return principal


async def json_body(request: Request, limit: int) -> Any:
    """The JSON body; 400 when it does not parse, 413 when it is over the limit."""
    raw = await read_body(request, limit)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise HTTPException(400, "Request body must be valid JSON") from exc


def rejected(exc: translate.Rejected) -> HTTPException:
    return HTTPException(400, str(exc))


def build_router() -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["roboflow"])

    @router.post("", status_code=201, summary="Create a vision event (eager ingestion)")
    async def create(request: Request, service: ServiceDep, settings: SettingsDep) -> Response:
        principal = await principal_for(request, service, WRITE_SCOPES)
        body = await json_body(request, settings.max_body_bytes)
        try:
            ingested = translate.to_new_event(body, now_ms())
        except translate.Rejected as exc:
            raise rejected(exc) from exc
        await _store(service, principal.tenant_id, [ingested])
        answer: dict[str, Any] = {"eventId": ingested.event.id, "created": True}
        if ingested.warnings:
            answer["warnings"] = ingested.warnings
        if ingested.deprecations:
            answer["deprecations"] = ingested.deprecations
        return json_response(answer, 201)

    @router.post("/batch", status_code=201, summary="Create up to 100 vision events (all or nothing)")
    async def create_batch(request: Request, service: ServiceDep, settings: SettingsDep) -> Response:
        principal = await principal_for(request, service, WRITE_SCOPES)
        body = await json_body(request, settings.max_body_bytes)
        now = now_ms()
        try:
            given = translate.batch_events(body)
            ingested = [translate.to_new_event(e, now, path=f"events.{i}") for i, e in enumerate(given)]
        except translate.Rejected as exc:
            raise rejected(exc) from exc
        # A later duplicate overwrites an earlier one, as two requests in a row would.
        latest = {item.event.id: item for item in ingested}
        stored = list(latest.values())
        await _store(service, principal.tenant_id, stored)
        answer: dict[str, Any] = {"created": len(stored), "eventIds": [i.event.id for i in stored]}
        warnings = [w for item in ingested for w in item.warnings]
        if warnings:
            answer["warnings"] = warnings
        return json_response(answer, 201)

    @router.post("/query", summary="Query vision events of a use case, newest first")
    async def query(request: Request, service: ServiceDep, settings: SettingsDep) -> Response:
        principal = await principal_for(request, service, READ_SCOPES)
        body = await json_body(request, settings.max_body_bytes)
        try:
            asked = translate.to_query(body)
        except translate.Rejected as exc:
            raise rejected(exc) from exc
        page = await service.query(principal.tenant_id, asked.query, asked.page)
        return json_response(
            {
                "events": [translate.from_event(e) for e in page.events],
                "nextCursor": cursors.encode(page.next) if page.has_next and page.next else None,
                "hasMore": page.has_next,
            }
        )

    @router.get("/use-cases", summary="List use cases")
    async def list_use_cases(request: Request, service: ServiceDep) -> Response:
        principal = await principal_for(request, service, READ_SCOPES)
        status = request.query_params.get("status", "active")
        if status not in ("active", "inactive"):
            raise HTTPException(400, "status must be one of [active, inactive]")
        found = await service.list_catalog(principal.tenant_id, USE_CASE) if status == "active" else []
        return json_response({"useCases": [_use_case(principal.tenant_id, *item) for item in found]})

    @router.post("/use-cases", status_code=201, summary="Create a use case")
    async def create_use_case(request: Request, service: ServiceDep, settings: SettingsDep) -> Response:
        principal = await principal_for(request, service, WRITE_SCOPES)
        body = await json_body(request, settings.max_body_bytes)
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise HTTPException(400, "name is required")
        name = name.strip()
        if len(name) > MAX_NAME:
            raise HTTPException(400, f"name length must be less than or equal to {MAX_NAME} characters long")
        existing = await service.list_catalog(principal.tenant_id, USE_CASE)
        if any(item_name == name for _, item_name, _ in existing):
            raise HTTPException(400, "A solution with this name already exists")
        taken = {item_id for item_id, _, _ in existing}
        use_case_id = _new_use_case_id(taken)
        await service.ensure_catalog(principal.tenant_id, USE_CASE, use_case_id, name)
        return json_response({"id": use_case_id, "name": name}, 201)

    @router.post("/upload", status_code=201, summary="Upload an image (multipart: file, name, metadata)")
    async def upload(request: Request, service: ServiceDep, settings: SettingsDep) -> Response:
        principal = await principal_for(request, service, WRITE_SCOPES)
        limit = settings.upload_max_bytes
        raw = await read_body(request, limit + MULTIPART_OVERHEAD)
        form = await Request(request.scope, _replay(raw)).form(max_files=1, max_fields=10)
        try:
            file = form.get("file")
            if not isinstance(file, UploadFile):
                raise HTTPException(400, "file is required (multipart/form-data)")
            data = await file.read()
            name = _form_text(form.get("name"), "name") or file.filename or None
            metadata = _upload_metadata(_form_text(form.get("metadata"), "metadata"))
        finally:
            await form.close()
        if len(data) > limit:
            raise BodyTooLarge(limit)
        if not data:
            raise HTTPException(400, "file is empty")
        media_type = images.sniff(data)
        if media_type is None:
            raise HTTPException(
                400, "file is not a supported image (JPEG, PNG, WebP, GIF, TIFF, BMP, HEIC, AVIF)"
            )
        blob = await service.put_blob(principal.tenant_id, data, media_type, name=name, metadata=metadata)
        url = f"{str(request.base_url).rstrip('/')}{PREFIX}/images/{blob.id}"
        return json_response({"success": True, "sourceId": blob.id, "url": url}, 201)

    @router.get("/images/{source_id}", summary="Download an uploaded image")
    async def image(source_id: str, request: Request, service: ServiceDep) -> Response:
        principal = await principal_for(request, service, (*READ_SCOPES, *WRITE_SCOPES))
        try:
            blob = await service.get_blob(principal.tenant_id, source_id)
        except errors.NotFound as exc:
            raise HTTPException(404, "Image not found") from exc
        return Response(
            blob.data,
            media_type=blob.content_type,
            headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"},
        )

    return router


async def _store(service: EventService, tenant_id: str, ingested: list[translate.Ingested]) -> None:
    """Write (overwriting same ids), then make sure every named use case exists."""
    if not ingested:
        return
    await service.record(tenant_id, [i.event for i in ingested], overwrite=True)
    for use_case in dict.fromkeys(i.event.correlation_id for i in ingested):
        if use_case is not None:
            await service.ensure_catalog(tenant_id, USE_CASE, use_case, use_case)


def _use_case(tenant_id: str, use_case_id: str, name: str, created_at: int) -> dict[str, Any]:
    stamp = format_ms(created_at)
    return {
        "id": use_case_id,
        "name": name,
        "status": "active",
        "workspaceId": tenant_id,
        "createdAt": stamp,
        "updatedAt": stamp,
    }


def _new_use_case_id(taken: set[str]) -> str:
    while True:
        candidate = uuid.uuid4().hex[:8]
        if candidate not in taken:
            return candidate


def _replay(raw: bytes) -> Callable[[], Awaitable[dict[str, Any]]]:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": raw, "more_body": False}

    return receive


def _form_text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise HTTPException(400, f"{name} must be a text field")
    if name == "name" and len(value) > MAX_NAME:
        raise HTTPException(400, f"name length must be less than or equal to {MAX_NAME} characters long")
    return value


def _upload_metadata(text: str | None) -> dict[str, Any]:
    if text is None or not text.strip():
        return {}
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise HTTPException(400, "metadata must be a JSON object") from exc
    if not isinstance(value, dict):
        raise HTTPException(400, "metadata must be a JSON object")
    checker = v.Checker()
    kept = v.custom_metadata(checker, value, "metadata")
    if checker.warnings:
        problem = checker.warnings[0]
        raise HTTPException(400, f"{problem['path']} is invalid ({problem['type']})")
    return kept
