"""The reports as the API and the pages both serve them: the access rule first (404 for a
journal or class the viewer may not read), then the ``reports`` read model once it holds the
log as it stood when the request arrived, and staff reads of students' data logged."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from ejournal.api.access import log_access, may_read_journal
from ejournal.api.deps import Principal
from ejournal.api.lookup_access import current, may_read_class
from ejournal.api.services import Services
from ejournal.projections import lookup_reads, performance_reads
from ejournal.projections import report_reads as reports


def programme_completion(svc: Services, viewer: Principal, journal_id: UUID
                         ) -> reports.ProgrammeCompletion:
    may_read_journal(svc, viewer, journal_id)
    current(svc)
    with svc.reader.connect() as conn:
        return reports.read_programme_completion(conn, journal_id)


def homework_load(svc: Services, viewer: Principal, class_id: UUID, first: date, last: date
                  ) -> list[reports.LoadDay]:
    current(svc)
    with svc.reader.connect() as conn:
        may_read_class(conn, viewer, class_id)
        return reports.read_homework_load(conn, class_id, first, last)


def attendance(svc: Services, viewer: Principal, class_id: UUID, first: date, last: date
               ) -> reports.AttendanceReport:
    current(svc)
    with svc.reader.connect() as conn:
        may_read_class(conn, viewer, class_id)
        report = reports.read_attendance(conn, class_id, first, last)
    log_access(svc, viewer, (s.id for s in report.students), "attendance", svc.now())
    return report


def performance(svc: Services, viewer: Principal, class_id: UUID, period_id: UUID
                ) -> performance_reads.PerformanceReport:
    """The period's figures; its weeks up to today's (the school's date)."""
    current(svc)
    with svc.reader.connect() as conn:
        found = may_read_class(conn, viewer, class_id)
        report = performance_reads.read_performance(conn, class_id, period_id,
                                          weights=svc.app.work_weights(found.school_id),
                                          today=school_today(conn, found.school_id, svc.now()))
    log_access(svc, viewer, (s.id for s in report.students), "performance", svc.now())
    return report


def school_today(conn: Connection, school_id: UUID, now: datetime) -> date:
    """Today in the school's time zone."""
    found = lookup_reads.read_schools(conn, school_id)
    return now.astimezone(ZoneInfo(found[0].timezone)).date() if found else now.date()
