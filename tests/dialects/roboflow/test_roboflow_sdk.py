"""The official Roboflow Python SDK (PyPI ``roboflow-slim`` 1.7.3, module ``roboflow``) against a
real ``chronicle serve``.

The SDK reads its base URL from the ``API_URL`` environment variable at import time, so each run is
a fresh interpreter with ``API_URL`` pointing at Chronicle. ``Roboflow().workspace()`` would first
call Roboflow's own workspace endpoints (``POST /?api_key=``), which Chronicle does not serve, so
the script builds the SDK's ``Workspace`` object directly and uses its vision-events methods.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import ADMIN_KEY, Server
from tests.dialects.roboflow.helpers import iso, tiny_png

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from roboflow.adapters.rfapi import RoboflowError
    from roboflow.core.workspace import Workspace

    key, png_path, stamp = sys.argv[1:4]
    info = {"workspace": {"name": "default", "projects": [], "url": "default"}}
    ws = Workspace(info, key, "default", "yolov8")
    out = {}
    out["use_case"] = ws.create_vision_event_use_case("Packing line")
    use_case = out["use_case"]["id"]
    out["upload"] = ws.upload_vision_event_image(png_path, metadata={"camera": "c1"})
    base = {"eventType": "quality_check", "useCaseId": use_case, "timestamp": stamp}
    out["write"] = ws.write_vision_event({
        **base, "eventId": "sdk-1", "deviceId": "cam-1",
        "eventData": {"result": "pass"}, "customMetadata": {"temp": 61.5},
        "images": [{"sourceId": out["upload"]["sourceId"], "label": "workflow"}],
    })
    out["batch"] = ws.write_vision_events_batch([
        {**base, "eventId": f"sdk-{i}", "deviceId": "cam-1" if i % 2 else "cam-2",
         "eventData": {"result": "fail"}, "customMetadata": {"temp": 60 + i}}
        for i in range(2, 7)
    ])
    out["warned"] = ws.write_vision_event({**base, "eventId": "sdk-w", "eventType": "operator_feedback"})
    pages = ws.query_all_vision_events(
        use_case, limit=2, deviceId={"operator": "eq", "value": "cam-1"},
        customMetadataFilters=[{"field": "temp", "operator": "gte", "value": 61, "type": "number"}],
    )
    out["pages"] = [[e["eventId"] for e in page] for page in pages]
    out["one"] = ws.query_vision_events(use_case, event_type="operator_feedback")
    out["use_cases"] = ws.list_vision_event_use_cases()
    try:
        ws.write_vision_event({**base, "eventId": "sdk-bad", "eventType": "nope"})
    except RoboflowError as exc:
        out["error"] = str(exc)
    print(json.dumps(out))
    """
)


def run_sdk(server: Server, key: str, png: Path) -> dict[str, Any]:
    env = {**os.environ, "API_URL": server.url, "ROBOFLOW_CONFIG_DIR": str(png.parent / "config.json")}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, key, str(png), iso()],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_official_sdk_writes_uploads_and_queries_through_chronicle(
    serve: Callable[..., Server], tmp_path: Path
) -> None:
    server = serve()
    png = tmp_path / "frame.png"
    png.write_bytes(tiny_png(4, 4))
    out = run_sdk(server, ADMIN_KEY, png)

    assert out["write"] == {"eventId": "sdk-1", "created": True}
    assert out["batch"] == {"created": 5, "eventIds": ["sdk-2", "sdk-3", "sdk-4", "sdk-5", "sdk-6"]}
    assert out["warned"]["warnings"] == [
        {"type": "any.required", "path": "eventData.relatedEventId", "value": None, "valueType": "object"},
        {"type": "any.required", "path": "eventData.feedback", "value": None, "valueType": "object"},
    ]
    # cam-1 events with temp >= 61: sdk-1 (61.5), sdk-3 (63), sdk-5 (65); same timestamp, so newest seq first.
    assert out["pages"] == [["sdk-5", "sdk-3"], ["sdk-1"]]
    assert [e["eventId"] for e in out["one"]["events"]] == ["sdk-w"]
    assert out["one"]["hasMore"] is False
    assert [u["name"] for u in out["use_cases"]["useCases"]] == ["Packing line"]
    assert json.loads(out["error"]) == {
        "error": "eventType must be one of "
        "[quality_check, inventory_count, safety_alert, custom, operator_feedback]"
    }

    image = httpx.get(out["upload"]["url"], headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert (image.status_code, image.content) == (200, png.read_bytes())
    native = httpx.get(
        f"{server.url}/api/v1/events",
        params={"correlation_id": out["use_case"]["id"]},
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    ).json()
    assert native["total"] == 7
    assert {e["source"] for e in native["events"]} == {"roboflow"}
