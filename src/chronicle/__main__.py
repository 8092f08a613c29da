"""``python -m chronicle``: the CLI."""

from __future__ import annotations

from chronicle.cli import main

main()
