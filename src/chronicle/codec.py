"""The native JSON shape of an event, encoded once with orjson and reused by every reader."""

from __future__ import annotations

import base64
from typing import Any

import orjson
from orjson import Fragment

from chronicle import models
from chronicle.timefmt import format_ms


def native_event(event: models.Event) -> dict[str, Any]:
    """The canonical event as the native API shows it (camelCase, RFC 3339 times)."""
    return _native_body(
        event,
        tags=list(event.tags),
        payload=native_payload(event),
        parent_ids=list(event.parent_ids),
        metadata=event.metadata,
        attributes=event.attributes or None,
    )


def native_stored(event: models.StoredEvent) -> dict[str, Any]:
    """``native_event`` of an event as stored: its JSON text goes out as it is, unparsed."""
    return _native_body(
        event,
        tags=Fragment(event.tags_json),
        payload=(
            Fragment(event.payload_json)
            if event.payload_bytes is None
            else _bytes_as_text(bytes(event.payload_bytes))
        ),
        parent_ids=Fragment(event.parent_ids_json),
        metadata=Fragment(event.metadata_json),
        attributes=Fragment(event.attributes_json) if event.attributes_json != "{}" else None,
    )


def _native_body(
    event: models.Event | models.StoredEvent,
    *,
    tags: Any,
    payload: Any,
    parent_ids: Any,
    metadata: Any,
    attributes: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": event.id,
        "seq": event.seq,
        "tenantId": event.tenant_id,
        "eventType": event.event_type,
        "tags": tags,
        "value": event.value,
        "payload": payload,
        "occurredAt": format_ms(event.occurred_at),
        "receivedAt": format_ms(event.received_at),
        "actorId": event.actor_id,
        "actorType": event.actor_type,
        "resourceType": event.resource_type,
        "resourceId": event.resource_id,
        "correlationId": event.correlation_id,
        "causationId": event.causation_id,
        "parentIds": parent_ids,
        "outcome": event.outcome,
        "metadata": metadata,
        "source": event.source,
    }
    if attributes is not None:
        body["attributes"] = attributes
    if event.payload_bytes is not None:
        body["payloadBase64"] = base64.b64encode(event.payload_bytes).decode()
    return body


def native_payload(event: models.Event) -> Any:
    """An opaque (Consul) payload reads as its text when it is UTF-8, else ``null``.

    The exact bytes are always in ``payloadBase64``.
    """
    if event.payload_bytes is None:
        return event.payload
    return _bytes_as_text(event.payload_bytes)


def _bytes_as_text(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def encode_native(event: models.Event) -> bytes:
    """``native_event`` as JSON bytes."""
    return orjson.dumps(native_event(event))
