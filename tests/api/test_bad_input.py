"""Bad bodies and parameters get a clear 4xx naming the field, and write nothing."""

from __future__ import annotations

import pytest

from tests.helpers import all_events

BAD_BODIES = [
    pytest.param(b"{not json", "json_invalid", ["body"], id="not-json"),
    pytest.param(b'"a string"', "model_type", ["body"], id="not-an-object"),
    pytest.param(b'{"eventType": 12}', "string_type", ["body", "eventType"], id="wrong-type"),
    pytest.param(
        b'{"eventType": "' + b"x" * 257 + b'"}', "string_too_long", ["body", "eventType"], id="long-type"
    ),
    pytest.param(b'{"actorId": ""}', "string_too_short", ["body", "actorId"], id="empty-actor"),
    pytest.param(b'{"colour": "red"}', "extra_forbidden", ["body", "colour"], id="unknown-field"),
    pytest.param(b'{"outcome": "maybe"}', "literal_error", ["body", "outcome"], id="bad-outcome"),
    pytest.param(b'{"occurredAt": "yesterday"}', "value_error", ["body", "occurredAt"], id="bad-time"),
    pytest.param(b'{"eventType": "a\\u0000b"}', "value_error", ["body", "eventType"], id="nul"),
    pytest.param(b'{"metadata": {"k": [1]}}', None, ["body", "metadata", "k"], id="meta-list"),
    pytest.param(b'{"metadata": {"bad key!": 1}}', None, ["body", "metadata", "bad key!"], id="meta-key"),
    pytest.param(
        b'{"metadata": {"k": "' + b"v" * 1001 + b'"}}', None, ["body", "metadata", "k"], id="meta-long"
    ),
]


@pytest.mark.parametrize(("body", "kind", "loc"), BAD_BODIES)
async def test_bad_bodies_are_422_naming_the_field(app_client, body, kind, loc):
    response = await app_client.post(
        "/api/v1/events", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert {"loc", "msg", "type"} <= set(detail[0])
    assert detail[0]["loc"][: len(loc)] == loc
    if kind:
        assert detail[0]["type"] == kind
    assert await all_events(app_client) == []


async def test_ten_thousand_tags_are_refused(app_client):
    response = await app_client.post("/api/v1/events", json={"tags": [f"t{i}" for i in range(10_000)]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "tags"]


async def test_metadata_with_101_keys_is_refused(app_client):
    response = await app_client.post("/api/v1/events", json={"metadata": {f"k{i}": i for i in range(101)}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "metadata"]
    ok = await app_client.post("/api/v1/events", json={"metadata": {f"k{i}": i for i in range(100)}})
    assert ok.status_code == 201


async def test_a_50_mb_body_is_refused_with_413(app_client):
    body = b'{"payload": "' + b"x" * (50 * 1024 * 1024) + b'"}'
    response = await app_client.post(
        "/api/v1/events", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert "exceeds" in response.json()["detail"]
    assert await all_events(app_client) == []


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"limit": 0}, ["query", "limit"]),
        ({"limit": 101}, ["query", "limit"]),
        ({"limit": "ten"}, ["query", "limit"]),
        ({"offset": -1}, ["query", "offset"]),
        ({"from": "not-a-time"}, ["query", "from"]),
        ({"to": "2026-13-45"}, ["query", "to"]),
        ({"cursor": "garbage!"}, ["query", "cursor"]),
        ({"meta.bad key!": "1"}, ["query", "meta.bad key!"]),
        ({"event_type": "x" * 300}, ["query", "event_type"]),
        ({"event_type": "a\x00b"}, ["query", "event_type"]),
        ({"tag": "a\x00"}, ["query", "tag"]),
    ],
)
async def test_bad_query_parameters_are_422_in_fastapi_shape(app_client, params, loc):
    response = await app_client.get("/api/v1/events", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == loc


async def test_hostile_filter_values_are_data_not_sql(app_client):
    hostile = ["x' OR '1'='1", "'; DROP TABLE events; --", 'a"b', "ü\u202e\U0001f600", "%", "_"]
    for text in hostile:
        await app_client.post(
            "/api/v1/events", json={"eventType": text, "tags": [text], "metadata": {"k": text}}
        )
    for text in hostile:
        for params in ({"event_type": text}, {"tag": text}, {"meta.k": text}):
            body = (await app_client.get("/api/v1/events", params=params)).json()
            assert body["total"] == 1, (params, body)
            assert body["events"][0]["eventType"] == text
    assert (await app_client.get("/api/v1/events")).json()["total"] == len(hostile)


async def test_nul_in_a_path_is_simply_not_found(app_client):
    assert (await app_client.get("/api/v1/events/a%00b")).status_code == 404
    body = (await app_client.get("/api/v1/events/correlation/a%00b")).json()
    assert body["total"] == 0
