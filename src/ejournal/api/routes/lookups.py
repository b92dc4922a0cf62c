"""Lookups: what a client reads to find its way - schools, their years, people, subjects and
classes; a class's students, journals and timetable; a journal; a guardian's children and a
teacher's journals. Each from the lookups read model, names beside ids, once the read models
hold the log as it stood when the request arrived (``lookup_access.current``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from sqlalchemy import Connection

from ejournal.api import lookup_responses as out
from ejournal.api.access import may_read_journal, not_found
from ejournal.api.deps import CurrentUser, JournalReader, ServicesDep
from ejournal.api.lookup_access import (
    Guardian,
    PeopleReader,
    SchoolMember,
    StaffMember,
    Teacher,
    TimetableReader,
    current,
    may_read_class,
    may_read_timetable,
    may_see_school,
)
from ejournal.api.paging import CursorQuery, id_cursor, page_after
from ejournal.api.queries import On
from ejournal.api.services import Services
from ejournal.api.shards import sharded
from ejournal.domain.values import Role
from ejournal.projections import lookup_reads as lookups

router = APIRouter(prefix="/api/v1", tags=["lookups"])
PAGE = 1000
USERS = id_cursor("users")
STUDENTS = id_cursor("class-students")
RoleQuery = Annotated[Role | None, Query(description="only people of this role")]


def _today(conn: Connection, school_id: UUID, now: datetime) -> date:
    """Today in the school's time zone."""
    found = lookups.read_schools(conn, school_id)
    return now.astimezone(ZoneInfo(found[0].timezone)).date() if found else now.date()


def _all(items: list[Any]) -> dict[str, Any]:
    return {"items": items, "next": None}


def _school(s: lookups.SchoolRow) -> dict[str, Any]:
    return {"id": s.id, "name": s.name, "timezone": s.timezone}


def _open(svc: Services) -> Connection:
    current(svc)
    return svc.reader.connect()


# --- the viewer's own ------------------------------------------------------------------------


@router.get("/me/children", response_model=out.ChildrenOut)
def my_children(svc: ServicesDep, user: Guardian) -> dict[str, Any]:
    """The guardian's children now linked, each with the class they are in today."""
    with _open(svc) as conn:
        assert user.school_id is not None  # noqa: S101 - a guardian belongs to a school
        kids = lookups.read_children(conn, user.user_id, _today(conn, user.school_id, svc.now()))
    return _all([{"id": c.id, "full_name": c.full_name, "class_id": c.class_id,
                  "class_name": c.class_name} for c in kids])


@router.get("/me/journals", response_model=out.TeacherJournalsOut)
def my_journals(svc: ServicesDep, user: Teacher) -> dict[str, Any]:
    """The journals the teacher teaches (in a year not over yet), then those they substitute
    in today, with the substitution's dates."""
    with _open(svc) as conn:
        assert user.school_id is not None  # noqa: S101 - a teacher belongs to a school
        rows = lookups.read_teacher_journals(conn, user.user_id,
                                             _today(conn, user.school_id, svc.now()))
    return _all([{"id": j.id, "class_id": j.class_id, "class_name": j.class_name,
                  "subject_id": j.subject_id, "subject_name": j.subject_name,
                  "teacher_id": j.teacher_id, "teacher_name": j.teacher_name,
                  "substitute_from": j.substitute_from, "substitute_to": j.substitute_to}
                 for j in rows])


# --- schools ---------------------------------------------------------------------------------


@router.get("/schools", response_model=out.SchoolsOut)
def schools(request: Request, svc: ServicesDep, user: CurrentUser) -> dict[str, Any]:
    """The operator: every school (of every shard); anyone else: their own."""
    shards = sharded(request)
    if user.role is Role.OPERATOR and shards is not None:
        rows = shards.across(_every_school)
    elif user.role is Role.OPERATOR:
        rows = _every_school(svc)
    else:
        with _open(svc) as conn:
            rows = lookups.read_schools(conn, user.school_id) if user.school_id else []
    return _all([_school(s) for s in rows])


def _every_school(svc: Services) -> list[lookups.SchoolRow]:
    with _open(svc) as conn:
        return lookups.read_schools(conn)


@router.get("/schools/{school_id}", response_model=out.SchoolOut)
def school(svc: ServicesDep, user: CurrentUser, school_id: UUID) -> dict[str, Any]:
    may_see_school(user, school_id, operator=True)
    with _open(svc) as conn:
        rows = lookups.read_schools(conn, school_id)
    if not rows:
        raise not_found("school", school_id)
    return _school(rows[0])


@router.get("/schools/{school_id}/years", response_model=out.YearsOut)
def school_years(svc: ServicesDep, user: SchoolMember, school_id: UUID) -> dict[str, Any]:
    """The school's years, oldest first, with their periods (ids for the summary) and
    каникулы."""
    may_see_school(user, school_id)
    with _open(svc) as conn:
        rows = lookups.read_years(conn, school_id)
    return _all([{"id": y.id, "name": y.name, "starts_on": y.starts_on, "ends_on": y.ends_on,
                  "days_per_week": y.days_per_week, "periods": y.periods,
                  "holidays": y.holidays} for y in rows])


@router.get("/schools/{school_id}/users", response_model=out.UsersOut)
def school_users(svc: ServicesDep, user: PeopleReader, school_id: UUID,
                 role: RoleQuery = None, cursor: CursorQuery = None) -> dict[str, Any]:
    """The school's accounts (of one role), in alphabetical order."""
    may_see_school(user, school_id, operator=True)
    with _open(svc) as conn:
        if not lookups.read_schools(conn, school_id):
            raise not_found("school", school_id)
        rows = lookups.read_people(conn, school_id, role.value if role else None)
    page, following = page_after(USERS, cursor, rows, PAGE, lambda p: p.id)
    disabled = svc.app.disabled_among(p.id for p in page)
    return {"items": [{"id": p.id, "username": p.username, "full_name": p.full_name,
                       "role": p.role, "disabled": p.id in disabled} for p in page],
            "next": following}


@router.get("/schools/{school_id}/subjects", response_model=out.SubjectsOut)
def school_subjects(svc: ServicesDep, user: StaffMember, school_id: UUID) -> dict[str, Any]:
    may_see_school(user, school_id)
    with _open(svc) as conn:
        rows = lookups.read_subjects(conn, school_id)
    return _all([{"id": s.id, "name": s.name} for s in rows])


@router.get("/schools/{school_id}/classes", response_model=out.ClassesOut)
def school_classes(svc: ServicesDep, user: StaffMember, school_id: UUID) -> dict[str, Any]:
    """The school's classes, «5А» before «10Б», with their grade and class teacher."""
    may_see_school(user, school_id)
    with _open(svc) as conn:
        rows = lookups.read_classes(conn, school_id)
    return _all([{"id": c.id, "name": c.name, "grade": c.grade, "year_id": c.year_id,
                  "class_teacher_id": c.class_teacher_id,
                  "class_teacher_name": c.class_teacher_name} for c in rows])


# --- a class ---------------------------------------------------------------------------------


@router.get("/classes/{class_id}/students", response_model=out.EnrolledListOut)
def class_students(svc: ServicesDep, user: StaffMember, class_id: UUID, on: On = None,
                   cursor: CursorQuery = None) -> dict[str, Any]:
    """The students enrolled in the class on ``on``, in alphabetical order."""
    with _open(svc) as conn:
        found = may_read_class(conn, user, class_id)
        rows = lookups.read_class_students(conn, class_id,
                                           on or _today(conn, found.school_id, svc.now()))
    page, following = page_after(STUDENTS, cursor, rows, PAGE, lambda e: e.id)
    return {"items": [{"id": e.id, "full_name": e.full_name, "from_date": e.from_date,
                       "to_date": e.to_date} for e in page], "next": following}


@router.get("/classes/{class_id}/journals", response_model=out.ClassJournalsOut)
def class_journals(svc: ServicesDep, user: StaffMember, class_id: UUID) -> dict[str, Any]:
    with _open(svc) as conn:
        may_read_class(conn, user, class_id)
        rows = lookups.read_class_journals(conn, class_id)
    return _all([{"id": j.id, "subject_id": j.subject_id, "subject_name": j.subject_name,
                  "teacher_id": j.teacher_id, "teacher_name": j.teacher_name} for j in rows])


@router.get("/classes/{class_id}/timetable", response_model=out.TimetableOut)
def class_timetable(svc: ServicesDep, user: TimetableReader, class_id: UUID,
                    on: On = None) -> dict[str, Any]:
    """The weekly timetable in force on ``on``: each lesson's weekday, slot, subject and
    teacher."""
    with _open(svc) as conn:
        found = may_read_timetable(conn, user, class_id)
        row = lookups.read_timetable(conn, class_id,
                                     on or _today(conn, found.school_id, svc.now()))
    return {"valid_from": row.valid_from, "lessons": row.lessons}


# --- a journal -------------------------------------------------------------------------------


@router.get("/journals/{journal_id}", response_model=out.JournalOut)
def journal(svc: ServicesDep, user: JournalReader, journal_id: UUID) -> dict[str, Any]:
    """The journal's class, subject and teacher, its work programme and substitutions."""
    may_read_journal(svc, user, journal_id)
    with _open(svc) as conn:
        found = lookups.read_journal(conn, journal_id)
    if found is None:
        raise not_found("journal", journal_id)
    j = found.journal
    return {"id": j.id, "class_id": j.class_id, "class_name": j.class_name,
            "subject_id": j.subject_id, "subject_name": j.subject_name,
            "teacher_id": j.teacher_id, "teacher_name": j.teacher_name,
            "programme": [{"title": t, "hours": h} for t, h in found.programme],
            "substitutions": [{"teacher_id": t, "teacher_name": n, "from_date": f,
                               "to_date": to} for t, n, f, to in found.substitutions]}
