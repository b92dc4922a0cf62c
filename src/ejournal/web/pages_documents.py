"""The journal's files from its grid: «Печать» (the paper form of a period, PDF/A) and «Скачать
XLSX» (the period's grid and summary); a student's «Табель» and a class's «Сводная ведомость»
(PDF/A) - the API's own routes (``api.routes.documents``,
``api.routes.exports``) behind the session: the same access rule and access log."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from ejournal.api.deps import ServicesDep
from ejournal.api.routes import documents, exports
from ejournal.web.routing import PageRoute, only, signed_in

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Period = Annotated[UUID, Query(alias="period")]
Year = Annotated[UUID, Query(alias="year")]
STAFF = ("teacher", "admin", "auditor")


@router.get("/journals/{journal_id}/print")
def journal_print(request: Request, svc: ServicesDep, journal_id: UUID, period: Period
                  ) -> Response:
    viewer = signed_in(request)
    only(viewer, *STAFF)
    return documents.journal_print(svc, viewer, journal_id, period)


@router.get("/journals/{journal_id}/export")
def journal_export(request: Request, svc: ServicesDep, journal_id: UUID, period: Period,
                   fmt: Annotated[str, Query(alias="format", max_length=8)] = "xlsx"
                   ) -> Response:
    viewer = signed_in(request)
    only(viewer, *STAFF)
    return exports.export_journal(svc, viewer, journal_id, period,
                                  "csv" if fmt == "csv" else "xlsx")


@router.get("/marks/report-card")
def report_card(request: Request, svc: ServicesDep, student: UUID, year: Year) -> Response:
    """A student's табель for a year: whoever reads the student's diary (the API's rule)."""
    viewer = signed_in(request)
    only(viewer, "student", "guardian", *STAFF)
    return documents.report_card(svc, viewer, student, year)


@router.get("/school/classes/{class_id}/summary-sheet")
def summary_sheet(request: Request, svc: ServicesDep, class_id: UUID, year: Year) -> Response:
    """A class's сводная ведомость: its class teacher, the administration and auditors."""
    viewer = signed_in(request)
    only(viewer, *STAFF)
    return documents.summary_sheet(svc, viewer, class_id, year)
