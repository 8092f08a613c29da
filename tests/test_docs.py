"""The docs name every setting, command and dialect, and the README's commands are what CI runs."""

from __future__ import annotations

from pathlib import Path

import click

from chronicle.cli import cli
from chronicle.dialects import load_dialects
from chronicle.settings import SETTING_NAMES

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented():
    text = (ROOT / "docs" / "settings.md").read_text()
    missing = [name for name in SETTING_NAMES if f"`{name}`" not in text]
    assert not missing


def _commands(group: click.Group, prefix: str = "chronicle") -> list[str]:
    found = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            found.extend(_commands(command, path))
        else:
            found.append(path)
    return found


def test_every_cli_command_is_documented():
    text = (ROOT / "docs" / "cli.md").read_text()
    missing = [command for command in _commands(cli) if f"`{command}`" not in text]
    assert not missing


def test_every_dialect_has_a_page():
    for dialect in load_dialects():
        page = ROOT / "docs" / "dialects" / f"{dialect.name}.md"
        assert page.exists(), page
        assert len(page.read_text()) > 500


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme
    assert "make run" in readme
    assert "make test" in ci
