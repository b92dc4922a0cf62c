"""What the administration's and the operator's pages read: the lookups read model the API's
lookups answer from, behind the same rules (``lookup_access``: the school's own admin, 404 for
another school's class; the operator reads every school and its people)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from sqlalchemy import func, select

from ejournal.api.access import not_found
from ejournal.api.deps import Principal
from ejournal.api.lookup_access import current, may_read_class, may_see_school
from ejournal.api.services import Services
from ejournal.domain.errors import NotPermitted
from ejournal.domain.values import Role
from ejournal.projections.lookup_reads import (
    ClassRow,
    Enrolled,
    JournalDetail,
    Person,
    SchoolRow,
    SubjectRow,
    YearRow,
    read_class_journals,
    read_class_students,
    read_classes,
    read_journal,
    read_people,
    read_schools,
    read_subjects,
    read_timetable,
    read_years,
)
from ejournal.projections.lookups import guardians, people

STAFF_ROLES = ("admin", "auditor", "teacher")
WEEKDAYS = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")


def admin_school(viewer: Principal) -> UUID:
    """The viewer's school, which they administer (403 for any other role)."""
    if viewer.role is not Role.ADMIN or viewer.school_id is None:
        raise NotPermitted("only the school's administration")
    return viewer.school_id


@dataclass
class SchoolView:
    school: SchoolRow
    years: list[YearRow]
    subjects: list[SubjectRow]
    classes: list[ClassRow]
    staff: list[Person]  # admins, auditors, teachers
    counts: dict[str, int]  # people by role


def school(svc: Services, viewer: Principal) -> SchoolView:
    """The admin's school: its years and periods, subjects, classes and staff."""
    school_id = admin_school(viewer)
    may_see_school(viewer, school_id)
    current(svc)
    with svc.reader.connect() as conn:
        found = read_schools(conn, school_id)
        if not found:
            raise not_found("school", school_id)
        everyone = read_people(conn, school_id)
        view = SchoolView(found[0], read_years(conn, school_id), read_subjects(conn, school_id),
                          read_classes(conn, school_id),
                          [p for p in everyone if p.role in STAFF_ROLES], {})
    for person in everyone:
        view.counts[person.role] = view.counts.get(person.role, 0) + 1
    return view


@dataclass
class ClassView:
    row: ClassRow
    day: date
    students: list[Enrolled]
    guardians: dict[UUID, list[str]]  # student -> guardians' names
    journals: list[JournalDetail]
    valid_from: date | None  # the timetable in force on ``day``
    timetable: dict[int, dict[int, str]] = field(default_factory=dict)  # slot -> weekday -> text
    cells: dict[str, UUID] = field(default_factory=dict)  # "weekday.slot" -> journal
    people: dict[str, list[Person]] = field(default_factory=dict)  # the school's, by role
    subjects: list[SubjectRow] = field(default_factory=list)

    @property
    def slots(self) -> list[int]:
        return sorted(self.timetable)

    @property
    def weekdays(self) -> list[int]:
        return sorted({d for by_day in self.timetable.values() for d in by_day}
                      | set(range(1, 6)))


def school_class(svc: Services, viewer: Principal, class_id: UUID, day: date) -> ClassView:
    """A class of the admin's school: its students on ``day`` with their guardians, its
    journals with their substitutions, its timetable in force."""
    admin_school(viewer)
    current(svc)
    with svc.reader.connect() as conn:
        row = may_read_class(conn, viewer, class_id)
        students = read_class_students(conn, class_id, day)
        linked: dict[UUID, list[str]] = defaultdict(list)
        ids = [s.id for s in students]
        for i in range(0, len(ids), 500):
            for student, name in conn.execute(
                    select(guardians.c.student_id, people.c.full_name)
                    .join(people, people.c.user_id == guardians.c.guardian_id)
                    .where(guardians.c.student_id.in_(ids[i:i + 500]))
                    .order_by(people.c.full_name)).tuples():
                linked[student].append(name)
        details = [read_journal(conn, j.id) for j in read_class_journals(conn, class_id)]
        timetable = read_timetable(conn, class_id, day)
        people_by_role: dict[str, list[Person]] = defaultdict(list)
        for person in read_people(conn, row.school_id):
            people_by_role[person.role].append(person)
        subjects = read_subjects(conn, row.school_id)
    view = ClassView(row, day, students, dict(linked), [d for d in details if d is not None],
                     timetable.valid_from, people=dict(people_by_role), subjects=subjects)
    for lesson in timetable.lessons:
        view.cells[f"{lesson['weekday']}.{lesson['slot']}"] = lesson["journal_id"]
        text = lesson["subject_name"]
        if lesson["teacher_name"]:
            text += f" ({lesson['teacher_name']})"
        view.timetable.setdefault(lesson["slot"], {})[lesson["weekday"]] = text
    return view


def class_row(svc: Services, viewer: Principal, class_id: UUID) -> ClassRow:
    """A class of the admin's own school (403 for another role, 404 for another school's)."""
    admin_school(viewer)
    current(svc)
    with svc.reader.connect() as conn:
        return may_read_class(conn, viewer, class_id)


@dataclass(frozen=True)
class SchoolCard:
    school: SchoolRow
    admins: list[str]
    counts: dict[str, int]


def schools(svc: Services, viewer: Principal) -> list[SchoolCard]:
    """The operator's: every school of the platform, its administration and head counts."""
    if viewer.role is not Role.OPERATOR:
        raise NotPermitted("only the operator")
    current(svc)
    with svc.reader.connect() as conn:
        rows = read_schools(conn)
        counts: dict[UUID, dict[str, int]] = defaultdict(dict)
        for school_id, role, n in conn.execute(
                select(people.c.school_id, people.c.role, func.count())
                .where(people.c.school_id.is_not(None))
                .group_by(people.c.school_id, people.c.role)).tuples():
            counts[school_id][role] = int(n)
        admins: dict[UUID, list[str]] = defaultdict(list)
        for school_id, name in conn.execute(
                select(people.c.school_id, people.c.full_name)
                .where(people.c.role == "admin").order_by(people.c.full_name)).tuples():
            admins[school_id].append(name)
    return [SchoolCard(r, admins.get(r.id, []), counts.get(r.id, {})) for r in rows]
