"""Reports (R-3.4d, R-3.4g): programme completion per journal; homework load, attendance and
performance per class - from the ``reports`` read model, once it holds the log as it stood
when the request arrived. Staff reads of students' attendance and marks are logged."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from ejournal.api import queries
from ejournal.api import report_responses as out
from ejournal.api.access import log_access, may_read_journal
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


@router.get("/classes/{class_id}/attendance", response_model=out.AttendanceOut,
            summary="Each student's lessons and absences by reason (R-3.4g)")
def attendance(svc: ServicesDep, user: StaffMember, class_id: UUID, first: From = None,
               last: To = None) -> dict[str, Any]:
    current(svc)
    with svc.reader.connect() as conn:
        may_read_class(conn, user, class_id)
        span = queries.span(first, last, svc.now().date())
        report = reports.read_attendance(conn, class_id, *span)
    log_access(svc, user, (s.id for s in report.students), "attendance", svc.now())
    return {"students": [{"id": s.id, "full_name": s.full_name, "lessons": s.lessons,
                          "absent": s.absent, "by_reason": s.by_reason}
                         for s in report.students],
            "weeks": [{"week_of": w.week_of, "student_lessons": w.student_lessons,
                       "absent": w.absent} for w in report.weeks]}


@router.get("/classes/{class_id}/performance", response_model=out.PerformanceOut,
            summary="The сводная ведомость as data: averages and period marks (R-3.4g)")
def performance(svc: ServicesDep, user: StaffMember, class_id: UUID,
                period_id: Annotated[UUID, Query()]) -> dict[str, Any]:
    current(svc)
    with svc.reader.connect() as conn:
        may_read_class(conn, user, class_id)
        report = reports.read_performance(conn, class_id, period_id)
    log_access(svc, user, (s.id for s in report.students), "performance", svc.now())
    return {"students": [{"id": s.id, "full_name": s.full_name, "subjects": [
        {"journal_id": r.journal_id, "subject_name": r.subject_name,
         "average": _number(r.average), "weighted_average": _number(r.weighted_average),
         "period_mark": r.period_mark} for r in s.subjects], "weeks": [
        {"week_of": w.week_of, "average": _number(w.average),
         "running_average": _number(w.running_average)} for w in s.weeks]}
        for s in report.students],
        "subjects": [{"journal_id": x.journal_id, "subject_name": x.subject_name,
                      "average": _number(x.average)} for x in report.subjects]}
