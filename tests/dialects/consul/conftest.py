"""Helpers shared by the Consul dialect tests: keys, clients and a native read-back."""

from __future__ import annotations

import httpx
import pytest


async def make_key(admin: httpx.AsyncClient, tenant: str, scopes: list[str]) -> str:
    """A new key's secret for ``tenant`` with ``scopes``, created through the native API."""
    r = await admin.post("/api/v1/keys", json={"name": f"{tenant}-key", "tenantId": tenant, "scopes": scopes})
    assert r.status_code == 201, r.text
    return str(r.json()["key"])


async def native_events(client: httpx.AsyncClient, **params: str) -> list[dict]:
    """Every event the client's tenant sees in the native list (newest first)."""
    r = await client.get("/api/v1/events", params=params)
    assert r.status_code == 200, r.text
    return list(r.json()["events"])


@pytest.fixture
def consul_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """py-consul reads CONSUL_HTTP_TOKEN (and it wins over ``token=``): make sure it is unset."""
    for name in ("CONSUL_HTTP_TOKEN", "CONSUL_HTTP_ADDR", "CONSUL_HTTP_SSL", "CONSUL_HTTP_SSL_VERIFY"):
        monkeypatch.delenv(name, raising=False)
