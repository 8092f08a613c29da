"""A minimal HTTP/1.1 keep-alive client over asyncio streams: cheap enough not to be the bottleneck."""

from __future__ import annotations

import asyncio
import contextlib

from bench.util import HOST


class Connection:
    """One persistent connection; requests on it are sequential."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, headers: bytes) -> None:
        self._reader = reader
        self._writer = writer
        self._headers = headers

    @classmethod
    async def open(cls, port: int, key: str | None = None) -> Connection:
        """Connect to the server on ``port``; ``key`` is sent as a bearer token."""
        reader, writer = await asyncio.open_connection(HOST, port, limit=1 << 22)
        headers = f"Host: {HOST}:{port}\r\n".encode()
        if key:
            headers += f"Authorization: Bearer {key}\r\n".encode()
        return cls(reader, writer, headers)

    async def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        """Send a request and read the whole response: ``(status, body)``."""
        head = f"{method} {path} HTTP/1.1\r\n".encode() + self._headers
        if body is not None:
            head += b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n"
        self._writer.write(head + b"\r\n" + (body or b""))
        return await self._response()

    async def _response(self) -> tuple[int, bytes]:
        raw = await self._reader.readuntil(b"\r\n\r\n")
        status = int(raw[9:12])
        length = None
        chunked = False
        for line in raw.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            lowered = name.strip().lower()
            if lowered == b"content-length":
                length = int(value)
            elif lowered == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            return status, await self._chunks()
        return status, await self._reader.readexactly(length or 0)

    async def _chunks(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self._reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self._reader.readexactly(size))
            await self._reader.readexactly(2)

    async def close(self) -> None:
        """Close the connection."""
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()
