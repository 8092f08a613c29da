"""The EventStore contract, run on every backend."""

from __future__ import annotations

import asyncio
import random

import orjson
import pytest

from chronicle import errors, models
from chronicle.filtering import matches
from chronicle.storage import AppendRequest, open_store
from chronicle.storage.migrate import migrations


def new(**fields):
    return models.NewEvent(**fields)


async def test_seqs_follow_commit_order_for_a_tailing_reader_with_two_writing_stores(store, database_url):
    """Two store instances (as two processes) write concurrently; a reader tailing by
    ``seq > cursor`` sees every event exactly once, never skipping one that commits late."""
    other = open_store(database_url)
    await other.open()
    total = 600
    done = asyncio.Event()

    async def write(target, prefix):
        pending = [target.append(AppendRequest("t", [new(id=f"{prefix}{i}")])) for i in range(total // 2)]
        for chunk in range(0, len(pending), 20):
            await asyncio.gather(*pending[chunk : chunk + 20])

    async def tail():
        seen, cursor = [], 0
        while True:
            finished = done.is_set()
            page = await store.read(
                "t",
                models.EventQuery(seq_after=cursor),
                models.PageRequest(order="seq_asc", limit=50, with_total=False),
            )
            seen.extend(e.seq for e in page.events)
            if page.events:
                cursor = page.events[-1].seq
            elif finished:
                return seen
            await asyncio.sleep(0)

    reader = asyncio.create_task(tail())
    await asyncio.gather(write(store, "a"), write(other, "b"))
    done.set()
    seen = await reader
    await other.aclose()
    every = [
        e.seq
        for e in (
            await store.read("t", models.EventQuery(), models.PageRequest(order="seq_asc", limit=total + 1))
        ).events
    ]
    assert len(every) == total
    assert seen == every


async def test_one_failing_request_does_not_fail_its_group(store):
    good = [store.append(AppendRequest("t", [new(id=f"g{i}")])) for i in range(10)]
    bad = store.append(AppendRequest("t", [new(id="bad", payload={1, 2})]))  # a set is not JSON
    results = await asyncio.gather(*good, bad, return_exceptions=True)
    assert all(isinstance(r, list) for r in results[:10])
    assert isinstance(results[10], errors.StorageError)
    page = await store.read("t", models.EventQuery(), models.PageRequest())
    assert page.total == 10


async def test_overwrite_replaces_the_event_and_its_counts(store):
    await store.append(AppendRequest("t", [new(id="x", event_type="a", tags=("k",), metadata={"m": 1})]))
    written = await store.append(AppendRequest("t", [new(id="x", event_type="b")], overwrite=True))
    assert written[0].created is False
    assert written[0].event.seq == 2
    page = await store.read("t", models.EventQuery(), models.PageRequest())
    assert [(e.id, e.event_type) for e in page.events] == [("x", "b")]
    assert (await store.read("t", models.EventQuery(tags=("k",)), models.PageRequest())).total == 0
    meta = models.MetaFilter("m", "1")
    assert (await store.read("t", models.EventQuery(meta=(meta,)), models.PageRequest())).total == 0
    aggregate = await store.aggregate("t", None, None)
    assert [(c.key, c.count) for c in aggregate.by_event_type] == [("b", 1)]


async def test_the_same_id_twice_in_one_request_is_refused(store):
    with pytest.raises(errors.InvalidInput):
        await store.append(AppendRequest("t", [new(id="d"), new(id="d")]))
    assert await store.head() == 0


async def test_head_and_wait_for_new(store):
    assert await store.head() == 0
    waiter = asyncio.create_task(store.wait_for_new(0, 5))
    await asyncio.sleep(0.05)
    await store.append(AppendRequest("t", [new()]))
    assert await asyncio.wait_for(waiter, 2) == 1
    assert await store.wait_for_new(1, 0.05) == 1


async def test_wait_for_new_wakes_on_another_stores_commit(store, database_url):
    other = open_store(database_url)
    await other.open()
    try:
        waiter = asyncio.create_task(store.wait_for_new(0, 5))
        await asyncio.sleep(0.05)
        await other.append(AppendRequest("t", [new()]))
        assert await asyncio.wait_for(waiter, 2) == 1
    finally:
        await other.aclose()


async def test_reopening_applies_no_migration_twice(store, database_url):
    again = open_store(database_url)
    await again.open()
    await again.aclose()
    backend = store.capabilities.name
    rows = await store._fetch("SELECT version FROM chronicle_schema ORDER BY version", [])
    assert [r[0] for r in rows] == [m.version for m in migrations(backend)]


def _random_event(rng, i):
    return new(
        id=f"e{i}",
        event_type=rng.choice(["a", "b", "c.failed"]),
        tags=models.expand_tags(rng.sample(["x", "y:z", "w"], rng.randint(0, 2))),
        actor_id=rng.choice([None, "u1", "u2"]),
        actor_type=rng.choice([None, "user"]),
        resource_type=rng.choice([None, "r"]),
        resource_id=rng.choice([None, "1", "2"]),
        correlation_id=rng.choice([None, "run"]),
        occurred_at=1_700_000_000_000 + rng.randint(0, 10) * 1000,
        metadata=rng.choice(
            [{}, {"n": rng.randint(0, 3)}, {"n": "2"}, {"b": rng.random() < 0.5}, {"s": "x"}]
        ),
    )


def _random_query(rng):
    meta = rng.choice(
        [
            (),
            (models.MetaFilter("n", "2"),),
            (models.MetaFilter("b", "true"),),
            (models.MetaFilter("n", 1, op="gte", kind="number"),),
            (models.MetaFilter("s", "x", op="neq", kind="string"),),
            (models.MetaFilter("b", False, kind="boolean"),),
        ]
    )
    return models.EventQuery(
        event_type=rng.choice([None, "a", "c.failed"]),
        actor_id=rng.choice([None, "u1"]),
        actor_id_not=rng.choice([None, "u2"]),
        resource_id=rng.choice([None, "1"]),
        tags=tuple(rng.sample(["x", "y", "y:z"], rng.randint(0, 2))),
        meta=meta,
        occurred_from=rng.choice([None, 1_700_000_003_000]),
        occurred_to=rng.choice([None, 1_700_000_008_000]),
        occurred_to_inclusive=rng.random() < 0.3,
        seq_after=rng.choice([None, 10]),
    )


async def test_in_memory_matching_agrees_with_sql(store):
    """The live bus filters in memory; it must select exactly what the store selects."""
    rng = random.Random(11)
    await store.append(AppendRequest("t", [_random_event(rng, i) for i in range(120)]))
    everything = (await store.read("t", models.EventQuery(), models.PageRequest(limit=200))).events
    for _ in range(150):
        query = _random_query(rng)
        page = await store.read("t", query, models.PageRequest(limit=200))
        expected = {e.seq for e in everything if matches(query, e)}
        assert {e.seq for e in page.events} == expected, query
        assert page.total == len(expected)


async def test_a_stored_page_encodes_exactly_as_its_decoded_events(store):
    """The native list passes stored JSON through undecoded; it must read as ``native_event``."""
    from chronicle import codec

    written = await store.append(
        AppendRequest(
            "t",
            [
                new(),
                new(
                    event_type="deploy.failed",
                    tags=("a", "a:b", "ünï"),
                    value="v",
                    payload={"nested": [1, 2.5, None, True, {"k": "é\n"}]},
                    occurred_at=-1_234,
                    actor_id="u1",
                    actor_type="user",
                    resource_type="repo",
                    resource_id="r1",
                    correlation_id="c",
                    causation_id="x",
                    parent_ids=("p1", "p2"),
                    metadata={"n": 1.5, "b": False, "s": "text"},
                    attributes={"NodeFilter": "web-.*"},
                    source="consul",
                ),
                new(payload="a string", payload_bytes=b"a string"),
                new(payload=None, payload_bytes=b"\xff\xfe not utf-8"),
                new(payload=[1, "two"], metadata={"big": 12345678901234567890}),
            ],
        )
    )
    stored = await store.read_stored("t", models.EventQuery(), models.PageRequest(order="seq_asc"))
    assert [e.seq for e in stored.events] == [w.event.seq for w in written]
    for raw, expected in zip(stored.events, written, strict=True):
        assert raw.decode() == expected.event
        assert orjson.loads(orjson.dumps(codec.native_stored(raw))) == codec.native_event(expected.event)


async def test_a_large_group_is_stored_exactly_with_its_side_rows_and_counts(store):
    """Large groups take another insert path on PostgreSQL (COPY); the result must not differ."""
    events = [
        new(
            id=f"e{i}",
            event_type=f"type.{i % 3}",
            tags=(f"t{i % 5}", "all"),
            payload={"i": i, "text": 'é\\n"q"'} if i % 7 else None,
            payload_bytes=b"\x00\xffraw" if i % 11 == 0 else None,
            occurred_at=1_700_000_000_000 + i * 60_000,
            actor_id=f"a{i % 4}",
            actor_type="user",
            metadata={"n": i, "s": f"v{i % 2}", "b": i % 2 == 0},
            attributes={"Node": f"n{i % 3}"} if i % 2 else {},
            outcome="failure" if i % 10 == 0 else None,
        )
        for i in range(600)
    ]
    written = await store.append(AppendRequest("t", events))
    assert [w.created for w in written] == [True] * 600

    page = await store.read("t", models.EventQuery(), models.PageRequest(order="seq_asc", limit=1000))
    assert page.events == [w.event for w in written]
    assert page.total == 600

    tagged = await store.read("t", models.EventQuery(tags=("t1",)), models.PageRequest(limit=100))
    assert tagged.total == 120
    numeric = models.MetaFilter("n", 500, op="gte", kind="number")
    meta = await store.read("t", models.EventQuery(meta=(numeric,)), models.PageRequest(limit=100))
    assert meta.total == 100
    attributed = models.MetaFilter("Node", "n1", kind="string", namespace="attributes")
    nodes = await store.read("t", models.EventQuery(meta=(attributed,)), models.PageRequest(limit=100))
    assert nodes.total == len([i for i in range(600) if i % 2 and i % 3 == 1])

    aggregate = await store.aggregate("t", None, None)
    assert aggregate.total == 600
    assert {c.key: c.count for c in aggregate.by_event_type} == {"type.0": 200, "type.1": 200, "type.2": 200}
    stats = await store.stats_by_actor("t", None, None)
    assert sum(s.total for s in stats) == 600
    assert sum(s.failures for s in stats) == 60


async def test_a_large_overwriting_group_replaces_events_and_their_side_rows(store):
    first = [new(id=f"e{i}", event_type="old", tags=("old",), metadata={"v": 1}) for i in range(300)]
    await store.append(AppendRequest("t", first))
    second = [new(id=f"e{i}", event_type="new", tags=("new",), metadata={"v": 2}) for i in range(300)]
    written = await store.append(AppendRequest("t", second, overwrite=True))
    assert {w.event.event_type for w in written} == {"new"}

    page = await store.read("t", models.EventQuery(), models.PageRequest(limit=100))
    assert page.total == 300
    assert (await store.read("t", models.EventQuery(tags=("old",)), models.PageRequest())).total == 0
    assert (await store.read("t", models.EventQuery(tags=("new",)), models.PageRequest())).total == 300
    old_meta = models.MetaFilter("v", 1, kind="number")
    assert (await store.read("t", models.EventQuery(meta=(old_meta,)), models.PageRequest())).total == 0
    aggregate = await store.aggregate("t", None, None)
    assert {c.key: c.count for c in aggregate.by_event_type} == {"new": 300}
