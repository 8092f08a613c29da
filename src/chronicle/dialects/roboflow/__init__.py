"""The Roboflow Vision Events dialect (seed 003): ``/vision-events`` and its siblings."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from chronicle.api.http import json_response
from chronicle.dialects.roboflow import routes


class RoboflowDialect:
    """Vision events: eager ingestion with warnings, queries, use cases and image uploads."""

    name = "roboflow"
    prefixes: tuple[str, ...] = (routes.PREFIX,)

    def build_router(self) -> APIRouter:
        return routes.build_router()

    def render_error(self, request: Request, status: int, message: str) -> Response:
        """Roboflow's error shape: ``{"error": "<message>"}``."""
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return json_response({"error": message}, status, headers)


def dialect() -> RoboflowDialect:
    return RoboflowDialect()
