"""``chronicle serve``: run the HTTP server."""

from __future__ import annotations

import asyncio
import logging
import os

import click
import uvicorn

from chronicle import errors
from chronicle.api.app import announce_admin_key
from chronicle.cli.options import database_option
from chronicle.service import EventService
from chronicle.settings import Settings


@click.command()
@database_option
@click.option(
    "--host",
    envvar="CHRONICLE_HOST",
    show_envvar=True,
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on.",
)
@click.option(
    "--port",
    envvar="CHRONICLE_PORT",
    show_envvar=True,
    default=8080,
    show_default=True,
    type=int,
    help="Port to listen on.",
)
@click.option(
    "--workers",
    envvar="CHRONICLE_WORKERS",
    show_envvar=True,
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes. They share the database; every stream sees every process's writes.",
)
@click.option(
    "--log-level",
    envvar="CHRONICLE_LOG_LEVEL",
    show_envvar=True,
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    help="Log verbosity.",
)
def serve(database_url: str | None, host: str, port: int, workers: int, log_level: str) -> None:
    """Serve the native API, the dialects and the live streams.

    The schema is created or migrated at start. With no key in the store and no
    CHRONICLE_ADMIN_KEY, the first start prints a new admin key once.

    \b
    Other settings (environment only; see docs/settings.md):
      CHRONICLE_ADMIN_KEY          bootstrap admin key (tenant 'default')
      CHRONICLE_ANONYMOUS_TENANT   tenant for requests without a key (off by default)
      CHRONICLE_ANONYMOUS_SCOPES   their scopes, comma-separated
      CHRONICLE_HEARTBEAT_SECONDS  SSE heartbeat interval (15)
      CHRONICLE_MAX_BODY_BYTES     request body limit (8 MiB)
      CHRONICLE_CONSUL_MAX_PAYLOAD Consul event payload limit (512)
    """
    settings = Settings.from_env(database_url=database_url)
    # Worker processes build their app from the environment, so hand them the choices made here.
    os.environ["CHRONICLE_DATABASE_URL"] = settings.database_url
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        secret = asyncio.run(EventService.from_settings(settings).prepare())
    except errors.ChronicleError as exc:
        raise click.ClickException(f"cannot open the database: {exc}") from exc
    if secret is not None:
        announce_admin_key(secret)
    click.echo(
        f"Chronicle on http://{host}:{port} ({workers} worker(s)), "
        f"database {_redacted(settings.database_url)}",
        err=True,
    )
    uvicorn.run(
        "chronicle.api.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        timeout_graceful_shutdown=max(1, round(settings.shutdown_grace_seconds)),
        proxy_headers=True,
    )


def _redacted(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" in rest and ":" in rest.split("@", 1)[0]:
        user = rest.split("@", 1)[0].split(":", 1)[0]
        rest = f"{user}:***@{rest.split('@', 1)[1]}"
    return scheme + sep + rest
