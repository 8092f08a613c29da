"""SQLiteStore: the embedded default. WAL, one writer thread per process, readers in a pool.

SQLite lets one writer hold the database lock at a time, and the seq row is updated inside
that lock, so seq numbers follow commit order across threads and processes alike. Other
processes' commits are seen by polling ``PRAGMA data_version``, which changes on every
commit by another connection and costs microseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from chronicle import errors, models
from chronicle.storage import grouping, migrate
from chronicle.storage.base import AppendRequest, Capabilities
from chronicle.storage.rows import EVENT_COLUMNS, event_from_row, event_row, meta_keys, meta_rows, tag_rows
from chronicle.storage.sqlbase import Row, SQLStore
from chronicle.storage.watch import HeadWatch
from chronicle.timefmt import now_ms

log = logging.getLogger("chronicle.storage.sqlite")
T = TypeVar("T")

_INSERT_EVENT = f"INSERT INTO events ({EVENT_COLUMNS}) VALUES ({', '.join('?' * 21)})"
_INSERT_TAG = "INSERT INTO event_tags (tenant_id, tag, occurred_at, seq) VALUES (?, ?, ?, ?)"
_INSERT_META = (
    "INSERT INTO event_meta (tenant_id, ns, key, kind, vtext, vnum, seq) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_DELETE_TAG = "DELETE FROM event_tags WHERE tenant_id = ? AND tag = ? AND occurred_at = ? AND seq = ?"
# "vtext = ?" (not IS) lets SQLite use the partial index on text values; likewise numbers.
_DELETE_META_TEXT = (
    "DELETE FROM event_meta WHERE tenant_id = ? AND ns = ? AND key = ? AND vtext = ? AND seq = ?"
)
_DELETE_META_NUMBER = (
    "DELETE FROM event_meta WHERE tenant_id = ? AND ns = ? AND key = ? AND vnum = ? AND seq = ?"
)
_UPSERT_COUNT = (
    "INSERT INTO event_counts (tenant_id, dim, bucket, key1, key2, total, successes, failures) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, dim, bucket, key1, key2) DO UPDATE "
    "SET total = total + excluded.total, successes = successes + excluded.successes, "
    "failures = failures + excluded.failures"
)
_CHUNK = 500


def path_of(url: str) -> str:
    """The file path of a ``sqlite:///path`` URL (``sqlite:////abs`` or ``sqlite:///rel``)."""
    path = url.removeprefix("sqlite:").removeprefix("//")
    path = path.removeprefix("/") if not path.startswith("//") else path[1:]
    if not path or path == ":memory:":
        raise errors.InvalidInput("SQLite needs a file path: sqlite:///chronicle.db")
    return path


class SQLiteStore(SQLStore):
    """Events in one SQLite file; several processes may share it."""

    style = "qmark"

    def __init__(
        self,
        url: str,
        *,
        synchronous: str = "FULL",
        poll_interval: float = 0.02,
        readers: int = 4,
    ) -> None:
        super().__init__()
        self.path = path_of(url)
        self.capabilities = Capabilities(name="sqlite", native_notifications=False)
        self._synchronous = synchronous
        self._poll_interval = poll_interval
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="chronicle-sqlite-writer")
        self._readers = ThreadPoolExecutor(readers, thread_name_prefix="chronicle-sqlite-reader")
        self._local = threading.local()
        self._wconn: sqlite3.Connection | None = None
        self._watch_conn: sqlite3.Connection | None = None
        self._watch = HeadWatch()
        self._poller: asyncio.Task[None] | None = None
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._lock_file: BinaryIO | None = None

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {self._synchronous}")
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA wal_autocheckpoint = 10000")
        conn.execute("PRAGMA cache_size = -65536")
        with self._lock:
            self._connections.append(conn)
        return conn

    async def open(self) -> None:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        await self._on_writer(self._open_writer)
        self._watch_conn = self._connect()
        self._watch.advance(await self.head())
        self._last_version = self._data_version()
        self._committer.start()
        self._poller = asyncio.create_task(self._poll(), name="chronicle-sqlite-poll")
        log.info("opened SQLite store %s", self.path)

    def _open_writer(self) -> None:
        self._wconn = self._connect()
        self._wconn.execute("BEGIN IMMEDIATE")
        try:
            self._wconn.execute(migrate.VERSION_TABLE)
            applied = {r[0] for r in self._wconn.execute("SELECT version FROM chronicle_schema")}
            for m in migrate.pending("sqlite", applied):
                log.info("applying migration %04d_%s", m.version, m.name)
                for statement in _statements(m.sql):
                    self._wconn.execute(statement)
                self._wconn.execute(
                    "INSERT INTO chronicle_schema (version, name, applied_at) VALUES (?, ?, datetime('now'))",
                    (m.version, m.name),
                )
            self._wconn.execute("COMMIT")
        except BaseException:
            self._wconn.execute("ROLLBACK")
            raise

    async def aclose(self) -> None:
        await self._committer.aclose()
        if self._poller is not None:
            self._poller.cancel()
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        if self._lock_file is not None:
            self._lock_file.close()

    async def ping(self) -> None:
        await self._fetch("SELECT 1", [])

    async def wait_for_new(self, after: int, timeout: float) -> int:
        return await self._watch.wait_past(after, timeout)

    def _data_version(self) -> int:
        assert self._watch_conn is not None
        return int(self._watch_conn.execute("PRAGMA data_version").fetchone()[0])

    async def _poll(self) -> None:
        # Runs on the event loop: both statements answer in microseconds under WAL.
        assert self._watch_conn is not None
        while True:
            await asyncio.sleep(self._poll_interval)
            try:
                version = self._data_version()
                if version != self._last_version:
                    self._last_version = version
                    head = self._watch_conn.execute("SELECT seq FROM chronicle_head").fetchone()[0]
                    self._watch.advance(int(head))
            except sqlite3.Error as exc:
                log.warning("polling for new commits failed: %s", exc)

    async def _on_writer(self, fn: Callable[[], T]) -> T:
        try:
            return await asyncio.get_running_loop().run_in_executor(self._writer, fn)
        except sqlite3.Error as exc:
            raise errors.StorageError(f"SQLite: {exc}") from exc

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            conn.execute("PRAGMA query_only = ON")
            # Readers share the OS page cache; a smaller private cache each keeps RSS down.
            conn.execute("PRAGMA cache_size = -16384")
            self._local.conn = conn
        return conn

    async def _fetch_together(self, statements: list[tuple[str, list[Any]]]) -> list[list[Row]]:
        def run() -> list[list[Row]]:
            conn = self._reader()
            return [conn.execute(sql, params).fetchall() for sql, params in statements]

        try:
            return await asyncio.get_running_loop().run_in_executor(self._readers, run)
        except sqlite3.Error as exc:
            raise errors.StorageError(f"SQLite: {exc}") from exc

    async def _execute(self, sql: str, params: Sequence[Any]) -> int:
        def run() -> int:
            assert self._wconn is not None
            return self._wconn.execute(sql, params).rowcount

        return await self._on_writer(run)

    async def _commit_group(self, requests: list[AppendRequest]) -> list[list[models.Written]]:
        plan = await self._on_writer(lambda: self._commit_group_sync(requests))
        if plan.inserts:
            self._committed(plan.inserts)
            self._watch.advance(plan.inserts[-1].seq)
        return plan.results

    def _commit_group_sync(self, requests: list[AppendRequest]) -> grouping.GroupPlan:
        conn = self._wconn
        assert conn is not None
        with self._writer_lock():
            conn.execute("BEGIN IMMEDIATE")
            try:
                plan = self._write_group(conn, requests)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return plan

    @contextlib.contextmanager
    def _writer_lock(self) -> Iterator[None]:
        # Writers of several processes queue on an OS lock rather than on SQLite's busy
        # handler, which polls with sleeps of up to 100 ms: with two `serve` workers that
        # turned a 2 ms wait into a 1 s tail. flock hands the lock over the moment it is free.
        if self._lock_file is None:
            self._lock_file = open(self.path + "-writer.lock", "a+b")  # noqa: SIM115 - held open for the store's life
        fcntl.flock(self._lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)

    def _write_group(self, conn: sqlite3.Connection, requests: list[AppendRequest]) -> grouping.GroupPlan:
        existing = _find_existing(conn, grouping.client_keys(requests))
        needed = grouping.inserts_needed(requests, existing)
        last = conn.execute(
            "UPDATE chronicle_head SET seq = seq + ? WHERE id = 1 RETURNING seq", (needed,)
        ).fetchone()[0]
        plan = grouping.plan_group(requests, existing, last - needed + 1, now_ms())
        if plan.deletes:
            conn.executemany("DELETE FROM events WHERE seq = ?", [(e.seq,) for e in plan.deletes])
            conn.executemany(_DELETE_TAG, [r for e in plan.deletes for r in tag_rows(e)])
            for event in plan.deletes:
                text, number = meta_keys(event)
                conn.executemany(_DELETE_META_TEXT, text)
                conn.executemany(_DELETE_META_NUMBER, number)
        conn.executemany(_INSERT_EVENT, [event_row(e) for e in plan.inserts])
        conn.executemany(_INSERT_TAG, [r for e in plan.inserts for r in tag_rows(e)])
        conn.executemany(_INSERT_META, [r for e in plan.inserts for r in meta_rows(e)])
        conn.executemany(_UPSERT_COUNT, plan.counts.rows())
        return plan


def _find_existing(
    conn: sqlite3.Connection, keys: list[grouping.EventKey]
) -> dict[grouping.EventKey, models.Event]:
    found: dict[grouping.EventKey, models.Event] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        where = " OR ".join("(tenant_id = ? AND id = ?)" for _ in chunk)
        params = [v for key in chunk for v in key]
        for row in conn.execute(f"SELECT {EVENT_COLUMNS} FROM events WHERE {where}", params):
            event = event_from_row(row)
            found[(event.tenant_id, event.id)] = event
    return found


def _statements(script: str) -> list[str]:
    """Split a migration into statements (they contain no semicolons inside literals)."""
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
