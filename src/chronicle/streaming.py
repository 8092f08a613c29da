"""Server-Sent Events: framing, resume positions, heartbeats and coalesced writes.

An idle stream costs what its suspended call stack and objects hold, times every subscriber, so
a stream is written by the request's own task after the framework's call chain has returned
(``StreamHandoff``), and it learns of a disconnect from one small waiting task rather than from
Starlette's task group per response (issue #8: under 20 KiB per idle subscriber).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chronicle.live import LiveEvent
from chronicle.service import Tick

log = logging.getLogger("chronicle.streaming")

HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Connection": "keep-alive"}
MEDIA_TYPE = "text/event-stream"
HEARTBEAT = b": heartbeat\n\n"

_HANDOFF = "chronicle.stream_handoff"


def frame(data: bytes, *, seq: int | None = None, event: str | None = None) -> bytes:
    """One SSE frame. ``data`` is single-line JSON, so it needs no splitting."""
    head = b""
    if event is not None:
        head += b"event: " + event.encode() + b"\n"
    if seq is not None:
        head += b"id: " + str(seq).encode() + b"\n"
    return head + b"data: " + data + b"\n\n"


def resume_position(last_event_id: str | None, since: int | None) -> int | None:
    """Where a stream resumes: ``Last-Event-ID`` (what ``EventSource`` sends) wins over ``since``.

    Raises:
        ValueError: a ``Last-Event-ID`` that is not a seq this server sent.
    """
    if last_event_id is not None and last_event_id.strip():
        value = int(last_event_id.strip())
        if value < 0:
            raise ValueError("Last-Event-ID must be a non-negative integer")
        return value
    return since


class EventStreamResponse(Response):
    """A live stream: a ``retry:`` hint, then each tick's frames in one write, or a heartbeat.

    Writing a subscriber's pending frames together is what keeps fan-out cheap at high
    subscriber counts (see PERFORMANCE.md); ``render`` returns cached bytes per shape.
    """

    media_type = MEDIA_TYPE

    def __init__(
        self, ticks: AsyncIterator[Tick], render: Callable[[LiveEvent], bytes], *, retry_ms: int
    ) -> None:
        self.status_code = 200
        self.background = None
        # The header tuples are built once and shared; the list is the response's own, since
        # ``Response.headers`` edits it in place.
        self.raw_headers = list(_RAW_HEADERS)
        self._ticks = ticks
        self._render = render
        self._retry = b"retry: " + str(retry_ms).encode() + b"\n\n"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handoff: Callable[[EventStreamResponse], None] | None = scope.get(_HANDOFF)
        if handoff is not None:
            handoff(self)
        else:
            await self.stream(receive, send)

    async def stream(self, receive: Receive, send: Send) -> None:
        """Write the stream until it ends (revocation, shutdown) or the client goes away."""
        task = asyncio.current_task()
        if task is None:  # pragma: no cover - ASGI servers run each request in a task
            raise RuntimeError("an event stream must run in a task")
        watch = _DisconnectWatch(task, receive)
        try:
            await send(
                {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
            )
            await send({"type": "http.response.body", "body": self._retry, "more_body": True})
            render = self._render
            async for tick in self._ticks:
                body = b"".join([render(item) for item in tick.events]) if tick.events else HEARTBEAT
                await send({"type": "http.response.body", "body": body, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            # Ours (the client left) ends the stream quietly; any other cancellation goes on.
            if not watch.fired or task.uncancel() > 0:
                raise
        except OSError:
            pass  # how ASGI 2.4 servers report a write to a closed connection
        finally:
            watch.stop()
            aclose = getattr(self._ticks, "aclose", None)
            if aclose is not None:
                await aclose()
        if self.background is not None:
            await self.background()


class _DisconnectWatch:
    """Waits for the client to go away, then cancels the stream's task to end it at once.

    Without it, an idle stream would notice a closed connection only at its next write (the
    next heartbeat); ``receive`` is the one place an ASGI server reports a disconnect.
    """

    __slots__ = ("_stopped", "_task", "_waiter", "fired")

    def __init__(self, task: asyncio.Task[object], receive: Receive) -> None:
        self._task = task
        self._stopped = False
        self.fired = False
        self._waiter = asyncio.ensure_future(_until_disconnect(receive))
        self._waiter.add_done_callback(self._done)

    def _done(self, waiter: asyncio.Future[None]) -> None:
        if waiter.cancelled():
            return
        exc = waiter.exception()
        # The callback may already be queued when the stream ends by itself; then the task
        # has moved on and must not be cancelled.
        if self._stopped:
            return
        if exc is not None:
            # A stream that cannot tell when its client leaves must not outlive it unnoticed.
            log.warning("cannot watch a stream for a disconnect (%r); ending the stream", exc)
        self.fired = True
        self._task.cancel()

    def stop(self) -> None:
        self._stopped = True
        self._waiter.cancel()


async def _until_disconnect(receive: Receive) -> None:
    message: Message = await receive()
    while message["type"] != "http.disconnect":
        message = await receive()


class StreamHandoff:
    """ASGI middleware that writes an ``EventStreamResponse`` once the app below has returned.

    Routing, dependencies and exception handling stay as they are for a stream's request, but
    their frames, request objects and exit stacks are released before the stream starts,
    instead of being held for as long as the client stays connected. So a dependency with
    ``yield`` on a stream route would exit before the stream begins; the stream routes have none.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        handed: list[EventStreamResponse] = []
        scope[_HANDOFF] = handed.append
        await self.app(scope, receive, send)
        if not handed:
            return
        # The scope lives as long as the connection; FastAPI leaves its request's exit stacks
        # in it, closed by now.
        for key in [key for key, value in scope.items() if isinstance(value, AsyncExitStack)]:
            del scope[key]
        del scope[_HANDOFF]
        await handed.pop().stream(receive, send)


def sse_response(
    ticks: AsyncIterator[Tick], render: Callable[[LiveEvent], bytes], *, retry_ms: int
) -> EventStreamResponse:
    """The HTTP response of a live stream (see ``EventStreamResponse``)."""
    return EventStreamResponse(ticks, render, retry_ms=retry_ms)


_RAW_HEADERS = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in HEADERS.items()]
_RAW_HEADERS.append((b"content-type", f"{MEDIA_TYPE}; charset=utf-8".encode("latin-1")))
