"""Dialect registry: built-in and third-party dialects load the same way, by entry point."""

from __future__ import annotations

import logging
from importlib.metadata import entry_points

from chronicle.dialects.base import Dialect

log = logging.getLogger("chronicle.dialects")

GROUP = "chronicle.dialects"

__all__ = ["GROUP", "Dialect", "load_dialects"]


def load_dialects() -> list[Dialect]:
    """Every dialect registered under the ``chronicle.dialects`` entry-point group, by name."""
    found = []
    for entry in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        factory = entry.load()
        dialect: Dialect = factory()
        found.append(dialect)
        log.debug("loaded dialect %s from %s", entry.name, entry.value)
    return found
