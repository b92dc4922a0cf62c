"""Rows several read models keep alike, each in a table of its own (so each can be rebuilt
alone): who was enrolled in which class from which day to which (the diary, the lookups, the
reports), and each period mark's current value (the diary, the summary, the reports)."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import Table, bindparam, update

from ejournal.domain.period_mark import PeriodMark
from ejournal.domain.school_class import SchoolClass
from ejournal.projections.base import handles
from ejournal.projections.batching import Batch, Prepared, prepare


class KeepsEnrolments:
    """Handlers that keep ``enrolments_table`` (``class_id``, ``student_id``, ``from_date``,
    ``last_day`` inclusive, None while enrolled); mix into a ReadModel and call
    :meth:`prepare_enrolments` once after setting the table."""

    enrolments_table: ClassVar[Table]
    _end_enrolment: ClassVar[Prepared]

    @classmethod
    def prepare_enrolments(cls) -> None:
        enrolments = cls.enrolments_table
        cls._end_enrolment = prepare(update(enrolments).where(
            enrolments.c.class_id == bindparam("c"), enrolments.c.student_id == bindparam("s"),
            enrolments.c.last_day.is_(None)).values(last_day=bindparam("d")))

    @handles(SchoolClass.StudentEnrolled)
    def student_enrolled(self, batch: Batch, e: SchoolClass.StudentEnrolled, _: int) -> None:
        batch.insert(self.enrolments_table, {"class_id": e.originator_id,
                                             "student_id": e.student_id,
                                             "from_date": e.from_date, "last_day": None})

    @handles(SchoolClass.EnrolmentEnded)
    def enrolment_ended(self, batch: Batch, e: SchoolClass.EnrolmentEnded, _: int) -> None:
        batch.run(self._end_enrolment, {"c": e.originator_id, "s": e.student_id,
                                        "d": e.last_day})


class KeepsPeriodMarks:
    """Handlers that keep ``period_marks_table`` (``period_mark_id``, ``journal_id``,
    ``period_id``, ``student_id``, ``value`` as it stands); mix into a ReadModel and call
    :meth:`prepare_period_marks` once after setting the table."""

    period_marks_table: ClassVar[Table]
    _correct_period_mark: ClassVar[Prepared]

    @classmethod
    def prepare_period_marks(cls) -> None:
        kept = cls.period_marks_table
        cls._correct_period_mark = prepare(update(kept).where(
            kept.c.period_mark_id == bindparam("p")).values(value=bindparam("v")))

    @handles(PeriodMark.Given)
    def period_mark_given(self, batch: Batch, e: PeriodMark.Given, _: int) -> None:
        batch.insert(self.period_marks_table, {
            "period_mark_id": e.originator_id, "journal_id": e.journal_id,
            "period_id": e.period_id, "student_id": e.student_id, "value": e.value})

    @handles(PeriodMark.Corrected)
    def period_mark_corrected(self, batch: Batch, e: PeriodMark.Corrected, _: int) -> None:
        batch.run(self._correct_period_mark, {"p": e.originator_id, "v": e.value})
