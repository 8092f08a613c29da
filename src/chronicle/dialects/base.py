"""The Dialect protocol: a foreign event API translated onto the core service."""

from __future__ import annotations

from typing import Protocol

from fastapi import APIRouter, Request
from fastapi.responses import Response


class Dialect(Protocol):
    """A product's event API. It translates; it never touches storage."""

    name: str
    """Short name, also the ``source`` of events it writes."""

    prefixes: tuple[str, ...]
    """URL path prefixes it owns; errors under them take the dialect's shape."""

    def build_router(self) -> APIRouter:
        """The routes, ready to include in the app."""

    def render_error(self, request: Request, status: int, message: str) -> Response:
        """An error in the product's own shape."""
