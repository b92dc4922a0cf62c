"""The cells of a journal - current marks and absences per lesson and student - as more than
one read model keeps them. Each model still owns its own copy of the tables (made here under
its own prefix), so it can be rebuilt alone; only the code is shared."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    Index,
    String,
    Table,
    Uuid,
    delete,
    insert,
    update,
)

from ejournal.domain.lesson import Lesson
from ejournal.projections.base import handles, metadata


def cell_tables(prefix: str) -> tuple[Table, Table]:
    """``{prefix}_marks`` (current marks, in the order given) and ``{prefix}_absences``."""
    marks = Table(
        f"{prefix}_marks", metadata,
        Column("mark_id", Uuid, primary_key=True),
        Column("journal_id", Uuid, nullable=False),
        Column("lesson_id", Uuid, nullable=False),
        Column("lesson_date", Date, nullable=False),
        Column("student_id", Uuid, nullable=False),
        Column("value", String(1), nullable=False),
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
    """Handlers that keep ``marks_table`` and ``absences_table`` (mix into a ReadModel)."""

    marks_table: ClassVar[Table]
    absences_table: ClassVar[Table]

    @handles(Lesson.AttendanceTaken)
    def attendance_taken(self, conn: Connection, e: Any, _: int) -> None:
        rows = [{"lesson_id": e.originator_id, "student_id": row["student_id"],
                 "journal_id": e.journal_id, "lesson_date": e.lesson_date} for row in e.absent]
        if rows:
            conn.execute(insert(self.absences_table), rows)

    @handles(Lesson.AbsenceCancelled)
    def absence_cancelled(self, conn: Connection, e: Any, _: int) -> None:
        table = self.absences_table
        conn.execute(delete(table).where(table.c.lesson_id == e.originator_id,
                                         table.c.student_id == e.student_id))

    @handles(Lesson.MarkGiven)
    def mark_given(self, conn: Connection, e: Any, position: int) -> None:
        conn.execute(insert(self.marks_table).values(
            mark_id=e.mark_id, journal_id=e.journal_id, lesson_id=e.originator_id,
            lesson_date=e.lesson_date, student_id=e.student_id, value=e.value,
            position=position))

    @handles(Lesson.MarkCorrected)
    def mark_corrected(self, conn: Connection, e: Any, _: int) -> None:
        table = self.marks_table
        conn.execute(update(table).where(table.c.mark_id == e.mark_id).values(value=e.value))

    @handles(Lesson.MarkCancelled)
    def mark_cancelled(self, conn: Connection, e: Any, _: int) -> None:
        table = self.marks_table
        conn.execute(delete(table).where(table.c.mark_id == e.mark_id))
