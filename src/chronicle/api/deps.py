"""Dependencies of the native routers: the service, the settings and the caller's principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from chronicle import auth, errors
from chronicle.api.http import key_from
from chronicle.service import EventService
from chronicle.settings import Settings


def get_service(request: Request) -> EventService:
    """The app's service."""
    service: EventService = request.app.state.service
    return service


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def _service(request: Request) -> EventService:
    # Dependencies are async on purpose: FastAPI runs sync ones in a thread pool.
    return get_service(request)


async def _settings(request: Request) -> Settings:
    return get_settings(request)


ServiceDep = Annotated[EventService, Depends(_service)]
SettingsDep = Annotated[Settings, Depends(_settings)]


async def authenticate(request: Request, service: ServiceDep) -> auth.Principal:
    """The principal of a native request; 401 in FastAPI's shape when there is none."""
    try:
        return await service.authenticate(key_from(request))
    except errors.Unauthenticated as exc:
        raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from exc


async def authorize(request: Request, *scopes: str) -> auth.Principal:
    """``authenticate`` and the scope check in one call, for hot paths that skip the
    dependency machinery (it costs a fifth of a small request's time)."""
    service: EventService = request.app.state.service
    principal = await authenticate(request, service)
    if not principal.allows(*scopes):
        raise HTTPException(403, f"this key lacks the scope {' or '.join(scopes)}")
    return principal


def require(*scopes: str) -> object:
    """A dependency giving the principal if it holds one of ``scopes``, else 403."""

    async def check(principal: Annotated[auth.Principal, Depends(authenticate)]) -> auth.Principal:
        if not principal.allows(*scopes):
            raise HTTPException(403, f"this key lacks the scope {' or '.join(scopes)}")
        return principal

    return Depends(check)


Reader = Annotated[auth.Principal, require("events:read")]
Writer = Annotated[auth.Principal, require("events:write")]
Admin = Annotated[auth.Principal, require("admin")]
