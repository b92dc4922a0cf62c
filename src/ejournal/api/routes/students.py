"""A student's family and final marks: the guardians linked to them (and ending a link), their
period marks (итоговые отметки), and a period mark's history of corrections."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from ejournal.api import histories
from ejournal.api.access import (
    log_access,
    may_read_student,
    student_access,
)
from ejournal.api.deps import (
    Administrator,
    DiaryReader,
    IdempotencyKey,
    JournalReader,
    ServicesDep,
)
from ejournal.api.lookup_access import FamilyReader, current
from ejournal.api.lookup_responses import GuardiansOut
from ejournal.api.responses import (
    HistoryOut,
    PeriodMarksOut,
    WrittenOut,
    history_out,
    period_mark_out,
    written_response,
)
from ejournal.application.commands import UnlinkGuardian
from ejournal.projections.diary import read_period_marks
from ejournal.projections.lookup_reads import read_guardians

router = APIRouter(prefix="/api/v1")


@router.get("/students/{student_id}/guardians", response_model=GuardiansOut,
            tags=["lookups"])
def guardians(svc: ServicesDep, user: FamilyReader, student_id: UUID) -> dict[str, Any]:
    """The guardians linked to the student now, in the order they were linked, and who linked
    them: the family sees who may read the child's data (R-5.3a)."""
    may_read_student(svc, user, student_id)
    current(svc)
    with svc.reader.connect() as conn:
        rows = read_guardians(conn, student_id)
    return {"items": [{"id": g.id, "full_name": g.full_name, "linked_at": g.linked_at,
                       "linked_by_name": g.linked_by_name} for g in rows], "next": None}


@router.post("/students/{student_id}/guardians/{guardian_id}/end", status_code=201,
             response_model=WrittenOut, tags=["school structure: people"])
def end_guardian_link(svc: ServicesDep, user: Administrator, student_id: UUID,
                      guardian_id: UUID, key: IdempotencyKey = None) -> JSONResponse:
    """The guardian no longer sees the student's data; the student's other guardians are
    told in their feed."""
    written = svc.app.execute(UnlinkGuardian(user.user_id, student_id, guardian_id=guardian_id),
                              idempotency_key=key)
    return written_response(written)


@router.get("/students/{student_id}/period-marks", response_model=PeriodMarksOut,
            tags=["reads"])
def period_marks(svc: ServicesDep, user: DiaryReader, student_id: UUID,
                 year_id: Annotated[UUID | None, Query(description="left out: every year")
                                    ] = None) -> dict[str, Any]:
    """The student's period and year marks as they stand, by period (terms, then the year)
    and subject; a teacher reads those of the days the student was in their class."""
    spans = student_access(svc, user, student_id).spans
    current(svc)
    with svc.reader.connect() as conn:
        rows = read_period_marks(conn, student_id, year_id=year_id, spans=spans)
    log_access(svc, user, student_id, "period_marks", svc.now())
    return {"items": [period_mark_out(p) for p in rows], "next": None}


@router.get("/journals/{journal_id}/period-marks/{period_mark_id}/history",
            response_model=HistoryOut, tags=["reads"])
def period_mark_history(svc: ServicesDep, user: JournalReader, journal_id: UUID,
                        period_mark_id: UUID) -> dict[str, Any]:
    """Given, then each correction with its reason, who and when (R-7.2)."""
    return history_out(histories.period_mark_history(svc, user, journal_id, period_mark_id))
