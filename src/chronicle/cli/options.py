"""Options shared by several commands."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from chronicle.service import EventService
from chronicle.settings import Settings

T = TypeVar("T")

database_option = click.option(
    "--db",
    "--database-url",
    "database_url",
    envvar="CHRONICLE_DATABASE_URL",
    show_envvar=True,
    default=None,
    help="Database URL: sqlite:///path/file.db (default sqlite:///chronicle.db) or "
    "postgresql://user@host/db.",
)


def with_service(database_url: str | None, work: Callable[[EventService], Awaitable[T]]) -> T:
    """Open the store (migrating it), run ``work`` on a service, close it."""

    async def run() -> T:
        settings = Settings.from_env(database_url=database_url)
        service = EventService.from_settings(settings)
        await service.store.open()
        try:
            return await work(service)
        finally:
            await service.store.aclose()

    return asyncio.run(run())


def fail(message: str) -> Any:
    """Stop with an error message and exit status 1."""
    raise click.ClickException(message)
