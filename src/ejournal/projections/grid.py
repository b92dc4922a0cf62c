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
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
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
    select,
)

from ejournal.domain.journal import ClassJournal
from ejournal.domain.lesson import Lesson
from ejournal.domain.values import ABSENT_SYMBOL
from ejournal.projections.base import ReadModel, handles, metadata
from ejournal.projections.batching import Batch
from ejournal.projections.cells import (
    KeepsCells,
    KeepsRoster,
    cell_tables,
    roster,
    roster_tables,
)

students, enrolments = roster_tables("grid")
journals = Table(
    "grid_journals", metadata,
    Column("journal_id", Uuid, primary_key=True),
    Column("class_id", Uuid, nullable=False),
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


class Grid(KeepsRoster, KeepsCells, ReadModel):
    students_table = students
    enrolments_table = enrolments
    marks_table = marks
    absences_table = absences
    name = "grid"
    tables = (students, journals, enrolments, lessons, marks, absences)

    @handles(ClassJournal.Opened)
    def journal_opened(self, batch: Batch, e: ClassJournal.Opened, _: int) -> None:
        batch.insert(journals, {"journal_id": e.originator_id, "class_id": e.class_id})

    @handles(Lesson.Held)
    def lesson_held(self, batch: Batch, e: Lesson.Held, _: int) -> None:
        batch.insert(lessons, {"lesson_id": e.originator_id, "journal_id": e.journal_id,
                               "lesson_date": e.lesson_date, "slot": e.slot, "topic": e.topic})


Grid.prepare_roster()
Grid.prepare_cells()


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
    rows = [GridStudent(sid, name)
            for sid, name in roster(conn, students, enrolments, class_id, first, last)]
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


def within_windows(view: GridView, windows: Iterable[tuple[date, date]]) -> GridView:
    """The grid's lessons on the given days only (a substitute's), and their cells."""
    spans = list(windows)
    kept = [x for x in view.lessons if any(a <= x.date <= b for a, b in spans)]
    ids = {x.id for x in kept}
    for row in view.students:
        row.cells = {k: v for k, v in row.cells.items() if k in ids}
    return GridView(kept, view.students)


def window_span(first: date, last: date, windows: Iterable[tuple[date, date]]
                ) -> tuple[date, date] | None:
    """``first .. last`` narrowed to the hull of the windows (None: they do not meet)."""
    spans = list(windows)
    if not spans:
        return None
    narrowed = max(first, min(a for a, _ in spans)), min(last, max(b for _, b in spans))
    return narrowed if narrowed[0] <= narrowed[1] else None


def journal_lesson_ids(conn: Connection, journal_id: UUID) -> list[UUID]:
    """Every lesson of the journal, by date and slot (to replay them as of a past moment)."""
    return list(conn.scalars(select(lessons.c.lesson_id)
                             .where(lessons.c.journal_id == journal_id)
                             .order_by(lessons.c.lesson_date, lessons.c.slot)))
