"""Tines dialect: GET/POST /api/v1/actions/<action_id>/events (and the legacy agents path)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import orjson

from chronicle.settings import Settings
from tests.conftest import client_for

EVENT_KEYS = {
    "id",
    "agent_id",
    "payload",
    "created_at",
    "updated_at",
    "story_run_guid",
    "previous_events_ids",
    "previous_event_ids",
}
META_KEYS = {"current_page", "previous_page", "next_page", "next_page_number", "per_page", "pages", "count"}


async def native_write(client: httpx.AsyncClient, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = await client.post("/api/v1/events", json=events)
    assert response.status_code == 201, response.text
    written: list[dict[str, Any]] = response.json()["events"]
    return written


async def action_events(client: httpx.AsyncClient, action: str, count: int) -> list[dict[str, Any]]:
    return await native_write(
        client, [{"actorType": "action", "actorId": action, "payload": {"n": n}} for n in range(count)]
    )


async def native_count(client: httpx.AsyncClient) -> int:
    response = await client.get("/api/v1/events", params={"limit": 1})
    total: int = response.json()["total"]
    return total


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


async def make_key(client: httpx.AsyncClient, tenant: str, scopes: list[str]) -> str:
    response = await client.post("/api/v1/keys", json={"name": tenant, "tenantId": tenant, "scopes": scopes})
    assert response.status_code == 201, response.text
    key: str = response.json()["key"]
    return key


def assert_tines_error(response: httpx.Response, status: int, message: str, details_part: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"errors"}
    assert len(body["errors"]) == 1
    assert body["errors"][0]["message"] == message
    assert details_part in body["errors"][0]["details"]


# -- shape ---------------------------------------------------------------------------------------


async def test_native_action_event_reads_in_tines_shape(app_client: httpx.AsyncClient) -> None:
    run = "d59cd024-38b2-4287-b298-a8ee8dc86863"
    upstream = (
        await native_write(app_client, [{"actorType": "action", "actorId": "20", "payload": {"u": 1}}])
    )[0]
    response = await app_client.post(
        "/api/v1/events",
        json={
            "actorType": "action",
            "actorId": "21",
            "correlationId": run,
            "parentIds": [upstream["id"], "no-such-event"],
            "payload": {"propagation_webhook": {"username": "joe.bloggs", "age": 99}},
        },
    )
    assert response.status_code == 201
    native = response.json()

    response = await app_client.get("/api/v1/actions/21/events")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"events", "meta"}
    assert body["events"] == [
        {
            "id": native["seq"],
            "agent_id": 21,
            "payload": {"propagation_webhook": {"username": "joe.bloggs", "age": 99}},
            "created_at": native["receivedAt"],
            "updated_at": native["receivedAt"],
            "story_run_guid": run,
            "previous_events_ids": [upstream["seq"]],
            "previous_event_ids": [upstream["seq"]],
        }
    ]
    assert native["receivedAt"].endswith("Z")
    assert len(native["receivedAt"]) == len("2018-04-03T13:37:24.479Z")
    assert body["meta"] == {
        "current_page": "http://chronicle.test/api/v1/actions/21/events?page=1&per_page=20",
        "previous_page": None,
        "next_page": None,
        "next_page_number": None,
        "per_page": 20,
        "pages": 1,
        "count": 1,
    }


async def test_event_without_run_or_parents_has_null_guid_and_empty_lists(
    app_client: httpx.AsyncClient,
) -> None:
    await action_events(app_client, "5", 1)
    event = (await app_client.get("/api/v1/actions/5/events")).json()["events"][0]
    assert set(event) == EVENT_KEYS
    assert event["story_run_guid"] is None
    assert event["previous_events_ids"] == []
    assert event["previous_event_ids"] == []
    assert event["payload"] == {"n": 0}


AGENT_IDS: list[tuple[str, int | str]] = [
    ("21", 21),
    ("0", 0),
    ("9223372036854775807", 9223372036854775807),
    ("007", "007"),
    ("send-email", "send-email"),
    ("9223372036854775808", "9223372036854775808"),
]


async def test_agent_id_is_an_integer_only_when_the_actor_id_is_one(app_client: httpx.AsyncClient) -> None:
    for actor_id, expected in AGENT_IDS:
        await action_events(app_client, actor_id, 1)
        response = await app_client.get(f"/api/v1/actions/{actor_id}/events")
        assert response.json()["events"][0]["agent_id"] == expected, actor_id


async def test_lists_only_this_actions_events_newest_id_first(app_client: httpx.AsyncClient) -> None:
    written = await native_write(
        app_client,
        [
            {"actorType": "action", "actorId": "7", "payload": 1, "occurredAt": "2030-01-01T00:00:00Z"},
            {"actorType": "user", "actorId": "7", "payload": "not an action"},
            {"actorType": "action", "actorId": "8", "payload": "another action"},
            {"actorId": "7", "payload": "no actor type"},
            {"actorType": "action", "actorId": "7", "payload": 2, "occurredAt": "2001-01-01T00:00:00Z"},
        ],
    )
    body = (await app_client.get("/api/v1/actions/7/events")).json()
    # Ordered by id (seq), not by occurredAt.
    assert [e["id"] for e in body["events"]] == [written[4]["seq"], written[0]["seq"]]
    assert [e["payload"] for e in body["events"]] == [2, 1]
    assert body["meta"]["count"] == 2


async def test_legacy_agents_path_serves_the_same_events(app_client: httpx.AsyncClient) -> None:
    await action_events(app_client, "79240", 3)
    actions = (await app_client.get("/api/v1/actions/79240/events", params={"per_page": 2})).json()
    agents = (await app_client.get("/api/v1/agents/79240/events", params={"per_page": 2})).json()
    assert agents["events"] == actions["events"]
    assert (
        agents["meta"]["current_page"] == "http://chronicle.test/api/v1/agents/79240/events?page=1&per_page=2"
    )
    assert agents["meta"]["next_page"] == "http://chronicle.test/api/v1/agents/79240/events?page=2&per_page=2"


# -- paging --------------------------------------------------------------------------------------


async def test_paging_math_and_links_across_pages(app_client: httpx.AsyncClient) -> None:
    written = await action_events(app_client, "3", 45)
    newest_first = [w["seq"] for w in reversed(written)]

    first = (await app_client.get("/api/v1/actions/3/events")).json()
    assert set(first["meta"]) == META_KEYS
    assert [e["id"] for e in first["events"]] == newest_first[:20]
    assert first["meta"]["per_page"] == 20
    assert first["meta"]["pages"] == 3
    assert first["meta"]["count"] == 45
    assert first["meta"]["previous_page"] is None
    assert first["meta"]["next_page_number"] == 2

    last = (await app_client.get("/api/v1/actions/3/events", params={"page": 3})).json()
    assert [e["id"] for e in last["events"]] == newest_first[40:]
    assert last["meta"]["next_page"] is None
    assert last["meta"]["next_page_number"] is None
    assert query_of(last["meta"]["previous_page"]) == {"page": "2", "per_page": "20"}
    assert last["meta"]["count"] == 45

    beyond = (await app_client.get("/api/v1/actions/3/events", params={"page": 4})).json()
    assert beyond["events"] == []
    assert beyond["meta"]["previous_page"] is None
    assert beyond["meta"]["next_page"] is None
    assert beyond["meta"]["pages"] == 3
    assert beyond["meta"]["count"] == 45

    far = (await app_client.get("/api/v1/actions/3/events", params={"page": 10**15})).json()
    assert far["events"] == []
    assert far["meta"]["count"] == 45


async def test_following_next_page_links_keeps_other_params_and_visits_each_event_once(
    app_client: httpx.AsyncClient,
) -> None:
    written = await action_events(app_client, "4", 12)
    since = written[1]["seq"]
    url: str | None = f"/api/v1/actions/4/events?since_id={since}&per_page=4&custom=kept&tag=a&tag=b"
    seen: list[int] = []
    numbers: list[int | None] = []
    while url is not None:
        response = await app_client.get(url)
        assert response.status_code == 200
        meta = response.json()["meta"]
        seen.extend(e["id"] for e in response.json()["events"])
        numbers.append(meta["next_page_number"])
        for link in (meta["current_page"], meta["next_page"], meta["previous_page"]):
            if link is not None:
                parts = urlsplit(link)
                assert (parts.scheme, parts.netloc, parts.path) == (
                    "http",
                    "chronicle.test",
                    "/api/v1/actions/4/events",
                )
                pairs = parse_qsl(parts.query)
                assert ("tag", "a") in pairs
                assert ("tag", "b") in pairs
                assert query_of(link)["since_id"] == str(since)
                assert query_of(link)["custom"] == "kept"
                assert query_of(link)["per_page"] == "4"
        assert meta["count"] == 10
        assert meta["pages"] == 3
        url = meta["next_page"]
    assert seen == [w["seq"] for w in reversed(written[2:])]
    assert numbers == [2, 3, None]
    assert query_of(meta["previous_page"])["page"] == "2"
    assert query_of(meta["current_page"])["page"] == "3"


async def test_per_page_defaults_to_20_and_is_clamped_to_500(app_client: httpx.AsyncClient) -> None:
    await action_events(app_client, "9", 501)
    default = (await app_client.get("/api/v1/actions/9/events")).json()
    assert len(default["events"]) == 20
    assert default["meta"]["pages"] == 26

    for huge in ("501", "1000", "99999999999999999999999999999999"):
        body = (await app_client.get("/api/v1/actions/9/events", params={"per_page": huge})).json()
        assert len(body["events"]) == 500
        assert body["meta"]["per_page"] == 500
        assert body["meta"]["pages"] == 2
        assert body["meta"]["count"] == 501
        assert query_of(body["meta"]["next_page"]) == {"page": "2", "per_page": "500"}

    exact = (await app_client.get("/api/v1/actions/9/events", params={"per_page": 500, "page": 2})).json()
    assert len(exact["events"]) == 1


async def test_empty_values_count_as_absent(app_client: httpx.AsyncClient) -> None:
    await action_events(app_client, "6", 2)
    response = await app_client.get("/api/v1/actions/6/events?per_page=&page=&since_id=&until_id=")
    assert response.status_code == 200
    assert response.json()["meta"]["per_page"] == 20
    assert len(response.json()["events"]) == 2


# -- since_id / until_id -------------------------------------------------------------------------


async def test_since_id_is_exclusive_and_until_id_inclusive(app_client: httpx.AsyncClient) -> None:
    seqs = [w["seq"] for w in await action_events(app_client, "11", 6)]

    async def ids(**params: Any) -> list[int]:
        response = await app_client.get("/api/v1/actions/11/events", params=params)
        assert response.status_code == 200
        assert response.json()["meta"]["count"] == len(response.json()["events"])
        return [e["id"] for e in response.json()["events"]]

    assert await ids(since_id=seqs[2]) == seqs[:2:-1]
    assert await ids(until_id=seqs[2]) == seqs[2::-1]
    assert await ids(since_id=seqs[1], until_id=seqs[4]) == [seqs[4], seqs[3], seqs[2]]
    assert await ids(since_id=seqs[-1]) == []
    assert await ids(since_id=0) == seqs[::-1]
    assert await ids(until_id=0) == []


async def test_since_id_combines_with_paging(app_client: httpx.AsyncClient) -> None:
    seqs = [w["seq"] for w in await action_events(app_client, "12", 10)]
    params = {"since_id": seqs[2], "until_id": seqs[8], "per_page": 4}
    first = (await app_client.get("/api/v1/actions/12/events", params=params)).json()
    second = (await app_client.get("/api/v1/actions/12/events", params={**params, "page": 2})).json()
    assert [e["id"] for e in first["events"]] == [seqs[8], seqs[7], seqs[6], seqs[5]]
    assert [e["id"] for e in second["events"]] == [seqs[4], seqs[3]]
    assert first["meta"]["count"] == 6
    assert first["meta"]["pages"] == 2
    assert second["meta"]["next_page"] is None
    assert query_of(second["meta"]["previous_page"]) == {
        "since_id": str(seqs[2]),
        "until_id": str(seqs[8]),
        "per_page": "4",
        "page": "1",
    }


async def test_polling_with_since_id_sees_only_new_events(app_client: httpx.AsyncClient) -> None:
    first = await action_events(app_client, "13", 2)
    newest = (await app_client.get("/api/v1/actions/13/events")).json()["events"][0]["id"]
    assert newest == first[-1]["seq"]
    assert (await app_client.get("/api/v1/actions/13/events", params={"since_id": newest})).json()[
        "events"
    ] == []
    later = await action_events(app_client, "13", 1)
    polled = (await app_client.get("/api/v1/actions/13/events", params={"since_id": newest})).json()
    assert [e["id"] for e in polled["events"]] == [later[0]["seq"]]


# -- empty, tenants, auth ------------------------------------------------------------------------


async def test_action_without_events_is_an_empty_list_not_404(app_client: httpx.AsyncClient) -> None:
    await action_events(app_client, "1", 1)
    response = await app_client.get("/api/v1/actions/404/events", params={"since_id": 1})
    assert response.status_code == 200
    assert response.json() == {
        "events": [],
        "meta": {
            "current_page": "http://chronicle.test/api/v1/actions/404/events?since_id=1&page=1&per_page=20",
            "previous_page": None,
            "next_page": None,
            "next_page_number": None,
            "per_page": 20,
            "pages": 0,
            "count": 0,
        },
    }


async def test_another_tenants_action_events_are_invisible(
    app_client: httpx.AsyncClient, settings: Settings
) -> None:
    mine = await action_events(app_client, "31", 2)
    key = await make_key(app_client, "acme", ["events:read", "events:write"])
    async with client_for(settings, key=key) as acme:
        assert (await acme.get("/api/v1/actions/31/events")).json()["events"] == []
        assert (await acme.get("/api/v1/actions/31/events")).json()["meta"]["count"] == 0
        # acme's event names a parent that exists only in the default tenant: it is skipped.
        theirs = await native_write(
            acme, [{"actorType": "action", "actorId": "31", "payload": "acme", "parentIds": [mine[0]["id"]]}]
        )
        body = (await acme.get("/api/v1/actions/31/events")).json()
        assert [e["id"] for e in body["events"]] == [theirs[0]["seq"]]
        assert body["events"][0]["previous_events_ids"] == []
    body = (await app_client.get("/api/v1/actions/31/events")).json()
    assert [e["id"] for e in body["events"]] == [mine[1]["seq"], mine[0]["seq"]]


async def test_missing_or_bad_key_is_401_and_missing_scope_403_in_tines_shape(
    app_client: httpx.AsyncClient, settings: Settings
) -> None:
    async with client_for(settings, key=None) as anonymous:
        response = await anonymous.get("/api/v1/actions/1/events")
        assert_tines_error(response, 401, "Unauthorized", "API key")
        assert response.headers["www-authenticate"] == "Bearer"
    async with client_for(settings, key="chr_wrong") as wrong:
        assert_tines_error(await wrong.get("/api/v1/agents/1/events"), 401, "Unauthorized", "invalid")
    vision = await make_key(app_client, "default", ["vision-events:read"])
    async with client_for(settings, key=vision) as c:
        assert_tines_error(await c.get("/api/v1/actions/1/events"), 403, "Forbidden", "events:read")


async def test_legacy_x_user_token_header_carries_the_key(
    app_client: httpx.AsyncClient, settings: Settings
) -> None:
    await action_events(app_client, "2", 1)
    key = await make_key(app_client, "default", ["events:read"])
    async with client_for(settings, key=None) as c:
        response = await c.get("/api/v1/actions/2/events", headers={"x-user-token": key})
        assert response.status_code == 200
        assert len(response.json()["events"]) == 1


async def test_unknown_path_under_the_prefix_is_404_in_tines_shape(app_client: httpx.AsyncClient) -> None:
    assert_tines_error(await app_client.get("/api/v1/actions/1/runs"), 404, "Not Found", "Not Found")
    assert_tines_error(await app_client.delete("/api/v1/actions/1/events"), 405, "Method Not Allowed", "")


# -- bad input -----------------------------------------------------------------------------------


BAD_QUERIES = [
    ("per_page=0", "per_page"),
    ("per_page=-1", "per_page"),
    ("per_page=abc", "per_page"),
    ("per_page=2.5", "per_page"),
    ("page=abc", "page"),
    ("page=0", "page"),
    ("page=-3", "page"),
    ("page=99999999999999999999", "page"),
    ("since_id=x", "since_id"),
    ("since_id=-1", "since_id"),
    ("until_id=1e3", "until_id"),
    ("until_id=" + "9" * 5000, "until_id"),
]


async def test_malformed_paging_values_are_400_in_tines_shape(app_client: httpx.AsyncClient) -> None:
    await action_events(app_client, "1", 1)
    for query, name in BAD_QUERIES:
        response = await app_client.get(f"/api/v1/actions/1/events?{query}")
        assert_tines_error(response, 400, "Bad Request", f"{name} must be")
        assert len(response.json()["errors"][0]["details"]) < 200, query


async def test_overlong_action_id_is_400(app_client: httpx.AsyncClient) -> None:
    response = await app_client.get(f"/api/v1/actions/{'a' * 257}/events")
    assert_tines_error(response, 400, "Bad Request", "action_id")


# -- writing as an action ------------------------------------------------------------------------


async def test_post_records_an_event_as_the_action(app_client: httpx.AsyncClient) -> None:
    upstream = await action_events(app_client, "40", 2)
    response = await app_client.post(
        "/api/v1/actions/41/events",
        json={
            "payload": {"ok": True},
            "story_run_guid": "run-9",
            "previous_event_ids": [upstream[1]["seq"], upstream[0]["seq"]],
            "note": {"kept": 1},
        },
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == EVENT_KEYS
    assert created["agent_id"] == 41
    assert created["payload"] == {"ok": True}
    assert created["story_run_guid"] == "run-9"
    assert created["previous_events_ids"] == [upstream[1]["seq"], upstream[0]["seq"]]
    assert created["created_at"] == created["updated_at"]

    listed = (await app_client.get("/api/v1/actions/41/events")).json()["events"]
    assert listed == [created]

    natives = (await app_client.get("/api/v1/events", params={"actor_id": "41"})).json()["events"]
    assert len(natives) == 1
    native = natives[0]
    assert native["seq"] == created["id"]
    assert native["actorType"] == "action"
    assert native["actorId"] == "41"
    assert native["correlationId"] == "run-9"
    assert native["parentIds"] == [upstream[1]["id"], upstream[0]["id"]]
    assert native["source"] == "tines"
    assert native["payload"] == {"ok": True}
    assert native["receivedAt"] == created["created_at"]
    assert native["attributes"] == {"tines.note": '{"kept":1}'}


async def test_post_accepts_the_previous_events_ids_spelling_on_the_agents_path(
    app_client: httpx.AsyncClient,
) -> None:
    upstream = await action_events(app_client, "50", 1)
    response = await app_client.post(
        "/api/v1/agents/51/events", json={"payload": [1, 2], "previous_events_ids": [upstream[0]["seq"]]}
    )
    assert response.status_code == 201
    assert response.json()["previous_event_ids"] == [upstream[0]["seq"]]
    assert response.json()["story_run_guid"] is None


BAD_BODIES = [
    (b"{not json", "not valid JSON"),
    (b"[1]", "JSON object"),
    (b'{"story_run_guid": "r"}', "payload is required"),
    (b'{"payload": {}, "story_run_guid": 5}', "story_run_guid"),
    (b'{"payload": {}, "previous_event_ids": ["1"]}', "previous_event_ids"),
    (b'{"payload": {}, "previous_event_ids": 3}', "previous_event_ids"),
    (b'{"payload": {}, "previous_event_ids": [true]}', "previous_event_ids"),
    (b'{"payload": {}, "previous_event_ids": [999999999]}', "previous event 999999999 does not exist"),
    (b'{"payload": {}, "previous_event_ids": [], "previous_events_ids": []}', "not both"),
    (orjson.dumps({"payload": {}, "previous_event_ids": list(range(1, 102))}), "at most 100"),
    (b'{"payload": {}, "big": "' + b"x" * 1000 + b'"}', "longer than 1000"),
]


async def test_post_rejects_bad_bodies_and_writes_nothing(app_client: httpx.AsyncClient) -> None:
    await action_events(app_client, "1", 1)
    for body, details in BAD_BODIES:
        response = await app_client.post(
            "/api/v1/actions/60/events", content=body, headers={"content-type": "application/json"}
        )
        assert_tines_error(response, 400, "Bad Request", details)
    assert await native_count(app_client) == 1


async def test_post_previous_id_of_another_tenant_is_rejected(
    app_client: httpx.AsyncClient, settings: Settings
) -> None:
    mine = await action_events(app_client, "70", 1)
    key = await make_key(app_client, "acme", ["events:write"])
    async with client_for(settings, key=key) as acme:
        response = await acme.post(
            "/api/v1/actions/70/events", json={"payload": {}, "previous_event_ids": [mine[0]["seq"]]}
        )
        assert_tines_error(response, 400, "Bad Request", "does not exist")
    assert await native_count(app_client) == 1


async def test_post_needs_events_write(app_client: httpx.AsyncClient, settings: Settings) -> None:
    key = await make_key(app_client, "default", ["events:read"])
    async with client_for(settings, key=key) as reader:
        response = await reader.post("/api/v1/actions/80/events", json={"payload": {}})
        assert_tines_error(response, 403, "Forbidden", "events:write")
    assert await native_count(app_client) == 0


async def test_post_body_over_the_limit_is_413_in_tines_shape(settings: Settings) -> None:
    from dataclasses import replace

    async with client_for(replace(settings, max_body_bytes=100)) as c:
        response = await c.post("/api/v1/actions/90/events", json={"payload": "x" * 200})
        assert_tines_error(response, 413, "Request Entity Too Large", "exceeds 100 bytes")
        assert (await c.get("/api/v1/events")).json()["total"] == 0
