"""Settings, read from ``CHRONICLE_*`` environment variables; CLI flags override them."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import Any

DEFAULT_DATABASE_URL = "sqlite:///chronicle.db"


def _env_list(value: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in value.split(",") if s.strip())


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything an operator can set. Each field is ``CHRONICLE_<FIELD NAME IN CAPITALS>``."""

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    log_level: str = "info"
    admin_key: str | None = None
    anonymous_tenant: str | None = None
    anonymous_scopes: tuple[str, ...] = ()
    heartbeat_seconds: float = 15.0
    sse_retry_ms: int = 3000
    max_body_bytes: int = 8 * 1024 * 1024
    max_batch: int = 1000
    consul_max_payload: int = 512
    consul_list_limit: int = 256
    upload_max_bytes: int = 10 * 1024 * 1024
    sqlite_synchronous: str = "FULL"
    key_cache_seconds: float = 30.0
    live_window: int = 20_000
    telemetry: bool = False
    shutdown_grace_seconds: float = 5.0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from the environment, then ``overrides`` (ignoring ``None`` values)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"CHRONICLE_{f.name.upper()}")
            if raw is None:
                continue
            values[f.name] = _coerce(f.type, raw)
        if "database_url" not in values and env.get("DATABASE_URL_CHRONICLE"):
            values["database_url"] = env["DATABASE_URL_CHRONICLE"]
        settings = cls(**values)
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})


def _coerce(kind: Any, raw: str) -> Any:
    text = str(kind)
    if text.startswith("bool"):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if "tuple" in text:
        return _env_list(raw)
    if text.startswith("int"):
        return int(raw)
    if text.startswith("float"):
        return float(raw)
    return raw or None if "None" in text else raw


# Documented in docs/settings.md; tests/test_docs.py keeps the two in step.
SETTING_NAMES = tuple(f"CHRONICLE_{f.name.upper()}" for f in fields(Settings))
