"""A period mark (отметка за четверть/полугодие/год): one per student, journal and period."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from ejournal.domain.base import JournalAggregate, SchemaV2
from ejournal.domain.calendar import Period, WorkingCalendar
from ejournal.domain.errors import PeriodNotBegun, SameValue, StudentNotEnrolled
from ejournal.domain.journal import ClassJournal
from ejournal.domain.school_class import SchoolClass
from ejournal.domain.timeliness import R_PERIOD, lateness, local_date
from ejournal.domain.values import Actor, Late, mark_value, reason_text

#: The production calendar alone, for a caller without the school's overlay.
PRODUCTION = WorkingCalendar()


class PeriodMark(JournalAggregate):
    """Its id derives from (journal, student, period): a second one cannot be recorded (R-6.2);
    a change is a correction with a reason."""

    class Given(SchemaV2, JournalAggregate.Created):
        school_id: UUID
        journal_id: UUID
        student_id: UUID
        period_id: UUID
        period_ends_on: date  # the business date: the period's last day
        value: str
        by: UUID
        late: Late | None

    class Corrected(SchemaV2, JournalAggregate.Event):
        school_id: UUID
        journal_id: UUID
        student_id: UUID
        period_id: UUID
        period_ends_on: date
        value: str
        reason: str
        by: UUID
        #: R-6.2, due the period's last day: a correction after it is accepted and listed in
        #: the late-entry audit. A correction stored before corrections carried it has none.
        late: Late | None = None

        def apply(self, aggregate: PeriodMark) -> None:
            aggregate.value = self.value

    def __init__(self, school_id: UUID, journal_id: UUID, student_id: UUID, period_id: UUID,
                 period_ends_on: date, value: str, by: UUID, late: Late | None) -> None:
        self.school_id = school_id
        self.journal_id = journal_id
        self.student_id = student_id
        self.period_id = period_id
        self.period_ends_on = period_ends_on
        self.value = value
        self.given_by = by
        self.late = late

    @classmethod
    def give(cls, *, period_mark_id: UUID, actor: Actor, journal: ClassJournal,
             school_class: SchoolClass, period_id: UUID, period: Period,
             student_id: UUID, value: Any, timezone: str, working: WorkingCalendar,
             at: datetime) -> PeriodMark:
        checked = mark_value(value)
        # A substitute may give it while their substitution lasts (the recording's local date).
        today = local_date(at, timezone)
        journal.ensure_may_write(actor, today)
        if today < period.starts_on:
            raise PeriodNotBegun(f"{period.name} begins on {period.starts_on}; its marks are "
                                 f"given at its end (today is {today} in {timezone})")
        if not school_class.is_enrolled_during(student_id, period.starts_on, period.ends_on):
            raise StudentNotEnrolled(
                f"student {student_id} is not enrolled in the class during {period.name}",
                rule=R_PERIOD,
            )
        verdict = lateness(R_PERIOD, period.ends_on, at, timezone, working)
        return cls._start(cls.Given, id=period_mark_id, at=at, school_id=journal.school_id,
                          journal_id=journal.id, student_id=student_id, period_id=period_id,
                          period_ends_on=period.ends_on, value=checked, by=actor.user_id,
                          late=verdict)

    def correct(self, *, actor: Actor, journal: ClassJournal, value: Any, reason: Any,
                timezone: str, at: datetime,
                working: WorkingCalendar = PRODUCTION) -> Late | None:
        """A correction after the period's last day is accepted, flagged late (R-6.2).
        ``working``: the school's calendar, for the ``working_days`` of the verdict."""
        checked = mark_value(value)
        why = reason_text(reason)
        journal.ensure_may_change(actor, local_date(at, timezone), self.given_by)
        if checked == self.value:
            raise SameValue(f"the period mark is {checked} already; a correction changes it")
        verdict = lateness(R_PERIOD, self.period_ends_on, at, timezone, working)
        self._record(self.Corrected, at=at, school_id=self.school_id,
                     journal_id=self.journal_id,
                     student_id=self.student_id, period_id=self.period_id,
                     period_ends_on=self.period_ends_on, value=checked, reason=why,
                     by=actor.user_id, late=verdict)
        return verdict
