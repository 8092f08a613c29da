"""POST /vision-events: the seed's example, auth, strict required fields, mapping, overwrite."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

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


async def test_api_key_query_parameter_authenticates(
    settings: Settings, app_client: httpx.AsyncClient
) -> None:
    secret = await make_key(app_client, "acme", "vision-events:write")
    async with client_for(settings, key=None) as anonymous:
        response = await anonymous.post(f"/vision-events?api_key={secret}", json=event("evt-q"))
    assert response.status_code == 201
    assert (await app_client.get("/api/v1/events/evt-q")).status_code == 404  # tenant acme, not default


async def test_device_update_scope_may_write(settings: Settings, app_client: httpx.AsyncClient) -> None:
    secret = await make_key(app_client, "acme", "device:update")
    async with client_for(settings, key=secret) as device:
        response = await device.post("/vision-events", json=event("evt-dev"))
    assert response.status_code == 201


@pytest.mark.parametrize("scopes", [("vision-events:read",), ("events:write", "events:read")])
async def test_key_without_a_write_scope_is_forbidden(
    settings: Settings, app_client: httpx.AsyncClient, scopes: tuple[str, ...]
) -> None:
    secret = await make_key(app_client, "acme", *scopes)
    async with client_for(settings, key=secret) as reader:
        response = await reader.post("/vision-events", json=event("evt-403"))
    assert response.status_code == 403
    assert response.json() == {"error": "Insufficient permissions for this resource."}


@pytest.mark.parametrize("key", [None, "not-a-key"])
async def test_missing_or_unknown_key_is_401(settings: Settings, key: str | None) -> None:
    async with client_for(settings, key=key) as client:
        response = await client.post("/vision-events", json=event("evt-401"))
        assert response.status_code == 401
        assert set(response.json()) == {"error"}
        assert response.json()["error"]
        response = await client.post("/vision-events?api_key=wrong", json=event("evt-401"))
        assert response.status_code == 401
    async with client_for(settings) as admin:
        assert await native_events(admin) == []


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
]


@pytest.mark.parametrize(("change", "message"), REQUIRED_FIELD_CASES)
async def test_required_fields_are_strictly_validated(
    app_client: httpx.AsyncClient, change: dict[str, Any], message: str
) -> None:
    response = await app_client.post("/vision-events", json=event("evt-bad", **change))
    assert response.status_code == 400
    assert response.json() == {"error": message}
    assert await native_events(app_client) == []


async def test_timestamps_just_inside_the_window_are_accepted(app_client: httpx.AsyncClient) -> None:
    early = await app_client.post("/vision-events", json=event("old", timestamp=iso(timedelta(days=-364))))
    late = await app_client.post("/vision-events", json=event("new", timestamp=iso(timedelta(hours=23))))
    assert (early.status_code, late.status_code) == (201, 201)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "Request body must be valid JSON"),
        (b"", "Request body must be valid JSON"),
        (b'[{"eventId": "a"}]', "body must be a JSON object"),
        (b'"text"', "body must be a JSON object"),
    ],
)
async def test_bodies_that_are_not_an_event_object_are_400(
    app_client: httpx.AsyncClient, content: bytes, message: str
) -> None:
    response = await app_client.post(
        "/vision-events", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"error": message}
    assert await native_events(app_client) == []


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


async def test_wrong_method_and_unknown_path_answer_in_the_roboflow_shape(
    app_client: httpx.AsyncClient,
) -> None:
    response = await app_client.get("/vision-events")
    assert response.status_code == 405
    assert set(response.json()) == {"error"}
    response = await app_client.get("/vision-events/custom-metadata-schema/line-1")
    assert response.status_code == 404
    assert set(response.json()) == {"error"}
