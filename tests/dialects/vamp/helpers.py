"""Helpers shared by the Vamp dialect tests."""

from __future__ import annotations

from typing import Any

import httpx

EVENTS = "/vamp/api/v1/events"
YAML = "application/x-yaml"


async def native_events(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    """Every event of the client's tenant, through the native API (newest first)."""
    response = await client.get("/api/v1/events", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return list(response.json()["events"])


async def new_key(admin: httpx.AsyncClient, tenant: str, *scopes: str) -> str:
    """A fresh key of ``tenant`` with ``scopes``, made through the native keys API."""
    response = await admin.post(
        "/api/v1/keys", json={"name": f"{tenant}-key", "tenantId": tenant, "scopes": list(scopes)}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["key"])
