"""The reads' dependency for reading one's own write (``api/freshness.py``): the session's last
write and an ``X-Log-Position`` the client names are awaited on the event loop, never in a
request thread; a position beyond the log's head is ``422`` naming the header. Reads that a
streaming replica may serve (``api/replicas.py``) are told where to read."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool

from ejournal.api import freshness as bound
from ejournal.api.deps import CurrentUser, Principal, ServicesDep
from ejournal.api.queries import LogPosition
from ejournal.api.replicas import Reads
from ejournal.api.services import Services

HEADER = "X-Log-Position"


async def _must_see(svc: Services, user: Principal, position: int | None) -> int:
    """The position the read must see: the session's last write and the one the client
    named (``422`` beyond the log's head)."""
    freshness = svc.freshness
    if position is not None and position > freshness.projector.known_position:
        head = await run_in_threadpool(freshness.projector.head)
        if position > head:
            raise RequestValidationError([{
                "loc": ("header", HEADER), "type": "log_position",
                "msg": f"position {position} is beyond the log's head ({head})"}])
    last = (await run_in_threadpool(freshness.last_write, user.token)
            if freshness.shared is not None else freshness.last_write(user.token))
    return max(position or 0, last)


async def _primary_holds(svc: Services, target: int) -> None:
    if target and not await svc.freshness.reached(target):
        raise HTTPException(503, f"the read models have not reached log position {target} "
                                 f"within {bound.WAIT:g} s; retry",
                            headers={"Retry-After": "1"})


async def own_writes_seen(svc: ServicesDep, user: CurrentUser,
                          position: LogPosition = None) -> None:
    """A read's dependency: waits (on the event loop) until the read models hold the session's
    last write and the position the client named, if any."""
    await _primary_holds(svc, await _must_see(svc, user, position))


async def fresh_reads(svc: ServicesDep, user: CurrentUser,
                      position: LogPosition = None) -> Reads:
    """As :func:`own_writes_seen`, for reads a replica may serve: the replica when it holds
    the position the read must see (no wait), else the primary once it does."""
    target = await _must_see(svc, user, position)
    replica = svc.replica
    if replica is None:
        await _primary_holds(svc, target)
        return Reads(svc.reader)
    refusal = replica.refusal(target)
    if refusal is None:
        return Reads(svc.reader, replica, use_replica=True)
    await _primary_holds(svc, target)
    return Reads(svc.reader, replica, reason=refusal)


#: Declared by the reads that show journal entries.
OwnWritesSeen = Annotated[None, Depends(own_writes_seen)]
#: Declared by the reads a replica may serve: where to read (``Reads.run``).
FreshReads = Annotated[Reads, Depends(fresh_reads)]
