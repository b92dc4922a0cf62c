"""The reports' pages (R-3.4d, R-3.4g) for teachers, the administration and auditors: the
classes and journals the viewer may read, and for each the programme's completion, the
homework load by day, attendance and performance, with charts over weeks drawn as SVG on the
server. Each reads what the API's report answers (``api.reporting``: the same access rules,
staff reads logged the same way)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.responses import Response

from ejournal.api import queries, reporting
from ejournal.api.deps import Principal, ServicesDep
from ejournal.api.lookup_access import current, may_read_class
from ejournal.api.services import Services
from ejournal.domain.values import Role
from ejournal.projections import lookup_reads
from ejournal.projections.lookup_reads import ClassRow, JournalRow
from ejournal.web import i18n
from ejournal.web.charts import Point, bar_chart, line_chart
from ejournal.web.lookups import today
from ejournal.web.params import an_id, optional_day
from ejournal.web.routing import PageRoute, only, render, signed_in

router = APIRouter(route_class=PageRoute, include_in_schema=False)

STAFF = ("teacher", "admin", "auditor")
#: An id or a date as a form sends it: empty when not chosen.
Raw = Annotated[str, Query(max_length=64)]
ClassQuery = Annotated[str, Query(alias="class", max_length=64)]
FromQuery = Annotated[str, Query(alias="from", max_length=10)]
ToQuery = Annotated[str, Query(alias="to", max_length=10)]




@dataclass(frozen=True)
class ClassReports:
    school_class: ClassRow
    journals: list[JournalRow]  # those whose programme the viewer may read


def _readable(svc: Services, viewer: Principal) -> list[ClassReports]:
    """The classes whose reports the viewer may read (all the school's for its admin and
    auditor; a teacher's classes as class teacher or teacher of one of their journals), each
    with the journals whose programme they may read."""
    current(svc)
    assert viewer.school_id is not None  # noqa: S101 - staff belong to a school
    with svc.reader.connect() as conn:
        found = []
        for row in lookup_reads.read_classes(conn, viewer.school_id):
            if viewer.role is Role.TEACHER and not lookup_reads.teaches_class(
                    conn, viewer.user_id, row.id):
                continue
            journals = [j for j in lookup_reads.read_class_journals(conn, row.id)
                        if viewer.role is not Role.TEACHER
                        or viewer.user_id in (j.teacher_id, row.class_teacher_id)]
            found.append(ClassReports(row, journals))
        return found


def _periods(svc: Services, school_class: ClassRow) -> list[dict[str, Any]]:
    """The periods of the class's year, in order."""
    with svc.reader.connect() as conn:
        years = lookup_reads.read_years(conn, school_class.school_id)
    return next((y.periods for y in years if y.id == school_class.year_id), [])


def _class(svc: Services, viewer: Principal, raw: str) -> ClassRow:
    current(svc)
    with svc.reader.connect() as conn:
        return may_read_class(conn, viewer, an_id("class", raw))


def _span(first: str, last: str, today: date) -> tuple[date, date]:
    try:
        return queries.span(optional_day("from", first), optional_day("to", last), today)
    except HTTPException:
        raise HTTPException(422, "`to` is before `from`") from None


@router.get("/reports")
def reports_page(request: Request, svc: ServicesDep) -> Response:
    viewer = signed_in(request)
    only(viewer, *STAFF)
    classes = _readable(svc, viewer)
    return render(request, "reports/index.html", title="Отчёты", classes=classes)


@router.get("/reports/programme")
def programme_page(request: Request, svc: ServicesDep, journal: Raw = "") -> Response:
    viewer = signed_in(request)
    only(viewer, *STAFF)
    journal_id = an_id("journal", journal)
    done = reporting.programme_completion(svc, viewer, journal_id)
    with svc.reader.connect() as conn:
        detail = lookup_reads.read_journal(conn, journal_id)
    return render(request, "reports/programme.html", title="Выполнение программы",
                  done=done, journal=detail)


@router.get("/reports/homework")
def homework_page(request: Request, svc: ServicesDep, class_id: ClassQuery = "",
                  first: FromQuery = "", last: ToQuery = "") -> Response:
    viewer = signed_in(request)
    only(viewer, *STAFF)
    school_class = _class(svc, viewer, class_id)
    span = _span(first, last, today(svc, viewer))
    days = reporting.homework_load(svc, viewer, school_class.id, *span)
    return render(request, "reports/homework.html", title="Домашняя нагрузка",
                  school_class=school_class, days=days, span=span,
                  over=sum(1 for d in days if d.over_limit),
                  limit=days[0].limit_minutes if days else None)


@router.get("/reports/attendance")
def attendance_page(request: Request, svc: ServicesDep, class_id: ClassQuery = "",
                    first: FromQuery = "", last: ToQuery = "") -> Response:
    viewer = signed_in(request)
    only(viewer, *STAFF)
    school_class = _class(svc, viewer, class_id)
    span = _span(first, last, today(svc, viewer))
    report = reporting.attendance(svc, viewer, school_class.id, *span)
    chart = bar_chart(
        f"Посещаемость {school_class.name} по неделям, % присутствовавших",
        [Point(i18n.column_date(w.week_of),
               round(100 * (w.student_lessons - w.absent) / w.student_lessons, 1)
               if w.student_lessons else None) for w in report.weeks])
    return render(request, "reports/attendance.html", title="Посещаемость",
                  school_class=school_class, report=report, span=span, chart=chart)


@router.get("/reports/performance")
def performance_page(request: Request, svc: ServicesDep, class_id: ClassQuery = "",
                     period: Raw = "") -> Response:
    viewer = signed_in(request)
    only(viewer, *STAFF)
    school_class = _class(svc, viewer, class_id)
    periods = _periods(svc, school_class)
    now = today(svc, viewer)
    chosen = (an_id("period", period) if period else next(
        (p["id"] for p in periods if p["starts_on"] <= now <= p["ends_on"]),
        periods[0]["id"] if periods else None))
    if chosen is None:
        raise HTTPException(404, "the class's year has no periods")
    report = reporting.performance(svc, viewer, school_class.id, chosen)
    chart = line_chart(f"Средний балл {school_class.name} по неделям",
                       [Point(i18n.column_date(w.week_of), w.average) for w in report.weeks])
    dynamics = {s.id: line_chart(f"{s.full_name}: средний балл с начала периода",
                                 [Point(i18n.column_date(w.week_of), w.running_average)
                                  for w in s.weeks]) for s in report.students}
    return render(request, "reports/performance.html", title="Успеваемость",
                  school_class=school_class, report=report, periods=periods,
                  period=next((p for p in periods if p["id"] == chosen), None), chart=chart,
                  dynamics=dynamics)

