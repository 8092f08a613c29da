"""Keys, scopes and tenants: every endpoint sees only its key's tenant."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.conftest import client_for
from tests.helpers import make_key


async def test_requests_without_a_key_or_with_a_bad_key_are_401(app_client, settings):
    async with client_for(settings, key=None) as anonymous:
        assert (await anonymous.get("/api/v1/events")).status_code == 401
    async with client_for(settings, key="chr_not_a_key") as wrong:
        response = await wrong.get("/api/v1/events")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"


async def test_key_is_accepted_as_bearer_header_and_cookie(app_client, settings):
    secret = await make_key(app_client, "t1", "events:read")
    async with client_for(settings, key=None) as c:
        assert (
            await c.get("/api/v1/events", headers={"Authorization": f"Bearer {secret}"})
        ).status_code == 200
        assert (await c.get("/api/v1/events", headers={"X-API-Key": secret})).status_code == 200
        c.cookies.set("vai_token", secret)
        assert (await c.get("/api/v1/events")).status_code == 200


async def test_a_key_without_the_scope_is_403(app_client, settings):
    reader = await make_key(app_client, "t1", "events:read")
    async with client_for(settings, key=reader) as c:
        assert (await c.post("/api/v1/events", json={})).status_code == 403
        assert (await c.get("/api/v1/keys")).status_code == 403
        assert (await c.get("/api/v1/events")).status_code == 200


async def test_tenants_never_see_each_other(app_client, settings):
    key_a = await make_key(app_client, "tenant-a", "events:read", "events:write")
    key_b = await make_key(app_client, "tenant-b", "events:read", "events:write")
    async with client_for(settings, key=key_a) as a, client_for(settings, key=key_b) as b:
        stored = (
            await a.post(
                "/api/v1/events",
                json={
                    "id": "shared-id",
                    "eventType": "t",
                    "actorId": "u",
                    "correlationId": "c",
                    "resourceType": "r",
                    "resourceId": "1",
                },
            )
        ).json()
        assert stored["tenantId"] == "tenant-a"
        # The same client id is free in another tenant.
        assert (await b.post("/api/v1/events", json={"id": "shared-id"})).status_code == 201
        assert (await b.get("/api/v1/events", params={"event_type": "t"})).json()["total"] == 0
        assert (await b.get("/api/v1/events/shared-id")).json()["tenantId"] == "tenant-b"
        assert (await b.get("/api/v1/events/correlation/c")).json()["total"] == 0
        assert (await b.get("/api/v1/events/resource/r/1")).json()["total"] == 0
        assert (await b.get("/api/v1/events/aggregate")).json()["total"] == 1
        assert (await b.get("/api/v1/events/stats/by-actor")).json()["actors"][0]["actorId"] is None
        assert (await a.get("/api/v1/events")).json()["total"] == 1


async def test_keys_api_creates_lists_and_revokes(app_client):
    created = await app_client.post(
        "/api/v1/keys", json={"name": "ci", "tenantId": "t9", "scopes": ["events:read"]}
    )
    assert created.status_code == 201
    body = created.json()
    assert set(body) >= {"id", "key", "name", "tenantId", "scopes", "createdAt"}
    listed = (await app_client.get("/api/v1/keys")).json()["keys"]
    assert any(k["id"] == body["id"] for k in listed)
    assert all("key" not in k for k in listed)
    as_key = {"Authorization": f"Bearer {body['key']}"}
    assert (await app_client.get("/api/v1/events", headers=as_key)).status_code == 200
    assert (await app_client.delete(f"/api/v1/keys/{body['id']}")).status_code == 204
    assert (await app_client.get("/api/v1/events", headers=as_key)).status_code == 401
    assert (await app_client.delete(f"/api/v1/keys/{body['id']}")).status_code == 404
    revoked = [k for k in (await app_client.get("/api/v1/keys")).json()["keys"] if k["id"] == body["id"]]
    assert revoked[0]["revokedAt"] is not None


async def test_a_revocation_reaches_another_process_within_seconds(app_client, settings):
    """Another process caches keys, but follows revocations through the store each second."""
    import asyncio
    import time

    secret = await make_key(app_client, "t1", "events:read")
    key_id = (await app_client.get("/api/v1/keys")).json()["keys"][0]["id"]
    async with client_for(settings, key=secret) as other_process:
        assert (await other_process.get("/api/v1/events")).status_code == 200
        assert (await app_client.delete(f"/api/v1/keys/{key_id}")).status_code == 204
        deadline = time.monotonic() + 5
        while (await other_process.get("/api/v1/events")).status_code == 200:
            assert time.monotonic() < deadline, "revocation never reached the other process"
            await asyncio.sleep(0.1)
        assert (await other_process.get("/api/v1/events")).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "tenantId": "t", "scopes": ["root"]},
        {"name": "x", "tenantId": "t", "scopes": []},
        {"name": "x", "scopes": ["events:read"]},
    ],
)
async def test_bad_key_requests_are_422(app_client, body):
    assert (await app_client.post("/api/v1/keys", json=body)).status_code == 422


async def test_anonymous_policy_gives_requests_without_a_key_a_tenant(app_client, settings):
    open_settings = replace(settings, anonymous_tenant="public", anonymous_scopes=("events:read",))
    async with client_for(open_settings, key=None) as anonymous:
        assert (await anonymous.get("/api/v1/events")).json()["total"] == 0
        assert (await anonymous.post("/api/v1/events", json={})).status_code == 403


async def test_stored_keys_are_hashes_not_secrets(app_client, database_url):
    secret = await make_key(app_client, "t1", "events:read")
    store = app_client.app.state.service.store  # type: ignore[attr-defined]
    rows = await store._fetch("SELECT secret_hash FROM api_keys", [])
    assert all(secret not in row[0] for row in rows)
    assert len(rows) == 2
