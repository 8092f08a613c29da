"""Versioned schema migrations: ordered plain-SQL files per backend, recorded in a table."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True, slots=True)
class Migration:
    """One ``NNNN_name.sql`` file."""

    version: int
    name: str
    sql: str


def migrations(backend: str) -> list[Migration]:
    """Every migration of a backend (``sqlite`` or ``postgres``), in version order."""
    folder = resources.files("chronicle.storage").joinpath("sql", backend)
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            version, _, rest = entry.name.partition("_")
            found.append(Migration(int(version), rest.removesuffix(".sql"), entry.read_text()))
    return sorted(found, key=lambda m: m.version)


def pending(backend: str, applied: set[int]) -> list[Migration]:
    """The migrations not yet applied, in the order to apply them."""
    return [m for m in migrations(backend) if m.version not in applied]


VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS chronicle_schema (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
)
"""
