"""API keys: generation, hashing and the principal a request acts as."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

SCOPES = (
    "events:read",
    "events:write",
    "vision-events:read",
    "vision-events:write",
    "device:update",
    "admin",
)
ADMIN = "admin"
DEFAULT_TENANT = "default"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as: a key (or the anonymous policy), its tenant and its scopes."""

    key_id: str | None
    tenant_id: str
    scopes: frozenset[str]

    def allows(self, *any_of: str) -> bool:
        """Whether the principal holds one of these scopes; ``admin`` implies every scope."""
        return ADMIN in self.scopes or any(scope in self.scopes for scope in any_of)


def new_secret() -> str:
    """A fresh key secret: 256 random bits, URL-safe."""
    return "chr_" + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    (
        """The stored form of a secret, looked up by an index on it.

    Secrets carry 256 random bits, so a fast hash suffices, and a lookup by digest reveals
    through timing at most digest prefixes, which do not help anyone find a secret.
    """
        ""
    )
    return hashlib.sha256(secret.encode()).hexdigest()
