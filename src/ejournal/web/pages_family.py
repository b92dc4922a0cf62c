"""The family's pages (guardians and students): the week's diary, marks by subject, what is
new, and who read the child's data."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from ejournal.api.deps import SchoolDate, ServicesDep
from ejournal.web import reads
from ejournal.web.routing import PageRoute, only, render, signed_in

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Student = Annotated[UUID | None, Query(description="a student of the viewer's family")]


def _chosen(family: list[reads.Person], student: UUID | None) -> UUID | None:
    """The student asked for (the access rule decides whether it may be read), or the
    family's first."""
    if student is not None:
        return student
    return family[0].id if family else None


@router.get("/diary")
def diary(request: Request, svc: ServicesDep, student: Student = None,
          week: Annotated[SchoolDate | None, Query()] = None) -> Response:
    viewer = signed_in(request)
    only(viewer, "guardian", "student")
    family = reads.family(svc, viewer)
    chosen = _chosen(family, student)
    if chosen is None:
        return render(request, "no_children.html", title="Дневник")
    today = reads.today(svc, viewer)
    shown = reads.diary_week(svc, viewer, chosen, week or today)
    return render(request, "diary.html", title="Дневник", family=family, week=shown,
                  today=today)
