"""OpenAPI docs, health and readiness."""

from __future__ import annotations


async def test_openapi_describes_every_native_route(app_client):
    spec = (await app_client.get("/openapi.json")).json()
    paths = set(spec["paths"])
    assert {
        "/api/v1/events",
        "/api/v1/events/{event_id}",
        "/api/v1/events/aggregate",
        "/api/v1/events/correlation/{correlation_id}",
        "/api/v1/events/resource/{resource_type}/{resource_id}",
        "/api/v1/events/stats/by-actor",
        "/api/v1/events/stream",
        "/api/v1/keys",
        "/api/v1/keys/{key_id}",
        "/healthz",
        "/readyz",
    } <= paths
    assert "EventIn" in spec["components"]["schemas"]
    docs = await app_client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


async def test_health_and_readiness(app_client):
    assert (await app_client.get("/healthz")).json() == {"status": "ok"}
    ready = (await app_client.get("/readyz")).json()
    assert ready["status"] == "ok"
    assert ready["backend"] in ("sqlite", "postgres")
