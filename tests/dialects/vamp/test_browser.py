"""Vamp's stream in a real browser: headless Chromium's ``EventSource`` receives typed events.

Chromium is driven over the DevTools protocol (``--remote-debugging-port``) with the
``websockets`` client that uvicorn[standard] already installs. The page runs on the Chronicle
origin (it is opened at ``/readyz``), so ``EventSource`` is same-origin and authenticates with
the ``vai_token`` cookie, the one credential a browser ``EventSource`` can carry.

Chromium is required: set ``CHRONICLE_TEST_CHROMIUM`` or install the ``chromium`` package. The
test fails (it does not skip) when no browser is found.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import ADMIN_KEY
from tests.dialects.vamp.helpers import EVENTS

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
)


def _chromium() -> str:
    for candidate in (os.environ.get("CHRONICLE_TEST_CHROMIUM"), "/usr/bin/chromium", "chromium"):
        if candidate and (found := shutil.which(candidate)):
            return found
    pytest.fail(
        "Chromium is required for this test: apt-get install chromium (or set CHRONICLE_TEST_CHROMIUM)"
    )


class Page:
    """A DevTools-protocol session on one page."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.ids = itertools.count(1)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        message_id = next(self.ids)
        await self.socket.send(orjson.dumps({"id": message_id, "method": method, "params": params}).decode())
        async with asyncio.timeout(10):
            while True:
                reply = orjson.loads(await self.socket.recv())
                if reply.get("id") == message_id:
                    assert "error" not in reply, reply
                    return dict(reply["result"])

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout: float = 10) -> Any:
        async with asyncio.timeout(timeout):
            while not (value := await self.evaluate(expression)):
                await asyncio.sleep(0.05)
        return value


@asynccontextmanager
async def chromium_page(profile: Path) -> AsyncIterator[Page]:
    process = subprocess.Popen(
        [_chromium(), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        async with asyncio.timeout(30):
            while not (port_file.exists() and port_file.read_text().strip()):
                assert process.poll() is None, "Chromium exited at start"
                await asyncio.sleep(0.05)
        port = port_file.read_text().split()[0]
        async with httpx.AsyncClient() as http:
            targets = (await http.get(f"http://127.0.0.1:{port}/json/list")).json()
        page = next(t for t in targets if t["type"] == "page")
        async with connect(page["webSocketDebuggerUrl"], max_size=None) as socket:
            yield Page(socket)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


LISTEN = """
(() => {
  document.cookie = "vai_token=%(key)s; path=/";
  window.got = [];
  window.opened = false;
  const source = new EventSource("/vamp/api/v1/events/stream?tag=browser&type=deploy");
  source.onopen = () => { window.opened = true; };
  source.addEventListener("deploy", (e) => {
    window.got.push({type: e.type, id: e.lastEventId, data: JSON.parse(e.data)});
  });
  source.onmessage = (e) => { window.got.push({type: "message", data: e.data}); };
  return true;
})()
"""


async def test_chromium_event_source_receives_published_vamp_events(serve, tmp_path):
    server = serve()
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=10
    ) as admin:
        created = await admin.post(
            "/api/v1/keys", json={"name": "browser", "tenantId": "default", "scopes": ["events:read"]}
        )
        reader_key = created.json()["key"]
        async with chromium_page(tmp_path / "profile") as page:
            await page.call("Page.navigate", url=f"{server.url}/readyz")
            await page.wait_for("document.readyState === 'complete' && location.pathname === '/readyz'")
            await page.evaluate(LISTEN % {"key": reader_key})
            await page.wait_for("window.opened")

            ignored = await admin.post(EVENTS, json={"tags": ["browser"], "type": "scale"})
            assert ignored.status_code == 201
            posted = await admin.post(EVENTS, json={"tags": ["browser:tab"], "type": "deploy", "value": "42"})
            assert posted.status_code == 201

            got = await page.wait_for("window.got.length >= 1 && window.got")
            seq = (await admin.get(f"/api/v1/events/{posted.json()['id']}")).json()["seq"]
            assert got == [{"type": "deploy", "id": str(seq), "data": posted.json()}]
            assert posted.json()["tags"] == ["browser", "browser:tab"]
