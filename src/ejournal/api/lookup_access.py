"""Who may look up what (schools, their people and structure, classes, timetables), denied by
default as the rest of the API: a role that may never is 403 (the gates below), another
school's or an unrelated class is 404 (the checks below). The relations are read from the
lookups read model once the projector has reached the head of the log as it stood when the
request arrived, so they take effect as soon as they are acknowledged."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends
from sqlalchemy import Connection

from ejournal.api.access import not_found
from ejournal.api.deps import Principal, allow
from ejournal.api.services import Services
from ejournal.domain.values import Role
from ejournal.projections.lookup_reads import (
    ClassRow,
    children_ids,
    enrolment_spans,
    read_class,
    teaches_class,
)

#: A guardian: their children.
Guardian = Annotated[Principal, Depends(allow(
    Role.GUARDIAN, detail="only a guardian has children here"))]
#: A teacher: the journals they teach.
Teacher = Annotated[Principal, Depends(allow(
    Role.TEACHER, detail="only a teacher teaches journals"))]
#: Anyone of a school (not the operator, who belongs to none): its years.
SchoolMember = Annotated[Principal, Depends(allow(
    Role.ADMIN, Role.AUDITOR, Role.TEACHER, Role.STUDENT, Role.GUARDIAN,
    detail="a school's years are for its people"))]
#: The school's administration, its auditors and the operator: its people.
PeopleReader = Annotated[Principal, Depends(allow(
    Role.ADMIN, Role.AUDITOR, Role.OPERATOR,
    detail="a school's people are listed for its administration, auditors and the operator"))]
#: The school's staff: its subjects and classes, a class's students and journals.
StaffMember = Annotated[Principal, Depends(allow(
    Role.ADMIN, Role.AUDITOR, Role.TEACHER, detail="only a school's staff look this up"))]
#: A class's timetable: its students and their guardians, its teachers, the administration.
TimetableReader = Annotated[Principal, Depends(allow(
    Role.ADMIN, Role.AUDITOR, Role.TEACHER, Role.STUDENT, Role.GUARDIAN,
    detail="this role reads no timetables"))]
#: A student's guardians: the student, their guardians, the administration and auditors.
FamilyReader = Annotated[Principal, Depends(allow(
    Role.ADMIN, Role.AUDITOR, Role.STUDENT, Role.GUARDIAN,
    detail="a student's guardians are listed for the family and the administration"))]


def current(svc: Services) -> None:
    """Waits (at most 5 s) until the read models hold the log as it is now."""
    svc.projector.wait_for(svc.projector.head(), timeout=5.0)


def may_see_school(viewer: Principal, school_id: UUID, *, operator: bool = False) -> None:
    """The school's own people (and the operator, where ``operator``); else 404."""
    if viewer.school_id == school_id or (operator and viewer.role is Role.OPERATOR):
        return
    raise not_found("school", school_id)


def may_read_class(conn: Connection, viewer: Principal, class_id: UUID) -> ClassRow:
    """The class's class teacher and the teachers of its journals, the school's admin and
    auditor; else 404."""
    found = read_class(conn, class_id)
    if found is None or found.school_id != viewer.school_id:
        raise not_found("class", class_id)
    if viewer.role in (Role.ADMIN, Role.AUDITOR):
        return found
    if viewer.role is Role.TEACHER and teaches_class(conn, viewer.user_id, class_id):
        return found
    raise not_found("class", class_id)


def may_read_timetable(conn: Connection, viewer: Principal, class_id: UUID) -> ClassRow:
    """As :func:`may_read_class`, and the students who were ever in the class and their
    guardians; else 404."""
    if viewer.role not in (Role.STUDENT, Role.GUARDIAN):
        return may_read_class(conn, viewer, class_id)
    found = read_class(conn, class_id)
    if found is None or found.school_id != viewer.school_id:
        raise not_found("class", class_id)
    students = ([viewer.user_id] if viewer.role is Role.STUDENT
                else children_ids(conn, viewer.user_id))
    if any(span[0] == class_id for kid in students for span in enrolment_spans(conn, kid)):
        return found
    raise not_found("class", class_id)
