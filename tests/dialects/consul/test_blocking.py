"""Blocking queries on /v1/event/list: answer at once, wake on a matching fire, or time out."""

from __future__ import annotations

import asyncio
import time

from chronicle.dialects.consul import translate
from tests.conftest import client_for
from tests.dialects.consul.conftest import make_key


async def fire(client, name, body=b""):
    r = await client.put(f"/v1/event/fire/{name}", content=body)
    assert r.status_code == 200, r.text
    return r.json()


async def timed_list(client, **params):
    started = time.monotonic()
    r = await client.get("/v1/event/list", params=params)
    assert r.status_code == 200, r.text
    return r, time.monotonic() - started


async def still_blocked(task: asyncio.Task, seconds: float = 0.3) -> bool:
    await asyncio.sleep(seconds)
    return not task.done()


async def test_answers_at_once_without_a_current_index_and_times_out_with_it(app_client):
    fired = await fire(app_client, "deploy")
    current = str(translate.id_to_index(fired["ID"]))
    for params in ({}, {"wait": "10s"}, {"index": "0", "wait": "10s"}, {"index": "12345", "wait": "10s"}):
        r, took = await timed_list(app_client, **params)
        assert r.headers["x-consul-index"] == current
        assert took < 1.0, params
    r, took = await timed_list(app_client, index=current, wait="400ms")
    assert 0.35 <= took < 2.0
    assert r.headers["x-consul-index"] == current
    assert [e["ID"] for e in r.json()] == [fired["ID"]]


async def test_blocks_until_a_fire_changes_the_index(app_client):
    first = await fire(app_client, "deploy", b"1")
    index = str(translate.id_to_index(first["ID"]))
    blocked = asyncio.create_task(timed_list(app_client, index=index, wait="10s"))
    assert await still_blocked(blocked)
    second = await fire(app_client, "deploy", b"2")
    r, took = await asyncio.wait_for(blocked, 5)
    assert took < 3.0  # woke on the fire, well before the 10 s wait
    assert r.headers["x-consul-index"] == str(translate.id_to_index(second["ID"]))
    assert [e["ID"] for e in r.json()] == [first["ID"], second["ID"]]


async def test_empty_index_1_blocks_until_the_first_event(app_client):
    blocked = asyncio.create_task(timed_list(app_client, index="1", wait="10s"))
    assert await still_blocked(blocked)
    fired = await fire(app_client, "first")
    r, took = await asyncio.wait_for(blocked, 5)
    assert took < 3.0
    assert [e["ID"] for e in r.json()] == [fired["ID"]]


async def test_only_a_matching_event_of_the_same_tenant_wakes_it(settings, app_client):
    other_tenant = await make_key(app_client, "other", ["events:write"])
    watched = await fire(app_client, "deploy")
    index = str(translate.id_to_index(watched["ID"]))
    blocked = asyncio.create_task(timed_list(app_client, name="deploy", index=index, wait="10s"))
    assert await still_blocked(blocked, 0.2)
    await fire(app_client, "restart")  # another name: the index of ?name=deploy is unchanged
    async with client_for(settings, key=other_tenant) as other:
        await fire(other, "deploy")  # another tenant
    assert await still_blocked(blocked)
    woke = await fire(app_client, "deploy", b"now")
    r, took = await asyncio.wait_for(blocked, 5)
    assert took < 5.0
    assert r.headers["x-consul-index"] == str(translate.id_to_index(woke["ID"]))
    assert [e["Name"] for e in r.json()] == ["deploy", "deploy"]


async def test_a_fire_through_another_app_on_the_same_database_wakes_it(settings, app_client):
    """Two services on one database stand in for two processes (the real ones: test_pyconsul)."""
    fired = await fire(app_client, "deploy")
    index = str(translate.id_to_index(fired["ID"]))
    blocked = asyncio.create_task(timed_list(app_client, index=index, wait="10s"))
    assert await still_blocked(blocked)
    async with client_for(settings) as second:
        woke = await fire(second, "deploy")
    r, took = await asyncio.wait_for(blocked, 5)
    assert took < 3.0
    assert r.headers["x-consul-index"] == str(translate.id_to_index(woke["ID"]))
