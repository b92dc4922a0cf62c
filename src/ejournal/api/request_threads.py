"""Two lanes of request threads in one server process: the reads' (``GET``, ``HEAD``) and the
writes' (every other method, and work outside a request). FastAPI runs each sync dependency
and route in a thread of anyio's default limiter; ``install`` makes that limiter a ``Lanes``,
which hands each call a token of its request's lane (``enter``, called by the edge layer).

Why two: a read wants few threads, a write several. pysqlite releases the GIL around every
row step, so diary reads in eight threads of one process trade the GIL back and forth
(bench/http.py: a third of the reads a second, and more CPU each, than in one thread); a
write mostly waits for the group commit (``application/``), which fills only with several
writes in flight (marks 383/s with two threads, 480/s with eight)."""

from __future__ import annotations

from contextvars import ContextVar
from types import TracebackType
from typing import Any

from anyio import CapacityLimiter, to_thread

#: The lane of the request this task serves: True for a read.
_reading: ContextVar[bool] = ContextVar("ejournal_reading", default=False)

READS = frozenset({"GET", "HEAD"})


def enter(method: str) -> None:
    """The current request's lane, by its method (in the request's own task)."""
    _reading.set(method in READS)


class Lanes:
    """A thread limiter (anyio's ``async with limiter``) that takes each call's token from the
    reads' or the writes' limiter, by the lane of the request it serves."""

    def __init__(self, reads: int, writes: int) -> None:
        self.reads = CapacityLimiter(reads)
        self.writes = CapacityLimiter(writes)

    def _lane(self) -> CapacityLimiter:
        return self.reads if _reading.get() else self.writes

    @property
    def total_tokens(self) -> float:
        return self.reads.total_tokens + self.writes.total_tokens

    async def __aenter__(self) -> None:
        await self._lane().acquire()

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        self._lane().release()


def read_threads(database_url: str) -> int:
    """The reads' lane unless configured: two threads on SQLite (one cost ~10 % less CPU a
    diary read, but a read that waits in its thread for the projector - a teacher's relation
    to a student, the lookups - would hold up every other), four on PostgreSQL (where a read's
    thread mostly waits on the network, GIL released: the same CPU a diary read with one
    thread or four)."""
    return 2 if database_url.startswith("sqlite") else 4


def install(reads: int, writes: int) -> Lanes:
    """Makes ``Lanes`` the default thread limiter of the running event loop."""
    from anyio._backends._asyncio import _default_thread_limiter  # no public setter

    lanes = Lanes(reads, writes)
    limiter: Any = lanes
    _default_thread_limiter.set(limiter)
    if to_thread.current_default_thread_limiter() is not limiter:
        raise RuntimeError("anyio's default thread limiter is no longer where it was")
    return lanes
