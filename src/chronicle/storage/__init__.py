"""Storage backends, chosen by the database URL's scheme."""

from __future__ import annotations

from chronicle import errors
from chronicle.storage.base import AppendRequest, Capabilities, EventStore

__all__ = ["AppendRequest", "Capabilities", "EventStore", "open_store"]


def open_store(url: str, **options: object) -> EventStore:
    """The backend for a ``sqlite:///path`` or ``postgresql://...`` URL (not yet opened).

    Raises:
        InvalidInput: the URL names no known backend.
    """
    if url.startswith("sqlite:"):
        from chronicle.storage.sqlite import SQLiteStore

        return SQLiteStore(url, **options)  # type: ignore[arg-type]
    if url.startswith(("postgresql:", "postgres:")):
        from chronicle.storage.postgres import PostgresStore

        return PostgresStore(url, **options)  # type: ignore[arg-type]
    raise errors.InvalidInput(f"unsupported database URL {url!r}: use sqlite:/// or postgresql://")
