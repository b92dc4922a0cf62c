"""The administration's reports (R-3.4d, R-3.4g): programme completion per journal, homework
load per class and day, attendance and performance per class and period.

The tables hold facts, each written by the one event that states it - a lesson held (its
programme topic, homework and minutes), an absence with its reason, a mark with its kind of
work, a period mark, a work programme, a class's grade, an enrolment, a name - and every
report is computed when it is read (``report_reads.py``), so the order of the log does not
matter. Lessons, absences and marks are indexed by class and date: one report reads one
class's days, whatever the size of the school.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Index,
    Integer,
    String,
    Table,
    Text,
    Uuid,
    bindparam,
    delete,
    update,
)

from ejournal.domain.journal import ClassJournal
from ejournal.domain.lesson import Lesson
from ejournal.domain.school_class import SchoolClass
from ejournal.projections.base import ReadModel, handles, metadata
from ejournal.projections.batching import Batch, prepare
from ejournal.projections.naming import KeepsNames, KeepsPeriods, name_tables, period_table
from ejournal.projections.shared_rows import KeepsEnrolments, KeepsPeriodMarks

names, journals = name_tables("report")
periods = period_table("report")
classes = Table(
    "report_classes", metadata,
    Column("class_id", Uuid, primary_key=True),
    Column("year_id", Uuid, nullable=False),
    Column("grade", Integer, nullable=True),
)
enrolments = Table(
    "report_enrolments", metadata,
    Column("class_id", Uuid, primary_key=True),
    Column("student_id", Uuid, primary_key=True),
    Column("from_date", Date, primary_key=True),
    Column("last_day", Date, nullable=True),  # inclusive; None while enrolled
)
programme = Table(
    "report_programme", metadata,
    Column("journal_id", Uuid, primary_key=True),
    Column("number", Integer, primary_key=True),  # the topic's place in the programme
    Column("title", Text, nullable=False),
    Column("hours", Integer, nullable=False),
)
lessons = Table(
    "report_lessons", metadata,
    Column("lesson_id", Uuid, primary_key=True),
    Column("journal_id", Uuid, nullable=False),
    Column("class_id", Uuid, nullable=False),
    Column("lesson_date", Date, nullable=False),
    Column("slot", Integer, nullable=False),
    Column("programme_topic", Text, nullable=True),
    Column("homework", Text, nullable=True),
    Column("homework_minutes", Integer, nullable=True),
    Index("ix_report_lessons_class_date", "class_id", "lesson_date"),
    Index("ix_report_lessons_journal", "journal_id"),
)
absences = Table(
    "report_absences", metadata,
    Column("lesson_id", Uuid, primary_key=True),
    Column("student_id", Uuid, primary_key=True),
    Column("class_id", Uuid, nullable=False),
    Column("lesson_date", Date, nullable=False),
    Column("reason", String(9), nullable=True),  # illness, excused, unexcused; None: unknown
    Index("ix_report_absences_class_date", "class_id", "lesson_date"),
)
marks = Table(
    "report_marks", metadata,
    Column("mark_id", Uuid, primary_key=True),
    Column("journal_id", Uuid, nullable=False),
    Column("class_id", Uuid, nullable=False),
    Column("lesson_date", Date, nullable=False),
    Column("student_id", Uuid, nullable=False),
    Column("value", String(1), nullable=False),  # the current value
    Column("work", String(9), nullable=False),
    Column("position", BigInteger, nullable=False),
    Index("ix_report_marks_class_date", "class_id", "lesson_date"),
)
period_marks = Table(
    "report_period_marks", metadata,
    Column("period_mark_id", Uuid, primary_key=True),
    Column("journal_id", Uuid, nullable=False),
    Column("period_id", Uuid, nullable=False),
    Column("student_id", Uuid, nullable=False),
    Column("value", String(1), nullable=False),
    Index("ix_report_period_marks_period", "period_id"),
)

_drop_programme = prepare(delete(programme).where(programme.c.journal_id == bindparam("j")))
_cancel_absence = prepare(delete(absences).where(
    absences.c.lesson_id == bindparam("l"), absences.c.student_id == bindparam("s")))
_correct_mark = prepare(update(marks).where(marks.c.mark_id == bindparam("m"))
                        .values(value=bindparam("v")))
_cancel_mark = prepare(delete(marks).where(marks.c.mark_id == bindparam("m")))


class Reports(KeepsPeriodMarks, KeepsEnrolments, KeepsNames, KeepsPeriods, ReadModel):
    names_table = names
    journals_table = journals
    periods_table = periods
    name = "reports"
    period_marks_table = period_marks
    enrolments_table = enrolments
    tables = (names, journals, periods, classes, enrolments, programme, lessons, absences,
              marks, period_marks)

    @handles(SchoolClass.Opened)
    def class_opened(self, batch: Batch, e: SchoolClass.Opened, position: int) -> None:
        self.class_named(batch, e, position)
        batch.insert(classes, {"class_id": e.originator_id, "year_id": e.year_id,
                               "grade": e.grade})


    @handles(ClassJournal.ProgrammeSet)
    def programme_set(self, batch: Batch, e: ClassJournal.ProgrammeSet, _: int) -> None:
        batch.run(_drop_programme, {"j": e.originator_id})
        batch.insert_many(programme, (
            {"journal_id": e.originator_id, "number": number, "title": topic.title,
             "hours": topic.hours} for number, topic in enumerate(e.topics)))

    @handles(Lesson.Held)
    def lesson_held(self, batch: Batch, e: Lesson.Held, _: int) -> None:
        batch.insert(lessons, {
            "lesson_id": e.originator_id, "journal_id": e.journal_id, "class_id": e.class_id,
            "lesson_date": e.lesson_date, "slot": e.slot,
            "programme_topic": e.programme_topic, "homework": e.homework,
            "homework_minutes": e.homework_minutes})

    @handles(Lesson.AttendanceTaken)
    def attendance_taken(self, batch: Batch, e: Lesson.AttendanceTaken, _: int) -> None:
        batch.insert_many(absences, (
            {"lesson_id": e.originator_id, "student_id": absence.student_id,
             "class_id": e.class_id, "lesson_date": e.lesson_date,
             "reason": absence.reason.value if absence.reason else None}
            for absence in e.absent))

    @handles(Lesson.AbsenceCancelled)
    def absence_cancelled(self, batch: Batch, e: Lesson.AbsenceCancelled, _: int) -> None:
        batch.run(_cancel_absence, {"l": e.originator_id, "s": e.student_id})

    @handles(Lesson.MarkGiven)
    def mark_given(self, batch: Batch, e: Lesson.MarkGiven, position: int) -> None:
        batch.insert(marks, {
            "mark_id": e.mark_id, "journal_id": e.journal_id, "class_id": e.class_id,
            "lesson_date": e.lesson_date, "student_id": e.student_id, "value": e.value,
            "work": e.work.value, "position": position})

    @handles(Lesson.MarkCorrected)
    def mark_corrected(self, batch: Batch, e: Lesson.MarkCorrected, _: int) -> None:
        batch.run(_correct_mark, {"m": e.mark_id, "v": e.value})

    @handles(Lesson.MarkCancelled)
    def mark_cancelled(self, batch: Batch, e: Lesson.MarkCancelled, _: int) -> None:
        batch.run(_cancel_mark, {"m": e.mark_id})



Reports.prepare_names()
Reports.prepare_enrolments()
Reports.prepare_period_marks()
