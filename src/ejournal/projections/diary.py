"""A student's diary (электронный дневник, R-3.4c): per date, each lesson of the student's class
with subject, slot, topic, homework, the student's current marks and "Н" when absent.

Rows are kept per (student, lesson), so a month of one student's diary is one index range
scan, whatever the size of the school.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    Index,
    Integer,
    String,
    Table,
    Text,
    Uuid,
    and_,
    delete,
    insert,
    or_,
    select,
    update,
)

from ejournal.domain.journal import ClassJournal
from ejournal.domain.lesson import Lesson
from ejournal.domain.school import School
from ejournal.domain.school_class import SchoolClass
from ejournal.projections.base import ReadModel, handles, metadata

subjects = Table(
    "diary_subjects", metadata,
    Column("subject_id", Uuid, primary_key=True),
    Column("name", Text, nullable=False),
)
journals = Table(
    "diary_journals", metadata,
    Column("journal_id", Uuid, primary_key=True),
    Column("class_id", Uuid, nullable=False, index=True),
    Column("subject", Text, nullable=False),
)
enrolments = Table(
    "diary_enrolments", metadata,
    Column("class_id", Uuid, primary_key=True),
    Column("student_id", Uuid, primary_key=True),
    Column("from_date", Date, primary_key=True),
    Column("last_day", Date, nullable=True),
)
lessons = Table(
    "diary_lessons", metadata,
    Column("lesson_id", Uuid, primary_key=True),
    Column("journal_id", Uuid, nullable=False),
    Column("class_id", Uuid, nullable=False),
    Column("lesson_date", Date, nullable=False),
    Column("slot", Integer, nullable=False),
    Column("subject", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("homework", Text, nullable=True),
    Index("ix_diary_lessons_class_date", "class_id", "lesson_date"),
)
entries = Table(
    "diary_entries", metadata,
    Column("student_id", Uuid, primary_key=True),
    Column("lesson_id", Uuid, primary_key=True),
    Column("lesson_date", Date, nullable=False),
    Column("absent", Boolean, nullable=False, default=False),
    Index("ix_diary_entries_student_date", "student_id", "lesson_date"),
)
marks = Table(
    "diary_marks", metadata,
    Column("mark_id", Uuid, primary_key=True),
    Column("student_id", Uuid, nullable=False),
    Column("lesson_id", Uuid, nullable=False),
    Column("lesson_date", Date, nullable=False),
    Column("value", String(1), nullable=False),
    Column("work", String(16), nullable=False),
    Column("position", BigInteger, nullable=False),  # order of giving, within a cell
    Index("ix_diary_marks_student_date", "student_id", "lesson_date"),
)


class Diary(ReadModel):
    name = "diary"
    tables = (subjects, journals, enrolments, lessons, entries, marks)

    @handles(School.SubjectAdded)
    def subject_added(self, conn: Connection, e: Any, _: int) -> None:
        conn.execute(insert(subjects).values(subject_id=e.subject_id, name=e.name))

    @handles(ClassJournal.Opened)
    def journal_opened(self, conn: Connection, e: Any, _: int) -> None:
        name = conn.scalar(select(subjects.c.name).where(subjects.c.subject_id == e.subject_id))
        conn.execute(insert(journals).values(journal_id=e.originator_id, class_id=e.class_id,
                                             subject=name or ""))

    @handles(SchoolClass.StudentEnrolled)
    def student_enrolled(self, conn: Connection, e: Any, _: int) -> None:
        conn.execute(insert(enrolments).values(class_id=e.originator_id, student_id=e.student_id,
                                               from_date=e.from_date, last_day=None))
        # Lessons already held on or after the first day now belong in the diary too.
        held = conn.execute(select(lessons.c.lesson_id, lessons.c.lesson_date).where(
            lessons.c.class_id == e.originator_id, lessons.c.lesson_date >= e.from_date))
        rows = [{"student_id": e.student_id, "lesson_id": lid, "lesson_date": day,
                 "absent": False} for lid, day in held]
        if rows:
            conn.execute(insert(entries), rows)

    @handles(SchoolClass.EnrolmentEnded)
    def enrolment_ended(self, conn: Connection, e: Any, _: int) -> None:
        conn.execute(update(enrolments).where(
            enrolments.c.class_id == e.originator_id, enrolments.c.student_id == e.student_id,
            enrolments.c.last_day.is_(None)).values(last_day=e.last_day))
        after = select(lessons.c.lesson_id).where(lessons.c.class_id == e.originator_id,
                                                  lessons.c.lesson_date > e.last_day)
        conn.execute(delete(entries).where(entries.c.student_id == e.student_id,
                                           entries.c.lesson_id.in_(after)))

    @handles(Lesson.Held)
    def lesson_held(self, conn: Connection, e: Any, _: int) -> None:
        row = conn.execute(select(journals.c.class_id, journals.c.subject).where(
            journals.c.journal_id == e.journal_id)).one()
        conn.execute(insert(lessons).values(
            lesson_id=e.originator_id, journal_id=e.journal_id, class_id=row.class_id,
            lesson_date=e.lesson_date, slot=e.slot, subject=row.subject, topic=e.topic,
            homework=e.homework))
        enrolled = conn.scalars(select(enrolments.c.student_id).where(
            enrolments.c.class_id == row.class_id, enrolments.c.from_date <= e.lesson_date,
            or_(enrolments.c.last_day.is_(None), enrolments.c.last_day >= e.lesson_date)))
        rows = [{"student_id": sid, "lesson_id": e.originator_id,
                 "lesson_date": e.lesson_date, "absent": False} for sid in enrolled]
        if rows:
            conn.execute(insert(entries), rows)

    @handles(Lesson.AttendanceTaken)
    def attendance_taken(self, conn: Connection, e: Any, _: int) -> None:
        absent = [row["student_id"] for row in e.absent]
        if absent:
            conn.execute(update(entries).where(entries.c.lesson_id == e.originator_id,
                                               entries.c.student_id.in_(absent))
                         .values(absent=True))

    @handles(Lesson.AbsenceCancelled)
    def absence_cancelled(self, conn: Connection, e: Any, _: int) -> None:
        conn.execute(update(entries).where(entries.c.lesson_id == e.originator_id,
                                           entries.c.student_id == e.student_id)
                     .values(absent=False))

    @handles(Lesson.MarkGiven)
    def mark_given(self, conn: Connection, e: Any, position: int) -> None:
        conn.execute(insert(marks).values(mark_id=e.mark_id, student_id=e.student_id,
                                          lesson_id=e.originator_id, lesson_date=e.lesson_date,
                                          value=e.value, work=e.work, position=position))

    @handles(Lesson.MarkCorrected)
    def mark_corrected(self, conn: Connection, e: Any, _: int) -> None:
        conn.execute(update(marks).where(marks.c.mark_id == e.mark_id).values(value=e.value))

    @handles(Lesson.MarkCancelled)
    def mark_cancelled(self, conn: Connection, e: Any, _: int) -> None:
        conn.execute(delete(marks).where(marks.c.mark_id == e.mark_id))


@dataclass
class DiaryLesson:
    journal_id: UUID
    lesson_id: UUID
    slot: int
    subject: str
    topic: str
    homework: str | None
    absent: bool
    marks: list[dict[str, str]] = field(default_factory=list)


@dataclass
class DiaryDay:
    date: date
    lessons: list[DiaryLesson]


def read_diary(conn: Connection, student_id: UUID, first: date, last: date) -> list[DiaryDay]:
    """The student's diary from ``first`` to ``last`` (inclusive), oldest first."""
    rows = conn.execute(
        select(entries.c.lesson_id, entries.c.lesson_date, entries.c.absent,
               lessons.c.journal_id, lessons.c.slot, lessons.c.subject, lessons.c.topic,
               lessons.c.homework)
        .join(lessons, lessons.c.lesson_id == entries.c.lesson_id)
        .where(entries.c.student_id == student_id,
               and_(entries.c.lesson_date >= first, entries.c.lesson_date <= last))
        .order_by(entries.c.lesson_date, lessons.c.slot)
    ).all()
    given: dict[UUID, list[dict[str, str]]] = defaultdict(list)
    for mark_id, lesson_id, value, work in conn.execute(
        select(marks.c.mark_id, marks.c.lesson_id, marks.c.value, marks.c.work)
        .where(marks.c.student_id == student_id, marks.c.lesson_date >= first,
               marks.c.lesson_date <= last)
        .order_by(marks.c.position)
    ):
        given[lesson_id].append({"id": str(mark_id), "value": value, "work": work})
    days: list[DiaryDay] = []
    for row in rows:
        if not days or days[-1].date != row.lesson_date:
            days.append(DiaryDay(row.lesson_date, []))
        days[-1].lessons.append(DiaryLesson(
            journal_id=row.journal_id, lesson_id=row.lesson_id, slot=row.slot,
            subject=row.subject, topic=row.topic, homework=row.homework,
            absent=bool(row.absent), marks=given.get(row.lesson_id, []),
        ))
    return days
