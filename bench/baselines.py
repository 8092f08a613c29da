"""Bare apps on the same server stack, measured in the same run as Chronicle.

Each is a uvicorn ``--factory`` target:

- ``starlette_post``: Starlette reading the raw body, ``orjson.loads``, storing nothing.
- ``fastapi_model``: FastAPI with the body declared as a pydantic v2 model (the usual FastAPI way).
- ``fastapi_raw``: FastAPI reading the raw body and validating with ``model_validate_json``.
- ``sse_broadcaster``: a bare Starlette SSE broadcaster fed from an asyncio queue. Each event is
  serialized and framed once; a subscriber's pending frames go out in one write (coalesced),
  as PERFORMANCE.md says fan-out must. It stores nothing and is not durable: the ceiling.

Every POST answers ``201`` with the event echoed (plus ``seq``), as Chronicle answers the stored event.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

Short = Annotated[str, Field(min_length=1, max_length=256)]


class EventIn(BaseModel):
    """The same fields and limits as the native API's event, without Chronicle's code."""

    model_config = ConfigDict(extra="forbid")

    id: Short | None = None
    eventType: Short = "event"
    tags: Annotated[list[Short], Field(max_length=100)] = []
    value: Annotated[str, Field(max_length=10_000)] = ""
    payload: Any = None
    occurredAt: Annotated[str, Field(max_length=64)] | None = None
    actorId: Short | None = None
    actorType: Short | None = None
    resourceType: Short | None = None
    resourceId: Short | None = None
    correlationId: Short | None = None
    causationId: Short | None = None
    parentIds: Annotated[list[Short], Field(max_length=100)] = []
    outcome: str | None = None
    metadata: Annotated[dict[str, str | bool | int | float], Field(max_length=100)] = {}


_seq = itertools.count(1)


def _json(body: Any, status: int = 201) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def starlette_post() -> Starlette:
    async def create(request: Request) -> Response:
        data = orjson.loads(await request.body())
        data["seq"] = next(_seq)
        return _json(data)

    return Starlette(routes=[Route("/api/v1/events", create, methods=["POST"]), _healthz()])


def fastapi_model() -> FastAPI:
    app = FastAPI()

    @app.post("/api/v1/events", status_code=201)
    async def create(event: EventIn) -> Response:
        return _echo(event)

    app.router.routes.append(_healthz())
    return app


def fastapi_raw() -> FastAPI:
    app = FastAPI()

    @app.post("/api/v1/events", status_code=201)
    async def create(request: Request) -> Response:
        return _echo(EventIn.model_validate_json(await request.body()))

    app.router.routes.append(_healthz())
    return app


def _echo(event: EventIn) -> Response:
    data = event.model_dump(exclude_none=True)
    data["seq"] = next(_seq)
    return _json(data)


def _healthz() -> Route:
    async def healthz(_: Request) -> Response:
        return _json({"status": "ok"}, 200)

    return Route("/healthz", healthz)


# -- SSE ---------------------------------------------------------------------------------


class _Subscriber:
    __slots__ = ("pending", "wake")

    def __init__(self) -> None:
        self.pending: list[bytes] = []
        self.wake = asyncio.Event()


class Broadcaster:
    """One queue in, every subscriber out; frames are built once and coalesced per subscriber."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.subscribers: set[_Subscriber] = set()
        self.closing = False

    async def run(self) -> None:
        while True:
            frames = [await self.queue.get()]
            while not self.queue.empty():
                frames.append(self.queue.get_nowait())
            self._deliver(b"".join(frames))

    async def heartbeat(self, every: float = 15.0) -> None:
        # One timer for all streams, rather than a timeout per stream per wait.
        while True:
            await asyncio.sleep(every)
            self._deliver(b": heartbeat\n\n")

    def _deliver(self, data: bytes) -> None:
        for sub in self.subscribers:
            sub.pending.append(data)
            sub.wake.set()

    async def stream(self) -> AsyncIterator[bytes]:
        sub = _Subscriber()
        self.subscribers.add(sub)
        try:
            yield b"retry: 3000\n\n"
            while not self.closing:
                await sub.wake.wait()
                sub.wake.clear()
                if sub.pending:
                    data = b"".join(sub.pending)
                    sub.pending.clear()
                    yield data
        finally:
            self.subscribers.discard(sub)


def sse_broadcaster() -> Starlette:
    hub = Broadcaster()

    async def create(request: Request) -> Response:
        data = orjson.loads(await request.body())
        seq = next(_seq)
        data["seq"] = seq
        data["receivedAt"] = time.time()
        encoded = orjson.dumps(data)
        hub.queue.put_nowait(b"id: %d\ndata: %s\n\n" % (seq, encoded))
        return Response(encoded, status_code=201, media_type="application/json")

    async def stream(_: Request) -> StreamingResponse:
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(hub.stream(), media_type="text/event-stream", headers=headers)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(hub.run()), asyncio.create_task(hub.heartbeat())]
        yield
        hub.closing = True
        for sub in hub.subscribers:
            sub.wake.set()
        for task in tasks:
            task.cancel()

    routes = [
        Route("/api/v1/events", create, methods=["POST"]),
        Route("/api/v1/events/stream", stream),
        _healthz(),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
