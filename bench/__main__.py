"""``python -m bench``: run the benchmark suite."""

from __future__ import annotations

from bench.run import main

main()
