"""The reads' dependency for reading one's own write (``api/freshness.py``): the session's last
write and an ``X-Log-Position`` the client names are awaited on the event loop, never in a
request thread; a position beyond the log's head is ``422`` naming the header."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool

from ejournal.api import freshness as bound
from ejournal.api.deps import CurrentUser, ServicesDep
from ejournal.api.queries import LogPosition

HEADER = "X-Log-Position"


async def own_writes_seen(svc: ServicesDep, user: CurrentUser,
                          position: LogPosition = None) -> None:
    """A read's dependency: waits (on the event loop) until the read models hold the session's
    last write and the position the client named, if any."""
    freshness = svc.freshness
    if position is not None and position > freshness.projector.known_position:
        head = await run_in_threadpool(freshness.projector.head)
        if position > head:
            raise RequestValidationError([{
                "loc": ("header", HEADER), "type": "log_position",
                "msg": f"position {position} is beyond the log's head ({head})"}])
    last = (await run_in_threadpool(freshness.last_write, user.token)
            if freshness.shared is not None else freshness.last_write(user.token))
    target = max(position or 0, last)
    if target and not await freshness.reached(target):
        raise HTTPException(503, f"the read models have not reached log position {target} "
                                 f"within {bound.WAIT:g} s; retry",
                            headers={"Retry-After": "1"})


#: Declared by the reads that show journal entries.
OwnWritesSeen = Annotated[None, Depends(own_writes_seen)]
