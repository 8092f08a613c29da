"""py-spy profiles of a running server, summarized as the functions that take the most samples.

``python -m bench.profile summarize FILE`` prints the summary of a py-spy ``--format raw``
(collapsed stacks) file. ``record`` is used by ``python -m bench --profile``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from bench.util import PYTHON, ROOT

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
PY_SPY = str(Path(PYTHON).parent / "py-spy")


def record(pid: int, seconds: float, out: Path, *, subprocesses: bool = False) -> subprocess.Popen[bytes]:
    """Start py-spy on ``pid`` for ``seconds`` (idle threads excluded); returns the process."""
    cmd = [PY_SPY, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200"]
    cmd += ["--format", "raw", "--output", str(out), "--nonblocking", "--threads"]
    if subprocesses:
        cmd.append("--subprocesses")
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _short(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match.group("file")
    for marker in ("site-packages/", "src/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match.group('func')} ({path})"


_IDLE_LEAVES = ("Condition.wait (", "_worker (concurrent", "Queue.get (", "select (", "poll (", "sleep (")


def _thread_group(header: str) -> str:
    """``thread (123): chronicle-sqlite-reader_0`` -> ``chronicle-sqlite-reader``."""
    name = header.split(":", 1)[1].strip() if ":" in header else header
    return re.sub(r"[_-]?\d+$", "", name) or name


def summarize(path: Path, top: int = 25) -> dict[str, Any]:
    """Where the samples are: per thread kind, and per function on the event-loop thread.

    Shares of the main thread are of its own samples (the event loop holds the GIL for most
    of the work, so that is where a hot spot costs throughput). Idle waits are left out.
    """
    threads: Counter[str] = Counter()
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    main_total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        raw = stack.split(";")
        header = raw[0] if raw[0].startswith("thread ") else "thread (?): ?"
        frames = [_short(f) for f in raw if not f.startswith(("process ", "thread "))]
        if not frames or frames[-1].startswith(_IDLE_LEAVES):
            continue
        group = _thread_group(header)
        threads[group] += count
        if group != "MainThread":
            continue
        main_total += count
        own[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count
    busy = sum(threads.values())
    return {
        "samples": busy,
        "threads": [(name, n / busy) for name, n in threads.most_common()] if busy else [],
        "main_samples": main_total,
        "self": [(name, n / main_total) for name, n in own.most_common(top)] if main_total else [],
        "inclusive": [(name, n / main_total) for name, n in inclusive.most_common(top * 3)]
        if main_total
        else [],
    }


def render(summary: dict[str, Any], top: int = 20) -> str:
    lines = [f"busy samples: {summary['samples']} (idle waits excluded); by thread:"]
    lines += [f"  {share:6.1%}  {name}" for name, share in summary["threads"]]
    lines += ["", f"event-loop thread ({summary['main_samples']} samples), self time:"]
    lines += [f"  {share:6.1%}  {name}" for name, share in summary["self"][:top]]
    lines += ["", "event-loop thread, inclusive (function on the stack):"]
    lines += [f"  {share:6.1%}  {name}" for name, share in summary["inclusive"][: top * 3]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    sub = parser.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("summarize")
    s.add_argument("file")
    s.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    print(render(summarize(Path(args.file), args.top), args.top))


if __name__ == "__main__":
    main()
