"""Error responses: the native API answers in FastAPI's shape, each dialect in its own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from chronicle import errors
from chronicle.api.http import BodyTooLarge, json_response
from chronicle.dialects.base import Dialect

_STATUS: dict[type[errors.ChronicleError], int] = {
    errors.InvalidInput: 422,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Unsupported: 400,
    errors.StorageError: 503,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
}


def status_of(exc: errors.ChronicleError) -> int:
    """The HTTP status of a core error."""
    for kind, status in _STATUS.items():
        if isinstance(exc, kind):
            return status
    return 500


ExceptionRenderer = Callable[[Request, Exception], Awaitable[Response]]


def install(app: FastAPI, dialects: Sequence[Dialect]) -> ExceptionRenderer:
    """Register handlers that pick the error shape by the request's path.

    Returns:
        A function rendering any handled exception as these handlers do (for the fast path).
    """

    def dialect_for(request: Request) -> Dialect | None:
        path = request.url.path
        for dialect in dialects:
            if any(path.startswith(prefix) for prefix in dialect.prefixes):
                return dialect
        return None

    def respond(
        request: Request, status: int, detail: Any, headers: dict[str, str] | None = None
    ) -> Response:
        dialect = dialect_for(request)
        if dialect is None:
            return json_response({"detail": detail}, status, headers)
        message = detail if isinstance(detail, str) else _summary(detail)
        response = dialect.render_error(request, 400 if status == 422 else status, message)
        for name, value in (headers or {}).items():
            response.headers.setdefault(name, value)
        return response

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return respond(request, 422, problems)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return respond(request, exc.status_code, exc.detail, dict(exc.headers or {}))

    async def on_core(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, errors.ChronicleError)
        status = status_of(exc)
        if status == 422 and isinstance(exc, errors.InvalidInput):
            loc = ["body", exc.field] if exc.field else ["body"]
            return respond(request, 422, [{"loc": loc, "msg": str(exc), "type": "value_error"}])
        return respond(request, status, str(exc))

    async def on_too_large(request: Request, exc: Exception) -> Response:
        return respond(request, 413, str(exc))

    async def on_disconnect(request: Request, exc: Exception) -> Response:
        return Response(status_code=400)

    handlers: dict[type[Exception], ExceptionRenderer] = {
        ClientDisconnect: on_disconnect,
        RequestValidationError: on_validation,
        HTTPException: on_http,
        errors.ChronicleError: on_core,
        BodyTooLarge: on_too_large,
    }
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)

    async def render(request: Request, exc: Exception) -> Response:
        for kind, handler in handlers.items():
            if isinstance(exc, kind):
                return await handler(request, exc)
        raise exc

    return render


def _summary(problems: Any) -> str:
    if isinstance(problems, list):
        parts = []
        for p in problems:
            loc = ".".join(str(x) for x in p.get("loc", ()) if x not in ("body", "query"))
            parts.append(f"{loc}: {p.get('msg')}" if loc else str(p.get("msg")))
        return "; ".join(parts)
    return str(problems)
