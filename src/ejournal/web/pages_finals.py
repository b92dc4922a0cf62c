"""The grid's «Итог» cell: a student's period mark for the period shown - given once (R-6.2,
late after the period's last day and said so at once, with the rule), then corrected with a
reason; its history one click away. With htmx it opens beside the grid and the answer updates
the cell in place; without JavaScript each form answers a page of its own."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import Response

from ejournal.api.deps import Principal, ServicesDep
from ejournal.web import finals, lookups
from ejournal.web.commands import Outcome
from ejournal.web.routing import PageRoute, is_htmx, only, render, signed_in

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FINAL = "/journals/{journal_id}/students/{student_id}/period-mark"
PeriodQuery = Annotated[UUID | None, Query(alias="period")]
Value = Annotated[str, Form(max_length=8)]
Text = Annotated[str, Form(max_length=2000)]


def _writer(request: Request) -> Principal:
    """As every journal write: its teachers and the school's admin (R-4.4); any other role
    is 403 before any id is looked at."""
    viewer = signed_in(request)
    only(viewer, "teacher", "admin")
    return viewer


def _final(request: Request, svc: ServicesDep, journal_id: UUID, student_id: UUID,
           period: UUID | None, outcome: Outcome | None = None, status: int = 200
           ) -> Response:
    viewer = signed_in(request)
    view = finals.final(svc, viewer, journal_id, student_id, period,
                        lookups.today(svc, viewer))
    if outcome is not None and outcome.refused:
        status = 422
    template = "_final.html" if is_htmx(request) else "final.html"
    return render(request, template, status=status, final=view, outcome=outcome,
                  back=f"/journals/{journal_id}?period={view.period.id}",
                  title=f"Итоговая отметка: {view.student.name}")


@router.get(FINAL)
def final(request: Request, svc: ServicesDep, journal_id: UUID, student_id: UUID,
          period: PeriodQuery = None) -> Response:
    only(signed_in(request), "teacher", "admin", "auditor")
    return _final(request, svc, journal_id, student_id, period)


@router.post(FINAL)
def give(request: Request, svc: ServicesDep, journal_id: UUID, student_id: UUID,
         value: Value = "", period: PeriodQuery = None) -> Response:
    viewer = _writer(request)
    chosen = finals.period_of(svc, viewer, journal_id, period, lookups.today(svc, viewer))
    outcome = finals.give(svc, viewer, journal_id, student_id, chosen.id, value)
    return _final(request, svc, journal_id, student_id, chosen.id, outcome, 201)


@router.post(FINAL + "/correction")
def correct(request: Request, svc: ServicesDep, journal_id: UUID, student_id: UUID,
            value: Value = "", reason: Text = "", period: PeriodQuery = None) -> Response:
    viewer = _writer(request)
    chosen = finals.period_of(svc, viewer, journal_id, period, lookups.today(svc, viewer))
    outcome = finals.correct(svc, viewer, journal_id, student_id, chosen.id, value, reason)
    return _final(request, svc, journal_id, student_id, chosen.id, outcome, 201)
