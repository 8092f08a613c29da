"""HTTP helpers every router shares: bounded body reading, key extraction, JSON responses."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response


class BodyTooLarge(Exception):
    """The request body is over the configured limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body exceeds {limit} bytes")
        self.limit = limit


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing it as soon as it passes ``limit`` bytes.

    Raises:
        BodyTooLarge: the declared or actual size is over the limit.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks = []
    size = 0
    # A client that hangs up mid-body raises starlette's ClientDisconnect, answered quietly
    # by the app's handler (there is nobody left to answer).
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def key_from(request: Request, *, headers: tuple[str, ...] = (), query: tuple[str, ...] = ()) -> str | None:
    """The API key a request carries: ``Authorization: Bearer``, ``X-API-Key``, cookie
    ``vai_token``, then any API-specific header or query parameter given."""
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    for name in ("x-api-key", *headers):
        value = request.headers.get(name)
        if value:
            return value
    cookie = request.cookies.get("vai_token")
    if cookie:
        return cookie
    for name in query:
        value = request.query_params.get(name)
        if value:
            return value
    return None


def json_response(body: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response encoded with orjson."""
    return Response(
        orjson.dumps(body), status_code=status_code, media_type="application/json", headers=headers
    )
