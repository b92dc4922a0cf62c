"""Who may read whose data (R-5.3a), denied by default, and which reads are logged.

Staff read a student's data only for the days their relation to the student held: a class
teacher, or a teacher of one of the class's journals, the days the student was in that class.

A resource the user may not see answers 404, exactly as an unknown one, so that ids cannot
be probed. Relations that decide access take effect as soon as they are acknowledged: the
aggregates are read from the event store, and relations kept in read models are read once the
projector has reached the head of the log as it stood when the request arrived. The one
exception is the account and the student a path names, kept by the process for a few seconds
(``deps.PRINCIPAL_RECHECK_SECONDS``): a guardian link another process ends holds within that
bound (this process's own changes at once), and a refusal is always decided on them as they
are now, so that a link made anywhere holds at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID
from weakref import WeakKeyDictionary

from fastapi import HTTPException, Request

from ejournal.api.deps import PRINCIPAL_RECHECK_SECONDS, Principal
from ejournal.api.services import Services
from ejournal.application import EJournal
from ejournal.application.queries import Journal, Person
from ejournal.domain.errors import NotAllowedToWrite, NotPermitted
from ejournal.domain.values import Role
from ejournal.projections.diary import Span
from ejournal.projections.directory import classes_and_journals_of

STAFF = (Role.TEACHER, Role.ADMIN, Role.AUDITOR)
TOKEN_PATH = "/api/v1/auth/token"  # noqa: S105 - a path, not a secret
AUDITED_PATH = 200  # characters of a refused request's path the audit keeps
KEPT_JOURNALS = 10_000  # journals kept per process
UNKNOWN = (-1, -1)  # no aggregate has these versions


def not_found(what: str, ident: UUID) -> HTTPException:
    return HTTPException(404, f"no {what} {ident}")


def _student(svc: Services, viewer: Principal, student_id: UUID) -> Person:
    found = viewer.named[student_id] if student_id in viewer.named else svc.app.user(student_id)
    if found is None or found.role is not Role.STUDENT:
        raise not_found("student", student_id)
    return found


def _relation_days(svc: Services, teacher_id: UUID, student_id: UUID) -> list[Span]:
    """The days the teacher's relation to the student holds - the class teacher of one of
    the student's classes, or the teacher of one of its journals, for the days the student was
    enrolled in it - as the log stands now."""
    svc.projector.wait_for(svc.projector.head(), timeout=5.0)
    with svc.reader.connect() as conn:
        classes, journals = classes_and_journals_of(conn, student_id)
    return svc.app.relation_days(teacher_id, student_id, classes, journals)


@dataclass(frozen=True)
class StudentAccess:
    """A student whose data the viewer may read, and on which days: ``spans`` is None for
    the student themself, their guardians and the school's administration and auditors; for
    a teacher, the classes and days their relation to the student held."""

    student: Person
    spans: tuple[Span, ...] | None


def student_access(svc: Services, viewer: Principal, student_id: UUID) -> StudentAccess:
    """The student and the days ``viewer`` may read their data, else 404. Roles are gated
    before (see ``deps``): here the admin and auditor of the student's school, the student
    themself, their guardians (R-5.3a), and - for the days the student was in their class -
    their class teacher and the teachers of their class's journals."""
    student = _student(svc, viewer, student_id)
    if viewer.school_id is None or viewer.school_id != student.school_id:
        raise not_found("student", student_id)
    role = viewer.role
    if role in (Role.ADMIN, Role.AUDITOR):
        return StudentAccess(student, None)
    if role is Role.GUARDIAN and viewer.user_id not in student.guardians \
            and student_id in viewer.named:
        # The named student may be kept (``deps.current_user``): a refusal reads them now.
        student = svc.app.user(student_id) or student
    if role is Role.GUARDIAN and viewer.user_id in student.guardians:
        return StudentAccess(student, None)
    if role is Role.STUDENT and viewer.user_id == student.id:
        return StudentAccess(student, None)
    if role is Role.TEACHER:
        spans = _relation_days(svc, viewer.user_id, student.id)
        if spans:
            return StudentAccess(student, tuple(spans))
    raise not_found("student", student_id)


def may_read_student(svc: Services, viewer: Principal, student_id: UUID) -> Person:
    """The student if ``viewer`` may read any of their data, else 404 (on which days:
    :func:`student_access`)."""
    return student_access(svc, viewer, student_id).student


#: By application: the journals read to decide access, each with the versions of the journal
#: and class aggregates cached when it was read, and when (``EJournal.monotonic``).
_kept_journals: WeakKeyDictionary[EJournal, dict[UUID, tuple[Journal, tuple[int, int], float]]] \
    = WeakKeyDictionary()


def _versions(svc: Services, *ids: UUID) -> tuple[int, int] | None:
    """The versions of the journal and its class this process knows, if it knows both."""
    journal, school_class = (svc.app.loader.version(i) for i in ids)
    return None if journal is None or school_class is None else (journal, school_class)


def _read_journal(svc: Services, journal_id: UUID, kept: bool) -> Journal | None:
    """The journal, kept as the people are (``deps.PRINCIPAL_RECHECK_SECONDS``): changed by this
    process (a teacher assigned, a substitution, the class teacher), it is read again at once;
    by another, within the bound. ``kept=False``: as it is now (what refuses reads it so)."""
    journals = _kept_journals.setdefault(svc.app, {})
    entry = journals.get(journal_id)
    now = svc.app.monotonic()
    if entry is not None:
        journal, versions, read_at = entry
        if kept and now - read_at < PRINCIPAL_RECHECK_SECONDS \
                and _versions(svc, journal_id, journal.class_id) == versions:
            return journal
    refs = svc.app.journal_refs.get(journal_id)
    class_id = entry[0].class_id if entry is not None else refs[0] if refs else None
    # Known before the read: a change saved meanwhile moves them, and the next lookup reads.
    before = _versions(svc, journal_id, class_id) if class_id is not None else None
    found = svc.app.journal(journal_id)
    if found is not None:
        if len(journals) >= KEPT_JOURNALS:
            journals.clear()
        # Versions unknown (the first read): never believed, but names the class to look up.
        journals[journal_id] = (found, before if before is not None and found.class_id
                                == class_id else UNKNOWN, now)
    return found


def _journal(svc: Services, viewer: Principal, journal_id: UUID, kept: bool = True) -> Journal:
    journal = _read_journal(svc, journal_id, kept)
    if journal is None or viewer.school_id != journal.school_id:
        raise not_found("journal", journal_id)
    return journal


def _reads_journal(viewer: Principal, journal: Journal) -> bool:
    return viewer.role in (Role.ADMIN, Role.AUDITOR) or (
        viewer.role is Role.TEACHER
        and viewer.user_id in (journal.teacher_id, journal.class_teacher_id))


def may_read_journal(svc: Services, viewer: Principal, journal_id: UUID) -> Journal:
    """The journal's teacher, the class teacher, the school's admin and auditor; else 404."""
    journal = _journal(svc, viewer, journal_id)
    if _reads_journal(viewer, journal):
        return journal
    journal = _journal(svc, viewer, journal_id, kept=False)
    if _reads_journal(viewer, journal):
        return journal
    raise not_found("journal", journal_id)


#: A substitute's days of a journal, each (first, last); None: every day of it.
Windows = tuple[tuple[date, date], ...] | None


def may_read_grid(svc: Services, viewer: Principal, journal_id: UUID) -> tuple[Journal, Windows]:
    """As :func:`may_read_journal`, and a substitute (R-4.4): the lessons of the days they
    substitute on only (``Windows``), to write what those days need; else 404."""
    for kept in (True, False):  # a refusal reads the journal as it is now
        journal = _journal(svc, viewer, journal_id, kept)
        if _reads_journal(viewer, journal):
            return journal, None
        windows = journal.windows(viewer.user_id) if viewer.role is Role.TEACHER else ()
        if windows:
            return journal, windows
    raise not_found("journal", journal_id)


def within(day: date, windows: Windows) -> bool:
    return windows is None or any(first <= day <= last for first, last in windows)


@contextmanager
def hidden_unless_visible(svc: Services, viewer: Principal, journal_id: UUID) -> Iterator[None]:
    """A journal write refused by R-4.4 answers 404 when the teacher may not even see the
    journal (not its teacher, a substitute or the class teacher): its id cannot be probed. A
    teacher who sees it (the class teacher, a substitute off their dates) gets the 403."""
    try:
        yield
    except NotAllowedToWrite:
        journal = svc.app.journal(journal_id)
        visible = journal is not None and viewer.role is Role.TEACHER and (
            viewer.user_id in (journal.teacher_id, journal.class_teacher_id)
            or viewer.user_id in journal.substitutes)
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
    return svc.app.mark_student(journal_id, mark_id)


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
    authenticated user (``access_refused``), as ``METHOD route-template status path`` with at
    most AUDITED_PATH characters of the path as sent: a row's size is bounded whatever the
    client sends. Never the token, a body or the query."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if status == 401:
        if request.url.path == TOKEN_PATH:
            return  # a failed login is audited as such
        kind = "unauthenticated"
    elif principal is None:
        return  # an unknown route, not a refusal
    else:
        kind = "access_refused"
    template = getattr(request.scope.get("route"), "path", None)
    svc: Services = request.app.state.services
    svc.accounts.note(kind, now=svc.now(), user_id=principal.user_id if principal else None,
                      username=principal.username if principal else None,
                      address=request.client.host if request.client else None,
                      detail=f"{request.method[:16]} {template or '-'} {status} "
                             f"{request.url.path[:AUDITED_PATH]}")
