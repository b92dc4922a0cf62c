"""Who may read a lesson's homework files: the students of the lesson's class on its date and
their guardians (as their diary shows the lesson, R-3.4c, R-5.3a), and the journal's readers -
its teacher, its substitutes, the class teacher, the school's admin and auditor. Anyone else
gets 404, exactly as for an unknown lesson. Decided on the aggregates as they are now."""

from __future__ import annotations

from uuid import UUID

from ejournal.api.access import not_found
from ejournal.api.deps import Principal
from ejournal.api.services import Services
from ejournal.application.queries import Journal
from ejournal.domain.lesson import Lesson
from ejournal.domain.school_class import SchoolClass
from ejournal.domain.values import Role


def _lesson(svc: Services, journal: Journal, lesson_id: UUID) -> Lesson:
    lesson = svc.app.load_many([lesson_id]).get(lesson_id)
    if not isinstance(lesson, Lesson) or lesson.journal_id != journal.id:
        raise not_found("lesson", lesson_id)
    return lesson


def may_write_files(svc: Services, viewer: Principal, journal_id: UUID) -> None:
    """Before a file's bytes are stored: the journal is one its writer may see (the command
    decides the rest, R-4.4), else 404."""
    journal = svc.app.journal(journal_id)
    if journal is None or journal.school_id != viewer.school_id or not (
            viewer.role is Role.ADMIN or viewer.user_id in (
                journal.teacher_id, journal.class_teacher_id, *journal.substitutes)):
        raise not_found("journal", journal_id)


def may_read_files(svc: Services, viewer: Principal, journal_id: UUID,
                   lesson_id: UUID) -> Lesson:
    """The lesson, if ``viewer`` may read its files; else 404."""
    journal = svc.app.journal(journal_id)
    if journal is None or journal.school_id != viewer.school_id:
        raise not_found("journal", journal_id)
    lesson = _lesson(svc, journal, lesson_id)
    role = viewer.role
    if role in (Role.ADMIN, Role.AUDITOR):
        return lesson
    if role is Role.TEACHER and viewer.user_id in (journal.teacher_id, journal.class_teacher_id,
                                                   *journal.substitutes):
        return lesson
    if role in (Role.STUDENT, Role.GUARDIAN):
        school_class = svc.app.load_many([lesson.class_id]).get(lesson.class_id)
        if isinstance(school_class, SchoolClass):
            if role is Role.STUDENT and school_class.is_enrolled(viewer.user_id,
                                                                 lesson.lesson_date):
                return lesson
            if role is Role.GUARDIAN:
                enrolled = [s for s in school_class.enrolments
                            if school_class.is_enrolled(s, lesson.lesson_date)]
                if any(viewer.user_id in p.guardians for p in svc.app.users(enrolled).values()):
                    return lesson
    raise not_found("lesson", lesson_id)
