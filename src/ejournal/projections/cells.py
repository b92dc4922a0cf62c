"""What the journal grid and the period summary both keep: the class roster (students' names and
enrolments) and the journal's cells (current marks and absences per lesson and student). Each
model still owns its own copy of the tables (made here under its own prefix), so it can be
rebuilt alone; only the code is shared."""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    Index,
    Integer,
    String,
    Table,
    Text,
    Uuid,
    bindparam,
    delete,
    or_,
    select,
    update,
)

from ejournal.domain.lesson import Lesson
from ejournal.domain.people import User
from ejournal.domain.school_class import SchoolClass
from ejournal.domain.values import Role
from ejournal.projections.base import handles, metadata
from ejournal.projections.batching import Batch, Prepared, prepare


def cell_tables(prefix: str) -> tuple[Table, Table]:
    """``{prefix}_marks`` (current marks, in the order given) and ``{prefix}_absences``."""
    marks = Table(
        f"{prefix}_marks", metadata,
        Column("mark_id", Uuid, primary_key=True),
        Column("journal_id", Uuid, nullable=False),
        Column("lesson_id", Uuid, nullable=False),
        Column("lesson_date", Date, nullable=False),
        Column("slot", Integer, nullable=False),  # orders the marks of one day
        Column("student_id", Uuid, nullable=False),
        Column("value", String(1), nullable=False),
        Column("work", String(16), nullable=False),  # the kind of work (weighted averages)
        Column("position", BigInteger, nullable=False),  # order of giving, within a cell
        Index(f"ix_{prefix}_marks_journal_date", "journal_id", "lesson_date"),
    )
    absences = Table(
        f"{prefix}_absences", metadata,
        Column("lesson_id", Uuid, primary_key=True),
        Column("student_id", Uuid, primary_key=True),
        Column("journal_id", Uuid, nullable=False),
        Column("lesson_date", Date, nullable=False),
        Index(f"ix_{prefix}_absences_journal_date", "journal_id", "lesson_date"),
    )
    return marks, absences


class KeepsCells:
    """Handlers that keep ``marks_table`` and ``absences_table`` (mix into a ReadModel).

    A subclass calls :meth:`prepare_cells` once after setting the two tables."""

    marks_table: ClassVar[Table]
    absences_table: ClassVar[Table]
    _cancel_absence: ClassVar[Prepared]
    _correct_mark: ClassVar[Prepared]
    _cancel_mark: ClassVar[Prepared]

    @classmethod
    def prepare_cells(cls) -> None:
        marks, absences = cls.marks_table, cls.absences_table
        cls._cancel_absence = prepare(delete(absences).where(
            absences.c.lesson_id == bindparam("l"), absences.c.student_id == bindparam("s")))
        cls._correct_mark = prepare(update(marks).where(marks.c.mark_id == bindparam("m"))
                                    .values(value=bindparam("v")))
        cls._cancel_mark = prepare(delete(marks).where(marks.c.mark_id == bindparam("m")))

    @handles(Lesson.AttendanceTaken)
    def attendance_taken(self, batch: Batch, e: Lesson.AttendanceTaken, _: int) -> None:
        batch.insert_many(self.absences_table, (
            {"lesson_id": e.originator_id, "student_id": absence.student_id,
             "journal_id": e.journal_id, "lesson_date": e.lesson_date}
            for absence in e.absent))

    @handles(Lesson.AbsenceCancelled)
    def absence_cancelled(self, batch: Batch, e: Lesson.AbsenceCancelled, _: int) -> None:
        batch.run(self._cancel_absence, {"l": e.originator_id, "s": e.student_id})

    @handles(Lesson.MarkGiven)
    def mark_given(self, batch: Batch, e: Lesson.MarkGiven, position: int) -> None:
        batch.insert(self.marks_table, {
            "mark_id": e.mark_id, "journal_id": e.journal_id, "lesson_id": e.originator_id,
            "lesson_date": e.lesson_date, "slot": e.slot, "student_id": e.student_id,
            "value": e.value, "work": e.work.value, "position": position})

    @handles(Lesson.MarkCorrected)
    def mark_corrected(self, batch: Batch, e: Lesson.MarkCorrected, _: int) -> None:
        batch.run(self._correct_mark, {"m": e.mark_id, "v": e.value})

    @handles(Lesson.MarkCancelled)
    def mark_cancelled(self, batch: Batch, e: Lesson.MarkCancelled, _: int) -> None:
        batch.run(self._cancel_mark, {"m": e.mark_id})


def roster_tables(prefix: str) -> tuple[Table, Table]:
    """``{prefix}_students`` (names) and ``{prefix}_enrolments`` (who was in which class when;
    ``last_day`` inclusive, None while enrolled)."""
    students = Table(
        f"{prefix}_students", metadata,
        Column("student_id", Uuid, primary_key=True),
        Column("full_name", Text, nullable=False),
    )
    enrolments = Table(
        f"{prefix}_enrolments", metadata,
        Column("class_id", Uuid, primary_key=True),
        Column("student_id", Uuid, primary_key=True),
        Column("from_date", Date, primary_key=True),
        Column("last_day", Date, nullable=True),
    )
    return students, enrolments


class KeepsRoster:
    """Handlers that keep ``students_table`` and ``enrolments_table`` (mix into a ReadModel).

    A subclass calls :meth:`prepare_roster` once after setting the two tables."""

    students_table: ClassVar[Table]
    enrolments_table: ClassVar[Table]
    _end_enrolment: ClassVar[Prepared]

    @classmethod
    def prepare_roster(cls) -> None:
        enrolments = cls.enrolments_table
        cls._end_enrolment = prepare(update(enrolments).where(
            enrolments.c.class_id == bindparam("c"), enrolments.c.student_id == bindparam("s"),
            enrolments.c.last_day.is_(None)).values(last_day=bindparam("d")))

    @handles(User.Registered)
    def user_registered(self, batch: Batch, e: User.Registered, _: int) -> None:
        if e.role is Role.STUDENT:
            batch.insert(self.students_table,
                         {"student_id": e.originator_id, "full_name": e.full_name})

    @handles(SchoolClass.StudentEnrolled)
    def student_enrolled(self, batch: Batch, e: SchoolClass.StudentEnrolled, _: int) -> None:
        batch.insert(self.enrolments_table, {
            "class_id": e.originator_id, "student_id": e.student_id,
            "from_date": e.from_date, "last_day": None})

    @handles(SchoolClass.EnrolmentEnded)
    def enrolment_ended(self, batch: Batch, e: SchoolClass.EnrolmentEnded, _: int) -> None:
        batch.run(self._end_enrolment,
                  {"c": e.originator_id, "s": e.student_id, "d": e.last_day})


def roster(conn: Connection, students: Table, enrolments: Table, class_id: UUID, first: date,
           last: date) -> list[tuple[UUID, str]]:
    """Every student enrolled in the class at any time from ``first`` to ``last``, with their
    name, in alphabetical order (:func:`name_order`)."""
    enrolled = (
        select(enrolments.c.student_id)
        .where(enrolments.c.class_id == class_id, enrolments.c.from_date <= last,
               or_(enrolments.c.last_day.is_(None), enrolments.c.last_day >= first))
        .distinct().subquery()
    )
    rows = [(sid, name or "") for sid, name in conn.execute(
        select(enrolled.c.student_id, students.c.full_name)
        .outerjoin(students, students.c.student_id == enrolled.c.student_id)).tuples()]
    return sorted(rows, key=lambda row: (name_order(row[1]), row[0]))


def name_order(full_name: str) -> tuple[str, str]:
    """Names in alphabetical order, the same on every database (SQL collations differ):
    case-insensitive, "ё" filed with "е" as Russian lists do."""
    return full_name.casefold().replace("ё", "е"), full_name
