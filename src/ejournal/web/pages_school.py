"""The administration's pages of the school's structure (years and periods, subjects,
classes, staff; a class's students with their guardians, journals with substitutions, and
timetable) and the operator's list of schools."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from ejournal.api.deps import ServicesDep
from ejournal.api.requests import SchoolDate
from ejournal.application.commands import ClosePeriod, ReopenPeriod
from ejournal.domain.errors import DomainError, NotFound, NotPermitted
from ejournal.web import i18n, lookups, pages_structure, school
from ejournal.web.routing import PageRoute, only, render, signed_in

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/school")
def school_page(request: Request, svc: ServicesDep, done: str | None = None) -> Response:
    viewer = signed_in(request)
    only(viewer, "admin")
    return pages_structure.school_page(request, svc, viewer, done=done)


@router.get("/school/classes/{class_id}")
def class_page(request: Request, svc: ServicesDep, class_id: UUID,
               on: Annotated[SchoolDate | None, Query()] = None, done: str | None = None
               ) -> Response:
    viewer = signed_in(request)
    only(viewer, "admin")
    return pages_structure.class_page(request, svc, viewer, class_id,
                                      on or lookups.today(svc, viewer), done=done)


@router.post("/school/years/{year_id}/periods/{period_id}/close")
async def close_period(request: Request, year_id: UUID, period_id: UUID) -> Response:
    """R-3.4b: the period's dates take no entry until it is reopened."""
    return await _period_write(request, year_id, period_id, None)


@router.post("/school/years/{year_id}/periods/{period_id}/reopen")
async def reopen_period(request: Request, year_id: UUID, period_id: UUID) -> Response:
    form = await request.form()
    return await _period_write(request, year_id, period_id, str(form.get("reason") or ""))


async def _period_write(request: Request, year_id: UUID, period_id: UUID,
                        reason: str | None) -> Response:
    """Closing (``reason`` None) or reopening; a refusal is said in Russian with its rule."""
    viewer = signed_in(request)
    only(viewer, "admin")
    svc = request.app.state.services
    school_id = school.admin_school(viewer)
    command = (ClosePeriod(viewer.user_id, school_id, year_id, period_id) if reason is None
               else ReopenPeriod(viewer.user_id, school_id, year_id, period_id, reason=reason))
    try:
        written = await run_in_threadpool(svc.app.execute, command)
    except (NotFound, NotPermitted):
        raise
    except DomainError as exc:
        return render(request, "refused.html", status=422, heading="Не записано",
                      text=i18n.refusal(exc))
    if written.position is not None:
        await run_in_threadpool(svc.projector.wait_for, written.position, 5.0)
    done = "closed" if reason is None else "reopened"
    return RedirectResponse(f"/school?done={done}#years", 303)


@router.get("/schools")
def schools_page(request: Request, svc: ServicesDep) -> Response:
    viewer = signed_in(request)
    only(viewer, "operator")
    return render(request, "schools.html", title="Школы платформы",
                  cards=school.schools(svc, viewer))
