"""Creating events through the native API: single, batch, retries, defaults."""

from __future__ import annotations

import re

from tests.helpers import all_events

RFC3339_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


async def test_create_returns_the_stored_canonical_event(app_client):
    response = await app_client.post(
        "/api/v1/events",
        json={
            "eventType": "deploy.completed",
            "tags": ["scales:large", "env"],
            "payload": {"build": 17},
            "actorId": "u-1",
            "actorType": "user",
            "resourceType": "service",
            "resourceId": "api",
            "correlationId": "run-1",
            "causationId": "e-0",
            "parentIds": ["p-1"],
            "metadata": {"region": "eu", "attempt": 2, "canary": False},
            "occurredAt": "2026-01-02T03:04:05.678+01:00",
        },
    )
    assert response.status_code == 201
    event = response.json()
    assert event["eventType"] == "deploy.completed"
    assert event["tags"] == ["scales", "scales:large", "env"]
    assert event["outcome"] == "success"
    assert event["occurredAt"] == "2026-01-02T02:04:05.678Z"
    assert RFC3339_MS.match(event["receivedAt"])
    assert event["tenantId"] == "default"
    assert event["source"] == "native"
    assert event["metadata"] == {"region": "eu", "attempt": 2, "canary": False}
    assert event["parentIds"] == ["p-1"]
    assert isinstance(event["seq"], int)
    assert event["seq"] >= 1
    assert len(event["id"]) == 36


async def test_defaults_fill_an_empty_event(app_client):
    event = (await app_client.post("/api/v1/events", json={})).json()
    assert event["eventType"] == "event"
    assert event["value"] == ""
    assert event["payload"] is None
    assert event["tags"] == []
    assert event["outcome"] is None
    assert event["occurredAt"] == event["receivedAt"]


async def test_outcome_is_derived_from_the_last_segment_unless_given(app_client):
    cases = {
        "job.failed": "failure",
        "job.error": "failure",
        "job.succeeded": "success",
        "job.started": None,
        "failed.started": None,
    }
    for event_type, expected in cases.items():
        event = (await app_client.post("/api/v1/events", json={"eventType": event_type})).json()
        assert event["outcome"] == expected, event_type
    given = await app_client.post("/api/v1/events", json={"eventType": "job.failed", "outcome": "success"})
    assert given.json()["outcome"] == "success"


async def test_resending_an_id_returns_the_stored_event_unchanged(app_client):
    first = await app_client.post("/api/v1/events", json={"id": "evt-1", "eventType": "a"})
    again = await app_client.post("/api/v1/events", json={"id": "evt-1", "eventType": "b"})
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert len(await all_events(app_client)) == 1


async def test_batch_creates_all_in_order(app_client):
    batch = [{"id": f"b-{i}", "eventType": "batch"} for i in range(1000)]
    response = await app_client.post("/api/v1/events", json=batch)
    assert response.status_code == 201
    events = response.json()["events"]
    assert [e["id"] for e in events] == [f"b-{i}" for i in range(1000)]
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == 1000
    listing = await app_client.get("/api/v1/events", params={"event_type": "batch", "limit": 1})
    assert listing.json()["total"] == 1000


async def test_batch_with_an_existing_id_returns_it_and_creates_the_rest(app_client):
    await app_client.post("/api/v1/events", json={"id": "x", "eventType": "old"})
    response = await app_client.post("/api/v1/events", json=[{"id": "x", "eventType": "new"}, {"id": "y"}])
    assert response.status_code == 201
    assert [e["eventType"] for e in response.json()["events"]] == ["old", "event"]


async def test_a_batch_with_one_invalid_event_writes_nothing(app_client):
    batch = [{"eventType": "ok"}] * 5 + [{"eventType": 7}]
    response = await app_client.post("/api/v1/events", json=batch)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", 5, "eventType"]
    assert await all_events(app_client) == []


async def test_batch_limits_are_enforced(app_client):
    too_many = await app_client.post("/api/v1/events", json=[{}] * 1001)
    assert too_many.status_code == 422
    empty = await app_client.post("/api/v1/events", json=[])
    assert empty.status_code == 422
    duplicated = await app_client.post("/api/v1/events", json=[{"id": "d"}, {"id": "d"}])
    assert duplicated.status_code == 422
    assert await all_events(app_client) == []


async def test_concurrent_single_writes_all_commit_with_distinct_seqs(app_client):
    import asyncio

    responses = await asyncio.gather(
        *(app_client.post("/api/v1/events", json={"id": f"c-{i}"}) for i in range(200))
    )
    assert all(r.status_code == 201 for r in responses)
    seqs = {r.json()["seq"] for r in responses}
    assert len(seqs) == 200
    assert len(await all_events(app_client)) == 200
