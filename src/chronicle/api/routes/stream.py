"""The native live stream: ``GET /api/v1/events/stream``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from chronicle import codec, models, streaming
from chronicle.api.deps import Reader, ServiceDep, SettingsDep
from chronicle.api.routes.events import Filters, invalid
from chronicle.live import LiveEvent

router = APIRouter(prefix="/api/v1/events", tags=["events"])


def _native_frame(event: models.Event) -> bytes:
    return streaming.frame(codec.encode_native(event), seq=event.seq)


def _render(item: LiveEvent) -> bytes:
    # The whole frame is cached on the event: built once, written to every subscriber.
    return item.encoded("native-frame", _native_frame)


@router.get(
    "/stream",
    summary="Live events over Server-Sent Events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "frames `id: <seq>` / `data: <event>`"}
    },
)
async def stream_events(
    principal: Reader,
    service: ServiceDep,
    settings: SettingsDep,
    query: Filters,
    since: Annotated[int | None, Query(ge=0, description="resume after this seq")] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> streaming.EventStreamResponse:
    """Every matching event committed after connecting, or after ``Last-Event-ID``/``since``,
    in seq order, with no gap and no duplicate. A comment heartbeat keeps idle streams open."""
    try:
        after = streaming.resume_position(last_event_id, since)
    except ValueError as exc:
        raise invalid(("header", "Last-Event-ID"), "must be a non-negative integer", "int_parsing") from exc
    ticks = service.follow(
        principal.tenant_id,
        query,
        after,
        heartbeat=settings.heartbeat_seconds,
        key_id=principal.key_id,
    )
    return streaming.sse_response(ticks, _render, retry_ms=settings.sse_retry_ms)
