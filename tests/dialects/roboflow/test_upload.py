"""POST /vision-events/upload and GET /vision-events/images/{sourceId}."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

import httpx

from chronicle.settings import Settings
from tests.conftest import Server, client_for
from tests.dialects.roboflow.helpers import event, make_key, tiny_png


async def test_uploaded_png_is_stored_and_served_back_byte_for_byte(app_client: httpx.AsyncClient) -> None:
    png = tiny_png()
    response = await app_client.post(
        "/vision-events/upload",
        # The SDK labels every file application/octet-stream: the type comes from the bytes.
        files={"file": ("photo.bin", png, "application/octet-stream")},
        data={"name": "line-1 camera", "metadata": json.dumps({"camera": "c1", "exposure": 0.5})},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    source_id = body["sourceId"]
    assert body["url"] == f"http://chronicle.test/vision-events/images/{source_id}"

    image = await app_client.get(f"/vision-events/images/{source_id}")
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert image.content == png

    # An event refers to the upload by sourceId and reads back with it.
    images = [{"sourceId": source_id, "label": "annotated"}]
    created = await app_client.post("/vision-events", json=event("with-image", images=images))
    assert "warnings" not in created.json()
    found = await app_client.post("/vision-events/query", json={"useCaseId": "line-1"})
    assert found.json()["events"][0]["images"] == images


async def test_every_documented_image_type_is_recognised_by_its_bytes(app_client: httpx.AsyncClient) -> None:
    samples = {
        "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20,
        "image/gif": b"GIF89a\x01\x00\x01\x00" + b"\x00" * 20,
        "image/webp": b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20,
        "image/bmp": b"BM" + b"\x00" * 60,
        "image/tiff": b"II*\x00\x08\x00\x00\x00" + b"\x00" * 20,
        "image/heic": b"\x00\x00\x00\x18ftypheic" + b"\x00" * 20,
        "image/avif": b"\x00\x00\x00\x1cftypavif" + b"\x00" * 20,
    }
    for media_type, data in samples.items():
        response = await app_client.post("/vision-events/upload", files={"file": ("x", data)})
        assert response.status_code == 201, media_type
        served = await app_client.get(f"/vision-events/images/{response.json()['sourceId']}")
        assert (served.headers["content-type"], served.content) == (media_type, data)


async def test_bad_uploads_are_refused_with_an_error(
    settings: Settings, app_client: httpx.AsyncClient
) -> None:
    png = tiny_png()
    cases = [
        ({"files": {"file": ("a.png", b"%PDF-1.7 not an image", "image/png")}}, 400),
        ({"files": {"file": ("a.png", b"", "image/png")}}, 400),
        ({"data": {"name": "no file"}}, 400),
        ({"json": {"file": "abc"}}, 400),
        ({"files": {"file": ("a.png", png)}, "data": {"metadata": "{not json"}}, 400),
        ({"files": {"file": ("a.png", png)}, "data": {"metadata": "[1, 2]"}}, 400),
        ({"files": {"file": ("a.png", png)}, "data": {"metadata": json.dumps({"bad.key": 1})}}, 400),
    ]
    for kwargs, status in cases:
        response = await app_client.post("/vision-events/upload", **kwargs)  # type: ignore[arg-type]
        assert response.status_code == status, kwargs
        assert set(response.json()) == {"error"}, kwargs

    small = dataclasses.replace(settings, upload_max_bytes=len(png) - 1)
    async with client_for(small) as client:
        response = await client.post("/vision-events/upload", files={"file": ("a.png", png)})
        assert response.status_code == 413
        assert set(response.json()) == {"error"}
        too_big = png + b"\x00" * (2 * 1024 * 1024)
        response = await client.post("/vision-events/upload", files={"file": ("a.png", too_big)})
        assert response.status_code == 413
    missing = await app_client.get("/vision-events/images/doesnotexist")
    assert (missing.status_code, missing.json()) == (404, {"error": "Image not found"})


async def test_images_belong_to_the_uploading_tenant(
    settings: Settings, app_client: httpx.AsyncClient
) -> None:
    acme = await make_key(app_client, "acme", "vision-events:write")
    async with client_for(settings, key=acme) as client:
        response = await client.post("/vision-events/upload", files={"file": ("a.png", tiny_png())})
        source_id = response.json()["sourceId"]
        assert (await client.get(f"/vision-events/images/{source_id}")).status_code == 200
    assert (await app_client.get(f"/vision-events/images/{source_id}")).status_code == 404
    async with client_for(settings, key=None) as anonymous:
        response = await anonymous.get(f"/vision-events/images/{source_id}")
        assert response.status_code == 401
        response = await anonymous.get(f"/vision-events/images/{source_id}?api_key={acme}")
        assert response.status_code == 200


def test_an_image_uploaded_to_one_process_is_served_by_another(serve: Callable[..., Server]) -> None:
    first, second = serve(), serve()
    headers = {"Authorization": "Bearer chr_test_admin_key"}
    png = tiny_png(3, 2)
    response = httpx.post(
        f"{first.url}/vision-events/upload", headers=headers, files={"file": ("p.png", png)}
    )
    assert response.status_code == 201
    served = httpx.get(f"{second.url}/vision-events/images/{response.json()['sourceId']}", headers=headers)
    assert (served.status_code, served.content) == (200, png)
