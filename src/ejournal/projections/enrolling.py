"""Enrolments beside the rows that need them: the read models that answer by a class's
students on a day (the diary, the lookups, the reports) each keep who was enrolled in which
class from which day to which, from the same two events."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import Table, bindparam, update

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
