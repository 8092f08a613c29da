"""SSE figures: delivery latency (POST acknowledged -> frame received) and frames/s per case.

Latency is also given from the POST being sent, which includes the commit: a server may write
the frame before the POST's answer, and then ack-to-frame is 0.

A case is ``subs`` subscribers on one server while a publisher POSTs single events at ``rate``
per second for ``duration`` seconds. The first ``warm`` seconds of events are not counted.
Frames not received ``grace`` seconds after the last POST count as infinitely late, so a
server that falls behind shows as a p99 of ``inf`` and a delivered share under 100%.
"""

from __future__ import annotations

import math
import os
import select
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from bench.sse_client import read_frames, read_publication
from bench.util import CLIENT_CPU, PYTHON, ROOT, Server, pinned, run_json, summarize_ms

IDLE_PATH = "/api/v1/events/stream?event_type=bench.never"


@dataclass(frozen=True)
class Case:
    """How many subscribers, at how many events per second."""

    subs: int
    rate: int

    @property
    def label(self) -> str:
        return f"{self.subs} subs x {self.rate} ev/s"


# Issue #3 asks for 1, 100 and 1,000 subscribers at 100 ev/s and 100 at 1,000 ev/s; issue #8
# adds rising rates for each subscriber count.
CASES = (Case(1, 100), Case(1, 1000), Case(100, 100), Case(100, 1000), Case(1000, 100))


class Subscribers:
    """A ``bench.sse_client subscribe`` process: started, ready, then stopped for its records."""

    def __init__(self, port: int, key: str | None, subs: int, path: str, out: Path) -> None:
        cmd = [PYTHON, "-m", "bench.sse_client", "subscribe", "--port", str(port), "--subs", str(subs)]
        cmd += ["--path", path, "--out", str(out)] + (["--key", key] if key else [])
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            pinned(cmd, CLIENT_CPU),
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def wait_ready(self, timeout: float) -> None:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else b""
        if not line.startswith(b"READY"):
            self.kill()
            _, err = self.proc.communicate(timeout=10)
            raise RuntimeError(f"subscribers did not connect: {err.decode()[-1500:]}")

    def stop(self) -> dict[str, Any]:
        out, err = self.proc.communicate(b"STOP\n", timeout=120)
        if self.proc.returncode != 0:
            raise RuntimeError(f"subscriber process failed: {err.decode()[-1500:]}")
        summary: dict[str, Any] = orjson.loads(out.decode().strip().splitlines()[-1])
        return summary

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()


def run_case(
    server: Server, key: str | None, case: Case, *, duration: float, grace: float, bodies: Path, work: Path
) -> dict[str, Any]:
    """One case on a running server; returns latency, frames/s and what both clients saw."""
    out = work / f"sse-{server.name}-{case.subs}x{case.rate}"
    subscribers = Subscribers(server.port, key, case.subs, "/api/v1/events/stream", out)
    try:
        subscribers.wait_ready(120)
        time.sleep(0.5)
        cpu_before = server_cpu(server)
        cmd = [
            PYTHON,
            "-m",
            "bench.sse_client",
            "publish",
            "--port",
            str(server.port),
            "--rate",
            str(case.rate),
        ]
        cmd += ["--duration", str(duration), "--bodies", str(bodies), "--out", str(out)]
        cmd += ["--key", key] if key else []
        started = time.monotonic()
        publisher = run_json(cmd, cpus=CLIENT_CPU, timeout=duration * 4 + 60)
        time.sleep(grace)
        server_busy = (server_cpu(server) - cpu_before) / (time.monotonic() - started)
        received = subscribers.stop()
    finally:
        subscribers.kill()
    result = analyze(out, case, warm=min(1.0, duration / 4))
    result.update(publisher=publisher, subscribers=received, server_cpu_fraction=server_busy)
    for suffix in (".pub", ".seqs", ".times"):
        out.with_suffix(suffix).unlink(missing_ok=True)
    return result


def server_cpu(server: Server) -> float:
    """CPU seconds the server's processes have used."""
    from bench.util import cpu_seconds, process_tree

    return sum(cpu_seconds(p) for p in process_tree(server.pid))


def analyze(out: Path, case: Case, *, warm: float) -> dict[str, Any]:
    """Latency of each counted frame from its event's acknowledgement, and the frame rate."""
    pub_seqs, sends, acks = read_publication(out)
    frame_seqs, frame_times = read_frames(out)
    if not pub_seqs:
        return {"error": "no event was acknowledged"}
    counted_from = min(sends) + int(warm * 1e9)
    ack_of = {s: a for s, sent, a in zip(pub_seqs, sends, acks, strict=True) if sent >= counted_from}
    sent_of = {s: sent for s, sent in zip(pub_seqs, sends, strict=True) if sent >= counted_from}
    latencies: list[float] = []
    from_send: list[float] = []
    before_ack = 0
    last_arrival = 0
    for seq, at in zip(frame_seqs, frame_times, strict=True):
        acked = ack_of.get(seq)
        if acked is None:
            continue
        from_send.append((at - sent_of[seq]) / 1e6)
        delay = (at - acked) / 1e6
        if delay < 0:
            before_ack += 1
            delay = 0.0
        latencies.append(delay)
        last_arrival = max(last_arrival, at)
    expected = len(ack_of) * case.subs
    missing = max(0, expected - len(latencies))
    first_ack = min(ack_of.values()) if ack_of else 0
    span = (last_arrival - first_ack) / 1e9 if last_arrival > first_ack else math.nan
    stats = summarize_ms(latencies + [math.inf] * missing)
    return {
        "events_counted": len(ack_of),
        "frames_expected": expected,
        "frames_received": len(latencies),
        "delivered_fraction": len(latencies) / expected if expected else math.nan,
        "frames_before_ack_fraction": before_ack / len(latencies) if latencies else 0.0,
        "frames_per_s": len(latencies) / span if span and span > 0 else math.nan,
        "latency_ms": stats,
        "latency_from_send_ms": summarize_ms(from_send + [math.inf] * missing),
    }


def idle_memory(
    server: Server, key: str | None, subs: int, work: Path, *, settle: float = 3.0
) -> dict[str, Any]:
    """Server RSS before and with ``subs`` idle subscribers (a filter no event matches).

    Ten streams are opened and closed first, so one-time costs of the first stream (lazy
    imports, caches) are not counted as per-subscriber memory.
    """
    warmup = Subscribers(server.port, key, 10, IDLE_PATH, work / f"idle-{server.name}")
    try:
        warmup.wait_ready(60)
        warmup.stop()
    finally:
        warmup.kill()
    time.sleep(1.0)
    before = server.rss()
    subscribers = Subscribers(server.port, key, subs, IDLE_PATH, work / f"idle-{server.name}")
    try:
        subscribers.wait_ready(120)
        time.sleep(settle)
        during = server.rss()
        subscribers.stop()
    finally:
        subscribers.kill()
    for suffix in (".seqs", ".times"):
        (work / f"idle-{server.name}").with_suffix(suffix).unlink(missing_ok=True)
    return {
        "subscribers": subs,
        "rss_before": before,
        "rss_with_subscribers": during,
        "bytes_per_subscriber": (during - before) / subs,
    }
