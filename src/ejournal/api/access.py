"""Who may read whose data (R-5.3a), denied by default, and the access log of staff reads.

A resource the user may not see answers 404, exactly as an unknown one, so that ids cannot
be probed. Relations that decide access take effect as soon as they are acknowledged: the
aggregates are read from the event store, and relations kept in read models are read once the
projector has reached the head of the log as it stood when the request arrived.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import HTTPException
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    insert,
    select,
)

from ejournal.api.deps import Principal
from ejournal.api.services import Services
from ejournal.domain.journal import ClassJournal
from ejournal.domain.people import User
from ejournal.domain.school_class import SchoolClass
from ejournal.domain.values import Role
from ejournal.projections.diary import enrolments as diary_enrolments
from ejournal.projections.diary import journals as diary_journals

metadata = MetaData()

access_log = Table(
    "access_log", metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=True),
    Column("student_id", Uuid, nullable=False),
    Column("viewer_id", Uuid, nullable=False),
    Column("viewer_role", String(16), nullable=False),
    Column("what", String(32), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_access_log_student", "student_id", "id"),
)

STAFF = (Role.TEACHER, Role.ADMIN, Role.AUDITOR)


def not_found(what: str, ident: UUID) -> HTTPException:
    return HTTPException(404, f"no {what} {ident}")


def _student(svc: Services, student_id: UUID) -> User:
    found = svc.app.loader.load([student_id], read_only={student_id}).get(student_id)
    if not isinstance(found, User) or found.role is not Role.STUDENT:
        raise not_found("student", student_id)
    return found


def _teaches(svc: Services, teacher_id: UUID, student_id: UUID) -> bool:
    """The teacher is the class teacher of one of the student's classes, or teaches one of
    their journals - as the log stands now."""
    svc.projector.wait_for(svc.projector.head(), timeout=5.0)
    with svc.reader.connect() as conn:
        classes = set(conn.scalars(select(diary_enrolments.c.class_id).where(
            diary_enrolments.c.student_id == student_id)))
        journals = set(conn.scalars(select(diary_journals.c.journal_id).where(
            diary_journals.c.class_id.in_(classes)))) if classes else set()
    loaded = svc.app.loader.load([*classes, *journals], read_only={*classes, *journals})
    for aggregate in loaded.values():
        if isinstance(aggregate, SchoolClass) and aggregate.class_teacher_id == teacher_id:
            return True
        if isinstance(aggregate, ClassJournal) and aggregate.teacher_id == teacher_id:
            return True
    return False


def may_read_student(svc: Services, viewer: Principal, student_id: UUID, *,
                     staff_only: bool = False, guardians_only: bool = False) -> User:
    """The student if ``viewer`` may read their data, else 404."""
    student = _student(svc, student_id)
    if viewer.school_id is None or viewer.school_id != student.school_id:
        raise not_found("student", student_id)
    role = viewer.role
    allowed = False
    if role in (Role.ADMIN, Role.AUDITOR):
        allowed = True
    elif role is Role.GUARDIAN:
        allowed = viewer.user_id in student.guardians
    elif role is Role.STUDENT:
        allowed = viewer.user_id == student.id and not staff_only and not guardians_only
    elif role is Role.TEACHER and not guardians_only:
        allowed = _teaches(svc, viewer.user_id, student.id)
    if staff_only and role is Role.GUARDIAN:
        allowed = False
    if not allowed:
        raise not_found("student", student_id)
    return student


def may_read_journal(svc: Services, viewer: Principal, journal_id: UUID) -> ClassJournal:
    """The journal's teacher, the class teacher, the school's admin and auditor."""
    journal = svc.app.loader.load([journal_id], read_only={journal_id}).get(journal_id)
    if not isinstance(journal, ClassJournal) or viewer.school_id != journal.school_id:
        raise not_found("journal", journal_id)
    if viewer.role in (Role.ADMIN, Role.AUDITOR):
        return journal
    if viewer.role is Role.TEACHER:
        if journal.teacher_id == viewer.user_id:
            return journal
        school_class = svc.app.loader.load([journal.class_id], read_only={journal.class_id}
                                           ).get(journal.class_id)
        if isinstance(school_class, SchoolClass) and \
                school_class.class_teacher_id == viewer.user_id:
            return journal
    raise not_found("journal", journal_id)


def may_audit_school(viewer: Principal, school_id: UUID) -> None:
    if viewer.school_id != school_id or viewer.role not in (Role.ADMIN, Role.AUDITOR):
        raise not_found("school", school_id)


def log_access(svc: Services, viewer: Principal, student_id: UUID, what: str,
               at: datetime) -> None:
    """Each read of a student's data by staff is recorded: who, whose, what, when."""
    if viewer.role not in STAFF:
        return
    with svc.accounts.engine.begin() as conn:
        conn.execute(insert(access_log).values(student_id=student_id, viewer_id=viewer.user_id,
                                               viewer_role=viewer.role.value, what=what, at=at))
