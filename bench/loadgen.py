"""The load generator for batches and queries: its own process (pinned to the client core).

``python -m bench.loadgen batch ...``   POST bodies from a file on N connections, bounded by
                                       count and time; prints throughput and latency as JSON.
``python -m bench.loadgen queries ...`` GET each path of a spec sequentially on one connection
                                       (warm-up, then timed iterations, bounded by count and time).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

import orjson
import uvloop

from bench.httpc import Connection
from bench.util import summarize_ms


async def batch(args: argparse.Namespace) -> dict[str, Any]:
    """Closed-loop POSTs of pre-built bodies; every connection sends its next body on each answer."""
    bodies = [line for line in Path(args.bodies).read_bytes().split(b"\n") if line]
    per_body = len(orjson.loads(bodies[0])) if bodies[0].startswith(b"[") else 1
    conns = [await Connection.open(args.port, args.key) for _ in range(args.concurrency)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + args.duration
    budget = [args.max_requests]

    async def worker(index: int, conn: Connection) -> None:
        i = index
        while budget[0] > 0 and time.perf_counter() < deadline:
            budget[0] -= 1
            sent = time.perf_counter()
            status, _ = await conn.request("POST", args.path, bodies[i % len(bodies)])
            latencies.append((time.perf_counter() - sent) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
            i += len(conns)

    started = time.perf_counter()
    await asyncio.gather(*(worker(i, c) for i, c in enumerate(conns)))
    seconds = time.perf_counter() - started
    for conn in conns:
        await conn.close()
    ok = sum(n for s, n in statuses.items() if 200 <= s < 300)
    return {
        "client": "python asyncio raw-socket HTTP/1.1 (bench.loadgen), own process",
        "requests": len(latencies),
        "ok": ok,
        "statuses": {str(k): v for k, v in statuses.items()},
        "events": ok * per_body,
        "seconds": seconds,
        "requests_per_s": ok / seconds,
        "events_per_s": ok * per_body / seconds,
        "latency_ms": summarize_ms(latencies),
    }


async def queries(args: argparse.Namespace) -> dict[str, Any]:
    """Each query timed alone: sequential requests on one keep-alive connection."""
    spec: list[dict[str, str]] = orjson.loads(Path(args.spec).read_bytes())
    conn = await Connection.open(args.port, args.key)
    results: dict[str, Any] = {}
    for item in spec:
        for _ in range(args.warmup):
            status, body = await conn.request("GET", item["path"])
        if status != 200:
            raise SystemExit(f"{item['path']} answered {status}: {body[:300]!r}")
        latencies: list[float] = []
        deadline = time.perf_counter() + args.seconds
        while len(latencies) < args.iterations and (time.perf_counter() < deadline or len(latencies) < 5):
            sent = time.perf_counter()
            status, body = await conn.request("GET", item["path"])
            latencies.append((time.perf_counter() - sent) * 1000)
        results[item["name"]] = {"latency_ms": summarize_ms(latencies), "sample": _sample(body)}
    await conn.close()
    return results


def _sample(body: bytes) -> dict[str, Any]:
    """What identifies the answer (to check it matches the hand SQL)."""
    data = orjson.loads(body)
    if "events" in data and isinstance(data["events"], list):
        return {
            "count": len(data["events"]),
            "total": data.get("total"),
            "first_seq": data["events"][0]["seq"] if data["events"] else None,
            "nextCursor": data.get("nextCursor"),
        }
    if "actors" in data:
        return {"count": len(data["actors"])}
    if "total" in data:
        return {"total": data["total"]}
    return {"seq": data.get("seq")}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen")
    sub = parser.add_subparsers(dest="mode", required=True)
    b = sub.add_parser("batch")
    b.add_argument("--port", type=int, required=True)
    b.add_argument("--key", default=None)
    b.add_argument("--path", default="/api/v1/events")
    b.add_argument("--bodies", required=True)
    b.add_argument("--concurrency", type=int, default=4)
    b.add_argument("--duration", type=float, default=5.0)
    b.add_argument("--max-requests", type=int, default=1_000_000)
    q = sub.add_parser("queries")
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--key", default=None)
    q.add_argument("--spec", required=True)
    q.add_argument("--warmup", type=int, default=5)
    q.add_argument("--iterations", type=int, default=100)
    q.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    run = batch if args.mode == "batch" else queries
    result = uvloop.run(run(args))
    print(orjson.dumps(result).decode())


if __name__ == "__main__":
    main()
