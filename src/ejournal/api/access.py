"""Who may read whose data (R-5.3a), denied by default, and which reads are logged.

A resource the user may not see answers 404, exactly as an unknown one, so that ids cannot
be probed. Relations that decide access take effect as soon as they are acknowledged: the
aggregates are read from the event store, and relations kept in read models are read once the
projector has reached the head of the log as it stood when the request arrived.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from uuid import UUID

from fastapi import HTTPException, Request

from ejournal.api.deps import Principal
from ejournal.api.services import Services
from ejournal.domain import ids
from ejournal.domain.errors import NotAllowedToWrite, NotPermitted
from ejournal.domain.journal import ClassJournal
from ejournal.domain.lesson import Lesson
from ejournal.domain.people import User
from ejournal.domain.school_class import SchoolClass
from ejournal.domain.values import Role
from ejournal.projections.directory import classes_and_journals_of

STAFF = (Role.TEACHER, Role.ADMIN, Role.AUDITOR)
TOKEN_PATH = "/api/v1/auth/token"  # noqa: S105 - a path, not a secret


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
        classes, journals = classes_and_journals_of(conn, student_id)
    loaded = svc.app.loader.load([*classes, *journals], read_only={*classes, *journals})
    for aggregate in loaded.values():
        if isinstance(aggregate, SchoolClass) and aggregate.class_teacher_id == teacher_id:
            return True
        if isinstance(aggregate, ClassJournal) and aggregate.teacher_id == teacher_id:
            return True
    return False


def may_read_student(svc: Services, viewer: Principal, student_id: UUID) -> User:
    """The student if ``viewer`` may read their data, else 404. Roles are gated before (see
    ``deps``): here the admin and auditor of the student's school, the student themself, their
    guardians (R-5.3a), their class teacher and the teachers of their journals."""
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
        allowed = viewer.user_id == student.id
    elif role is Role.TEACHER:
        allowed = _teaches(svc, viewer.user_id, student.id)
    if not allowed:
        raise not_found("student", student_id)
    return student


def _journal(svc: Services, viewer: Principal, journal_id: UUID) -> ClassJournal:
    journal = svc.app.loader.load([journal_id], read_only={journal_id}).get(journal_id)
    if not isinstance(journal, ClassJournal) or viewer.school_id != journal.school_id:
        raise not_found("journal", journal_id)
    return journal


def _class_teacher(svc: Services, journal: ClassJournal, teacher_id: UUID) -> bool:
    school_class = svc.app.loader.load([journal.class_id], read_only={journal.class_id}
                                       ).get(journal.class_id)
    return isinstance(school_class, SchoolClass) and school_class.class_teacher_id == teacher_id


def may_read_journal(svc: Services, viewer: Principal, journal_id: UUID) -> ClassJournal:
    """The journal's teacher, the class teacher, the school's admin and auditor; else 404."""
    journal = _journal(svc, viewer, journal_id)
    if viewer.role in (Role.ADMIN, Role.AUDITOR):
        return journal
    if viewer.role is Role.TEACHER and (journal.teacher_id == viewer.user_id
                                        or _class_teacher(svc, journal, viewer.user_id)):
        return journal
    raise not_found("journal", journal_id)


@contextmanager
def hidden_unless_visible(svc: Services, viewer: Principal, journal_id: UUID) -> Iterator[None]:
    """A journal write refused by R-4.4 answers 404 when the teacher may not even see the
    journal (not its teacher, a substitute or the class teacher): its id cannot be probed. A
    teacher who sees it (the class teacher, a substitute off their dates) gets the 403."""
    try:
        yield
    except NotAllowedToWrite:
        journal = svc.app.loader.load([journal_id], read_only={journal_id}).get(journal_id)
        visible = isinstance(journal, ClassJournal) and viewer.role is Role.TEACHER and (
            journal.teacher_id == viewer.user_id
            or any(s.teacher_id == viewer.user_id for s in journal.substitutions)
            or _class_teacher(svc, journal, viewer.user_id))
        if not visible:
            raise not_found("journal", journal_id) from None
        raise


def may_audit_school(viewer: Principal, school_id: UUID) -> None:
    """The school's admin and auditor (403 for any other role, 404 for another school)."""
    if viewer.role not in (Role.ADMIN, Role.AUDITOR):
        raise NotPermitted("only the school's administration and auditors")
    if viewer.school_id != school_id:
        raise not_found("school", school_id)


def mark_student(svc: Services, journal_id: UUID, mark_id: UUID) -> UUID | None:
    """Whose mark this is (the lesson it stands in names it), or None."""
    lesson_id = ids.mark_lesson(journal_id, mark_id)
    if lesson_id is None:
        return None
    lesson = svc.app.loader.load([lesson_id], read_only={lesson_id}).get(lesson_id)
    if not isinstance(lesson, Lesson) or mark_id not in lesson.marks:
        return None
    return lesson.marks[mark_id].student_id


def log_access(svc: Services, viewer: Principal, student_ids: UUID | Iterable[UUID],
               what: str, at: datetime) -> None:
    """Each read of a student's data (diary, marks) by staff is recorded: who, whose, what,
    when - one row per student whose data the answer holds."""
    if viewer.role not in STAFF:
        return
    whose = [student_ids] if isinstance(student_ids, UUID) else student_ids
    svc.access_log.record(viewer.user_id, viewer.role.value, whose, what, at)


def audit_refusal(request: Request, status: int) -> None:
    """Every refused access is recorded for the audit: a bad or missing token
    (``unauthenticated``), a role that may never (403) or a resource not visible (404) to an
    authenticated user (``access_refused``). Never the token; the path holds only ids."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if status == 401:
        if request.url.path == TOKEN_PATH:
            return  # a failed login is audited as such
        kind = "unauthenticated"
    elif principal is None:
        return  # an unknown route, not a refusal
    else:
        kind = "access_refused"
    svc: Services = request.app.state.services
    svc.accounts.note(kind, now=svc.now(), user_id=principal.user_id if principal else None,
                      username=principal.username if principal else None,
                      address=request.client.host if request.client else None,
                      detail=f"{request.method} {request.url.path} {status}")
