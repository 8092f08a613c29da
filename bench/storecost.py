"""What the durable write costs by itself: the store, no HTTP, single-event appends in groups.

``python -m bench.storecost [--group 64] [--groups 300]`` appends single-event requests
through Chronicle's own SQLite store, ``--group`` at a time (what 64 concurrent
POSTs become after group commit), on the server's core, and prints one JSON line: events per
second, and the CPU the SQLite writer thread spends per event (its own thread clock, so it
counts only the insert: row, indexes, tag and metadata rows, kept counts, WAL write and sync).

It is the floor under the single-POST figure: a request costs at least the bare HTTP work
(bare Starlette's time per request) plus this.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

import orjson

from bench import dataset
from bench.util import DATA, SERVER_CPU, on_cpu, sqlite_remove
from chronicle.api import schemas
from chronicle.storage import AppendRequest
from chronicle.storage.sqlite import SQLiteStore


class _WriterClock:
    """Sums the writer thread's CPU time over every group commit of a store."""

    def __init__(self, store: SQLiteStore) -> None:
        self.seconds = 0.0
        self.events = 0
        commit = store._commit_group_sync

        def timed(requests: list[AppendRequest]) -> Any:
            started = time.thread_time()
            try:
                return commit(requests)
            finally:
                self.seconds += time.thread_time() - started
                self.events += sum(len(r.events) for r in requests)

        store._commit_group_sync = timed  # type: ignore[method-assign]


async def measure(path: Path, group: int, groups: int) -> dict[str, Any]:
    """Warm the store with ``groups`` groups, then time as many more."""
    bodies = dataset.request_bodies(11, 500, 1)
    events = [schemas.EventIn.model_validate(orjson.loads(b)).to_new_event() for b in bodies]
    sqlite_remove(path)
    store = SQLiteStore(f"sqlite:///{path}")
    await store.open()
    sent = 0

    async def round_() -> None:
        nonlocal sent
        requests = [AppendRequest("acme", [events[(sent + i) % len(events)]]) for i in range(group)]
        sent += group
        await asyncio.gather(*(store.append(r) for r in requests))

    try:
        for _ in range(groups):
            await round_()
        clock = _WriterClock(store)
        started = time.perf_counter()
        for _ in range(groups):
            await round_()
        elapsed = time.perf_counter() - started
    finally:
        await store.aclose()
        sqlite_remove(path)
    return {
        "backend": "sqlite",
        "group": group,
        "events": clock.events,
        "events_per_s": clock.events / elapsed,
        "writer_cpu_us_per_event": clock.seconds / clock.events * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.storecost", description=__doc__)
    parser.add_argument("--group", type=int, default=64, help="single-event requests per group")
    parser.add_argument("--groups", type=int, default=300, help="groups to warm up, then to time")
    args = parser.parse_args()
    work = DATA / "work"
    work.mkdir(parents=True, exist_ok=True)
    with on_cpu({int(SERVER_CPU)}):
        result = asyncio.run(measure(work / "storecost.db", args.group, args.groups))
    print(orjson.dumps(result).decode())


if __name__ == "__main__":
    main()
