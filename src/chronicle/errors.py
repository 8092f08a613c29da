"""One exception tree for everything the core raises; routers map it to each API's error shape."""

from __future__ import annotations


class ChronicleError(Exception):
    """Base of every error the core raises on purpose."""


class InvalidInput(ChronicleError):
    """The caller sent something the store cannot accept as given."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(ChronicleError):
    """The thing asked for does not exist (or belongs to another tenant)."""


class Conflict(ChronicleError):
    """The write contradicts what is stored."""


class Unsupported(ChronicleError):
    """The backend cannot answer this exactly, so it refuses rather than approximating."""


class StorageError(ChronicleError):
    """The database failed; the message says how, without driver types leaking out."""


class Unauthenticated(ChronicleError):
    """No key, or a key that is unknown or revoked."""


class Forbidden(ChronicleError):
    """A valid key without the scope the operation needs."""
