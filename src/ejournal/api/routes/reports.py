"""Reports (R-3.4d, R-3.4g): programme completion per journal; homework load, attendance and
performance per class - from the ``reports`` read model, once it holds the log as it stood
when the request arrived. Staff reads of students' attendance and marks are logged."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from fastapi import APIRouter

from ejournal.api import queries
from ejournal.api import report_responses as out
from ejournal.api.access import may_read_journal
from ejournal.api.deps import JournalReader, ServicesDep
from ejournal.api.lookup_access import StaffMember, current, may_read_class
from ejournal.api.queries import From, To
from ejournal.projections import report_reads as reports

router = APIRouter(prefix="/api/v1", tags=["reports"])


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


@router.get("/journals/{journal_id}/programme-completion",
            response_model=out.ProgrammeCompletionOut,
            summary="The work programme's topics against the lessons held (R-3.4g)")
def programme_completion(svc: ServicesDep, user: JournalReader, journal_id: UUID
                         ) -> dict[str, Any]:
    may_read_journal(svc, user, journal_id)
    current(svc)
    with svc.reader.connect() as conn:
        done = reports.read_programme_completion(conn, journal_id)
    return {"topics": [{"title": t.title, "planned_hours": t.planned_hours,
                        "held_lessons": t.held_lessons} for t in done.topics],
            "planned_total": done.planned_total, "held_total": done.held_total,
            "other_lessons": done.other_lessons, "percent": _number(done.percent)}


@router.get("/classes/{class_id}/homework-load", response_model=out.HomeworkLoadOut,
            summary="Each day's homework and its minutes against the limit (R-3.4g)")
def homework_load(svc: ServicesDep, user: StaffMember, class_id: UUID, first: From = None,
                  last: To = None) -> dict[str, Any]:
    current(svc)
    with svc.reader.connect() as conn:
        may_read_class(conn, user, class_id)
        span = queries.span(first, last, svc.now().date())
        days = reports.read_homework_load(conn, class_id, *span)
    return {"days": [{"date": d.date, "items": [
        {"journal_id": i.journal_id, "subject_name": i.subject_name, "homework": i.homework,
         "minutes": i.minutes} for i in d.items], "minutes": d.minutes,
        "limit_minutes": d.limit_minutes, "over_limit": d.over_limit,
        "unmeasured": d.unmeasured} for d in days]}
