"""Closed periods (R-3.4b): the school's admin closes a period once its marks are in, and
reopens it with a reason. While it is closed, every entry, correction and period mark on its
dates is ``409`` with ``rule: "R-3.4b"`` (the journal commands check it, ``AcademicYear.
ensure_open``). Both are events of the period's year.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select

from ejournal.api.deps import Administrator, IdempotencyKey, ServicesDep
from ejournal.api.requests import StrictIn, Text
from ejournal.api.services import Services
from ejournal.application.commands import ClosePeriod, ReopenPeriod
from ejournal.application.results import Result
from ejournal.domain.errors import NotFound
from ejournal.projections.base import reading
from ejournal.projections.lookups import periods, years

router = APIRouter(prefix="/api/v1", tags=["school structure"])
#: How long a request for a period the read models do not know yet waits for them to reach
#: the log's head (a year planned a moment ago), before it answers 404.
CATCH_UP_SECONDS = 2.0


class ReopenIn(StrictIn):
    reason: Text


class PeriodStateOut(BaseModel):
    period_id: UUID
    closed: bool


def _year_of(svc: Services, school_id: UUID, period_id: UUID) -> UUID:
    """The year of the school that holds the period (from the lookups read model)."""
    query = (select(periods.c.year_id).join(years, years.c.year_id == periods.c.year_id)
             .where(periods.c.period_id == period_id, years.c.school_id == school_id))
    for attempt in range(2):
        with reading(svc.reader) as conn:
            found = conn.scalar(query)
        if found is not None:
            return UUID(str(found))
        if attempt == 0:
            svc.projector.wait_for(svc.app.store.head() or 0, timeout=CATCH_UP_SECONDS)
    raise NotFound(f"no period {period_id} in school {school_id}", field="period_id")


def _answer(written: Result, period_id: UUID, closed: bool) -> JSONResponse:
    body: dict[str, Any] = PeriodStateOut(period_id=period_id, closed=closed).model_dump(
        mode="json")
    headers = {"Idempotent-Replayed": "true"} if written.replayed else None
    return JSONResponse(body, status_code=201, headers=headers)


@router.post("/schools/{school_id}/periods/{period_id}/close", status_code=201,
             response_model=PeriodStateOut, summary="Close a period (R-3.4b)")
def close_period(svc: ServicesDep, user: Administrator, school_id: UUID, period_id: UUID,
                 key: IdempotencyKey = None) -> JSONResponse:
    """From now on every entry, correction and period mark on the period's dates is refused
    (``409``, ``rule: "R-3.4b"``) until the admin reopens it; closing a closed period is
    ``409``."""
    year_id = _year_of(svc, school_id, period_id)
    written = svc.app.execute(ClosePeriod(user.user_id, school_id, year_id, period_id),
                              idempotency_key=key)
    return _answer(written, period_id, closed=True)


@router.post("/schools/{school_id}/periods/{period_id}/reopen", status_code=201,
             response_model=PeriodStateOut, summary="Reopen a closed period (R-3.4b)")
def reopen_period(svc: ServicesDep, user: Administrator, school_id: UUID, period_id: UUID,
                  body: ReopenIn, key: IdempotencyKey = None) -> JSONResponse:
    """The period takes entries again; the reason is kept with the event. Reopening a period
    that is not closed is ``409``."""
    year_id = _year_of(svc, school_id, period_id)
    written = svc.app.execute(ReopenPeriod(user.user_id, school_id, year_id, period_id,
                                           reason=body.reason), idempotency_key=key)
    return _answer(written, period_id, closed=False)
