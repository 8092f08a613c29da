"""The ``chronicle`` command: serve, manage keys, migrate the database."""

from __future__ import annotations

import click

from chronicle import __version__
from chronicle.cli.db import db
from chronicle.cli.keys import keys
from chronicle.cli.serve import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="chronicle")
def cli() -> None:
    """Chronicle, a self-hosted events service.

    Every option can also be set by an environment variable, named in each command's help.
    The database is chosen by --db / CHRONICLE_DATABASE_URL: sqlite:///path/file.db (the
    default, ./chronicle.db) or postgresql://user@host/db.
    """


cli.add_command(serve)
cli.add_command(keys)
cli.add_command(db)


def main() -> None:
    """Entry point of the ``chronicle`` script."""
    cli(auto_envvar_prefix=None)
