"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from chronicle import errors
from chronicle.api.deps import ServiceDep
from chronicle.api.http import json_response

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> Response:
    """Always ``200`` while the process serves requests."""
    return json_response({"status": "ok"})


@router.get("/readyz", summary="The database answers")
async def readyz(service: ServiceDep) -> Response:
    """``200`` when the database answers, ``503`` when it does not."""
    try:
        await service.store.ping()
    except errors.StorageError as exc:
        return json_response({"status": "unavailable", "detail": str(exc)}, 503)
    return json_response(
        {
            "status": "ok",
            "backend": service.store.capabilities.name,
            "head": service.bus.head,
            "streams": service.bus.followers,
        }
    )
