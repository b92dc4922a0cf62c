"""The ledger's head: the SHA-256 chain over every event of the log as of a position, for the
school's administration, auditors and the operator. It is one head for the whole log and
reveals no school's data, so every school's admin and auditor see the same one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ejournal.api.deps import ServicesDep, allow
from ejournal.api.responses import LedgerHeadOut
from ejournal.domain.errors import InvalidEntry
from ejournal.domain.values import Role

router = APIRouter(prefix="/api/v1", tags=["ledger"])
LedgerReader = Depends(allow(Role.ADMIN, Role.AUDITOR, Role.OPERATOR,
                             detail="the ledger's head is for administrators, auditors and "
                                    "the operator"))


@router.get("/ledger/head", response_model=LedgerHeadOut, dependencies=[LedgerReader],
            summary="The chain's head as of a log position")
def head(svc: ServicesDep,
         position: Annotated[int | None, Query(ge=0, description="a log position (as a page "
                                                                 "or a manifest states it); "
                                                                 "left out, the log's head")
                             ] = None) -> LedgerHeadOut:
    """``sha256`` is the head of the chain after every event up to ``position``
    (docs/reliability.md, "Tamper evidence": how to recompute it). 64 zeros for an empty
    log."""
    try:
        found = svc.ledger.head() if position is None else svc.ledger.head_at(position)
    except ValueError as exc:
        raise InvalidEntry(str(exc), field="position") from exc
    return LedgerHeadOut(position=found.position, sha256=found.sha256)
