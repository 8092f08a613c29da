from __future__ import annotations


async def test_create_then_get(app_client):
    r = await app_client.post("/api/v1/events", json={"eventType": "x"})
    assert r.status_code == 201, r.text
    got = await app_client.get(f"/api/v1/events/{r.json()['id']}")
    assert got.json()["eventType"] == "x"
