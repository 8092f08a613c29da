"""``EventStreamResponse`` at the ASGI level, written in place (without ``StreamHandoff``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from chronicle import streaming
from chronicle.service import Tick


class Client:
    """An ASGI server's side of one request: records what is sent; ``leave()`` disconnects."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.wrote = asyncio.Event()
        self.gone = asyncio.Event()
        self._request_read = False

    async def receive(self) -> dict[str, Any]:
        if not self._request_read:
            self._request_read = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)
        self.wrote.set()

    async def wait_for_writes(self, count: int) -> None:
        async with asyncio.timeout(2):
            while len(self.sent) < count:
                self.wrote.clear()
                await self.wrote.wait()


def idle_ticks(closed: list[bool]) -> AsyncIterator[Tick]:
    async def ticks() -> AsyncIterator[Tick]:
        try:
            yield Tick([], 0)
            await asyncio.Event().wait()  # no event ever comes
        finally:
            closed.append(True)

    return ticks()


def _start(client: Client, closed: list[bool]) -> asyncio.Task[None]:
    response = streaming.sse_response(idle_ticks(closed), lambda item: b"", retry_ms=1500)
    return asyncio.create_task(response({"type": "http"}, client.receive, client.send))


async def test_an_idle_stream_ends_as_soon_as_its_client_disconnects():
    client, closed = Client(), []
    task = _start(client, closed)
    await client.wait_for_writes(3)
    assert client.sent[0]["type"] == "http.response.start"
    assert [m["body"] for m in client.sent[1:]] == [b"retry: 1500\n\n", streaming.HEARTBEAT]

    client.gone.set()
    async with asyncio.timeout(1):
        await task  # returns normally: the disconnect is not an error
    assert closed == [True]
    # The stream's own cancellation is withdrawn, so the request task can go on awaiting.
    assert not task.cancelled()
    assert task.cancelling() == 0


async def test_a_stream_cancelled_from_outside_stays_cancelled():
    client, closed = Client(), []
    task = _start(client, closed)
    await client.wait_for_writes(3)

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert closed == [True]
