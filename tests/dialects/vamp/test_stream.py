"""Vamp's SSE stream on a real ``chronicle serve`` process: frames, filters, resume, heartbeat."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import orjson

from tests.conftest import ADMIN_KEY
from tests.dialects.vamp.helpers import EVENTS

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}


async def _frames(response: httpx.Response) -> AsyncIterator[dict[str, str]]:
    """SSE frames as ``{field: value}``; a comment-only frame is ``{"comment": ...}``."""
    frame: dict[str, str] = {}
    async for line in response.aiter_lines():
        if line == "":
            if frame:
                yield frame
            frame = {}
        elif line.startswith(":"):
            frame["comment"] = line[1:].strip()
        else:
            name, _, value = line.partition(":")
            frame[name] = value[1:] if value.startswith(" ") else value


async def _next_events(frames: AsyncIterator[dict[str, str]], count: int) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    async with asyncio.timeout(10):
        async for frame in frames:
            if "data" in frame:
                found.append(frame)
                if len(found) == count:
                    return found
    raise AssertionError(f"stream ended after {found}")


async def test_stream_sends_matching_events_from_every_api_as_vamp_frames(serve):
    server = serve()
    async with httpx.AsyncClient(base_url=server.url, headers=AUTH, timeout=10) as client:
        params = {"tag": "deployments", "type": "deploy"}
        async with (
            client.stream("GET", EVENTS + "/stream", params=params) as vamp,
            client.stream("GET", "/api/v1/events/stream", params={"tag": "deployments"}) as native,
        ):
            assert vamp.status_code == 200
            assert vamp.headers["content-type"].startswith("text/event-stream")
            vamp_frames = _frames(vamp)
            assert await anext(vamp_frames) == {"retry": "3000"}

            posted = await client.post(
                EVENTS,
                json={
                    "tags": ["deployments:web"],
                    "type": "deploy",
                    "value": "v1",
                    "timestamp": "2024-01-01T00:00:00Z",
                },
            )
            assert posted.status_code == 201
            skipped_type = await client.post(EVENTS, json={"tags": ["deployments"], "type": "scale"})
            skipped_tag = await client.post(EVENTS, json={"tags": ["other"], "type": "deploy"})
            assert skipped_type.status_code == skipped_tag.status_code == 201
            from_native = await client.post(
                "/api/v1/events", json={"eventType": "deploy", "tags": ["deployments"], "value": "n"}
            )
            assert from_native.status_code == 201

            first, second = await _next_events(vamp_frames, 2)
            assert first["event"] == "deploy"
            assert (
                int(first["id"]) == (await client.get(f"/api/v1/events/{posted.json()['id']}")).json()["seq"]
            )
            assert orjson.loads(first["data"]) == posted.json()
            assert list(orjson.loads(first["data"])) == ["id", "tags", "value", "timestamp", "type"]
            assert second["event"] == "deploy"
            assert int(second["id"]) == from_native.json()["seq"]
            assert orjson.loads(second["data"])["id"] == from_native.json()["id"]
            assert orjson.loads(second["data"])["value"] == "n"

            # The Vamp-written events reach the native stream too, in the native shape.
            native_seen = await _next_events(_frames(native), 3)
            shown = [orjson.loads(f["data"]) for f in native_seen]
            assert [e["id"] for e in shown] == [
                posted.json()["id"],
                skipped_type.json()["id"],
                from_native.json()["id"],
            ]
            assert shown[0]["source"] == "vamp"


async def test_stream_resumes_after_last_event_id_and_sends_heartbeats(serve):
    server = serve(env={"CHRONICLE_HEARTBEAT_SECONDS": "0.3"})
    async with httpx.AsyncClient(base_url=server.url, headers=AUTH, timeout=10) as client:
        ids = []
        for n in range(3):
            r = await client.post(EVENTS, json={"tags": ["resume"], "value": str(n)})
            ids.append(r.json()["id"])
        first_seq = (await client.get(f"/api/v1/events/{ids[0]}")).json()["seq"]
        await client.post(EVENTS, json={"tags": ["elsewhere"]})
        headers = {"Last-Event-ID": str(first_seq), "Content-Type": "application/x-yaml"}
        # The filter comes from a YAML query body here (Vamp reads one on the stream too).
        body = b"tags: [resume]\n"
        async with client.stream("GET", EVENTS + "/stream", content=body, headers=headers) as r:
            frames = _frames(r)
            missed = await _next_events(frames, 2)
            assert [orjson.loads(f["data"])["id"] for f in missed] == ids[1:]
            async with asyncio.timeout(5):
                async for frame in frames:
                    assert "data" not in frame, frame  # the "elsewhere" event does not match
                    if "comment" in frame:
                        assert frame == {"comment": "heartbeat"}
                        break

        bad = await client.get(EVENTS + "/stream", headers={"Last-Event-ID": "yesterday"})
        assert bad.status_code == 400
        assert bad.json() == {"message": "Last-Event-ID must be a non-negative integer."}
        # A query body on the stream is read like the list's (only tags and type apply).
        bad = await client.request("GET", EVENTS + "/stream", json={"tags": [], "aggregator": {"type": "x"}})
        assert bad.status_code == 400
        assert bad.json() == {"message": "Unsupported aggregator: x."}
