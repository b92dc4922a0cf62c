"""Answers of the lookups read model (``lookups.py``): each a statement or two, names joined
in the same statement, whatever the number of rows."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, and_, func, or_, select

from ejournal.projections.base import as_utc
from ejournal.projections.cells import name_order
from ejournal.projections.lookups import (
    classes,
    enrolments,
    guardians,
    holidays,
    journals,
    people,
    periods,
    programme,
    schools,
    subjects,
    substitutions,
    timetable_lessons,
    timetables,
    years,
)

teacher = people.alias("teacher")
#: The journal's names: its class, subject and teacher (outer joins: a name not yet projected
#: is an empty string, never a missing row).
_JOURNAL_NAMES = (
    journals.outerjoin(classes, classes.c.class_id == journals.c.class_id)
    .outerjoin(subjects, subjects.c.subject_id == journals.c.subject_id)
    .outerjoin(teacher, teacher.c.user_id == journals.c.teacher_id))


def _name(column: Any) -> Any:
    return func.coalesce(column, "")


@dataclass(frozen=True)
class SchoolRow:
    id: UUID
    name: str
    timezone: str


def read_schools(conn: Connection, only: UUID | None = None) -> list[SchoolRow]:
    """Every school by name, or the one ``only``."""
    query = select(schools.c.school_id, schools.c.name, schools.c.timezone)
    if only is not None:
        query = query.where(schools.c.school_id == only)
    rows = [SchoolRow(*row) for row in conn.execute(query).tuples()]
    return sorted(rows, key=lambda s: (name_order(s.name), str(s.id)))


@dataclass
class YearRow:
    id: UUID
    name: str
    starts_on: date
    ends_on: date
    days_per_week: int
    periods: list[dict[str, Any]] = field(default_factory=list)
    holidays: list[dict[str, Any]] = field(default_factory=list)


def read_years(conn: Connection, school_id: UUID) -> list[YearRow]:
    """The school's years, oldest first, with their periods and каникулы as planned."""
    found = {row.year_id: YearRow(row.year_id, row.name, row.starts_on, row.ends_on,
                                  row.days_per_week)
             for row in conn.execute(select(years).where(years.c.school_id == school_id))}
    if found:
        for p in conn.execute(select(periods).where(periods.c.year_id.in_(found))
                              .order_by(periods.c.year_id, periods.c.ordinal)):
            found[p.year_id].periods.append({"id": p.period_id, "name": p.name,
                                             "kind": p.kind, "starts_on": p.starts_on,
                                             "ends_on": p.ends_on})
        for h in conn.execute(select(holidays).where(holidays.c.year_id.in_(found))
                              .order_by(holidays.c.year_id, holidays.c.ordinal)):
            found[h.year_id].holidays.append({"name": h.name, "starts_on": h.starts_on,
                                              "ends_on": h.ends_on})
    return sorted(found.values(), key=lambda y: (y.starts_on, str(y.id)))


@dataclass(frozen=True)
class Person:
    id: UUID
    username: str
    full_name: str
    role: str
    school_id: UUID | None


def read_people(conn: Connection, school_id: UUID, role: str | None = None) -> list[Person]:
    """The school's people (of one role), in alphabetical order."""
    query = select(people.c.user_id, people.c.username, people.c.full_name, people.c.role,
                   people.c.school_id).where(people.c.school_id == school_id)
    if role is not None:
        query = query.where(people.c.role == role)
    rows = [Person(*row) for row in conn.execute(query).tuples()]
    return sorted(rows, key=lambda p: (name_order(p.full_name), str(p.id)))


def full_names(conn: Connection, user_ids: Iterable[UUID]) -> dict[UUID, str]:
    """These people's names (those projected), in one statement."""
    wanted = set(user_ids)
    if not wanted:
        return {}
    return dict(conn.execute(select(people.c.user_id, people.c.full_name)
                             .where(people.c.user_id.in_(wanted))).tuples().all())


@dataclass(frozen=True)
class SubjectRow:
    id: UUID
    name: str


def read_subjects(conn: Connection, school_id: UUID) -> list[SubjectRow]:
    rows = [SubjectRow(*row) for row in conn.execute(
        select(subjects.c.subject_id, subjects.c.name)
        .where(subjects.c.school_id == school_id)).tuples()]
    return sorted(rows, key=lambda s: (name_order(s.name), str(s.id)))


@dataclass(frozen=True)
class ClassRow:
    id: UUID
    school_id: UUID
    name: str
    grade: int | None
    year_id: UUID
    class_teacher_id: UUID | None
    class_teacher_name: str | None


def class_order(name: str) -> tuple[int, tuple[str, str]]:
    """«5А» before «10Б»: by the number a class's name starts with, then by name."""
    number = re.match(r"\d+", name)
    return (int(number.group()) if number else 0, name_order(name))


_CLASSES = (select(classes.c.class_id, classes.c.school_id, classes.c.name, classes.c.grade,
                   classes.c.year_id, classes.c.class_teacher_id, teacher.c.full_name)
            .outerjoin(teacher, teacher.c.user_id == classes.c.class_teacher_id))


def read_classes(conn: Connection, school_id: UUID) -> list[ClassRow]:
    rows = [ClassRow(*row) for row in conn.execute(
        _CLASSES.where(classes.c.school_id == school_id)).tuples()]
    return sorted(rows, key=lambda c: (class_order(c.name), str(c.id)))


def read_class(conn: Connection, class_id: UUID) -> ClassRow | None:
    row = conn.execute(_CLASSES.where(classes.c.class_id == class_id)).tuples().one_or_none()
    return ClassRow(*row) if row else None


@dataclass(frozen=True)
class Enrolled:
    id: UUID
    full_name: str
    from_date: date
    to_date: date | None  # the last day, included; None while enrolled


def read_class_students(conn: Connection, class_id: UUID, on: date) -> list[Enrolled]:
    """The students enrolled in the class on ``on``, in alphabetical order."""
    rows = [Enrolled(sid, name or "", first, last) for sid, name, first, last in conn.execute(
        select(enrolments.c.student_id, people.c.full_name, enrolments.c.from_date,
               enrolments.c.last_day)
        .outerjoin(people, people.c.user_id == enrolments.c.student_id)
        .where(enrolments.c.class_id == class_id, enrolments.c.from_date <= on,
               or_(enrolments.c.last_day.is_(None), enrolments.c.last_day >= on))).tuples()]
    return sorted(rows, key=lambda e: (name_order(e.full_name), str(e.id)))


def enrolment_spans(conn: Connection, student_id: UUID
                    ) -> list[tuple[UUID, date, date | None]]:
    """Each class the student was enrolled in, from which day to which (None: still)."""
    return [(c, f, last) for c, f, last in conn.execute(
        select(enrolments.c.class_id, enrolments.c.from_date, enrolments.c.last_day)
        .where(enrolments.c.student_id == student_id)
        .order_by(enrolments.c.from_date)).tuples()]


@dataclass(frozen=True)
class JournalRow:
    id: UUID
    school_id: UUID
    class_id: UUID
    class_name: str
    subject_id: UUID
    subject_name: str
    teacher_id: UUID
    teacher_name: str
    year_id: UUID
    substitute_from: date | None = None  # the teacher's substitution, where they substitute
    substitute_to: date | None = None


_JOURNALS = select(journals.c.journal_id, journals.c.school_id, journals.c.class_id,
                   _name(classes.c.name), journals.c.subject_id, _name(subjects.c.name),
                   journals.c.teacher_id, _name(teacher.c.full_name),
                   journals.c.year_id).select_from(_JOURNAL_NAMES)


def _journal_order(j: JournalRow) -> tuple[Any, ...]:
    return (class_order(j.class_name), name_order(j.subject_name), str(j.id))


def read_class_journals(conn: Connection, class_id: UUID) -> list[JournalRow]:
    rows = [JournalRow(*row) for row in conn.execute(
        _JOURNALS.where(journals.c.class_id == class_id)).tuples()]
    return sorted(rows, key=_journal_order)


def read_teacher_journals(conn: Connection, teacher_id: UUID, today: date) -> list[JournalRow]:
    """The journals the teacher teaches in a year not yet over, then those they substitute in
    ``today``, by class and subject."""
    own = [JournalRow(*row) for row in conn.execute(
        _JOURNALS.join(years, years.c.year_id == journals.c.year_id)
        .where(journals.c.teacher_id == teacher_id, years.c.ends_on >= today)).tuples()]
    substituted = [JournalRow(*row) for row in conn.execute(
        _JOURNALS.add_columns(substitutions.c.from_date, substitutions.c.to_date)
        .join(substitutions, substitutions.c.journal_id == journals.c.journal_id)
        .where(substitutions.c.teacher_id == teacher_id, substitutions.c.from_date <= today,
               substitutions.c.to_date >= today)).tuples()]
    return sorted(own, key=_journal_order) + sorted(
        substituted, key=lambda j: (*_journal_order(j), j.substitute_from))


@dataclass(frozen=True)
class JournalDetail:
    journal: JournalRow
    programme: list[tuple[str, int]]
    substitutions: list[tuple[UUID, str, date, date]]  # teacher, name, from, to


def read_journal(conn: Connection, journal_id: UUID) -> JournalDetail | None:
    row = conn.execute(_JOURNALS.where(journals.c.journal_id == journal_id)
                       ).tuples().one_or_none()
    if row is None:
        return None
    topics = [(t, h) for t, h in conn.execute(
        select(programme.c.title, programme.c.hours)
        .where(programme.c.journal_id == journal_id).order_by(programme.c.ordinal)).tuples()]
    subs = [(t, n or "", f, last) for t, n, f, last in conn.execute(
        select(substitutions.c.teacher_id, people.c.full_name, substitutions.c.from_date,
               substitutions.c.to_date)
        .outerjoin(people, people.c.user_id == substitutions.c.teacher_id)
        .where(substitutions.c.journal_id == journal_id)
        .order_by(substitutions.c.from_date, substitutions.c.position)).tuples()]
    return JournalDetail(JournalRow(*row), topics, subs)


@dataclass(frozen=True)
class TimetableRow:
    valid_from: date | None  # None: the class has no timetable on that day
    lessons: list[dict[str, Any]]


def read_timetable(conn: Connection, class_id: UUID, on: date) -> TimetableRow:
    """The class's weekly timetable in force on ``on``, by weekday and slot, with each
    lesson's subject and the journal's teacher."""
    valid_from = conn.scalar(select(func.max(timetables.c.valid_from)).where(
        timetables.c.class_id == class_id, timetables.c.valid_from <= on))
    if valid_from is None:
        return TimetableRow(None, [])
    lessons = [{"weekday": weekday, "slot": slot, "journal_id": journal_id,
                "subject_name": subject_name, "teacher_name": teacher_name}
               for weekday, slot, journal_id, subject_name, teacher_name in conn.execute(
                   select(timetable_lessons.c.weekday, timetable_lessons.c.slot,
                          timetable_lessons.c.journal_id, _name(subjects.c.name),
                          _name(teacher.c.full_name))
                   .select_from(timetable_lessons.outerjoin(journals, journals.c.journal_id
                                                            == timetable_lessons.c.journal_id)
                                .outerjoin(subjects,
                                           subjects.c.subject_id == journals.c.subject_id)
                                .outerjoin(teacher,
                                           teacher.c.user_id == journals.c.teacher_id))
                   .where(timetable_lessons.c.class_id == class_id,
                          timetable_lessons.c.valid_from == valid_from)
                   .order_by(timetable_lessons.c.weekday, timetable_lessons.c.slot)).tuples()]
    return TimetableRow(valid_from, lessons)


@dataclass(frozen=True)
class Child:
    id: UUID
    full_name: str
    class_id: UUID | None  # the class they are in on the day asked (or were in last)
    class_name: str | None


def read_children(conn: Connection, guardian_id: UUID, today: date) -> list[Child]:
    """The guardian's children now linked, each with the class they are in ``today`` (else
    the last one they were in), in alphabetical order."""
    kids = dict(conn.execute(
        select(guardians.c.student_id, _name(people.c.full_name))
        .outerjoin(people, people.c.user_id == guardians.c.student_id)
        .where(guardians.c.guardian_id == guardian_id)).tuples().all())
    if not kids:
        return []
    spans: dict[UUID, list[tuple[bool, date, UUID, str]]] = defaultdict(list)
    for student_id, class_id, class_name, first, last in conn.execute(
            select(enrolments.c.student_id, enrolments.c.class_id, _name(classes.c.name),
                   enrolments.c.from_date, enrolments.c.last_day)
            .outerjoin(classes, classes.c.class_id == enrolments.c.class_id)
            .where(enrolments.c.student_id.in_(kids))).tuples():
        current = first <= today and (last is None or today <= last)
        spans[student_id].append((current, first, class_id, class_name))
    found = []
    for kid, name in kids.items():
        best = max(spans[kid], default=None)  # the current class first, then the latest
        found.append(Child(kid, name, best[2] if best else None, best[3] if best else None))
    return sorted(found, key=lambda c: (name_order(c.full_name), str(c.id)))


@dataclass(frozen=True)
class GuardianRow:
    id: UUID
    full_name: str
    linked_at: datetime
    linked_by_name: str


def read_guardians(conn: Connection, student_id: UUID) -> list[GuardianRow]:
    """The student's guardians now linked, in the order they were linked."""
    by = people.alias("linked_by")
    return [GuardianRow(gid, name, as_utc(at), by_name) for gid, name, at, by_name in
            conn.execute(
                select(guardians.c.guardian_id, _name(people.c.full_name),
                       guardians.c.linked_at, _name(by.c.full_name))
                .outerjoin(people, people.c.user_id == guardians.c.guardian_id)
                .outerjoin(by, by.c.user_id == guardians.c.linked_by)
                .where(guardians.c.student_id == student_id)
                .order_by(guardians.c.linked_at, guardians.c.guardian_id)).tuples()]


def children_ids(conn: Connection, guardian_id: UUID) -> list[UUID]:
    """The students the guardian is linked to now."""
    return sorted(conn.scalars(select(guardians.c.student_id)
                               .where(guardians.c.guardian_id == guardian_id)))


def guardian_ids(conn: Connection, student_id: UUID) -> set[UUID]:
    return set(conn.scalars(select(guardians.c.guardian_id)
                            .where(guardians.c.student_id == student_id)))


def teaches_class(conn: Connection, teacher_id: UUID, class_id: UUID) -> bool:
    """The teacher is the class's class teacher or teaches one of its journals."""
    return conn.scalar(select(func.count()).select_from(
        classes.outerjoin(journals, and_(journals.c.class_id == classes.c.class_id,
                                         journals.c.teacher_id == teacher_id)))
        .where(classes.c.class_id == class_id,
               or_(classes.c.class_teacher_id == teacher_id,
                   journals.c.journal_id.is_not(None)))) != 0


def period_names(conn: Connection, period_ids: Iterable[UUID]) -> dict[UUID, tuple[str, str]]:
    """Each period's name and kind."""
    wanted = set(period_ids)
    if not wanted:
        return {}
    return {pid: (name, kind) for pid, name, kind in conn.execute(
        select(periods.c.period_id, periods.c.name, periods.c.kind)
        .where(periods.c.period_id.in_(wanted))).tuples()}
