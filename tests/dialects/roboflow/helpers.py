"""Shared helpers for the Roboflow dialect tests."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx


def iso(delta: timedelta = timedelta(0)) -> str:
    """A recent time (now + delta), as a Python client's isoformat() writes it."""
    return (datetime.now(UTC) + delta).isoformat()


def event(event_id: str = "evt-1", **fields: Any) -> dict[str, Any]:
    """A valid quality_check event, with fields replaced or added."""
    body: dict[str, Any] = {
        "eventId": event_id,
        "eventType": "quality_check",
        "useCaseId": "line-1",
        "timestamp": iso(),
        "eventData": {"result": "fail", "externalId": "batch-001"},
        "customMetadata": {"line": "A1", "operator": "John Doe", "temperature": 72.5},
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not ...}


async def make_key(client: httpx.AsyncClient, tenant: str, *scopes: str) -> str:
    """A new key secret for ``tenant`` with ``scopes``, made through the native keys API."""
    response = await client.post(
        "/api/v1/keys", json={"name": f"{tenant}-key", "tenantId": tenant, "scopes": list(scopes)}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


async def native_events(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    """Every event the native list shows the client's tenant (newest first)."""
    response = await client.get("/api/v1/events", params=params)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def tiny_png(width: int = 2, height: int = 1) -> bytes:
    """A real, valid RGB PNG made from scratch."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
