"""The class journal's grid (электронный классный журнал, R-3.4c): one column per lesson held
(date, slot, topic), one row per student enrolled in the class at any time in the range, and in
each cell the student's current marks in the order given (R-6.1b) or "Н" when absent.

The tables hold facts, each written by the one event that states it (a lesson, a mark, an
absence, an enrolment, a name), and the grid is joined at read time: whatever order the log
brings a student's enrolment, their name and the lessons in, the answer is the same. Lessons,
marks and absences are indexed by (journal, date), so a month of one journal is a few index
range scans, whatever the size of the school.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Column,
    Connection,
    Date,
    Index,
    Integer,
    Table,
    Text,
    Uuid,
    insert,
    or_,
    select,
    update,
)

from ejournal.domain.journal import ClassJournal
from ejournal.domain.lesson import Lesson
from ejournal.domain.people import User
from ejournal.domain.school_class import SchoolClass
from ejournal.domain.values import ABSENT_SYMBOL, Role
from ejournal.projections.base import ReadModel, handles, metadata
from ejournal.projections.cells import KeepsCells, cell_tables

students = Table(
    "grid_students", metadata,
    Column("student_id", Uuid, primary_key=True),
    Column("full_name", Text, nullable=False),
)
journals = Table(
    "grid_journals", metadata,
    Column("journal_id", Uuid, primary_key=True),
    Column("class_id", Uuid, nullable=False),
)
enrolments = Table(
    "grid_enrolments", metadata,
    Column("class_id", Uuid, primary_key=True),
    Column("student_id", Uuid, primary_key=True),
    Column("from_date", Date, primary_key=True),
    Column("last_day", Date, nullable=True),
)
lessons = Table(
    "grid_lessons", metadata,
    Column("lesson_id", Uuid, primary_key=True),
    Column("journal_id", Uuid, nullable=False),
    Column("lesson_date", Date, nullable=False),
    Column("slot", Integer, nullable=False),
    Column("topic", Text, nullable=False),
    Index("ix_grid_lessons_journal_date", "journal_id", "lesson_date", "slot"),
)
marks, absences = cell_tables("grid")


class Grid(KeepsCells, ReadModel):
    marks_table = marks
    absences_table = absences
    name = "grid"
    tables = (students, journals, enrolments, lessons, marks, absences)

    @handles(User.Registered)
    def user_registered(self, conn: Connection, e: Any, _: int) -> None:
        if e.role == Role.STUDENT.value:
            conn.execute(insert(students).values(student_id=e.originator_id,
                                                 full_name=e.full_name))

    @handles(ClassJournal.Opened)
    def journal_opened(self, conn: Connection, e: Any, _: int) -> None:
        conn.execute(insert(journals).values(journal_id=e.originator_id, class_id=e.class_id))

    @handles(SchoolClass.StudentEnrolled)
    def student_enrolled(self, conn: Connection, e: Any, _: int) -> None:
        conn.execute(insert(enrolments).values(class_id=e.originator_id, student_id=e.student_id,
                                               from_date=e.from_date, last_day=None))

    @handles(SchoolClass.EnrolmentEnded)
    def enrolment_ended(self, conn: Connection, e: Any, _: int) -> None:
        conn.execute(update(enrolments).where(
            enrolments.c.class_id == e.originator_id, enrolments.c.student_id == e.student_id,
            enrolments.c.last_day.is_(None)).values(last_day=e.last_day))

    @handles(Lesson.Held)
    def lesson_held(self, conn: Connection, e: Any, _: int) -> None:
        conn.execute(insert(lessons).values(lesson_id=e.originator_id, journal_id=e.journal_id,
                                            lesson_date=e.lesson_date, slot=e.slot,
                                            topic=e.topic))


@dataclass
class GridLesson:
    id: UUID
    date: date
    slot: int
    topic: str


@dataclass
class GridStudent:
    id: UUID
    full_name: str
    cells: dict[UUID, list[str]] = field(default_factory=dict)  # lesson id -> ["5", "4"] | ["Н"]


@dataclass
class GridView:
    lessons: list[GridLesson]
    students: list[GridStudent]


def read_grid(conn: Connection, journal_id: UUID, first: date, last: date) -> GridView:
    """The journal's grid from ``first`` to ``last`` (inclusive): lessons by date and slot;
    every student enrolled in the class at any time in the range, by name. A student who left
    keeps the cells of their lessons; a cell without marks or absence has no key."""
    columns = [GridLesson(row.lesson_id, row.lesson_date, row.slot, row.topic)
               for row in conn.execute(
                   select(lessons.c.lesson_id, lessons.c.lesson_date, lessons.c.slot,
                          lessons.c.topic)
                   .where(lessons.c.journal_id == journal_id, lessons.c.lesson_date >= first,
                          lessons.c.lesson_date <= last)
                   .order_by(lessons.c.lesson_date, lessons.c.slot))]
    class_id = conn.scalar(select(journals.c.class_id).where(journals.c.journal_id == journal_id))
    if class_id is None:
        return GridView(columns, [])
    enrolled = (
        select(enrolments.c.student_id)
        .where(enrolments.c.class_id == class_id, enrolments.c.from_date <= last,
               or_(enrolments.c.last_day.is_(None), enrolments.c.last_day >= first))
        .distinct().subquery()
    )
    rows = sorted((GridStudent(sid, name or "") for sid, name in conn.execute(
        select(enrolled.c.student_id, students.c.full_name)
        .outerjoin(students, students.c.student_id == enrolled.c.student_id)).tuples()),
        key=lambda s: (_name_order(s.full_name), s.id))
    cells: dict[UUID, dict[UUID, list[str]]] = defaultdict(dict)
    for student_id, lesson_id, value in conn.execute(
        select(marks.c.student_id, marks.c.lesson_id, marks.c.value)
        .where(marks.c.journal_id == journal_id, marks.c.lesson_date >= first,
               marks.c.lesson_date <= last)
        .order_by(marks.c.position)
    ).tuples():
        cells[student_id].setdefault(lesson_id, []).append(value)
    for student_id, lesson_id in conn.execute(
        select(absences.c.student_id, absences.c.lesson_id)
        .where(absences.c.journal_id == journal_id, absences.c.lesson_date >= first,
               absences.c.lesson_date <= last)
    ).tuples():
        # A cell holds marks or "Н", never both (R-6.1c: the domain refuses the mix).
        cells[student_id].setdefault(lesson_id, [ABSENT_SYMBOL])
    for row in rows:
        row.cells = cells.get(row.id, {})
    return GridView(columns, rows)


def _name_order(full_name: str) -> tuple[str, str]:
    """Names in alphabetical order, the same on every database (SQL collations differ):
    case-insensitive, "ё" filed with "е" as Russian lists do."""
    return full_name.casefold().replace("ё", "е"), full_name


def journal_lesson_ids(conn: Connection, journal_id: UUID) -> list[UUID]:
    """Every lesson of the journal, by date and slot (to replay them as of a past moment)."""
    return list(conn.scalars(select(lessons.c.lesson_id)
                             .where(lessons.c.journal_id == journal_id)
                             .order_by(lessons.c.lesson_date, lessons.c.slot)))
