"""``chronicle db``: schema management."""

from __future__ import annotations

import click

from chronicle.cli.options import database_option, with_service
from chronicle.service import EventService


@click.group()
def db() -> None:
    """Database schema commands."""


@db.command("migrate")
@database_option
def migrate(database_url: str | None) -> None:
    """Create or migrate the schema, then print the head seq. (serve also does this at start.)"""

    async def work(service: EventService) -> int:
        return await service.store.head()

    head = with_service(database_url, work)
    click.echo(f"schema is current; head seq {head}")
