"""The Tines dialect: ``/api/v1/actions/<action_id>/events`` (and the legacy ``agents`` path)."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import APIRouter, Request
from fastapi.responses import Response

from chronicle.api.http import json_response
from chronicle.dialects.tines import routes


def error_body(status: int, details: str) -> dict[str, list[dict[str, str]]]:
    """Tines' error shape: ``{"errors": [{"message": <status phrase>, "details": <why>}]}``."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return {"errors": [{"message": phrase, "details": details}]}


class TinesDialect:
    """Events emitted by a Tines action, read page by page."""

    name = "tines"
    prefixes: tuple[str, ...] = ("/api/v1/actions/", "/api/v1/agents/")

    def build_router(self) -> APIRouter:
        """The routes of both paths."""
        return routes.build_router()

    def render_error(self, request: Request, status: int, message: str) -> Response:
        """Every error under the Tines paths, 400 to 5xx, in one shape."""
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return json_response(error_body(status, message), status, headers)


def dialect() -> TinesDialect:
    """The entry point ``chronicle.dialects:tines``."""
    return TinesDialect()
