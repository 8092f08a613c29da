"""The ``store`` fixture: an opened store on each backend's fresh database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from chronicle.storage import EventStore, open_store


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[EventStore]:
    opened = open_store(database_url)
    await opened.open()
    yield opened
    await opened.aclose()
