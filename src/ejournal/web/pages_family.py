"""The family's pages (guardians and students): the week's diary, marks by subject, what is
new, and who read the child's data."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.responses import Response

from ejournal.api.deps import Principal, ServicesDep
from ejournal.api.requests import SchoolDate
from ejournal.web import lookups, reads
from ejournal.web.routing import PageRoute, only, render, signed_in

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Student = Annotated[UUID | None, Query(description="a student of the viewer's family")]


def _family(request: Request, svc: ServicesDep, student: UUID | None, *roles: str
            ) -> tuple[Principal, list[lookups.Person], UUID | None]:
    """The viewer (of one of ``roles``), their family, and the student asked for (the access
    rule decides whether it may be read) or the family's first."""
    viewer = signed_in(request)
    only(viewer, *roles)
    family = reads.family(svc, viewer)
    chosen = student if student is not None else (family[0].id if family else None)
    return viewer, family, chosen


@router.get("/diary")
def diary(request: Request, svc: ServicesDep, student: Student = None,
          week: Annotated[SchoolDate | None, Query()] = None) -> Response:
    viewer, family, chosen = _family(request, svc, student, "guardian", "student")
    if chosen is None:
        return render(request, "no_children.html", title="Дневник")
    today = lookups.today(svc, viewer)
    shown = reads.diary_week(svc, viewer, chosen, week or today)
    return render(request, "diary.html", title="Дневник", family=family, week=shown,
                  today=today)


@router.get("/marks")
def marks(request: Request, svc: ServicesDep, student: Student = None,
          period: Annotated[UUID | None, Query()] = None) -> Response:
    viewer, family, chosen = _family(request, svc, student, "guardian", "student")
    if chosen is None:
        return render(request, "no_children.html", title="Отметки")
    shown = reads.marks(svc, viewer, chosen, period, lookups.today(svc, viewer))
    if period is not None and shown.period is None:
        raise HTTPException(404, "no such period")
    return render(request, "marks.html", title="Отметки", family=family, view=shown)


@router.get("/feed")
def feed(request: Request, svc: ServicesDep,
         before: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> Response:
    viewer = signed_in(request)
    only(viewer, "guardian", "student")
    entries, more = reads.feed(svc, viewer, before)
    return render(request, "feed.html", title="Новое", entries=entries, more=more,
                  timezone=lookups.timezone(svc, viewer.school_id))


@router.get("/access-log")
def access_log(request: Request, svc: ServicesDep, student: Student = None,
               after: Annotated[int, Query(ge=0, le=2**62)] = 0) -> Response:
    viewer, family, chosen = _family(request, svc, student, "guardian")
    if chosen is None:
        return render(request, "no_children.html", title="Кто просматривал данные ребёнка")
    shown, rows, more = reads.access(svc, viewer, chosen, after)
    return render(request, "access_log.html", title="Кто просматривал данные ребёнка",
                  family=family, student=shown, rows=rows, more=more,
                  timezone=lookups.timezone(svc, viewer.school_id))
