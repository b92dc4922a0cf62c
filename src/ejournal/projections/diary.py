"""A student's diary (электронный дневник, R-3.4c): per date, each lesson of the student's class
with subject, the journal's teacher, slot, topic, homework, the student's current marks and "Н"
when absent; and the student's period marks (итоговые отметки, R-6.2) as they stand.

Lessons are kept per class and date, and enrolments per student: a month of one student's
diary is an index range scan of their class's lessons over the days they were enrolled (one
per enrolment, usually one), plus their own marks and absences - whatever the size of the
school. A lesson held costs one row, not one per student; its subject's and teacher's names
are joined when read (``naming.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    Index,
    Integer,
    Select,
    String,
    Table,
    Text,
    Uuid,
    and_,
    bindparam,
    cast,
    delete,
    or_,
    select,
    update,
)

from ejournal.domain.lesson import Lesson
from ejournal.projections.base import ReadModel, handles, metadata
from ejournal.projections.batching import Batch, prepare
from ejournal.projections.cells import name_order
from ejournal.projections.diary_files import KeepsFiles, files, files_of_lessons
from ejournal.projections.diary_versions import KeepsVersions, versions
from ejournal.projections.naming import (
    KeepsNames,
    KeepsPeriods,
    name_tables,
    named,
    period_table,
)
from ejournal.projections.shared_rows import KeepsEnrolments, KeepsPeriodMarks

names, journals = name_tables("diary")
periods = period_table("diary")
period_marks = Table(
    "diary_period_marks", metadata,  # current values
    Column("period_mark_id", Uuid, primary_key=True),
    Column("student_id", Uuid, nullable=False, index=True),
    Column("journal_id", Uuid, nullable=False),
    Column("period_id", Uuid, nullable=False),
    Column("value", String(1), nullable=False),
)
enrolments = Table(
    "diary_enrolments", metadata,
    Column("class_id", Uuid, primary_key=True),
    Column("student_id", Uuid, primary_key=True),
    Column("from_date", Date, primary_key=True),
    Column("last_day", Date, nullable=True),  # inclusive; None while enrolled
    Index("ix_diary_enrolments_student", "student_id"),
)
lessons = Table(
    "diary_lessons", metadata,
    Column("lesson_id", Uuid, primary_key=True),
    Column("journal_id", Uuid, nullable=False),
    Column("class_id", Uuid, nullable=False),
    Column("lesson_date", Date, nullable=False),
    Column("slot", Integer, nullable=False),
    Column("subject_id", Uuid, nullable=False),
    Column("topic", Text, nullable=False),
    Column("homework", Text, nullable=True),
    Column("files", Integer, nullable=True),  # homework files served (diary_files.py)
    Index("ix_diary_lessons_class_date", "class_id", "lesson_date"),
)
absences = Table(
    "diary_absences", metadata,  # "Н": absent, and not cancelled
    Column("student_id", Uuid, primary_key=True),
    Column("lesson_id", Uuid, primary_key=True),
    Column("lesson_date", Date, nullable=False),
    Index("ix_diary_absences_student_date", "student_id", "lesson_date"),
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

_cancel_absence = prepare(delete(absences).where(absences.c.lesson_id == bindparam("l"),
                                                 absences.c.student_id == bindparam("s")))
_correct_mark = prepare(update(marks).where(marks.c.mark_id == bindparam("m"))
                        .values(value=bindparam("v")))
_cancel_mark = prepare(delete(marks).where(marks.c.mark_id == bindparam("m")))


class Diary(KeepsVersions, KeepsFiles, KeepsPeriodMarks, KeepsEnrolments, KeepsNames,
            KeepsPeriods, ReadModel):
    names_table = names
    journals_table = journals
    periods_table = periods
    lessons_table = lessons
    name = "diary"
    period_marks_table = period_marks
    enrolments_table = enrolments
    tables = (names, journals, periods, enrolments, lessons, absences, marks, period_marks,
              files, versions)

    @handles(Lesson.Held)
    def lesson_held(self, batch: Batch, e: Lesson.Held, _: int) -> None:
        batch.insert(lessons, {
            "lesson_id": e.originator_id, "journal_id": e.journal_id, "class_id": e.class_id,
            "lesson_date": e.lesson_date, "slot": e.slot, "subject_id": e.subject_id,
            "topic": e.topic, "homework": e.homework})

    @handles(Lesson.AttendanceTaken)
    def attendance_taken(self, batch: Batch, e: Lesson.AttendanceTaken, _: int) -> None:
        batch.insert_many(absences, ({"student_id": absence.student_id,
                                      "lesson_id": e.originator_id,
                                      "lesson_date": e.lesson_date} for absence in e.absent))

    @handles(Lesson.AbsenceCancelled)
    def absence_cancelled(self, batch: Batch, e: Lesson.AbsenceCancelled, _: int) -> None:
        batch.run(_cancel_absence, {"l": e.originator_id, "s": e.student_id})

    @handles(Lesson.MarkGiven)
    def mark_given(self, batch: Batch, e: Lesson.MarkGiven, position: int) -> None:
        batch.insert(marks, {"mark_id": e.mark_id, "student_id": e.student_id,
                             "lesson_id": e.originator_id, "lesson_date": e.lesson_date,
                             "value": e.value, "work": e.work.value, "position": position})

    @handles(Lesson.MarkCorrected)
    def mark_corrected(self, batch: Batch, e: Lesson.MarkCorrected, _: int) -> None:
        batch.run(_correct_mark, {"m": e.mark_id, "v": e.value})

    @handles(Lesson.MarkCancelled)
    def mark_cancelled(self, batch: Batch, e: Lesson.MarkCancelled, _: int) -> None:
        batch.run(_cancel_mark, {"m": e.mark_id})



Diary.prepare_names()
Diary.prepare_enrolments()
Diary.prepare_period_marks()
Diary.prepare_files()

#: A class the reader may read a student's data in, from which day to which (None: open).
Span = tuple[UUID, date, date | None]


@dataclass(slots=True)
class DiaryLesson:
    journal_id: str  # ids as the API writes them (8-4-4-4-12 hex)
    lesson_id: str
    slot: int
    subject: str
    topic: str
    homework: str | None
    absent: bool
    marks: list[dict[str, str]] = field(default_factory=list)
    teacher_name: str = ""  # the journal's teacher
    attachments: list[dict[str, str]] = field(default_factory=list)  # homework files


@dataclass
class DiaryDay:
    date: date
    lessons: list[DiaryLesson]


_enrolment = enrolments.alias("e")
_SUBJECT_NAME, _SUBJECT, _ON_SUBJECT = named(names, lessons.c.subject_id, "subject_name")
_JOURNAL = journals.alias("lesson_journal")
_TEACHER_NAME, _TEACHER, _ON_TEACHER = named(names, _JOURNAL.c.teacher_id, "teacher_name")
#: The diary's one statement (built once): see :func:`read_diary`.
_DIARY = (
    select(cast(lessons.c.lesson_id, Text), lessons.c.lesson_date,
           cast(lessons.c.journal_id, Text), lessons.c.slot, _SUBJECT_NAME,
           lessons.c.topic, lessons.c.homework, cast(marks.c.mark_id, Text), marks.c.value,
           marks.c.work, absences.c.lesson_date, _TEACHER_NAME,
           cast(_enrolment.c.class_id, Text), lessons.c.files)
    .select_from(_enrolment)
    .join(lessons, and_(lessons.c.class_id == _enrolment.c.class_id,
                        lessons.c.lesson_date >= _enrolment.c.from_date,
                        or_(_enrolment.c.last_day.is_(None),
                            lessons.c.lesson_date <= _enrolment.c.last_day)))
    .outerjoin(_SUBJECT, _ON_SUBJECT)
    .outerjoin(_JOURNAL, _JOURNAL.c.journal_id == lessons.c.journal_id)
    .outerjoin(_TEACHER, _ON_TEACHER)
    .outerjoin(marks, and_(marks.c.student_id == bindparam("student"),
                           marks.c.lesson_date == lessons.c.lesson_date,
                           marks.c.lesson_id == lessons.c.lesson_id))
    .outerjoin(absences, and_(absences.c.student_id == bindparam("student"),
                              absences.c.lesson_id == lessons.c.lesson_id))
    .where(_enrolment.c.student_id == bindparam("student"),
           _enrolment.c.from_date <= bindparam("last"),
           or_(_enrolment.c.last_day.is_(None), _enrolment.c.last_day >= bindparam("first")),
           lessons.c.lesson_date >= bindparam("first"),
           lessons.c.lesson_date <= bindparam("last"))
    .order_by(lessons.c.lesson_date, lessons.c.slot, lessons.c.lesson_id, marks.c.position)
)


def canonical_id(text: str) -> str:
    """An id read as text (SQLite keeps UUIDs as 32 hex digits, PostgreSQL gives the
    8-4-4-4-12 form) in the 8-4-4-4-12 form."""
    if len(text) == 32:
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    return text


def within(spans: Sequence[tuple[str, date, date | None]], class_id: str, day: date) -> bool:
    """The day of that class (its id as the API writes it) lies in one of ``spans``."""
    return any(c == class_id and first <= day and (last is None or day <= last)
               for c, first, last in spans)


def _as_text(spans: Sequence[Span]) -> list[tuple[str, date, date | None]]:
    """Spans with their class ids as text: rows give ids as text, since building a UUID for
    every row of a diary cost more than the rest of reading it."""
    return [(str(c), first, last) for c, first, last in spans]


def read_diary(conn: Connection, student_id: UUID, first: date, last: date,
               spans: Sequence[Span] | None = None) -> list[DiaryDay]:
    """The student's diary from ``first`` to ``last`` (inclusive), oldest first: the lessons of
    each class they were enrolled in, on the days they were enrolled - and of those, only the
    ones on the days of a class in ``spans``, if given (a teacher reads the days their
    relation to the student held).

    One statement: the student's enrolments (an index range), each one's class lessons over
    the days it covers (an index range of ``(class_id, lesson_date)``), and beside each lesson
    the student's marks (by ``(student_id, lesson_date)``) and absence (by the key): a row per
    lesson and mark, in the order of the day, the slot and the giving."""
    days: list[DiaryDay] = []
    lesson = DiaryLesson("", "", 0, "", "", None, False)
    current = None
    bounds = None if spans is None else _as_text(spans)
    with_files: dict[str, DiaryLesson] = {}
    for (lesson_id, lesson_date, journal_id, slot, subject, topic, homework, mark_id, value,
         work, absent, teacher_name, class_id, file_count) in conn.execute(
            _DIARY, {"student": student_id, "first": first, "last": last}).tuples().all():
        if bounds is not None and not within(bounds, canonical_id(class_id), lesson_date):
            continue
        if lesson_id != current:
            current = lesson_id
            if not days or days[-1].date != lesson_date:
                days.append(DiaryDay(lesson_date, []))
            lesson = DiaryLesson(journal_id=canonical_id(journal_id),
                                 lesson_id=canonical_id(lesson_id), slot=slot, subject=subject,
                                 topic=topic, homework=homework, absent=absent is not None,
                                 teacher_name=teacher_name)
            days[-1].lessons.append(lesson)
            if file_count:
                with_files[lesson_id] = lesson
        if mark_id is not None:
            lesson.marks.append({"id": canonical_id(mark_id), "value": value, "work": work})
    if with_files:
        found = files_of_lessons(conn, [UUID(canonical_id(i)) for i in with_files])
        for lesson_id, held in with_files.items():
            held.attachments = [{"id": canonical_id(f), "name": n}
                                for f, n in found.get(lesson_id, ())]
    return days


@dataclass(frozen=True)
class PeriodMarkRow:
    id: str  # ids as the API writes them (8-4-4-4-12 hex)
    journal_id: str
    subject_name: str
    period_id: str
    period_name: str
    period_kind: str  # term | year
    starts_on: date
    ends_on: date
    value: str


_PM_JOURNAL = journals.alias("period_mark_journal")
_PM_SUBJECT_NAME, _PM_SUBJECT, _ON_PM_SUBJECT = named(names, _PM_JOURNAL.c.subject_id,
                                                     "subject_name", "period_mark_subject")
_PERIOD_MARKS = (
    select(cast(period_marks.c.period_mark_id, Text), cast(period_marks.c.journal_id, Text),
           _PM_SUBJECT_NAME, cast(period_marks.c.period_id, Text), periods.c.name,
           periods.c.kind, periods.c.starts_on, periods.c.ends_on, period_marks.c.value,
           cast(_PM_JOURNAL.c.class_id, Text))
    .select_from(period_marks)
    .join(periods, periods.c.period_id == period_marks.c.period_id)
    .outerjoin(_PM_JOURNAL, _PM_JOURNAL.c.journal_id == period_marks.c.journal_id)
    .outerjoin(_PM_SUBJECT, _ON_PM_SUBJECT)
    .where(period_marks.c.student_id == bindparam("student")))
#: Each filter's statement, built once (the diary asks for one on every read).
_PERIOD_MARKS_BY: dict[tuple[bool, bool, bool], Select[Any]] = {
    (year, first, last): _PERIOD_MARKS.where(
        *([periods.c.year_id == bindparam("year")] if year else []),
        *([periods.c.ends_on >= bindparam("first")] if first else []),
        *([periods.c.starts_on <= bindparam("last")] if last else []))
    for year in (False, True) for first in (False, True) for last in (False, True)}


def read_period_marks(conn: Connection, student_id: UUID, *, year_id: UUID | None = None,
                      first: date | None = None, last: date | None = None,
                      spans: Sequence[Span] | None = None) -> list[PeriodMarkRow]:
    """The student's period marks (итоговые отметки) as they stand: of one year, or of the
    periods that overlap ``first``..``last``; with ``spans``, only those of a class in them
    for a period that overlaps its days. By period (terms before the year), then subject."""
    query = _PERIOD_MARKS_BY[(year_id is not None, first is not None, last is not None)]
    params = {"student": student_id, "year": year_id, "first": first, "last": last}
    bounds = None if spans is None else _as_text(spans)
    found = []
    for (mark_id, journal_id, subject, period_id, period_name, kind, starts_on, ends_on, value,
         class_id) in conn.execute(query, params).tuples():
        if bounds is not None and not any(
                c == canonical_id(class_id or "") and f <= ends_on
                and (to is None or starts_on <= to) for c, f, to in bounds):
            continue
        found.append(PeriodMarkRow(canonical_id(mark_id), canonical_id(journal_id), subject,
                                   canonical_id(period_id), period_name, kind, starts_on,
                                   ends_on, value))
    return sorted(found, key=lambda p: (p.period_kind == "year", p.starts_on, p.ends_on,
                                        name_order(p.subject_name), str(p.id)))
