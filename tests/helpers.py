"""Small helpers the tests share."""

from __future__ import annotations

from typing import Any

import httpx


async def make_key(client: httpx.AsyncClient, tenant: str, *scopes: str, name: str = "test") -> str:
    """Create a key through the keys API (the client must carry the admin key)."""
    response = await client.post(
        "/api/v1/keys", json={"name": name, "tenantId": tenant, "scopes": list(scopes)}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


async def post_events(client: httpx.AsyncClient, *events: dict[str, Any]) -> list[dict[str, Any]]:
    """Create events one by one; returns the stored events."""
    stored = []
    for event in events:
        response = await client.post("/api/v1/events", json=event)
        assert response.status_code in (200, 201), response.text
        stored.append(response.json())
    return stored


async def all_events(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    """Every event of a native listing, following nextCursor."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": 100, **({"cursor": cursor} if cursor else {})}
        body = (await client.get("/api/v1/events", params=query)).json()
        found.extend(body["events"])
        cursor = body["nextCursor"]
        if not cursor:
            return found
