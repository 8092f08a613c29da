"""``chronicle keys``: create, list and revoke API keys on the database directly."""

from __future__ import annotations

import click

from chronicle import auth, errors
from chronicle.cli.options import database_option, fail, with_service
from chronicle.service import EventService
from chronicle.timefmt import format_ms


@click.group()
def keys() -> None:
    """Manage API keys (works with the server stopped or running)."""


@keys.command("create")
@database_option
@click.option("--name", required=True, help="What the key is for.")
@click.option(
    "--tenant", "tenant_id", default=auth.DEFAULT_TENANT, show_default=True, help="Tenant the key belongs to."
)
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(auth.SCOPES),
    help="A scope to grant; repeat for several. 'admin' implies every scope.",
)
def create(database_url: str | None, name: str, tenant_id: str, scopes: tuple[str, ...]) -> None:
    """Create a key and print its secret (shown once; only a hash is stored)."""

    async def work(service: EventService) -> str:
        key, secret = await service.create_key(name, tenant_id, scopes)
        click.echo(f"created key {key.id} for tenant {tenant_id} with {', '.join(scopes)}", err=True)
        return secret

    click.echo(with_service(database_url, work))


@keys.command("list")
@database_option
def list_keys(database_url: str | None) -> None:
    """List keys (id, tenant, scopes, created, revoked), without secrets."""

    async def work(service: EventService) -> None:
        for key in await service.list_keys():
            revoked = format_ms(key.revoked_at) if key.revoked_at else "-"
            click.echo(
                f"{key.id}\t{key.tenant_id}\t{','.join(key.scopes)}\t{format_ms(key.created_at)}\t"
                f"{revoked}\t{key.name}"
            )

    with_service(database_url, work)


@keys.command("revoke")
@database_option
@click.argument("key_id")
def revoke(database_url: str | None, key_id: str) -> None:
    """Revoke a key: every server refuses it within a second, and its streams end."""

    async def work(service: EventService) -> None:
        try:
            await service.revoke_key(key_id)
        except errors.NotFound:
            fail(f"no live key {key_id}")
        click.echo(f"revoked {key_id}", err=True)

    with_service(database_url, work)
