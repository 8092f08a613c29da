"""Eager validation of a vision event's optional parts, in Joi's terms (the product runs Joi).

Nothing here rejects: each check returns the part of the value worth storing (or ``MISSING``)
and records a warning ``{type, path, value, valueType}`` for each problem found.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

MISSING: Any = object()
MAX_SAFE_INTEGER = 2**53 - 1
METADATA_KEY = re.compile(r"^[a-zA-Z0-9_ -]{1,100}$")
ALERT_TYPE = re.compile(r"^[a-zA-Z0-9_-]+$")
MAX_METADATA_KEYS = 100
MAX_METADATA_STRING = 1000
MAX_METADATA_DECIMALS = 6
MAX_IMAGES = 1000
MAX_ANNOTATIONS = 1000


def js_typeof(value: Any) -> str:
    """JavaScript's ``typeof`` of a JSON value (``null`` is ``"object"``)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


@dataclass
class Checker:
    """Collects warnings while values are checked."""

    warnings: list[dict[str, Any]] = field(default_factory=list)

    def warn(self, kind: str, path: str, value: Any) -> None:
        """Record one problem; a missing value is reported as ``null``."""
        value = None if value is MISSING else value
        self.warnings.append({"type": kind, "path": path, "value": value, "valueType": js_typeof(value)})


def join(path: str, key: str | int) -> str:
    """Joi's path, dot-joined (array indexes included as numbers)."""
    return f"{path}.{key}" if path else str(key)


Check = Callable[[Checker, str, Any], Any]
"""Checks a present value: returns what to store, or ``MISSING`` after warning."""


def string(max_length: int | None = None, pattern: re.Pattern[str] | None = None) -> Check:
    """Joi ``string()``: not empty, optionally bounded and patterned."""

    def check(c: Checker, path: str, value: Any) -> Any:
        if not isinstance(value, str):
            c.warn("string.base", path, value)
        elif value == "":
            c.warn("string.empty", path, value)
        elif max_length is not None and len(value) > max_length:
            c.warn("string.max", path, value)
        elif pattern is not None and not pattern.match(value):
            c.warn("string.pattern.base", path, value)
        else:
            return value
        return MISSING

    return check


def one_of(*valids: str) -> Check:
    """Joi ``valid(...)``."""

    def check(c: Checker, path: str, value: Any) -> Any:
        if isinstance(value, str) and value in valids:
            return value
        c.warn("any.only", path, value)
        return MISSING

    return check


def number(*, integer: bool = False, minimum: float | None = None, maximum: float | None = None) -> Check:
    """Joi ``number()`` (safe numbers only), optionally an integer within bounds."""

    def check(c: Checker, path: str, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            c.warn("number.base", path, value)
        elif abs(value) > MAX_SAFE_INTEGER:
            c.warn("number.unsafe", path, value)
        elif integer and value != int(value):
            c.warn("number.integer", path, value)
        elif minimum is not None and value < minimum:
            c.warn("number.min", path, value)
        elif maximum is not None and value > maximum:
            c.warn("number.max", path, value)
        else:
            return int(value) if integer else value
        return MISSING

    return check


def boolean() -> Check:
    """Joi ``boolean()`` (strict: JSON true/false only)."""

    def check(c: Checker, path: str, value: Any) -> Any:
        if isinstance(value, bool):
            return value
        c.warn("boolean.base", path, value)
        return MISSING

    return check


@dataclass(frozen=True)
class Field:
    check: Check
    required: bool = False


def obj(fields: Mapping[str, Field]) -> Check:
    """Joi ``object(keys)``: unknown keys are warned and dropped, bad fields dropped."""

    def check(c: Checker, path: str, value: Any) -> Any:
        if not isinstance(value, dict):
            c.warn("object.base", path, value)
            return MISSING
        kept, ok = _object_fields(c, path, value, fields)
        return kept if ok else MISSING

    return check


def _object_fields(
    c: Checker, path: str, value: dict[str, Any], fields: Mapping[str, Field]
) -> tuple[dict[str, Any], bool]:
    kept: dict[str, Any] = {}
    ok = True
    for name, spec in fields.items():
        if name not in value:
            if spec.required:
                c.warn("any.required", join(path, name), MISSING)
                ok = False
            continue
        checked = spec.check(c, join(path, name), value[name])
        if checked is MISSING:
            ok = False
        else:
            kept[name] = checked
    for name, item in value.items():
        if name not in fields:
            c.warn("object.unknown", join(path, name), item)
            ok = False
    return kept, ok


def array(item: Check, *, min_items: int = 0, max_items: int | None = None) -> Check:
    """Joi ``array().items(item)``; bad items are dropped, an over-long array is cut."""

    def check(c: Checker, path: str, value: Any) -> Any:
        if not isinstance(value, list):
            c.warn("array.base", path, value)
            return MISSING
        if len(value) < min_items:
            c.warn("array.min", path, value)
            return MISSING
        if max_items is not None and len(value) > max_items:
            c.warn("array.max", path, value)
            value = value[:max_items]
        kept = []
        for index, element in enumerate(value):
            checked = item(c, join(path, index), element)
            if checked is not MISSING:
                kept.append(checked)
        return kept

    return check


def strict_array(item: Check, *, min_items: int = 0, length: int | None = None) -> Check:
    """An array that is valid only as a whole (a polygon's points, a point's coordinates)."""

    def check(c: Checker, path: str, value: Any) -> Any:
        if not isinstance(value, list):
            c.warn("array.base", path, value)
            return MISSING
        if length is not None and len(value) != length:
            c.warn("array.length", path, value)
            return MISSING
        if len(value) < min_items:
            c.warn("array.min", path, value)
            return MISSING
        kept = [item(c, join(path, i), element) for i, element in enumerate(value)]
        return MISSING if any(k is MISSING for k in kept) else kept

    return check


# -- the documented schemas --------------------------------------------------------------------

_EXTERNAL_ID = Field(string(1000))

EVENT_DATA: dict[str, dict[str, Field]] = {
    "quality_check": {"result": Field(one_of("pass", "fail")), "externalId": _EXTERNAL_ID},
    "inventory_count": {
        "location": Field(string(1000)),
        "itemCount": Field(number(integer=True, minimum=0)),
        "itemType": Field(string(1000)),
        "externalId": _EXTERNAL_ID,
    },
    "safety_alert": {
        "alertType": Field(string(256, ALERT_TYPE)),
        "severity": Field(one_of("low", "medium", "high")),
        "description": Field(string(10000)),
        "externalId": _EXTERNAL_ID,
    },
    "custom": {"value": Field(string(10000)), "externalId": _EXTERNAL_ID},
    "operator_feedback": {
        "relatedEventId": Field(string(), required=True),
        "feedback": Field(one_of("correct", "incorrect", "inconclusive"), required=True),
    },
}
EVENT_TYPES = tuple(EVENT_DATA)

_NUMBER = Field(number(), required=True)
_CONFIDENCE = Field(number(minimum=0, maximum=1), required=True)
_BOX = {
    "class": Field(string(), required=True),
    "x": _NUMBER,
    "y": _NUMBER,
    "width": _NUMBER,
    "height": _NUMBER,
    "confidence": _CONFIDENCE,
}
_POINT = strict_array(number(), length=2)
_KEYPOINT = obj(
    {
        "id": Field(number(), required=True),
        "x": _NUMBER,
        "y": _NUMBER,
        "occluded": Field(boolean()),
    }
)
_IMAGE_FIELDS: dict[str, Field] = {
    "label": Field(string()),
    "sourceId": Field(string(256)),
    "inputSourceId": Field(string(256)),
    "objectDetections": Field(array(obj(_BOX), max_items=MAX_ANNOTATIONS)),
    "classifications": Field(
        array(
            obj({"class": Field(string(), required=True), "confidence": _CONFIDENCE}),
            max_items=MAX_ANNOTATIONS,
        )
    ),
    "instanceSegmentations": Field(
        array(
            obj({**_BOX, "points": Field(strict_array(_POINT, min_items=3), required=True)}),
            max_items=MAX_ANNOTATIONS,
        )
    ),
    "keypoints": Field(
        array(
            obj({**_BOX, "keypoints": Field(strict_array(_KEYPOINT, min_items=1), required=True)}),
            max_items=MAX_ANNOTATIONS,
        )
    ),
}


def _image(c: Checker, path: str, value: Any) -> Any:
    """An image keeps its valid fields and valid annotations even when some are bad."""
    if not isinstance(value, dict):
        c.warn("object.base", path, value)
        return MISSING
    kept, _ = _object_fields(c, path, value, _IMAGE_FIELDS)
    return kept


IMAGES = array(_image, max_items=MAX_IMAGES)
OPTIONAL_STRINGS = {"deviceId": 256, "streamId": 256, "workflowId": 256, "workflowVersion": 64}
DISPLAY_IMAGE_POSITION = number(integer=True, minimum=0, maximum=999)


def event_data(c: Checker, event_type: str, value: Any) -> dict[str, Any]:
    """The ``eventData`` to store: as given when valid, else ``{}`` (as the product does)."""
    given = {} if value is MISSING or value is None else value
    checked = obj(EVENT_DATA[event_type])(c, "eventData", given)
    return {} if checked is MISSING else dict(given)


def custom_metadata(c: Checker, value: Any, path: str = "customMetadata") -> dict[str, Any]:
    """The valid entries of ``customMetadata`` (the first 100 of them)."""
    if value is MISSING or value is None:
        return {}
    if not isinstance(value, dict):
        c.warn("object.base", path, value)
        return {}
    if len(value) > MAX_METADATA_KEYS:
        c.warn("object.max", path, value)
    kept: dict[str, Any] = {}
    for key, item in value.items():
        checked = metadata_value(c, join(path, key), key, item)
        if checked is not MISSING and len(kept) < MAX_METADATA_KEYS:
            kept[key] = checked
    return kept


def metadata_value(c: Checker, path: str, key: str, value: Any) -> Any:
    """One custom metadata entry: a string ≤1000, a safe number with ≤6 decimals, a boolean."""
    if not METADATA_KEY.match(key):
        c.warn("object.unknown", path, value)
        return MISSING
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if len(value) > MAX_METADATA_STRING:
            c.warn("string.max", path, value)
            return MISSING
        return value
    if isinstance(value, int | float):
        if not math.isfinite(value) or abs(value) > MAX_SAFE_INTEGER:
            c.warn("number.unsafe", path, value)
            return MISSING
        if isinstance(value, float) and _decimals(value) > MAX_METADATA_DECIMALS:
            c.warn("number.precision", path, value)
            return MISSING
        return value
    c.warn("alternatives.types", path, value)
    return MISSING


def _decimals(value: float) -> int:
    exponent = Decimal(repr(value)).as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0
