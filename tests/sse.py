"""A small SSE reader for tests: real sockets, frames parsed as the browser parses them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson


@dataclass
class Frame:
    """One dispatched SSE message, or a comment line."""

    id: str | None = None
    event: str | None = None
    data: str = ""
    retry: int | None = None
    comment: str | None = None

    def json(self) -> Any:
        return orjson.loads(self.data)


@dataclass
class Stream:
    """An open SSE response and its frames as they arrive."""

    response: httpx.Response
    frames: asyncio.Queue[Frame] = field(default_factory=asyncio.Queue)

    async def next(self, timeout: float = 5.0, *, comments: bool = False) -> Frame:
        while True:
            frame = await asyncio.wait_for(self.frames.get(), timeout)
            if comments or frame.comment is None:
                return frame

    async def events(self, count: int, timeout: float = 10.0) -> list[Frame]:
        found = []
        while len(found) < count:
            frame = await self.next(timeout)
            if frame.data:
                found.append(frame)
        return found


async def parse(lines: AsyncIterator[str]) -> AsyncIterator[Frame]:
    current = Frame()
    data: list[str] = []
    async for line in lines:
        if line == "":
            if data or current.id is not None or current.event is not None or current.retry is not None:
                current.data = "\n".join(data)
                yield current
            current, data = Frame(), []
        elif line.startswith(":"):
            yield Frame(comment=line[1:].strip())
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                data.append(value)
            elif name == "id":
                current.id = value
            elif name == "event":
                current.event = value
            elif name == "retry":
                current.retry = int(value)


class open_stream:
    """Open an SSE stream on a real server and collect its frames in the background."""

    def __init__(
        self, url: str, *, headers: dict[str, str] | None = None, params: dict[str, Any] | None = None
    ) -> None:
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(30.0, read=None))
        self.url, self.headers, self.params = url, headers or {}, params or {}

    async def __aenter__(self) -> Stream:
        request = self.client.build_request("GET", self.url, headers=self.headers, params=self.params)
        response = await self.client.send(request, stream=True)
        self.stream = Stream(response)
        self.task = asyncio.create_task(self._pump())
        return self.stream

    async def _pump(self) -> None:
        async for frame in parse(self.stream.response.aiter_lines()):
            await self.stream.frames.put(frame)

    async def __aexit__(self, *exc: object) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.stream.response.aclose()
        await self.client.aclose()
