"""The application factory: one service, the native routers and every registered dialect."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import FrameType
from typing import Any

from fastapi import FastAPI

from chronicle import __version__, streaming
from chronicle.api import errors as api_errors
from chronicle.api import schemas
from chronicle.api.fastpath import ChronicleApp
from chronicle.api.routes import events, health, keys, stream
from chronicle.dialects import load_dialects
from chronicle.service import EventService
from chronicle.settings import Settings

log = logging.getLogger("chronicle")


def create_app(settings: Settings | None = None) -> FastAPI:
    """A Chronicle app; the lifespan opens and closes the store."""
    settings = settings or Settings.from_env()
    service = EventService.from_settings(settings)
    dialects = load_dialects()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        secret = await service.start()
        if secret is not None:
            announce_admin_key(secret)
        _end_streams_on_exit_signal(service)
        log.info("Chronicle %s serving on %s", __version__, service.store.capabilities.name)
        yield
        await service.aclose()

    app = ChronicleApp(
        title="Chronicle",
        version=__version__,
        summary="One event store; the native API and the Consul, Vamp, Roboflow and Tines event APIs.",
        lifespan=lifespan,
        telemetry={"tracing": settings.telemetry, "metrics": settings.telemetry, "logs": settings.telemetry},
    )
    app.state.service = service
    app.state.settings = settings
    app.state.dialects = dialects
    app.render_error = api_errors.install(app, dialects)
    app.fast_routes = {("POST", "/api/v1/events"): events.record_events}
    app.add_middleware(streaming.StreamHandoff)
    app.include_router(health.router)
    app.include_router(keys.router)
    app.include_router(stream.router)
    app.include_router(events.router)
    for dialect in dialects:
        app.include_router(dialect.build_router())
    _document_raw_bodies(app)
    return app


def _document_raw_bodies(app: FastAPI) -> None:
    """Add the schemas of bodies that routes read raw (for speed) to the OpenAPI components."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = build()
            components = spec.setdefault("components", {}).setdefault("schemas", {})
            components["EventIn"] = schemas.EventIn.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` (each worker process builds its own app)."""
    return create_app(Settings.from_env())


def announce_admin_key(secret: str) -> None:
    """Print a newly created bootstrap admin key once, to stderr."""
    # Printed once, here only; the store keeps just its hash.
    message = (
        "\n  No API key existed, so Chronicle created an admin key (tenant 'default'):\n\n"
        f"      {secret}\n\n"
        "  It is shown only this once. Set CHRONICLE_ADMIN_KEY to choose your own.\n"
    )
    print(message, file=sys.stderr, flush=True)  # noqa: T201 - shown to the operator once, by design
    log.warning("created the bootstrap admin key; it was printed once to stderr")


def _end_streams_on_exit_signal(service: EventService) -> None:
    """End live streams as soon as the server is told to stop.

    uvicorn waits for open responses before running the lifespan shutdown, and a stream never
    finishes by itself, so streams must be ended when the signal arrives.
    """
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(sig)
        if not callable(previous):
            continue

        def handler(signum: int, frame: FrameType | None, previous: Any = previous) -> None:
            service.bus.end_streams()
            previous(signum, frame)

        try:
            signal.signal(sig, handler)
        except ValueError:  # not the main thread (e.g. under a test client)
            return
