"""SSE load: subscribers and a paced publisher, each its own process on the client core.

``subscribe``: opens N streams (raw asyncio protocols, no HTTP library), prints ``READY`` once
every stream has its first bytes, records ``(seq, monotonic_ns)`` of every frame until a line
arrives on stdin, then writes the records to ``--out`` and prints a JSON summary.

``publish``: POSTs single events at a fixed rate (open loop, scheduled ``i / rate`` from the
start, on a pool of keep-alive connections) and records when each was acknowledged. The
monotonic clock is system-wide, so acknowledgement and receipt times compare across processes.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import resource
import sys
import time
from array import array
from pathlib import Path
from typing import Any, cast

import orjson
import uvloop

from bench.httpc import Connection
from bench.util import HOST, summarize_ms

_ID = re.compile(rb"(?m)^id: (\d+)$")
_SEQ = re.compile(rb'"seq":(\d+)')


class Recorder:
    """Every frame's seq and arrival time, across all subscribers of this process."""

    def __init__(self) -> None:
        self.seqs = array("q")
        self.times = array("q")
        self.per_subscriber: list[int] = []

    def write(self, out: Path) -> None:
        with open(out.with_suffix(".seqs"), "wb") as fh:
            self.seqs.tofile(fh)
        with open(out.with_suffix(".times"), "wb") as fh:
            self.times.tofile(fh)


class Subscriber(asyncio.Protocol):
    """One stream: finds ``id: <seq>`` lines in whatever bytes arrive (chunked or not)."""

    def __init__(self, request: bytes, recorder: Recorder, index: int, ready: asyncio.Future[None]) -> None:
        self._request = request
        self._recorder = recorder
        self._index = index
        self._ready = ready
        self._tail = b""
        self._head_done = False
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        cast(asyncio.WriteTransport, transport).write(self._request)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic_ns()
        buf = self._tail + data if self._tail else data
        if not self._head_done:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self._tail = buf
                return
            if buf[9:12] != b"200" and not self._ready.done():
                self._ready.set_exception(RuntimeError(f"stream refused: {buf[:200]!r}"))
            self._head_done = True
            buf = buf[end + 4 :]
        cut = buf.rfind(b"\n")
        if cut < 0:
            self._tail = buf
            return
        self._tail = buf[cut + 1 :]
        if not self._ready.done():
            self._ready.set_result(None)
        ids = _ID.findall(buf, 0, cut + 1)
        if ids:
            rec = self._recorder
            rec.seqs.extend(map(int, ids))
            rec.times.extend([now] * len(ids))
            rec.per_subscriber[self._index] += len(ids)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self._ready.done():
            self._ready.set_exception(ConnectionError(f"stream closed before it began: {exc}"))


async def subscribe(args: argparse.Namespace) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    recorder = Recorder()
    request = (
        f"GET {args.path} HTTP/1.1\r\nHost: {HOST}:{args.port}\r\nAccept: text/event-stream\r\n"
        + (f"Authorization: Bearer {args.key}\r\n" if args.key else "")
        + "\r\n"
    ).encode()
    gate = asyncio.Semaphore(64)
    transports: list[asyncio.BaseTransport] = []
    protocols: list[Subscriber] = []

    async def connect(index: int) -> None:
        async with gate:
            ready: asyncio.Future[None] = loop.create_future()
            transport, protocol = await loop.create_connection(
                lambda: Subscriber(request, recorder, index, ready), HOST, args.port
            )
            transports.append(transport)
            protocols.append(protocol)
            await asyncio.wait_for(ready, 30)

    recorder.per_subscriber = [0] * args.subs
    started = time.monotonic()
    await asyncio.gather(*(connect(i) for i in range(args.subs)))
    connect_seconds = time.monotonic() - started
    cpu_before = _cpu()
    wall_before = time.monotonic()
    print(f"READY {args.subs}", flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)
    wall = time.monotonic() - wall_before
    cpu = _cpu() - cpu_before
    for transport in transports:
        transport.close()
    recorder.write(Path(args.out))
    counts = sorted(recorder.per_subscriber)
    return {
        "subscribers": args.subs,
        "connect_seconds": connect_seconds,
        "frames": len(recorder.seqs),
        "min_frames_per_subscriber": counts[0] if counts else 0,
        "max_frames_per_subscriber": counts[-1] if counts else 0,
        "closed_early": sum(p.closed for p in protocols),
        "client_cpu_fraction": cpu / wall if wall > 0 else 0.0,
    }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def publish(args: argparse.Namespace) -> dict[str, Any]:
    bodies = [line for line in Path(args.bodies).read_bytes().split(b"\n") if line]
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(args.conns):
        pool.put_nowait(await Connection.open(args.port, args.key))
    seqs, sends, acks = array("q"), array("q"), array("q")
    statuses: dict[int, int] = {}
    late = 0
    total = min(int(args.rate * args.duration), args.max_events)
    tasks: set[asyncio.Task[None]] = set()

    async def post(i: int, conn: Connection) -> None:
        sent = time.monotonic_ns()
        status, body = await conn.request("POST", "/api/v1/events", bodies[i % len(bodies)])
        acked = time.monotonic_ns()
        pool.put_nowait(conn)
        statuses[status] = statuses.get(status, 0) + 1
        found = _SEQ.search(body)
        if status in (200, 201) and found:
            seqs.append(int(found.group(1)))
            sends.append(sent)
            acks.append(acked)

    t0 = time.monotonic() + 0.05
    for i in range(total):
        delay = t0 + i / args.rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.01:
            late += 1
        conn = await pool.get()
        task = asyncio.create_task(post(i, conn))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    while tasks:
        await asyncio.gather(*list(tasks))
    seconds = (max(acks) - min(sends)) / 1e9 if acks else 0.0
    with open(Path(args.out).with_suffix(".pub"), "wb") as fh:
        array("q", [len(seqs)]).tofile(fh)
        seqs.tofile(fh)
        sends.tofile(fh)
        acks.tofile(fh)
    return {
        "client": "python asyncio raw-socket HTTP/1.1 (bench.sse_client), own process",
        "scheduled": total,
        "acked": len(seqs),
        "statuses": {str(k): v for k, v in statuses.items()},
        "late_sends": late,
        "achieved_rate": len(seqs) / seconds if seconds else 0.0,
        "post_latency_ms": summarize_ms([(a - s) / 1e6 for s, a in zip(sends, acks, strict=True)]),
    }


def read_publication(out: Path) -> tuple[array[int], array[int], array[int]]:
    """The publisher's ``(seqs, sends, acks)`` arrays."""
    with open(out.with_suffix(".pub"), "rb") as fh:
        count = array("q")
        count.fromfile(fh, 1)
        arrays = []
        for _ in range(3):
            values = array("q")
            values.fromfile(fh, count[0])
            arrays.append(values)
    return arrays[0], arrays[1], arrays[2]


def read_frames(out: Path) -> tuple[array[int], array[int]]:
    """The subscribers' ``(seqs, times)`` arrays."""
    seqs, times = array("q"), array("q")
    seqs.frombytes(out.with_suffix(".seqs").read_bytes())
    times.frombytes(out.with_suffix(".times").read_bytes())
    return seqs, times


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sse_client")
    sub = parser.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("subscribe")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--key", default=None)
    s.add_argument("--subs", type=int, required=True)
    s.add_argument("--path", default="/api/v1/events/stream")
    s.add_argument("--out", required=True)
    p = sub.add_parser("publish")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--key", default=None)
    p.add_argument("--rate", type=float, required=True)
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--max-events", type=int, default=100_000)
    p.add_argument("--bodies", required=True)
    p.add_argument("--conns", type=int, default=32)
    p.add_argument("--out", required=True)
    args = parser.parse_args()
    result = uvloop.run(subscribe(args) if args.mode == "subscribe" else publish(args))
    print(orjson.dumps(result).decode(), flush=True)


if __name__ == "__main__":
    main()
