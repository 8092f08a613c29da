"""Figures next to their same-run baselines: rows, the printed table and the JSON file."""

from __future__ import annotations

import math
import platform
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

from bench.util import RESULTS, ROOT


@dataclass
class Row:
    """One figure: its value, the baseline measured in the same run, their ratio, the target."""

    section: str
    figure: str
    config: str
    value: float
    unit: str
    baseline: str = ""
    baseline_value: float = math.nan
    ratio: float = math.nan
    target: str = ""
    ok: bool | None = None
    detail: str = ""


def throughput(section: str, figure: str, config: str, value: float, unit: str) -> Row:
    return Row(section, figure, config, value, unit)


def versus(
    row: Row, baseline: str, baseline_value: float, *, target: str = "", minimum: float | None = None
) -> Row:
    """``row`` compared with a baseline (higher is better when ``minimum`` is a ratio floor)."""
    row.baseline = baseline
    row.baseline_value = baseline_value
    row.ratio = row.value / baseline_value if baseline_value else math.nan
    row.target = target
    if minimum is not None:
        row.ok = row.ratio >= minimum
    return row


def _fmt(value: float, unit: str = "") -> str:
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    if unit == "B":
        return f"{value / 2**20:.1f} MiB" if value >= 2**20 else f"{value / 1024:.1f} KiB"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip() if unit else text


def render(rows: list[Row]) -> str:
    """A Markdown table, one section after another."""
    lines = [
        "| section | figure | config | value | baseline (same run) | baseline value | ratio | target | ok |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        unit = "" if r.unit == "B" else r.unit
        ok = "" if r.ok is None else ("yes" if r.ok else "NO")
        ratio = "" if math.isnan(r.ratio) else f"{r.ratio:.2f}"
        figure = f"{r.figure} ({r.detail})" if r.detail else r.figure
        value = _fmt(r.value, r.unit if r.unit == "B" else unit)
        base = _fmt(r.baseline_value, r.unit if r.unit == "B" else unit)
        cells = (r.section, figure, r.config, value, r.baseline, base, ratio, r.target, ok)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """What the run ran on and with."""
    from importlib.metadata import version

    def cmd(*args: str) -> str:
        try:
            return subprocess.run(
                args, capture_output=True, text=True, timeout=10, check=False
            ).stdout.strip()
        except OSError:
            return ""

    packages = ("fastapi", "starlette", "uvicorn", "uvloop", "httptools", "pydantic", "orjson", "asyncpg")
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": len(__import__("os").sched_getaffinity(0)),
        "git": cmd("git", "-C", str(ROOT), "describe", "--always", "--dirty"),
        "wrk": cmd("wrk", "--version").splitlines()[0] if cmd("wrk", "--version") else "",
        "postgres": cmd("psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW server_version"),
        "sqlite": __import__("sqlite3").sqlite_version,
        "packages": {p: version(p) for p in packages},
    }


def write(payload: dict[str, Any], rows: list[Row], quick: bool) -> Path:
    """``bench/results/<date>-<time>[-quick].json``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d-%H%M%S")
    path = RESULTS / f"{stamp}{'-quick' if quick else ''}.json"
    document = {**payload, "rows": [asdict(r) for r in rows]}
    path.write_bytes(
        orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY, default=str)
    )
    return path
