"""Chronicle: a self-hosted events service with a native API and four foreign dialects."""

from __future__ import annotations

__version__ = "0.1.0"

from chronicle.errors import (
    ChronicleError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    StorageError,
    Unauthenticated,
    Unsupported,
)
from chronicle.models import Event, EventQuery, NewEvent, Page, PageRequest
from chronicle.settings import Settings

__all__ = [
    "ChronicleError",
    "Conflict",
    "Event",
    "EventQuery",
    "Forbidden",
    "InvalidInput",
    "NewEvent",
    "NotFound",
    "Page",
    "PageRequest",
    "Settings",
    "StorageError",
    "Unauthenticated",
    "Unsupported",
    "__version__",
]
