"""Eager ingestion: problems outside the four required fields are warnings; the event is stored."""

from __future__ import annotations

from typing import Any

import httpx

from tests.dialects.roboflow.helpers import event


def w(kind: str, path: str, value: Any) -> dict[str, Any]:
    """The expected warning; valueType is JavaScript's typeof."""
    types = {bool: "boolean", int: "number", float: "number", str: "string"}
    return {"type": kind, "path": path, "value": value, "valueType": types.get(type(value), "object")}


# (eventType, eventData sent, expected warnings); a valid eventData is stored as sent, else as {}.
EVENT_DATA_CASES = [
    ("quality_check", {"result": "pass", "externalId": "b-1"}, []),
    ("quality_check", {"result": "maybe"}, [w("any.only", "eventData.result", "maybe")]),
    ("quality_check", {"externalId": "x" * 1001}, [w("string.max", "eventData.externalId", "x" * 1001)]),
    ("quality_check", {"score": 3}, [w("object.unknown", "eventData.score", 3)]),
    ("inventory_count", {"location": "wh-a", "itemCount": 42, "itemType": "pallets"}, []),
    ("inventory_count", {"itemCount": -1}, [w("number.min", "eventData.itemCount", -1)]),
    ("inventory_count", {"itemCount": 2.5}, [w("number.integer", "eventData.itemCount", 2.5)]),
    ("inventory_count", {"itemCount": "42"}, [w("number.base", "eventData.itemCount", "42")]),
    ("inventory_count", {"location": 7}, [w("string.base", "eventData.location", 7)]),
    ("safety_alert", {"alertType": "no_hardhat", "severity": "high", "description": "PPE"}, []),
    ("safety_alert", {"severity": "critical"}, [w("any.only", "eventData.severity", "critical")]),
    (
        "safety_alert",
        {"alertType": "no hardhat!"},
        [w("string.pattern.base", "eventData.alertType", "no hardhat!")],
    ),
    ("safety_alert", {"alertType": "a" * 257}, [w("string.max", "eventData.alertType", "a" * 257)]),
    ("safety_alert", {"description": "d" * 10001}, [w("string.max", "eventData.description", "d" * 10001)]),
    ("custom", {"value": "free text", "externalId": "c-1"}, []),
    ("custom", {"value": ""}, [w("string.empty", "eventData.value", "")]),
    ("custom", {"value": {"nested": True}}, [w("string.base", "eventData.value", {"nested": True})]),
    ("custom", "not an object", [w("object.base", "eventData", "not an object")]),
    ("operator_feedback", {"relatedEventId": "evt-0", "feedback": "incorrect"}, []),
    ("operator_feedback", {"feedback": "correct"}, [w("any.required", "eventData.relatedEventId", None)]),
    (
        "operator_feedback",
        {},
        [w("any.required", "eventData.relatedEventId", None), w("any.required", "eventData.feedback", None)],
    ),
    (
        "operator_feedback",
        {"relatedEventId": "evt-0", "feedback": "wrong", "externalId": "x"},
        [w("any.only", "eventData.feedback", "wrong"), w("object.unknown", "eventData.externalId", "x")],
    ),
]


async def test_event_data_is_checked_against_its_type_schema(app_client: httpx.AsyncClient) -> None:
    # One database for the whole table (a fresh one per case would dominate the runtime).
    for case, (event_type, data, expected) in enumerate(EVENT_DATA_CASES):
        body = event(f"e{case}", eventType=event_type, eventData=data)
        response = await app_client.post("/vision-events", json=body)
        assert response.status_code == 201, case
        answer = response.json()
        assert answer.get("warnings", []) == expected, case
        assert answer["created"] is True
        stored = (await app_client.get(f"/api/v1/events/e{case}")).json()
        assert stored["payload"]["eventData"] == ({} if expected else data), case
    # The documented example, exactly.
    body = event("fb", eventType="operator_feedback", eventData={"feedback": "incorrect"})
    response = await app_client.post("/vision-events", json=body)
    assert response.json() == {
        "eventId": "fb",
        "created": True,
        "warnings": [
            {"type": "any.required", "path": "eventData.relatedEventId", "value": None, "valueType": "object"}
        ],
    }


BOX = {"class": "defect", "x": 100, "y": 200, "width": 50, "height": 30, "confidence": 0.95}
SEGMENT = {**BOX, "points": [[100, 200], [120, 210], [110, 230]]}
KEYPOINT = {
    **BOX,
    "keypoints": [{"id": 0, "x": 105, "y": 205, "occluded": False}, {"id": 1, "x": 115, "y": 215}],
}
FULL_IMAGE = {
    "label": "inspection-photo",
    "sourceId": "img-source-123",
    "inputSourceId": "camera-1",
    "objectDetections": [BOX],
    "classifications": [{"class": "damaged", "confidence": 0.87}],
    "instanceSegmentations": [SEGMENT],
    "keypoints": [KEYPOINT],
}

# (images sent, expected warnings, images stored): bad annotations and fields are dropped, the rest kept.
IMAGE_CASES = [
    ([FULL_IMAGE], [], [FULL_IMAGE]),
    ([{**BOX, "confidence": 1.5}], None, None),  # replaced below: a box is not an image
    (
        [{"objectDetections": [{**BOX, "confidence": 1.5}, BOX]}],
        [w("number.max", "images.0.objectDetections.0.confidence", 1.5)],
        [{"objectDetections": [BOX]}],
    ),
    (
        [{"classifications": [{"class": "ok", "confidence": -0.1}]}],
        [w("number.min", "images.0.classifications.0.confidence", -0.1)],
        [{"classifications": []}],
    ),
    (
        [{"objectDetections": [{"class": "defect", "x": 1, "y": 2, "width": 3, "confidence": 0.5}]}],
        [w("any.required", "images.0.objectDetections.0.height", None)],
        [{"objectDetections": []}],
    ),
    (
        [{"instanceSegmentations": [{**SEGMENT, "points": [[1, 2], [3, 4]]}]}],
        [w("array.min", "images.0.instanceSegmentations.0.points", [[1, 2], [3, 4]])],
        [{"instanceSegmentations": []}],
    ),
    (
        [{"instanceSegmentations": [{**SEGMENT, "points": [[1, 2], [3, 4], [5]]}]}],
        [w("array.length", "images.0.instanceSegmentations.0.points.2", [5])],
        [{"instanceSegmentations": []}],
    ),
    (
        [{"keypoints": [{**KEYPOINT, "keypoints": []}]}],
        [w("array.min", "images.0.keypoints.0.keypoints", [])],
        [{"keypoints": []}],
    ),
    (
        [{"keypoints": [{**KEYPOINT, "keypoints": [{"id": 0, "x": 1}]}]}],
        [w("any.required", "images.0.keypoints.0.keypoints.0.y", None)],
        [{"keypoints": []}],
    ),
    (
        [{"label": 5, "sourceId": "s-1", "extra": True}],
        [w("string.base", "images.0.label", 5), w("object.unknown", "images.0.extra", True)],
        [{"sourceId": "s-1"}],
    ),
    (["img.jpg", {"sourceId": "s-2"}], [w("object.base", "images.0", "img.jpg")], [{"sourceId": "s-2"}]),
    ({"sourceId": "s-1"}, [w("array.base", "images", {"sourceId": "s-1"})], []),
    (
        [{"objectDetections": {"class": "x"}}],
        [w("array.base", "images.0.objectDetections", {"class": "x"})],
        [{}],
    ),
]
IMAGE_CASES[1] = (
    [{"classifications": [{"class": 3, "confidence": 0.5}]}],
    [w("string.base", "images.0.classifications.0.class", 3)],
    [{"classifications": []}],
)


async def test_images_are_checked_and_only_their_valid_parts_stored(app_client: httpx.AsyncClient) -> None:
    for case, (images, expected, stored) in enumerate(IMAGE_CASES):
        response = await app_client.post("/vision-events", json=event(f"img{case}", images=images))
        assert response.status_code == 201, case
        assert response.json().get("warnings", []) == expected, case
        payload = (await app_client.get(f"/api/v1/events/img{case}")).json()["payload"]
        assert payload["images"] == stored, case
        assert payload["eventData"] == {"result": "fail", "externalId": "batch-001"}  # untouched


# (top-level fields sent, expected warnings, payload/actor keys expected absent)
OPTIONAL_CASES = [
    ({"deviceId": "d" * 257}, [w("string.max", "deviceId", "d" * 257)]),
    ({"streamId": 12}, [w("string.base", "streamId", 12)]),
    ({"workflowId": ""}, [w("string.empty", "workflowId", "")]),
    ({"workflowVersion": "v" * 65}, [w("string.max", "workflowVersion", "v" * 65)]),
    ({"displayImagePosition": 1000}, [w("number.max", "displayImagePosition", 1000)]),
    ({"displayImagePosition": -1}, [w("number.min", "displayImagePosition", -1)]),
    ({"displayImagePosition": 1.5}, [w("number.integer", "displayImagePosition", 1.5)]),
    ({"displayImagePosition": "0"}, [w("number.base", "displayImagePosition", "0")]),
    ({"solutionId": "old"}, [w("object.unknown", "solutionId", "old")]),
]


async def test_optional_fields_are_checked_and_invalid_ones_not_stored(app_client: httpx.AsyncClient) -> None:
    for case, (fields, expected) in enumerate(OPTIONAL_CASES):
        response = await app_client.post("/vision-events", json=event(f"opt{case}", **fields))
        assert response.status_code == 201, case
        assert response.json()["warnings"] == expected, case
        stored = (await app_client.get(f"/api/v1/events/opt{case}")).json()
        name = next(iter(fields))
        assert stored["actorId"] is None, case
        assert name not in stored.get("attributes", {}), case
        if name == "solutionId":
            assert stored["payload"]["unknownFields"] == {"solutionId": "old"}  # kept, not dropped
        else:
            assert name not in stored["payload"], case


# (customMetadata sent, expected warnings, metadata stored)
METADATA_CASES = [
    ({"production_line": "A1", "shift 2": "x", "is_overtime": False, "t": 72.123456}, [], None),
    ({"bad.key": 1, "ok": 1}, [w("object.unknown", "customMetadata.bad.key", 1)], {"ok": 1}),
    ({"k" * 101: 1}, [w("object.unknown", "customMetadata." + "k" * 101, 1)], {}),
    ({"s": "x" * 1001, "ok": "y"}, [w("string.max", "customMetadata.s", "x" * 1001)], {"ok": "y"}),
    ({"n": 1.1234567}, [w("number.precision", "customMetadata.n", 1.1234567)], {}),
    ({"n": 2**60}, [w("number.unsafe", "customMetadata.n", 2**60)], {}),
    (
        {"o": {"a": 1}, "l": [1], "z": None},
        [
            w("alternatives.types", "customMetadata.o", {"a": 1}),
            w("alternatives.types", "customMetadata.l", [1]),
            w("alternatives.types", "customMetadata.z", None),
        ],
        {},
    ),
    ("line A1", [w("object.base", "customMetadata", "line A1")], {}),
]


async def test_custom_metadata_keeps_only_valid_entries(app_client: httpx.AsyncClient) -> None:
    for case, (metadata, expected, stored) in enumerate(METADATA_CASES):
        response = await app_client.post("/vision-events", json=event(f"meta{case}", customMetadata=metadata))
        assert response.status_code == 201, case
        assert response.json().get("warnings", []) == expected, case
        native = (await app_client.get(f"/api/v1/events/meta{case}")).json()
        assert native["metadata"] == (metadata if stored is None else stored), case


async def test_over_long_lists_warn_and_keep_the_first_items(app_client: httpx.AsyncClient) -> None:
    images = [{"sourceId": f"s-{i}"} for i in range(1001)]
    response = await app_client.post("/vision-events", json=event("many", images=images))
    warnings = response.json()["warnings"]
    assert [(x["type"], x["path"], x["valueType"]) for x in warnings] == [("array.max", "images", "object")]
    payload = (await app_client.get("/api/v1/events/many")).json()["payload"]
    assert len(payload["images"]) == 1000
    assert payload["images"][-1] == {"sourceId": "s-999"}

    images = [{"classifications": [{"class": "c", "confidence": 0.5}] * 1001}]
    response = await app_client.post("/vision-events", json=event("dets", images=images))
    assert [(x["type"], x["path"]) for x in response.json()["warnings"]] == [
        ("array.max", "images.0.classifications")
    ]
    payload = (await app_client.get("/api/v1/events/dets")).json()["payload"]
    assert len(payload["images"][0]["classifications"]) == 1000

    metadata = {f"k{i}": i for i in range(101)}
    response = await app_client.post("/vision-events", json=event("m101", customMetadata=metadata))
    assert [(x["type"], x["path"]) for x in response.json()["warnings"]] == [("object.max", "customMetadata")]
    native = (await app_client.get("/api/v1/events/m101")).json()
    assert native["metadata"] == {f"k{i}": i for i in range(100)}


async def test_many_problems_at_once_are_all_reported_and_the_event_still_stored(
    app_client: httpx.AsyncClient,
) -> None:
    body = event(
        "multi",
        eventType="safety_alert",
        eventData={"severity": "extreme"},
        deviceId=3,
        customMetadata={"a.b": 1},
        images=[{"classifications": [{"class": "c", "confidence": 2}]}],
    )
    response = await app_client.post("/vision-events", json=body)
    assert response.status_code == 201
    assert [x["path"] for x in response.json()["warnings"]] == [
        "eventData.severity",
        "images.0.classifications.0.confidence",
        "deviceId",
        "customMetadata.a.b",
    ]
    found = await app_client.post("/vision-events/query", json={"useCaseId": "line-1"})
    (only,) = found.json()["events"]
    assert only["eventId"] == "multi"
    assert only["eventData"] == {}
    assert "deviceId" not in only
    assert only["customMetadata"] == {}
