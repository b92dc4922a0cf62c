"""Reports (R-3.4d, R-3.4g): programme completion per journal; homework load, attendance and
performance per class (``reporting``: who may read which, staff reads logged)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response

from ejournal.api import queries, reporting
from ejournal.api import report_responses as out
from ejournal.api.deps import JournalReader, ServicesDep
from ejournal.api.lookup_access import StaffMember
from ejournal.api.queries import From, To
from ejournal.api.routes.exports import XLSX_ANSWER, sheets_answer
from ejournal.projections.performance_reads import WeekAverage
from ejournal.sheets import reports as sheets

router = APIRouter(prefix="/api/v1", tags=["reports"])
#: ``?format=xlsx``: the report as a spreadsheet (``sheets.reports``); else JSON.
Format = Annotated[Literal["json", "xlsx"], Query(alias="format",
                                                 description="json (default) or xlsx")]


def _json(body: dict[str, Any]) -> Response:
    """The answer as its response model documents it, encoded straight from the report's rows
    (ids and dates as text): a class's year of attendance or a period's сводная ведомость is
    hundreds of objects, which FastAPI would otherwise validate again one by one."""
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str),
                    media_type="application/json")


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _week(w: WeekAverage) -> dict[str, Any]:
    return {"week_of": w.week_of, "average": _number(w.average),
            "running_average": _number(w.running_average)}


@router.get("/journals/{journal_id}/programme-completion",
            response_model=out.ProgrammeCompletionOut,
            summary="The work programme's topics against the lessons held (R-3.4g)",
            responses=XLSX_ANSWER)
def programme_completion(svc: ServicesDep, user: JournalReader, journal_id: UUID,
                         fmt: Format = "json") -> Response:
    done = reporting.programme_completion(svc, user, journal_id)
    if fmt == "xlsx":
        return sheets_answer(sheets.programme_sheets(done), fmt, "выполнение-программы")
    return _json({"topics": [{"title": t.title, "planned_hours": t.planned_hours,
                        "held_lessons": t.held_lessons} for t in done.topics],
            "planned_total": done.planned_total, "held_total": done.held_total,
            "other_lessons": done.other_lessons, "percent": _number(done.percent)})


@router.get("/classes/{class_id}/homework-load", response_model=out.HomeworkLoadOut,
            summary="Each day's homework and its minutes against the limit (R-3.4g)",
            responses=XLSX_ANSWER)
def homework_load(svc: ServicesDep, user: StaffMember, class_id: UUID, first: From = None,
                  last: To = None, fmt: Format = "json") -> Response:
    days = reporting.homework_load(svc, user, class_id,
                                   *queries.span(first, last, svc.now().date()))
    if fmt == "xlsx":
        return sheets_answer(sheets.homework_sheets(days), fmt, "нагрузка")
    return _json({"days": [{"date": d.date, "items": [
        {"journal_id": i.journal_id, "subject_name": i.subject_name, "homework": i.homework,
         "minutes": i.minutes} for i in d.items], "minutes": d.minutes,
        "limit_minutes": d.limit_minutes, "over_limit": d.over_limit,
        "unmeasured": d.unmeasured} for d in days]})


@router.get("/classes/{class_id}/attendance", response_model=out.AttendanceOut,
            summary="Each student's lessons and absences by reason (R-3.4g)",
            responses=XLSX_ANSWER)
def attendance(svc: ServicesDep, user: StaffMember, class_id: UUID, first: From = None,
               last: To = None, fmt: Format = "json") -> Response:
    report = reporting.attendance(svc, user, class_id,
                                  *queries.span(first, last, svc.now().date()))
    if fmt == "xlsx":
        return sheets_answer(sheets.attendance_sheets(report), fmt, "посещаемость")
    return _json({"students": [{"id": s.id, "full_name": s.full_name, "lessons": s.lessons,
                          "absent": s.absent, "by_reason": s.by_reason}
                         for s in report.students],
            "weeks": [{"week_of": w.week_of, "student_lessons": w.student_lessons,
                       "absent": w.absent} for w in report.weeks]})


@router.get("/classes/{class_id}/performance", response_model=out.PerformanceOut,
            summary="The сводная ведомость as data: averages and period marks (R-3.4g)",
            responses=XLSX_ANSWER)
def performance(svc: ServicesDep, user: StaffMember, class_id: UUID,
                period_id: Annotated[UUID, Query()], fmt: Format = "json") -> Response:
    report = reporting.performance(svc, user, class_id, period_id)
    if fmt == "xlsx":
        return sheets_answer(sheets.performance_sheets(report), fmt, "успеваемость")
    return _json({"students": [{"id": s.id, "full_name": s.full_name, "subjects": [
        {"journal_id": r.journal_id, "subject_name": r.subject_name,
         "average": _number(r.average), "weighted_average": _number(r.weighted_average),
         "period_mark": r.period_mark} for r in s.subjects], "weeks": [_week(w) for w in s.weeks]}
        for s in report.students],
        "subjects": [{"journal_id": x.journal_id, "subject_name": x.subject_name,
                      "average": _number(x.average)} for x in report.subjects],
        "weeks": [_week(w) for w in report.weeks]})
