"""A head value that tasks can wait on: the one wake-up mechanism under every notifier."""

from __future__ import annotations

import asyncio
import contextlib


class HeadWatch:
    """The highest committed seq this process knows of; ``wait_past`` sleeps until it grows."""

    def __init__(self, value: int = 0) -> None:
        self.value = value
        self._changed: asyncio.Future[None] | None = None
        self._sleepers: list[asyncio.Future[None]] = []

    def advance(self, value: int) -> None:
        """Record a new head; wakes every waiter if it grew."""
        if value <= self.value:
            return
        self.value = value
        self._wake_all()

    def _wake_all(self) -> None:
        if self._changed is not None and not self._changed.done():
            self._changed.set_result(None)
        self._changed = None
        sleepers, self._sleepers = self._sleepers, []
        for sleeper in sleepers:
            if not sleeper.done():
                sleeper.set_result(None)

    async def wait_past(self, after: int, timeout: float) -> int:
        """The head once it is above ``after``, or the current head after ``timeout`` seconds."""
        if self.value > after:
            return self.value
        if self._changed is None or self._changed.done():
            self._changed = asyncio.get_running_loop().create_future()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._changed), timeout)
        return self.value

    def poke(self) -> None:
        """Wake every waiter without changing the head (shutdown, revocations, heartbeats)."""
        self._wake_all()

    async def sleep_past(self, after: int) -> int:
        """Like ``wait_past`` with no timeout, but with no timer and no shield per call: one
        future per sleeper, woken by ``advance`` or ``poke``. This is what thousands of live
        streams wait on; their heartbeats come from a periodic ``poke``."""
        if self.value > after:
            return self.value
        sleeper = asyncio.get_running_loop().create_future()
        self._sleepers.append(sleeper)
        await sleeper
        return self.value
