"""The request threads' two lanes (``api/request_threads.py``): a read's blocking work waits for the
reads' threads only, a write's for the writes' only, whatever the other lane is doing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import anyio
from anyio import to_thread

from ejournal.api import request_threads as lanes


async def settled(condition: Callable[[], bool]) -> None:
    """Lets the other tasks run until ``condition`` holds, for at most 5 s (the assertions
    that follow tell what did not happen)."""
    with anyio.move_on_after(5):
        while not condition():
            await anyio.sleep(0.001)


def test_reads_and_writes_take_threads_of_their_own_lane() -> None:
    release = threading.Event()
    seen: dict[str, object] = {}

    async def scenario() -> None:
        installed = lanes.install(reads=1, writes=2)

        async def call(method: str, done: list[str]) -> None:
            lanes.enter(method)
            await to_thread.run_sync(release.wait)
            done.append(method)

        finished: list[str] = []
        try:
            await requests(installed, call, finished)
        finally:
            release.set()
        seen["finished"] = sorted(finished)
        seen["after"] = (installed.reads.borrowed_tokens, installed.writes.borrowed_tokens)

    async def requests(installed: lanes.Lanes, call: Any, finished: list[str]) -> None:
        async with anyio.create_task_group() as group:
            # Given a read holding the reads' one thread
            group.start_soon(call, "GET", finished)
            await settled(lambda: installed.reads.borrowed_tokens == 1)
            # When another read and two writes come
            group.start_soon(call, "HEAD", finished)
            group.start_soon(call, "POST", finished)
            group.start_soon(call, "DELETE", finished)
            await settled(lambda: installed.writes.borrowed_tokens == 2
                          and installed.reads.statistics().tasks_waiting == 1)
            # Then the second read waits for the reads' thread; the writes have theirs
            seen["reads"] = (installed.reads.borrowed_tokens,
                             installed.reads.statistics().tasks_waiting)
            seen["writes"] = (installed.writes.borrowed_tokens,
                              installed.writes.statistics().tasks_waiting)
            limiter: Any = to_thread.current_default_thread_limiter()
            seen["default"] = limiter is installed
            release.set()

    anyio.run(scenario)
    assert seen == {"reads": (1, 1), "writes": (2, 0), "default": True,
                    "finished": ["DELETE", "GET", "HEAD", "POST"], "after": (0, 0)}


def test_the_reads_lane_is_one_thread_on_sqlite_and_four_on_postgresql() -> None:
    assert lanes.read_threads("sqlite:///x.db") == 2
    assert lanes.read_threads("postgresql+psycopg://postgres@127.0.0.1/test") == 4
