"""Fixtures: every backend-dependent test runs on a real SQLite file and a real PostgreSQL.

PostgreSQL: a template database is migrated once per session; each test gets its own
``CREATE DATABASE ... TEMPLATE`` copy. If PostgreSQL is unreachable the tests fail loudly.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from chronicle.api.app import create_app
from chronicle.settings import Settings
from chronicle.storage import open_store

ADMIN_KEY = "chr_test_admin_key"
BACKENDS = ["sqlite", "postgres"]
_counter = itertools.count()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--postgres-url",
        default=os.environ.get(
            "CHRONICLE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="PostgreSQL server for the tests (a maintenance database URL; tests create their own).",
    )


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def postgres_template(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """``(server URL, template name)``: a migrated template, dropped after the session."""
    server = request.config.getoption("--postgres-url")
    template = f"chronicle_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"

    async def setup() -> None:
        conn = await asyncpg.connect(server)
        try:
            await conn.execute(f'CREATE DATABASE "{template}"')
        finally:
            await conn.close()
        store = open_store(_with_database(server, template))
        await store.open()
        await store.aclose()

    asyncio.run(setup())
    yield server, template
    asyncio.run(_drop(server, template))


async def _drop(server: str, name: str) -> None:
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _fresh_postgres(server: str, template: str) -> str:
    name = f"chronicle_t_{os.getpid()}_{next(_counter)}"

    async def create() -> None:
        conn = await asyncpg.connect(server)
        try:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return _with_database(server, name)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'chronicle.db'}"
        return
    server, template = request.getfixturevalue("postgres_template")
    url = _fresh_postgres(server, template)
    yield url
    asyncio.run(_drop(server, url.rpartition("/")[2]))


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings for an app on the fresh database, with a known admin key."""
    return Settings(database_url=database_url, admin_key=ADMIN_KEY, heartbeat_seconds=15.0)


AppFactory = Callable[..., Any]


@pytest.fixture
async def app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app (in process, lifespan run), sending the admin key."""
    async with client_for(settings) as client:
        yield client


class client_for:
    """An in-process client for an app built from ``settings``; lifespan started and stopped."""

    def __init__(self, settings: Settings, key: str | None = ADMIN_KEY) -> None:
        self.app = create_app(settings)
        self.key = key

    async def __aenter__(self) -> httpx.AsyncClient:
        self._lifespan = self.app.router.lifespan_context(self.app)
        await self._lifespan.__aenter__()
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://chronicle.test", headers=headers
        )
        self._client.app = self.app  # type: ignore[attr-defined]
        return self._client

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()
        await self._lifespan.__aexit__(None, None, None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A real ``chronicle serve`` process on a free port."""

    def __init__(self, database_url: str, env: dict[str, str] | None = None, workers: int = 1) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {
            **os.environ,
            "CHRONICLE_ADMIN_KEY": ADMIN_KEY,
            "CHRONICLE_DATABASE_URL": database_url,
            **(env or {}),
        }
        # A file, not a pipe: a chatty server must never block on a full pipe.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server; closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "chronicle",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--log-level",
                "warning",
            ],
            env=environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chronicle serve exited early:\n{self.output()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("chronicle serve did not become ready in 30 s")

    def output(self) -> str:
        if self.log.closed:
            return self._captured
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self.log.closed:
            self._captured = self.output()
            self.log.close()


@pytest.fixture
def serve(database_url: str) -> Iterator[Callable[..., Server]]:
    """Start real ``chronicle serve`` processes on the fresh database; all stopped afterwards."""
    started: list[Server] = []

    def start(env: dict[str, str] | None = None, workers: int = 1, url: str | None = None) -> Server:
        server = Server(url or database_url, env, workers)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_KEY}"}
