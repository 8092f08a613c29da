"""Shared helpers: paths, processes (pinned, bounded, measured), statistics and databases."""

from __future__ import annotations

import contextlib
import math
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / "data"
RESULTS = BENCH / "results"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
CHRONICLE = str(ROOT / ".venv" / "bin" / "chronicle")
ADMIN_KEY = "bench-admin-key-not-secret"
PG_ROOT = "postgresql://postgres@127.0.0.1:5432"
SERVER_CPU = "0"
CLIENT_CPU = "1"
HOST = "127.0.0.1"


def log(message: str) -> None:
    """Progress on stderr, so stdout stays the report."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def settle(seconds: float = 2.0) -> None:
    """Flush what earlier sections wrote and let the disk go quiet before measuring again.

    The write sections leave hundreds of MiB of dirty pages; their writeback in the background
    added about 0.4 ms to read figures measured right after them.
    """
    os.sync()
    time.sleep(seconds)


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def pinned(cmd: Sequence[str], cpus: str | None) -> list[str]:
    """``cmd`` run under ``taskset -c cpus`` (or as is when ``cpus`` is ``None``)."""
    return ["taskset", "-c", cpus, *cmd] if cpus is not None else list(cmd)


# -- statistics ------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (``nan`` when empty)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize_ms(values: Sequence[float]) -> dict[str, float]:
    """p50, p90, p99, max and mean of latencies in milliseconds."""
    ordered = sorted(values)
    finite = [v for v in ordered if math.isfinite(v)]
    return {
        "n": len(ordered),
        "p50": percentile(ordered, 50),
        "p90": percentile(ordered, 90),
        "p99": percentile(ordered, 99),
        "max": ordered[-1] if ordered else math.nan,
        "mean": sum(finite) / len(finite) if finite else math.nan,
    }


# -- processes -------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/children") as fh:
                found.extend(int(c) for c in fh.read().split())
    return found


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(_children(current))
    return tree


def rss_bytes(pid: int) -> int:
    """Resident memory of one process (``VmRSS``), 0 if it is gone."""
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used."""
    with contextlib.suppress(OSError, IndexError, ValueError), open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


@dataclass
class Server:
    """A server process we started (in its own session), with its port."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    workers: int
    log_path: Path
    started: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss(self) -> int:
        """Resident bytes of the whole tree (supervisor and workers)."""
        return sum(rss_bytes(p) for p in process_tree(self.pid))

    def worker_pids(self) -> list[int]:
        """The processes that serve requests (the process itself with one worker)."""
        tree = process_tree(self.pid)
        return tree[1:] if self.workers > 1 and len(tree) > 1 else tree[:1]

    def stop(self) -> None:
        """SIGTERM, then SIGKILL of our own process group after 15 s."""
        if self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def start_server(
    name: str, cmd: Sequence[str], *, port: int, workers: int, env: dict[str, str] | None = None
) -> Server:
    """Start a server (pinned to the server core with one worker) and wait until it answers."""
    DATA.mkdir(parents=True, exist_ok=True)
    log_path = DATA / f"server-{name}.log"
    cpus = SERVER_CPU if workers == 1 else None
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(
            pinned(cmd, cpus),
            cwd=ROOT,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(name, proc, port, workers, log_path)
    try:
        wait_listening(port, proc, timeout=60)
    except BaseException:
        server.stop()
        raise
    time.sleep(0.5 if workers == 1 else 2.0)  # every worker finishes its lifespan startup
    return server


def chronicle_server(
    name: str, db_url: str, *, workers: int, extra_env: dict[str, str] | None = None
) -> Server:
    """``chronicle serve`` as an operator would run it, with the bench admin key."""
    port = free_port()
    cmd = [CHRONICLE, "serve", "--db", db_url, "--port", str(port), "--workers", str(workers)]
    cmd += ["--log-level", "warning"]
    env = {"CHRONICLE_ADMIN_KEY": ADMIN_KEY, **(extra_env or {})}
    return start_server(name, cmd, port=port, workers=workers, env=env)


def uvicorn_server(name: str, factory: str, *, workers: int) -> Server:
    """A bench baseline app on the same server stack (uvicorn, same options as ``serve``)."""
    port = free_port()
    cmd = [PYTHON, "-m", "uvicorn", factory, "--factory", "--host", HOST, "--port", str(port)]
    cmd += ["--workers", str(workers), "--log-level", "warning", "--timeout-graceful-shutdown", "2"]
    return start_server(name, cmd, port=port, workers=workers)


def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Until an HTTP GET /healthz on ``port`` gets any answer (the process must stay up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            if sock.recv(64).startswith(b"HTTP/1.1"):
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing answered on port {port} within {timeout:.0f} s")


def run_json(cmd: Sequence[str], *, cpus: str | None, timeout: float) -> dict[str, object]:
    """Run a load-generator process to completion; its last stdout line is JSON."""
    import orjson

    done = subprocess.run(
        pinned(cmd, cpus),
        cwd=ROOT,
        capture_output=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[0:4]} failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    lines = done.stdout.decode().strip().splitlines()
    result: dict[str, object] = orjson.loads(lines[-1])
    return result


@contextlib.contextmanager
def on_cpu(cpus: set[int]) -> Iterator[None]:
    """Run this process on ``cpus`` for the duration (hand SQL is timed on the server's core)."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


# -- databases -------------------------------------------------------------------------


def pg_url(database: str) -> str:
    """The URL of a database on the bench PostgreSQL."""
    return f"{PG_ROOT}/{database}"


async def pg_recreate(database: str) -> None:
    """Drop (forcibly) and create an empty database."""
    import asyncpg

    conn = await asyncpg.connect(pg_url("postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()


async def pg_exists(database: str) -> bool:
    """Whether the database exists."""
    import asyncpg

    conn = await asyncpg.connect(pg_url("postgres"))
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database))
    finally:
        await conn.close()


def sqlite_remove(path: Path) -> None:
    """Delete a SQLite database with its WAL and shared-memory files."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
