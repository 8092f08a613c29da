"""GroupCommitter: what goes into one group commit."""

from __future__ import annotations

import asyncio

from chronicle import models
from chronicle.storage import AppendRequest
from chronicle.storage.grouping import GroupCommitter


class RecordingCommit:
    """A commit function that records each group's size and writes nothing."""

    def __init__(self) -> None:
        self.groups: list[int] = []

    async def __call__(self, requests: list[AppendRequest]) -> list[list[models.Written]]:
        self.groups.append(len(requests))
        await asyncio.sleep(0.01)  # as a real transaction, it takes a while
        return [[] for _ in requests]


async def test_requests_arriving_over_a_few_loop_turns_share_one_group():
    commit = RecordingCommit()
    committer = GroupCommitter(commit)
    committer.start()

    async def client(turns: int) -> None:
        # Parsing a request takes the event loop a few turns before it reaches the queue.
        for _ in range(turns):
            await asyncio.sleep(0)
        await committer.submit(AppendRequest("t", [models.NewEvent()]))

    await asyncio.gather(*(client(i % 4) for i in range(40)))
    await committer.aclose()
    assert commit.groups == [40]


async def test_a_lone_request_is_committed_without_waiting_for_company():
    commit = RecordingCommit()
    committer = GroupCommitter(commit)
    committer.start()
    loop = asyncio.get_running_loop()
    started = loop.time()
    await committer.submit(AppendRequest("t", [models.NewEvent()]))
    # The commit itself sleeps 10 ms; gathering adds only a few loop turns.
    assert loop.time() - started < 0.05
    await committer.aclose()
    assert commit.groups == [1]
