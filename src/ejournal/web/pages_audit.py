"""The auditor's pages (the school's admin reads them too): late entries, the entries the
scheduler found missing, and timeliness per teacher, with filters (teacher, class, subject,
rule, dates); each row links to its journal and to the entry's history - a mark's, a period
mark's, or a lesson's entries in the order recorded."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.responses import Response

from ejournal.api.closures import period_closures
from ejournal.api.deps import ServicesDep
from ejournal.domain.findings import RULES
from ejournal.web import audit, lookups, reads
from ejournal.web.params import optional_day, optional_id
from ejournal.web.routing import PageRoute, is_htmx, only, render, signed_in

router = APIRouter(route_class=PageRoute, include_in_schema=False)

#: A filter as the form sends it: empty when not chosen.
Field = Annotated[str, Query(max_length=64)]
STAFF = ("teacher", "admin", "auditor")
TITLES = {"late": "Поздние записи", "overdue": "Пропущенные записи",
          "timeliness": "Своевременность по учителям"}




@router.get("/audit")
def audit_page(request: Request, svc: ServicesDep, report: Field = "late",
               first: Annotated[str, Query(alias="from", max_length=10)] = "",
               last: Annotated[str, Query(alias="to", max_length=10)] = "",
               teacher: Field = "", class_id: Annotated[str, Query(alias="class",
                                                                  max_length=64)] = "",
               subject: Field = "", rule: Field = "",
               after: Annotated[int | None, Query(ge=0, le=2**62)] = None) -> Response:
    viewer = signed_in(request)
    only(viewer, "admin", "auditor")
    if report not in audit.REPORTS:
        raise HTTPException(422, "report is late, overdue or timeliness")
    if rule and rule not in RULES:
        raise HTTPException(422, "rule is one of " + ", ".join(RULES))
    offered = audit.choices(svc, viewer)
    chosen = audit.filters(viewer, offered, lookups.today(svc, viewer), report=report,
                           first=optional_day("from", first), last=optional_day("to", last),
                           teacher=optional_id("teacher", teacher),
                           class_id=optional_id("class", class_id),
                           subject=optional_id("subject", subject), rule=rule or None)
    context: dict[str, Any] = {}
    if report == "late":
        context["late"] = audit.late(svc, viewer, chosen, after)
        if after is None and viewer.school_id is not None:  # R-3.4b, on the first page
            context["closures"] = period_closures(svc, viewer.school_id, chosen.first,
                                                  chosen.last)
    elif report == "overdue":
        context["overdue"] = audit.overdue(svc, viewer, chosen)
    else:
        context["timeliness"] = audit.timeliness(svc, viewer, chosen)
    return render(request, "audit.html", title=TITLES[report], titles=TITLES,
                  chosen=chosen, offered=offered,
                  timezone=lookups.timezone(svc, viewer.school_id), **context)


@router.get("/journals/{journal_id}/lessons/{lesson_id}/history")
def lesson_history(request: Request, svc: ServicesDep, journal_id: UUID,
                   lesson_id: UUID) -> Response:
    viewer = signed_in(request)
    only(viewer, *STAFF)
    items = audit.lesson_history(svc, viewer, journal_id, lesson_id)
    lesson = lookups.lesson(svc, lesson_id)
    return render(request, "lesson_history.html", title="История урока", items=items,
                  lesson=lesson, back=f"/journals/{journal_id}",
                  timezone=lookups.timezone(svc, viewer.school_id))


@router.get("/journals/{journal_id}/period-marks/{period_mark_id}/history")
def period_mark_history(request: Request, svc: ServicesDep, journal_id: UUID,
                        period_mark_id: UUID) -> Response:
    viewer = signed_in(request)
    only(viewer, *STAFF)
    items = reads.period_mark_history(svc, viewer, journal_id, period_mark_id)
    template = "_history.html" if is_htmx(request) else "history.html"
    return render(request, template, title="История итоговой отметки", items=items,
                  timezone=lookups.timezone(svc, viewer.school_id),
                  back=f"/journals/{journal_id}")
