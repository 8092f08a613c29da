"""POST /vision-events/query: filters, typed custom metadata filters, cursor paging newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from chronicle.settings import Settings
from tests.conftest import client_for
from tests.dialects.roboflow.helpers import event, make_key

BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)


def at(minutes: int) -> str:
    return (BASE + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


FIXTURE_EVENTS = [
    event(
        "q1",
        timestamp=at(1),
        deviceId="cam-1",
        streamId="s-1",
        workflowId="wf-a",
        customMetadata={"temp": 60, "line": "A1", "night": False},
    ),
    event(
        "q2",
        timestamp=at(2),
        deviceId="cam-2",
        streamId="s-2",
        workflowId="wf-a",
        eventType="safety_alert",
        eventData={"severity": "high", "externalId": "alert-9"},
        customMetadata={"temp": 70, "line": "B2", "night": True},
    ),
    event(
        "q3",
        timestamp=at(3),
        deviceId="cam-1",
        workflowId="wf-b",
        eventType="inventory_count",
        eventData={"itemCount": 5, "externalId": "inv-1"},
        customMetadata={"temp": 80.5, "line": "A1"},
    ),
    event("q4", timestamp=at(4), eventType="custom", eventData={"value": "x"}, customMetadata={"temp": 90}),
    event("other", timestamp=at(5), useCaseId="line-2", customMetadata={"temp": 70}),
]


async def ids(client: httpx.AsyncClient, **query: Any) -> list[str]:
    response = await client.post("/vision-events/query", json={"useCaseId": "line-1", **query})
    assert response.status_code == 200, response.text
    return [e["eventId"] for e in response.json()["events"]]


async def seeded(client: httpx.AsyncClient) -> None:
    response = await client.post("/vision-events/batch", json={"events": FIXTURE_EVENTS})
    assert response.status_code == 201, response.text


def number(op: str, value: Any, kind: str | None = "number", field: str = "temp") -> dict[str, Any]:
    f = {"field": field, "operator": op, "value": value}
    return {"customMetadataFilters": [f if kind is None else {**f, "type": kind}]}


async def test_query_filters_by_use_case_type_time_and_context(app_client: httpx.AsyncClient) -> None:
    await seeded(app_client)
    assert await ids(app_client) == ["q4", "q3", "q2", "q1"]  # newest first, one use case only
    assert await ids(app_client, eventType="safety_alert") == ["q2"]
    assert await ids(app_client, eventTypes=["quality_check", "custom"]) == ["q4", "q1"]
    assert await ids(app_client, startTime=at(2), endTime=at(3)) == ["q3", "q2"]  # both inclusive
    assert await ids(app_client, startTime=at(4)) == ["q4"]
    assert await ids(app_client, deviceId={"operator": "eq", "value": "cam-1"}) == ["q3", "q1"]
    assert await ids(app_client, deviceId={"operator": "neq", "value": "cam-1"}) == ["q4", "q2"]
    assert await ids(app_client, streamId={"operator": "eq", "value": "s-2"}) == ["q2"]
    assert await ids(app_client, streamId={"operator": "neq", "value": "s-2"}) == ["q4", "q3", "q1"]
    assert await ids(app_client, workflowId={"operator": "eq", "value": "wf-a"}) == ["q2", "q1"]
    assert await ids(app_client, workflowId={"operator": "neq", "value": "wf-a"}) == ["q4", "q3"]
    assert await ids(app_client, externalId={"operator": "eq", "value": "inv-1"}) == ["q3"]
    assert await ids(app_client, externalId={"operator": "neq", "value": "inv-1"}) == ["q4", "q2", "q1"]
    assert await ids(
        app_client,
        workflowId={"operator": "eq", "value": "wf-a"},
        deviceId={"operator": "eq", "value": "cam-1"},
    ) == ["q1"]
    assert await ids(app_client, useCaseId="line-2") == ["other"]
    assert await ids(app_client, useCaseId="nowhere") == []


async def test_custom_metadata_filters_compare_by_type(app_client: httpx.AsyncClient) -> None:
    await seeded(app_client)
    expected = {
        "eq": ["q2"],
        "neq": ["q4", "q3", "q1"],
        "gt": ["q4", "q3"],
        "gte": ["q4", "q3", "q2"],
        "lt": ["q1"],
        "lte": ["q2", "q1"],
    }
    for op, want in expected.items():
        assert await ids(app_client, **number(op, 70)) == want, op
    assert await ids(app_client, **number("gt", 80.4)) == ["q4", "q3"]
    assert await ids(app_client, **number("eq", "80.5")) == ["q3"]  # numeric text is read as a number
    assert await ids(app_client, **number("eq", 70, kind=None)) == ["q2"]  # type taken from the value
    assert await ids(app_client, **number("eq", "A1", "string", "line")) == ["q3", "q1"]
    assert await ids(app_client, **number("neq", "A1", "string", "line")) == ["q4", "q2"]
    assert await ids(app_client, **number("eq", "70", "string")) == []  # 70 is stored as a number
    assert await ids(app_client, **number("eq", True, "boolean", "night")) == ["q2"]
    assert await ids(app_client, **number("eq", False, "boolean", "night")) == ["q1"]
    assert await ids(app_client, **number("neq", True, "boolean", "night")) == ["q4", "q3", "q1"]
    assert await ids(app_client, **number("eq", "true", "boolean", "night")) == ["q2"]
    both = {
        "customMetadataFilters": [
            {"field": "temp", "operator": "gte", "value": 60, "type": "number"},
            {"field": "line", "operator": "eq", "value": "A1", "type": "string"},
        ]
    }
    assert await ids(app_client, **both) == ["q3", "q1"]


async def test_cursor_pages_newest_first_without_gaps(app_client: httpx.AsyncClient) -> None:
    await seeded(app_client)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        response = await app_client.post(
            "/vision-events/query", json={"useCaseId": "line-1", "limit": 3, "cursor": cursor}
        )
        body = response.json()
        assert set(body) == {"events", "nextCursor", "hasMore"}
        seen += [e["eventId"] for e in body["events"]]
        pages += 1
        if not body["hasMore"]:
            assert body["nextCursor"] is None
            break
        cursor = body["nextCursor"]
        assert isinstance(cursor, str)
    assert (seen, pages) == (["q4", "q3", "q2", "q1"], 2)
    # A filtered listing pages too.
    first = await app_client.post(
        "/vision-events/query",
        json={"useCaseId": "line-1", "limit": 1, "workflowId": {"operator": "eq", "value": "wf-a"}},
    )
    page = first.json()
    assert ([e["eventId"] for e in page["events"]], page["hasMore"]) == (["q2"], True)
    second = await app_client.post(
        "/vision-events/query",
        json={
            "useCaseId": "line-1",
            "limit": 1,
            "workflowId": {"operator": "eq", "value": "wf-a"},
            "cursor": page["nextCursor"],
        },
    )
    assert ([e["eventId"] for e in second.json()["events"]], second.json()["hasMore"]) == (["q1"], False)


async def test_returned_events_have_the_created_shape_whichever_api_wrote_them(
    app_client: httpx.AsyncClient,
) -> None:
    images = [{"sourceId": "s", "classifications": [{"class": "ok", "confidence": 0.9}]}]
    sent = event(
        "shape",
        timestamp=at(7),
        deviceId="cam-9",
        streamId="s-9",
        workflowId="wf-9",
        workflowVersion="2",
        images=images,
        displayImagePosition=0,
    )
    await app_client.post("/vision-events", json=sent)
    (got,) = (await app_client.post("/vision-events/query", json={"useCaseId": "line-1"})).json()["events"]
    assert got == {**sent, "timestamp": (BASE + timedelta(minutes=7)).strftime("%Y-%m-%dT%H:%M:%S.000Z")}

    # Events written through the native API are visible too.
    native = {
        "id": "nat-1",
        "eventType": "custom",
        "correlationId": "line-1",
        "actorId": "cam-3",
        "actorType": "device",
        "payload": {"value": "from native"},
        "metadata": {"temp": 71},
        "occurredAt": at(9),
    }
    assert (await app_client.post("/api/v1/events", json=native)).status_code == 201
    response = await app_client.post("/vision-events/query", json={"useCaseId": "line-1", **number("gt", 70)})
    (got,) = response.json()["events"]
    assert got == {
        "eventId": "nat-1",
        "eventType": "custom",
        "useCaseId": "line-1",
        "timestamp": (BASE + timedelta(minutes=9)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "deviceId": "cam-3",
        "eventData": {"value": "from native"},
        "images": [],
        "customMetadata": {"temp": 71},
    }


async def test_bad_queries_are_refused_with_a_clear_error(
    settings: Settings, app_client: httpx.AsyncClient
) -> None:
    cases: list[tuple[Any, str]] = [
        ({}, "useCaseId is required"),
        ({"useCaseId": 5}, "useCaseId must be a string"),
        (["line-1"], "body must be a JSON object"),
        (
            {"useCaseId": "u", "eventType": "nope"},
            "eventType must be one of "
            "[quality_check, inventory_count, safety_alert, custom, operator_feedback]",
        ),
        ({"useCaseId": "u", "eventTypes": "custom"}, "eventTypes must be an array"),
        ({"useCaseId": "u", "startTime": "soon"}, "startTime must be a valid ISO 8601 date"),
        ({"useCaseId": "u", "deviceId": "cam-1"}, "deviceId must be an object with operator and value"),
        (
            {"useCaseId": "u", "deviceId": {"operator": "like", "value": "c"}},
            "deviceId.operator must be one of [eq, neq]",
        ),
        ({"useCaseId": "u", "streamId": {"operator": "eq", "value": 3}}, "streamId.value must be a string"),
        (
            {"useCaseId": "u", **number("between", 1)},
            "customMetadataFilters.0.operator must be one of [eq, neq, gt, gte, lt, lte] for type number",
        ),
        (
            {"useCaseId": "u", **number("gt", "A1", "string", "line")},
            "customMetadataFilters.0.operator must be one of [eq, neq] for type string",
        ),
        (
            {"useCaseId": "u", **number("gt", True, "boolean")},
            "customMetadataFilters.0.operator must be one of [eq, neq] for type boolean",
        ),
        ({"useCaseId": "u", **number("eq", "warm")}, "customMetadataFilters.0.value must be a number"),
        (
            {"useCaseId": "u", **number("eq", 1, "date")},
            "customMetadataFilters.0.type must be one of [string, number, boolean]",
        ),
        (
            {"useCaseId": "u", "customMetadataFilters": [{"field": "a.b", "operator": "eq", "value": 1}]},
            "customMetadataFilters.0.field must be a custom metadata key ([a-zA-Z0-9_ -], 1-100 characters)",
        ),
        ({"useCaseId": "u", "limit": 0}, "limit must be an integer from 1 to 100"),
        ({"useCaseId": "u", "limit": 101}, "limit must be an integer from 1 to 100"),
        ({"useCaseId": "u", "cursor": "garbage!"}, "cursor is invalid"),
        ({"useCaseId": "u", "eventFieldFilters": []}, "eventFieldFilters is not allowed"),
    ]
    for body, message in cases:
        response = await app_client.post("/vision-events/query", json=body)
        assert (response.status_code, response.json()) == (400, {"error": message}), body
    response = await app_client.post(
        "/vision-events/query", content=b"{", headers={"content-type": "application/json"}
    )
    assert (response.status_code, response.json()) == (400, {"error": "Request body must be valid JSON"})

    writer = await make_key(app_client, "acme", "vision-events:write", "events:read")
    async with client_for(settings, key=writer) as client:
        response = await client.post("/vision-events/query", json={"useCaseId": "u"})
        assert (response.status_code, response.json()) == (
            403,
            {"error": "Insufficient permissions for this resource."},
        )
