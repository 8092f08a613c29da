"""Reading events back through every native endpoint, with seed 002's envelopes."""

from __future__ import annotations

import random

import pytest

from tests.helpers import all_events, post_events

LIST_KEYS = {"events", "hasNext", "limit", "offset", "total", "nextCursor"}


@pytest.fixture
async def sample(app_client):
    """Twelve events across types, actors, resources, runs, tags and metadata."""
    events = []
    for i in range(12):
        events.append(
            {
                "id": f"e{i:02d}",
                "eventType": ["order.created", "order.failed", "user.login"][i % 3],
                "actorId": f"a{i % 2}",
                "actorType": "user" if i % 2 else "service",
                "resourceType": "order" if i < 8 else None,
                "resourceId": f"o{i % 4}" if i < 8 else None,
                "correlationId": "run-1" if i % 4 == 0 else "run-2",
                "tags": ["env:prod"] if i % 2 else ["env:dev", "team"],
                "metadata": {"n": i, "even": i % 2 == 0, "name": f"n{i}"},
                "occurredAt": f"2026-03-01T10:{i:02d}:00.000Z",
            }
        )
    await post_events(app_client, *[{k: v for k, v in e.items() if v is not None} for e in events])
    return events


async def test_list_is_newest_first_with_the_seed_envelope(app_client, sample):
    body = (await app_client.get("/api/v1/events")).json()
    assert set(body) == LIST_KEYS
    assert [e["id"] for e in body["events"]] == [f"e{i:02d}" for i in reversed(range(12))]
    assert body["total"] == 12
    assert body["hasNext"] is False
    assert body["limit"] == 100
    assert body["nextCursor"] is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"event_type": "order.failed"}, {1, 4, 7, 10}),
        ({"actor_id": "a1"}, {1, 3, 5, 7, 9, 11}),
        ({"actor_type": "service"}, {0, 2, 4, 6, 8, 10}),
        ({"resource_type": "order"}, set(range(8))),
        ({"resource_type": "order", "resource_id": "o1"}, {1, 5}),
        ({"correlation_id": "run-1"}, {0, 4, 8}),
        ({"tag": "env"}, set(range(12))),
        ({"tag": ["env", "team"]}, {0, 2, 4, 6, 8, 10}),
        ({"tag": "env:prod"}, {1, 3, 5, 7, 9, 11}),
        ({"meta.n": "3"}, {3}),
        ({"meta.n": "3.0"}, {3}),
        ({"meta.even": "true"}, {0, 2, 4, 6, 8, 10}),
        ({"meta.name": "n5"}, {5}),
        ({"meta.name": "5"}, set()),
        ({"from": "2026-03-01T10:03:00Z", "to": "2026-03-01T10:06:00Z"}, {3, 4, 5}),
        ({"event_type": "user.login", "actor_id": "a0", "from": "2026-03-01T10:01:00Z"}, {2, 8}),
    ],
)
async def test_each_filter_narrows_the_list(app_client, sample, params, expected):
    body = (await app_client.get("/api/v1/events", params=params)).json()
    assert {int(e["id"][1:]) for e in body["events"]} == expected
    assert body["total"] == len(expected)


async def test_offset_paging_reports_exact_total_and_has_next(app_client, sample):
    first = (await app_client.get("/api/v1/events", params={"limit": 5})).json()
    last = (await app_client.get("/api/v1/events", params={"limit": 5, "offset": 10})).json()
    assert first["hasNext"] is True
    assert first["total"] == 12
    assert len(first["events"]) == 5
    assert last["hasNext"] is False
    assert [e["id"] for e in last["events"]] == ["e01", "e00"]
    assert last["offset"] == 10


async def test_cursor_paging_visits_every_event_once_in_order(app_client):
    rng = random.Random(7)
    events = [
        {"id": f"r{i}", "occurredAt": f"2026-03-01T10:00:{rng.randint(0, 9):02d}.000Z"} for i in range(230)
    ]
    await app_client.post("/api/v1/events", json=events)
    seen = await all_events(app_client)
    assert len(seen) == 230
    assert len({e["id"] for e in seen}) == 230
    keys = [(e["occurredAt"], e["seq"]) for e in seen]
    assert keys == sorted(keys, reverse=True)


async def test_a_cursor_cannot_be_combined_with_an_offset_or_another_order(app_client, sample):
    page = (await app_client.get("/api/v1/events", params={"limit": 2})).json()
    mixed = await app_client.get("/api/v1/events", params={"cursor": page["nextCursor"], "offset": 3})
    assert mixed.status_code == 422
    other = await app_client.get("/api/v1/events/correlation/run-2", params={"cursor": page["nextCursor"]})
    assert other.status_code == 422


async def test_get_one_and_404_for_unknown(app_client, sample):
    assert (await app_client.get("/api/v1/events/e03")).json()["eventType"] == "order.created"
    missing = await app_client.get("/api/v1/events/nope")
    assert missing.status_code == 404
    assert "detail" in missing.json()


async def test_correlation_is_oldest_first_and_paged(app_client, sample):
    body = (await app_client.get("/api/v1/events/correlation/run-2", params={"limit": 4})).json()
    assert set(body) == LIST_KEYS
    assert [e["id"] for e in body["events"]] == ["e01", "e02", "e03", "e05"]
    assert body["total"] == 9
    assert body["hasNext"] is True
    rest = (
        await app_client.get("/api/v1/events/correlation/run-2", params={"cursor": body["nextCursor"]})
    ).json()
    assert [e["id"] for e in rest["events"]] == ["e06", "e07", "e09", "e10", "e11"]


async def test_resource_is_newest_first(app_client, sample):
    body = (await app_client.get("/api/v1/events/resource/order/o2")).json()
    assert [e["id"] for e in body["events"]] == ["e06", "e02"]
    assert body["total"] == 2


async def test_aggregate_counts_by_type_with_null_keys(app_client, sample):
    body = (await app_client.get("/api/v1/events/aggregate")).json()
    assert body["total"] == 12
    assert body["byEventType"] == [
        {"count": 4, "key": "order.created"},
        {"count": 4, "key": "order.failed"},
        {"count": 4, "key": "user.login"},
    ]
    assert body["byResourceType"] == [{"count": 8, "key": "order"}, {"count": 4, "key": None}]
    assert sorted(body["byActorType"], key=lambda c: c["key"]) == [
        {"count": 6, "key": "service"},
        {"count": 6, "key": "user"},
    ]


async def test_aggregate_and_stats_respect_from_and_to(app_client, sample):
    params = {"from": "2026-03-01T10:03:00Z", "to": "2026-03-01T10:06:00Z"}
    body = (await app_client.get("/api/v1/events/aggregate", params=params)).json()
    assert body["total"] == 3
    stats = (await app_client.get("/api/v1/events/stats/by-actor", params=params)).json()
    assert {(a["actorId"], a["total"]) for a in stats["actors"]} == {("a1", 2), ("a0", 1)}


async def test_stats_by_actor_counts_outcomes(app_client, sample):
    body = (await app_client.get("/api/v1/events/stats/by-actor")).json()
    actors = {a["actorId"]: a for a in body["actors"]}
    assert actors["a0"] == {
        "actorId": "a0",
        "actorType": "service",
        "failures": 2,
        "successes": 0,
        "total": 6,
    }
    assert actors["a1"]["failures"] == 2
    assert actors["a1"]["total"] == 6


async def test_kept_counts_match_a_scan_over_hour_boundaries(app_client):
    """Aggregates and totals come from hourly kept counts plus the partial hours at the edges."""
    rng = random.Random(3)
    events = []
    for _i in range(400):
        hour, minute = rng.randint(0, 47), rng.randint(0, 59)
        second, milli = rng.randint(0, 59), rng.randint(0, 999)
        day = 1 + hour // 24
        events.append(
            {
                "eventType": rng.choice(["a", "b", "c.failed"]),
                "actorId": rng.choice(["x", "y"]),
                "occurredAt": f"2026-04-{day:02d}T{hour % 24:02d}:{minute:02d}:{second:02d}.{milli:03d}Z",
            }
        )
    await app_client.post("/api/v1/events", json=events)
    everything = await all_events(app_client)
    ranges = [
        ("2026-04-01T05:30:00.000Z", "2026-04-02T07:15:00.500Z"),
        ("2026-04-01T05:00:00.000Z", "2026-04-01T06:00:00.000Z"),
        ("2026-04-01T05:10:00.000Z", "2026-04-01T05:50:00.000Z"),
        (None, "2026-04-01T12:30:00.000Z"),
        ("2026-04-02T01:59:59.999Z", None),
    ]
    for lo, hi in ranges:
        params = {k: v for k, v in (("from", lo), ("to", hi)) if v}
        inside = [
            e
            for e in everything
            if (lo is None or e["occurredAt"] >= lo) and (hi is None or e["occurredAt"] < hi)
        ]
        aggregate = (await app_client.get("/api/v1/events/aggregate", params=params)).json()
        assert aggregate["total"] == len(inside), params
        by_type = {c["key"]: c["count"] for c in aggregate["byEventType"]}
        assert by_type == {
            t: n for t in ["a", "b", "c.failed"] if (n := sum(e["eventType"] == t for e in inside))
        }
        listed = (
            await app_client.get("/api/v1/events", params={**params, "event_type": "a", "limit": 1})
        ).json()
        assert listed["total"] == sum(e["eventType"] == "a" for e in inside)
        stats = (await app_client.get("/api/v1/events/stats/by-actor", params=params)).json()
        failures = {a["actorId"]: a["failures"] for a in stats["actors"]}
        for actor in ("x", "y"):
            expected = sum(e["actorId"] == actor and e["eventType"] == "c.failed" for e in inside)
            assert failures.get(actor, 0) == expected
