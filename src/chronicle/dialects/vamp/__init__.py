"""The Vamp dialect: Vamp 0.9.4's events API (JSON or YAML, tag queries, aggregations, SSE),
mounted under ``/vamp`` so its list does not clash with the native one."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from chronicle.dialects.vamp import routes, wire


class VampDialect:
    """Translates Vamp's event resources and queries onto the core service."""

    name = "vamp"
    prefixes: tuple[str, ...] = ("/vamp",)

    def build_router(self) -> APIRouter:
        """The routes under ``/vamp/api/v1/events``."""
        return routes.build_router()

    def render_error(self, request: Request, status: int, message: str) -> Response:
        """Vamp's error shape: ``{"message": "..."}`` (YAML when the client asks for YAML)."""
        return wire.respond(request, {"message": message}, status)


def dialect() -> VampDialect:
    """The entry point ``chronicle.dialects:vamp``."""
    return VampDialect()
