"""Paper documents (R-3.4b, R-5.2b): the journal's paper form for a period, a student's табель
and a class's сводная ведомость, as PDF/A-2b (``ejournal.documents``). Each is made once the
read models hold the log as it stood when the request arrived; its pages state the log
position and ledger head it was made from. Staff reads are logged like the reads they print."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response

from ejournal.api.access import log_access, may_read_journal, not_found, student_access
from ejournal.api.deps import DiaryReader, JournalReader, Principal, ServicesDep, allow
from ejournal.api.lookup_access import current
from ejournal.documents.journal import Printed, UnknownPeriod, print_journal
from ejournal.documents.yearly import UnknownYear, print_report_card, print_summary_sheet
from ejournal.domain.errors import InvalidEntry
from ejournal.domain.values import Role
from ejournal.projections.lookup_reads import read_class

router = APIRouter(prefix="/api/v1", tags=["documents"])
#: A class's сводная ведомость: its class teacher (which class: below), admin, auditor.
SheetReader = Annotated[Principal, Depends(allow(
    Role.ADMIN, Role.AUDITOR, Role.TEACHER,
    detail="a class's summary sheet is for its class teacher, the administration and "
           "auditors"))]
PDF: dict[int | str, dict[str, Any]] = {200: {
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    "description": "The document, PDF/A-2b"}}
PeriodQuery = Annotated[UUID, Query(description="a period of the journal's year")]
YearQuery = Annotated[UUID, Query(description="a year of the school")]


def _pdf(printed: Printed, name: str) -> Response:
    return Response(printed.pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}.pdf"',
        "Cache-Control": "private, no-store"})


@router.get("/journals/{journal_id}/print", response_class=Response, responses=PDF,
            summary="The journal's paper form for a period (PDF/A-2b)")
def journal_print(svc: ServicesDep, user: JournalReader, journal_id: UUID,
                  period_id: PeriodQuery) -> Response:
    """For each month a left page (students × lessons: marks and «н») and a right page (date,
    what was done, homework), then the period's marks; every page's footer states the log
    position and ledger head it was made from."""
    may_read_journal(svc, user, journal_id)
    current(svc)
    try:
        printed = print_journal(svc.reader, svc.ledger, journal_id, period_id)
    except UnknownPeriod as exc:
        raise InvalidEntry(str(exc), field="period_id") from exc
    log_access(svc, user, printed.student_ids, "journal_print", svc.now())
    return _pdf(printed, f"journal-{journal_id}-{period_id}")


@router.get("/students/{student_id}/report-card", response_class=Response, responses=PDF,
            summary="The student's табель for a year (PDF/A-2b)")
def report_card(svc: ServicesDep, user: DiaryReader, student_id: UUID, year_id: YearQuery
                ) -> Response:
    """Each subject's period and year marks, and absences per period; a teacher's shows the
    classes and days their relation to the student held."""
    access = student_access(svc, user, student_id)
    current(svc)
    school_id = access.student.school_id
    if school_id is None:  # pragma: no cover - students belong to a school
        raise not_found("student", student_id)
    try:
        printed = print_report_card(svc.reader, svc.ledger, student_id, year_id, school_id,
                                    access.spans)
    except UnknownYear as exc:
        raise InvalidEntry(str(exc), field="year_id") from exc
    log_access(svc, user, student_id, "report_card", svc.now())
    return _pdf(printed, f"report-card-{student_id}-{year_id}")


@router.get("/classes/{class_id}/summary-sheet", response_class=Response, responses=PDF,
            summary="The class's сводная ведомость for a year (PDF/A-2b)")
def summary_sheet(svc: ServicesDep, user: SheetReader, class_id: UUID, year_id: YearQuery
                  ) -> Response:
    """Every student × subject × period mark, and absences, per period."""
    current(svc)
    with svc.reader.connect() as conn:
        found = read_class(conn, class_id)
    if (found is None or found.school_id != user.school_id
            or (user.role is Role.TEACHER and found.class_teacher_id != user.user_id)):
        raise not_found("class", class_id)
    try:
        printed = print_summary_sheet(svc.reader, svc.ledger, class_id, year_id)
    except UnknownYear as exc:
        raise InvalidEntry(str(exc), field="year_id") from exc
    log_access(svc, user, printed.student_ids, "summary_sheet", svc.now())
    return _pdf(printed, f"summary-sheet-{class_id}-{year_id}")
