"""Live SSE streams on real `chronicle serve` processes over real sockets."""

from __future__ import annotations

import asyncio
import socket
import time

import httpx

from tests.conftest import ADMIN_KEY
from tests.sse import open_stream

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
STREAM = "/api/v1/events/stream"


async def _key(server, tenant, *scopes):
    async with httpx.AsyncClient(base_url=server.url, headers=ADMIN) as c:
        r = await c.post("/api/v1/keys", json={"name": "t", "tenantId": tenant, "scopes": list(scopes)})
        return r.json()["key"], r.json()["id"]


async def _post(server, body, key=ADMIN_KEY):
    async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {key}"}) as c:
        r = await c.post("/api/v1/events", json=body)
        assert r.status_code == 201, r.text
        return r.json()


async def test_stream_sends_matching_events_of_its_tenant_in_seq_order(serve):
    server = serve()
    key_a, _ = await _key(server, "a", "events:read", "events:write")
    key_b, _ = await _key(server, "b", "events:read", "events:write")
    async with open_stream(
        server.url + STREAM, headers={"X-API-Key": key_a}, params={"event_type": "x"}
    ) as s:
        assert s.response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert s.response.headers["cache-control"] == "no-cache"
        assert s.response.headers["x-accel-buffering"] == "no"
        first = await s.next(comments=True)
        assert first.retry == 3000
        await _post(server, {"eventType": "x", "id": "1"}, key_a)
        await _post(server, {"eventType": "y", "id": "2"}, key_a)
        await _post(server, {"eventType": "x", "id": "3"}, key_b)
        await _post(server, {"eventType": "x", "id": "4"}, key_a)
        frames = await s.events(2)
        assert [f.json()["id"] for f in frames] == ["1", "4"]
        assert all(f.json()["tenantId"] == "a" for f in frames)
        assert int(frames[0].id) < int(frames[1].id)
        assert [int(f.id) for f in frames] == [f.json()["seq"] for f in frames]
        assert s.frames.empty()


async def test_stream_applies_tag_and_metadata_filters(serve):
    server = serve()
    params = {"tag": ["env", "team:web"], "meta.region": "eu"}
    async with open_stream(server.url + STREAM, headers=ADMIN, params=params) as s:
        await s.next(comments=True)
        await _post(server, {"id": "no-meta", "tags": ["env:prod", "team:web"]})
        await _post(server, {"id": "other-team", "tags": ["env", "team:db"], "metadata": {"region": "eu"}})
        await _post(server, {"id": "match", "tags": ["env:prod", "team:web"], "metadata": {"region": "eu"}})
        frames = await s.events(1)
        assert frames[0].json()["id"] == "match"
        await asyncio.sleep(0.2)
        assert all(f.comment is not None for f in _drain(s))


def _drain(stream):
    items = []
    while not stream.frames.empty():
        items.append(stream.frames.get_nowait())
    return items


async def test_since_replays_history_then_continues_live(serve):
    server = serve()
    stored = [await _post(server, {"id": f"h{i}"}) for i in range(5)]
    since = stored[1]["seq"]
    async with open_stream(server.url + STREAM, headers=ADMIN, params={"since": since}) as s:
        replayed = await s.events(3)
        assert [f.json()["id"] for f in replayed] == ["h2", "h3", "h4"]
        await _post(server, {"id": "live"})
        assert (await s.events(1))[0].json()["id"] == "live"


async def test_resume_with_last_event_id_under_continuous_writes_has_no_gap_or_duplicate(serve):
    server = serve()
    written: list[str] = []

    async def writer() -> None:
        async with httpx.AsyncClient(base_url=server.url, headers=ADMIN) as c:
            for batch in range(60):
                bodies = [{"id": f"w{batch}-{i}"} for i in range(5)]
                responses = await asyncio.gather(*(c.post("/api/v1/events", json=b) for b in bodies))
                written.extend(r.json()["id"] for r in responses)
                await asyncio.sleep(0.005)

    received: list[str] = []
    last_id = None
    task = asyncio.create_task(writer())
    for _ in range(4):  # four connections, each dropped after a few frames, like a flaky network
        headers = {**ADMIN, **({"Last-Event-ID": last_id} if last_id else {})}
        params = {} if last_id else {"since": 0}
        async with open_stream(server.url + STREAM, headers=headers, params=params) as s:
            for frame in await s.events(40):
                received.append(frame.json()["id"])
                last_id = frame.id
    await task
    async with open_stream(server.url + STREAM, headers={**ADMIN, "Last-Event-ID": last_id}) as s:
        rest = await s.events(len(written) - len(received))
        received.extend(f.json()["id"] for f in rest)
        await asyncio.sleep(0.3)
        assert not [f for f in _drain(s) if f.data]
    assert len(received) == len(set(received)) == 300
    assert set(received) == set(written)


async def test_an_event_written_by_another_process_arrives_promptly(serve, database_url):
    reader = serve()
    writer = serve()
    async with open_stream(reader.url + STREAM, headers=ADMIN) as s:
        await s.next(comments=True)
        delays = []
        for i in range(5):
            start = time.monotonic()
            await _post(writer, {"id": f"x{i}"})
            frame = (await s.events(1))[0]
            delays.append(time.monotonic() - start)
            assert frame.json()["id"] == f"x{i}"
        # Notification (PostgreSQL) or data_version polling (SQLite): well under a second.
        assert max(delays) < 1.0, delays


async def test_idle_streams_get_heartbeat_comments(serve):
    server = serve(env={"CHRONICLE_HEARTBEAT_SECONDS": "0.3"})
    async with open_stream(server.url + STREAM, headers=ADMIN) as s:
        await s.next(comments=True)  # retry hint
        beat = await s.next(timeout=2, comments=True)
        assert beat.comment == "heartbeat"


async def test_revoking_a_key_ends_its_streams(serve):
    server = serve()
    key, key_id = await _key(server, "a", "events:read")
    async with open_stream(server.url + STREAM, headers={"X-API-Key": key}) as s:
        await s.next(comments=True)
        async with httpx.AsyncClient(base_url=server.url, headers=ADMIN) as c:
            assert (await c.delete(f"/api/v1/keys/{key_id}")).status_code == 204
        await asyncio.wait_for(s_done(s), 5)


async def s_done(stream) -> None:
    while not stream.response.is_closed:
        try:
            await stream.next(timeout=0.2, comments=True)
        except TimeoutError:
            if stream.response.is_stream_consumed:
                return
    return


async def test_a_client_that_goes_away_frees_its_stream(serve):
    server = serve()
    async with httpx.AsyncClient(base_url=server.url) as c:
        async with open_stream(server.url + STREAM, headers=ADMIN) as s:
            await s.next(comments=True)
            assert (await c.get("/readyz")).json()["streams"] == 1
        deadline = time.monotonic() + 5
        while (await c.get("/readyz")).json()["streams"] != 0:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)


async def test_a_stalled_client_neither_blocks_writers_nor_loses_events(serve):
    """A client that stops reading is served from the store when it resumes; writers go on."""
    server = serve(env={"CHRONICLE_LIVE_WINDOW": "50"})
    raw = socket.create_connection(("127.0.0.1", server.port))
    raw.sendall(
        f"GET {STREAM}?since=0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN_KEY}\r\n\r\n".encode()
    )
    big = "x" * 2000
    async with httpx.AsyncClient(base_url=server.url, headers=ADMIN, timeout=30) as c:
        for start in range(0, 2000, 200):
            batch = [{"id": f"s{i}", "value": big} for i in range(start, start + 200)]
            assert (await c.post("/api/v1/events", json=batch)).status_code == 201
        # Writers were not held back by the stalled reader: a single write still answers.
        assert (await c.post("/api/v1/events", json={"id": "after"})).status_code == 201
    raw.settimeout(10)
    data = b""
    while data.count(b"\nid: ") + data.startswith(b"id: ") < 2001:
        chunk = raw.recv(1 << 20)
        assert chunk, "stream closed early"
        data += chunk
    raw.close()
    ids = [
        line.split(b'"id":"')[1].split(b'"')[0].decode()
        for line in data.split(b"\n")
        if line.startswith(b"data: ")
    ]
    assert ids == [f"s{i}" for i in range(2000)] + ["after"]


async def test_shutdown_ends_open_streams_promptly(serve):
    """Streams end when the server is told to stop, instead of holding it for the grace period."""
    server = serve(env={"CHRONICLE_SHUTDOWN_GRACE_SECONDS": "30"})
    async with open_stream(server.url + STREAM, headers=ADMIN) as s:
        await s.next(comments=True)
        start = time.monotonic()
        server.process.terminate()
        await asyncio.to_thread(server.process.wait, 40)
        assert time.monotonic() - start < 15
