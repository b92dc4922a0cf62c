"""The administration's pages of the school's structure (years and periods, subjects,
classes, staff; a class's students with their guardians, journals with substitutions, and
timetable) and the operator's list of schools."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from ejournal.api.deps import ServicesDep
from ejournal.api.requests import SchoolDate
from ejournal.web import lookups, pages_structure, school
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


@router.get("/schools")
def schools_page(request: Request, svc: ServicesDep) -> Response:
    viewer = signed_in(request)
    only(viewer, "operator")
    return render(request, "schools.html", title="Школы платформы",
                  cards=school.schools(svc, viewer))
