"""POST /vision-events: the seed's example, auth, strict required fields, mapping, overwrite."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from chronicle.settings import Settings
from tests.conftest import client_for
from tests.dialects.roboflow.helpers import event, iso, make_key, native_events

SEED_EXAMPLE = {
    "eventId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "eventType": "quality_check",
    "useCaseId": "a1b3c8e1",
    "timestamp": "2024-01-15T10:30:00Z",
    "eventData": {"result": "fail", "externalId": "batch-001"},
    "customMetadata": {"line": "A1", "operator": "John Doe", "temperature": 72.5},
}


def seed_example() -> dict[str, Any]:
    # The seed's timestamp is older than a year now; the rule "between one year ago and
    # tomorrow" applies, so the example is sent with a current time.
    return {**SEED_EXAMPLE, "timestamp": iso()}


async def test_seed_example_is_created_and_answered_exactly(app_client: httpx.AsyncClient) -> None:
    response = await app_client.post("/vision-events", json=seed_example())
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"eventId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "created": True}


async def test_created_event_maps_onto_the_canonical_event(app_client: httpx.AsyncClient) -> None:
    body = event(
        "evt-map",
        timestamp="2026-01-15T10:30:00.123456+00:00",
        deviceId="cam-7",
        streamId="rtsp-1",
        workflowId="wf-9",
        workflowVersion="3",
        images=[{"label": "inspection-photo", "sourceId": "img-1"}],
        displayImagePosition=0,
    )
    body["timestamp"] = iso(timedelta(minutes=-5))
    response = await app_client.post("/vision-events", json=body)
    assert response.status_code == 201, response.text

    stored = (await app_client.get("/api/v1/events/evt-map")).json()
    assert stored["id"] == "evt-map"
    assert stored["eventType"] == "quality_check"
    assert stored["correlationId"] == "line-1"
    assert stored["actorId"] == "cam-7"
    assert stored["actorType"] == "device"
    assert stored["source"] == "roboflow"
    assert stored["outcome"] == "failure"
    assert stored["metadata"] == {"line": "A1", "operator": "John Doe", "temperature": 72.5}
    assert stored["attributes"] == {
        "streamId": "rtsp-1",
        "workflowId": "wf-9",
        "workflowVersion": "3",
        "externalId": "batch-001",
    }
    assert stored["payload"] == {
        "eventData": {"result": "fail", "externalId": "batch-001"},
        "images": [{"label": "inspection-photo", "sourceId": "img-1"}],
        "displayImagePosition": 0,
        "streamId": "rtsp-1",
        "workflowId": "wf-9",
        "workflowVersion": "3",
    }


async def test_python_isoformat_timestamp_is_kept_to_the_millisecond(app_client: httpx.AsyncClient) -> None:
    stamp = iso(timedelta(hours=-1))  # e.g. 2026-...T10:30:00.123456+00:00
    await app_client.post("/vision-events", json=event("evt-time", timestamp=stamp))
    stored = (await app_client.get("/api/v1/events/evt-time")).json()
    assert stored["occurredAt"][:23] == stamp[:23]
    assert stored["occurredAt"].endswith("Z")


async def test_keys_and_scopes_decide_who_may_write(
    settings: Settings, app_client: httpx.AsyncClient
) -> None:
    writer = await make_key(app_client, "acme", "vision-events:write")
    device = await make_key(app_client, "acme", "device:update")
    reader = await make_key(app_client, "acme", "vision-events:read")
    native_writer = await make_key(app_client, "acme", "events:write", "events:read")
    async with client_for(settings, key=None) as anonymous:
        # ?api_key= authenticates, as on Roboflow's other endpoints.
        response = await anonymous.post(f"/vision-events?api_key={writer}", json=event("evt-q"))
        assert response.status_code == 201
        for url in ("/vision-events", "/vision-events?api_key=wrong"):
            response = await anonymous.post(url, json=event("evt-401"))
            assert response.status_code == 401
            assert set(response.json()) == {"error"}
            assert response.json()["error"]
    async with client_for(settings, key="not-a-key") as unknown:
        response = await unknown.post("/vision-events", json=event("evt-401"))
        assert (response.status_code, set(response.json())) == (401, {"error"})
    async with client_for(settings, key=device) as client:
        assert (await client.post("/vision-events", json=event("evt-dev"))).status_code == 201
    for secret in (reader, native_writer):
        async with client_for(settings, key=secret) as client:
            response = await client.post("/vision-events", json=event("evt-403"))
            assert response.status_code == 403
            assert response.json() == {"error": "Insufficient permissions for this resource."}
    async with client_for(settings, key=native_writer) as acme:
        assert sorted(e["id"] for e in await native_events(acme)) == ["evt-dev", "evt-q"]
    assert await native_events(app_client) == []  # written in tenant acme, not default


REQUIRED_FIELD_CASES = [
    ({"eventId": ...}, "eventId is required"),
    ({"eventId": 42}, "eventId must be a string"),
    ({"eventId": ""}, "eventId is not allowed to be empty"),
    ({"eventId": "x" * 257}, "eventId length must be less than or equal to 256 characters long"),
    ({"eventType": ...}, "eventType is required"),
    (
        {"eventType": "intrusion"},
        "eventType must be one of [quality_check, inventory_count, safety_alert, custom, operator_feedback]",
    ),
    ({"useCaseId": ...}, "useCaseId is required"),
    ({"useCaseId": "u" * 257}, "useCaseId length must be less than or equal to 256 characters long"),
    ({"useCaseId": ["a"]}, "useCaseId must be a string"),
    ({"timestamp": ...}, "timestamp is required"),
    ({"timestamp": "yesterday"}, "timestamp must be a valid ISO 8601 date"),
    ({"timestamp": 1700000000}, "timestamp must be a valid ISO 8601 date"),
    ({"timestamp": iso(timedelta(days=-366))}, "timestamp must be between one year ago and tomorrow"),
    ({"timestamp": iso(timedelta(days=2))}, "timestamp must be between one year ago and tomorrow"),
    ({"eventId": ..., "eventType": ...}, "eventId is required"),  # the first problem is named
]


async def test_required_fields_are_strictly_validated(app_client: httpx.AsyncClient) -> None:
    for change, message in REQUIRED_FIELD_CASES:
        response = await app_client.post("/vision-events", json=event("evt-bad", **change))
        assert response.status_code == 400, message
        assert response.json() == {"error": message}
    assert await native_events(app_client) == []
    assert (await app_client.get("/vision-events/use-cases")).json() == {"useCases": []}
    early = await app_client.post("/vision-events", json=event("old", timestamp=iso(timedelta(days=-364))))
    late = await app_client.post("/vision-events", json=event("new", timestamp=iso(timedelta(hours=23))))
    assert (early.status_code, late.status_code) == (201, 201)


async def test_bodies_that_are_not_an_event_object_and_unknown_routes_are_errors(
    app_client: httpx.AsyncClient,
) -> None:
    cases = [
        (b"{not json", "Request body must be valid JSON"),
        (b"", "Request body must be valid JSON"),
        (b'[{"eventId": "a"}]', "body must be a JSON object"),
        (b'"text"', "body must be a JSON object"),
    ]
    for content, message in cases:
        response = await app_client.post(
            "/vision-events", content=content, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400, content
        assert response.json() == {"error": message}
    assert await native_events(app_client) == []
    response = await app_client.get("/vision-events")
    assert (response.status_code, set(response.json())) == (405, {"error"})
    response = await app_client.get("/vision-events/custom-metadata-schema/line-1")  # not implemented
    assert (response.status_code, set(response.json())) == (404, {"error"})


async def test_ten_megabytes_of_custom_metadata_is_413_and_nothing_is_written(
    app_client: httpx.AsyncClient,
) -> None:
    body = event("evt-huge", customMetadata={f"k{i}": "x" * 1000 for i in range(10_500)})
    response = await app_client.post("/vision-events", json=body)
    assert response.status_code == 413
    assert set(response.json()) == {"error"}
    assert await native_events(app_client) == []


async def test_duplicate_event_id_overwrites_the_earlier_event(app_client: httpx.AsyncClient) -> None:
    first = await app_client.post("/vision-events", json=event("evt-dup", customMetadata={"run": 1}))
    second = await app_client.post(
        "/vision-events",
        json=event(
            "evt-dup",
            eventType="safety_alert",
            eventData={"severity": "high", "alertType": "no_hardhat"},
            customMetadata={"run": 2},
        ),
    )
    assert first.json() == second.json() == {"eventId": "evt-dup", "created": True}
    assert (first.status_code, second.status_code) == (201, 201)

    listed = await native_events(app_client)
    assert [e["id"] for e in listed] == ["evt-dup"]
    assert listed[0]["eventType"] == "safety_alert"
    assert listed[0]["metadata"] == {"run": 2}
    assert listed[0]["payload"]["eventData"] == {"severity": "high", "alertType": "no_hardhat"}
    assert listed[0]["outcome"] is None
    assert listed[0]["seq"] > 1  # the overwrite has a new seq


async def test_events_are_isolated_by_tenant(settings: Settings, app_client: httpx.AsyncClient) -> None:
    acme = await make_key(app_client, "acme", "vision-events:write", "vision-events:read", "events:read")
    globex = await make_key(app_client, "globex", "vision-events:write", "vision-events:read", "events:read")
    async with client_for(settings, key=acme) as a, client_for(settings, key=globex) as g:
        assert (
            await a.post("/vision-events", json=event("shared-id", customMetadata={"who": "a"}))
        ).status_code == 201
        assert (
            await g.post("/vision-events", json=event("shared-id", customMetadata={"who": "g"}))
        ).status_code == 201
        assert [e["metadata"] for e in await native_events(a)] == [{"who": "a"}]
        assert [e["metadata"] for e in await native_events(g)] == [{"who": "g"}]
        found = await g.post("/vision-events/query", json={"useCaseId": "line-1"})
        assert [e["customMetadata"] for e in found.json()["events"]] == [{"who": "g"}]
    assert await native_events(app_client) == []


async def test_unknown_use_case_is_created_by_the_event(app_client: httpx.AsyncClient) -> None:
    await app_client.post("/vision-events", json=event("evt-uc", useCaseId="dock-4"))
    listed = (await app_client.get("/vision-events/use-cases")).json()["useCases"]
    assert [(u["id"], u["name"], u["status"]) for u in listed] == [("dock-4", "dock-4", "active")]
