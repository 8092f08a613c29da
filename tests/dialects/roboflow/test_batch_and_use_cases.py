"""POST /vision-events/batch and the use-case endpoints."""

from __future__ import annotations

import httpx

from chronicle.settings import Settings
from tests.conftest import client_for
from tests.dialects.roboflow.helpers import event, make_key, native_events


async def test_batch_creates_every_event_with_warnings_indexed(app_client: httpx.AsyncClient) -> None:
    events = [
        event("b1"),
        event("b2", eventType="custom", eventData={"value": "note"}, useCaseId="dock-2"),
        event("b3", eventType="operator_feedback", eventData={"relatedEventId": "b1"}),
    ]
    response = await app_client.post("/vision-events/batch", json={"events": events})
    assert response.status_code == 201
    assert response.json() == {
        "created": 3,
        "eventIds": ["b1", "b2", "b3"],
        "warnings": [
            {
                "type": "any.required",
                "path": "events.2.eventData.feedback",
                "value": None,
                "valueType": "object",
            }
        ],
    }
    listed = await native_events(app_client)
    assert sorted(e["id"] for e in listed) == ["b1", "b2", "b3"]
    assert {e["source"] for e in listed} == {"roboflow"}
    use_cases = (await app_client.get("/vision-events/use-cases")).json()["useCases"]
    assert sorted(u["id"] for u in use_cases) == ["dock-2", "line-1"]


async def test_batch_with_one_invalid_required_field_writes_nothing(app_client: httpx.AsyncClient) -> None:
    events = [event("ok-1"), event("ok-2"), event("bad", eventType="unknown")]
    response = await app_client.post("/vision-events/batch", json={"events": events})
    assert response.status_code == 400
    assert response.json() == {
        "error": "events.2.eventType must be one of "
        "[quality_check, inventory_count, safety_alert, custom, operator_feedback]"
    }
    cases = [
        ({"events": [event("ok"), "not an event"]}, "events.1 must be an object"),
        ({"events": [event("x", timestamp=...)]}, "events.0.timestamp is required"),
        (
            {"events": [event(f"e{i}") for i in range(101)]},
            "events must contain less than or equal to 100 items",
        ),
        ({"events": {"eventId": "x"}}, "events must be an array"),
        ({}, "events is required"),
        ([event("a")], "body must be a JSON object"),
        ({"events": [], "extra": 1}, "extra is not allowed"),
    ]
    for body, message in cases:
        response = await app_client.post("/vision-events/batch", json=body)
        assert (response.status_code, response.json()) == (400, {"error": message})
    assert await native_events(app_client) == []
    assert (await app_client.get("/vision-events/use-cases")).json() == {"useCases": []}


async def test_batch_duplicates_overwrite_like_consecutive_requests(app_client: httpx.AsyncClient) -> None:
    await app_client.post("/vision-events", json=event("d1", customMetadata={"v": 0}))
    events = [event("d1", customMetadata={"v": 1}), event("d2"), event("d1", customMetadata={"v": 2})]
    response = await app_client.post("/vision-events/batch", json={"events": events})
    assert response.status_code == 201
    assert response.json() == {"created": 2, "eventIds": ["d1", "d2"]}
    listed = {e["id"]: e["metadata"] for e in await native_events(app_client)}
    assert listed == {"d1": {"v": 2}, "d2": {"line": "A1", "operator": "John Doe", "temperature": 72.5}}
    empty = await app_client.post("/vision-events/batch", json={"events": []})
    assert (empty.status_code, empty.json()) == (201, {"created": 0, "eventIds": []})


async def test_batch_needs_a_write_scope(settings: Settings, app_client: httpx.AsyncClient) -> None:
    reader = await make_key(app_client, "acme", "vision-events:read")
    async with client_for(settings, key=reader) as client:
        response = await client.post("/vision-events/batch", json={"events": [event("x")]})
    assert (response.status_code, response.json()) == (
        403,
        {"error": "Insufficient permissions for this resource."},
    )


async def test_use_cases_are_created_listed_and_kept_per_tenant(
    settings: Settings, app_client: httpx.AsyncClient
) -> None:
    created = await app_client.post("/vision-events/use-cases", json={"name": "  Manufacturing Line 1 "})
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"id", "name"}
    assert body["name"] == "Manufacturing Line 1"
    assert len(body["id"]) == 8

    duplicate = await app_client.post("/vision-events/use-cases", json={"name": "Manufacturing Line 1"})
    assert (duplicate.status_code, duplicate.json()) == (
        400,
        {"error": "A solution with this name already exists"},
    )
    for bad, message in [
        ({}, "name is required"),
        ({"name": "   "}, "name is required"),
        ({"name": "n" * 257}, "name length must be less than or equal to 256 characters long"),
        (["x"], "name is required"),
    ]:
        response = await app_client.post("/vision-events/use-cases", json=bad)
        assert (response.status_code, response.json()) == (400, {"error": message})

    # An event naming the created use case's id files under it.
    await app_client.post("/vision-events", json=event("uc-ev", useCaseId=body["id"]))
    listed = (await app_client.get("/vision-events/use-cases")).json()["useCases"]
    assert [(u["id"], u["name"], u["status"], u["workspaceId"]) for u in listed] == [
        (body["id"], "Manufacturing Line 1", "active", "default")
    ]
    assert listed[0]["createdAt"].endswith("Z")
    assert (await app_client.get("/vision-events/use-cases?status=inactive")).json() == {"useCases": []}
    assert (await app_client.get("/vision-events/use-cases?status=gone")).status_code == 400

    other = await make_key(app_client, "acme", "vision-events:read", "vision-events:write")
    async with client_for(settings, key=other) as acme:
        assert (await acme.get("/vision-events/use-cases")).json() == {"useCases": []}
        again = await acme.post("/vision-events/use-cases", json={"name": "Manufacturing Line 1"})
        assert again.status_code == 201  # names are unique per workspace (tenant) only

    writer = await make_key(app_client, "acme", "vision-events:write")
    async with client_for(settings, key=writer) as write_only:
        response = await write_only.get("/vision-events/use-cases")
        assert (response.status_code, response.json()) == (
            403,
            {"error": "Insufficient permissions for this resource."},
        )
