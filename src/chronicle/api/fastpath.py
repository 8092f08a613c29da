"""The ingest hot path: ``POST /api/v1/events`` served ahead of the router.

Routing a request through FastAPI's router, dependency solver and exception middlewares costs
more than parsing, validating and committing a small event (measured: about half the time of a
single-event POST). This ASGI middleware hands that one route straight to the same handler the
FastAPI route uses, and renders errors through the same handlers, so behaviour is identical.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from chronicle.api.errors import ExceptionRenderer

Handler = Callable[[Request], Awaitable[Response]]


class FastIngest:
    """Serves one method and path with ``handler``; passes everything else on."""

    def __init__(self, app: ASGIApp, *, path: str, handler: Handler, render_error: ExceptionRenderer) -> None:
        self.app = app
        self.path = path
        self.handler = handler
        self.render_error = render_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await self.handler(request)
        except Exception as exc:  # noqa: BLE001 - rendered exactly as the app's handlers would
            response = await self.render_error(request, exc)
        await response(scope, receive, send)
