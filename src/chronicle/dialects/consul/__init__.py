"""The Consul dialect: user events (``/v1/event/fire``, ``/v1/event/list``) on the event store.

See docs/dialects/consul.md for the mapping, the auth rules and the deviations from the agent.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from chronicle.dialects.consul import routes

__all__ = ["ConsulDialect", "dialect"]


class ConsulDialect:
    """Consul's user-event API; errors are the agent's plain-text bodies."""

    name = "consul"
    prefixes: tuple[str, ...] = ("/v1/event/",)

    def build_router(self) -> APIRouter:
        """The fire and list endpoints."""
        return routes.build_router()

    def render_error(self, request: Request, status: int, message: str) -> Response:
        """A plain-text error as the agent writes it; unknown paths get its 404 text."""
        return routes.text(status, routes.NOT_FOUND if status == 404 else message)


def dialect() -> ConsulDialect:
    """The entry point registered under ``chronicle.dialects``."""
    return ConsulDialect()
