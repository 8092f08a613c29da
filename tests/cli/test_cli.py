"""The ``chronicle`` command, run in process against real databases."""

from __future__ import annotations

import re

import httpx
import pytest
from click.testing import CliRunner

from chronicle.cli import cli
from chronicle.settings import SETTING_NAMES


@pytest.fixture
def run(database_url):
    runner = CliRunner()

    def invoke(*args: str):
        result = runner.invoke(
            cli, [*args[:2], "--db", database_url, *args[2:]] if len(args) >= 2 else list(args)
        )
        return result

    return invoke


def test_keys_create_list_revoke_on_the_database(run):
    created = run(
        "keys",
        "create",
        "--name",
        "ci",
        "--tenant",
        "acme",
        "--scope",
        "events:read",
        "--scope",
        "events:write",
    )
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("chr_")
    listed = run("keys", "list")
    assert listed.exit_code == 0
    line = next(row for row in listed.stdout.splitlines() if "\tacme\t" in row)
    key_id = line.split("\t")[0]
    assert "events:read,events:write" in line
    assert secret not in listed.stdout
    revoked = run("keys", "revoke", key_id)
    assert revoked.exit_code == 0, revoked.output
    again = run("keys", "revoke", key_id)
    assert again.exit_code == 1
    assert "no live key" in again.output


def test_a_key_made_by_the_cli_works_on_a_running_server(run, serve):
    server = serve()
    created = run("keys", "create", "--name", "cli", "--tenant", "t", "--scope", "events:read")
    secret = created.stdout.strip().splitlines()[-1]
    response = httpx.get(f"{server.url}/api/v1/events", headers={"X-API-Key": secret})
    assert response.status_code == 200


def test_unknown_scope_is_refused_with_the_choices(run):
    result = run("keys", "create", "--name", "x", "--scope", "root")
    assert result.exit_code == 2
    assert "events:read" in result.output


def test_db_migrate_reports_the_head(run):
    result = run("db", "migrate")
    assert result.exit_code == 0, result.output
    assert "head seq 0" in result.output


def test_help_names_every_option_and_its_environment_variable():
    runner = CliRunner()
    top = runner.invoke(cli, ["--help"])
    assert top.exit_code == 0
    for command in ("serve", "keys", "db"):
        assert command in top.output
    serve_help = runner.invoke(cli, ["serve", "--help"]).output
    for text in (
        "--db",
        "CHRONICLE_DATABASE_URL",
        "--workers",
        "CHRONICLE_WORKERS",
        "--port",
        "CHRONICLE_ADMIN_KEY",
        "CHRONICLE_ANONYMOUS_TENANT",
    ):
        assert text in serve_help
    assert "CHRONICLE_DATABASE_URL" in runner.invoke(cli, ["keys", "create", "--help"]).output
    assert all(name.startswith("CHRONICLE_") for name in SETTING_NAMES)


def test_first_start_prints_an_admin_key_once(serve):
    first = serve(env={"CHRONICLE_ADMIN_KEY": ""})
    first.stop()
    printed = re.findall(r"chr_[A-Za-z0-9_-]{20,}", first.output())
    assert len(printed) == 1
    second = serve(env={"CHRONICLE_ADMIN_KEY": ""})
    response = httpx.get(f"{second.url}/api/v1/keys", headers={"Authorization": f"Bearer {printed[0]}"})
    assert response.status_code == 200
    second.stop()
    assert "chr_" not in second.output()


def test_two_workers_start_on_an_empty_store_with_one_admin_key(serve):
    """The parent migrates and bootstraps once; workers neither race nor print keys of their own."""
    server = serve(env={"CHRONICLE_ADMIN_KEY": ""}, workers=2)
    server.stop()
    printed = re.findall(r"chr_[A-Za-z0-9_-]{20,}", server.output())
    assert len(printed) == 1
    configured = serve(workers=2)
    assert httpx.get(f"{configured.url}/readyz").status_code == 200
