"""Opaque keyset cursors: where a page ended, as a URL-safe token."""

from __future__ import annotations

import base64
import binascii

import orjson

from chronicle import errors, models

_ORDERS = ("newest", "oldest", "seq_desc", "seq_asc")


def encode(keyset: models.Keyset) -> str:
    """A token for a keyset."""
    raw = orjson.dumps([keyset.order, keyset.occurred_at, keyset.seq])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str, order: models.Order) -> models.Keyset:
    """The keyset a token stands for.

    Raises:
        InvalidInput: not a token this server made, or one made for another order.
    """
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        kind, occurred_at, seq = orjson.loads(raw)
    except (binascii.Error, ValueError, TypeError, orjson.JSONDecodeError) as exc:
        raise errors.InvalidInput("malformed cursor", field="cursor") from exc
    if kind != order or not isinstance(occurred_at, int) or not isinstance(seq, int):
        raise errors.InvalidInput("cursor does not belong to this listing", field="cursor")
    return models.Keyset(order, occurred_at, seq)
