"""Findings of the compliance scheduler: journal entries missing when their deadline passed
(R-4.5, R-4.6, R-6.1d, R-6.2), and each school's record of the days it has checked.

A finding's id is derived from what is missing, so a check run twice, after a restart or in two
processes records it once; its resolution records when the entry arrived. Nobody enters these
events, so they have no ``by`` (docs/scheduler.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID, uuid5

from ejournal.domain.base import JournalAggregate
from ejournal.domain.errors import ConflictWithJournal
from ejournal.domain.ids import NAMESPACE, lesson_id, period_mark_id
from ejournal.domain.timeliness import R_LESSON, R_PERIOD, R_SAME_DAY, R_WRITTEN

#: What is missing under each rule (the entry the finding waits for).
MISSING: dict[str, str] = {
    R_LESSON: "lesson",  # a timetabled lesson with no lesson held
    R_SAME_DAY: "attendance",  # a lesson held with no attendance taken
    R_WRITTEN: "written_mark",  # a present student without a mark for the written work
    R_PERIOD: "period_mark",  # an enrolled student without a period mark
}
RULES = tuple(MISSING)


def finding_id(rule: str, journal_id: UUID, business_date: date, slot: int | None,
               student_id: UUID | None, *, year_mark: bool = False) -> UUID:
    """``uuid5(NAMESPACE, "finding/{rule}/{journal_id}/{date}/{slot|-}/{student_id|-}")``; a
    missing year mark has ``year`` for its slot (a term may end on the year's last day too).

    Frozen forever (docs/events.md): changing one character changes every finding's id."""
    where = "year" if year_mark else "-" if slot is None else slot
    return uuid5(NAMESPACE, f"finding/{rule}/{journal_id}/{business_date.isoformat()}/"
                            f"{where}/{'-' if student_id is None else student_id}")


def audit_id(school_id: UUID) -> UUID:
    """``uuid5(NAMESPACE, "compliance-audit/{school_id}")``: one record per school."""
    return uuid5(NAMESPACE, f"compliance-audit/{school_id}")


@dataclass(frozen=True)
class Finding:
    """A missing entry as a check sees it (before it is recorded).

    ``business_date`` is the date the entry belongs to: the lesson's date, or the period's last
    day (R-6.2). ``due`` is the last day it could have been entered on time. ``teacher_id`` is
    who answers for it: the journal's teacher, or a substitute on that date (R-4.4)."""

    rule: str
    school_id: UUID
    journal_id: UUID
    business_date: date
    due: date
    teacher_id: UUID
    slot: int | None = None
    student_id: UUID | None = None
    period_id: UUID | None = None
    year_mark: bool = False  # for the year period (отметка за год)

    @property
    def id(self) -> UUID:
        return finding_id(self.rule, self.journal_id, self.business_date, self.slot,
                          self.student_id, year_mark=self.year_mark)

    def __post_init__(self) -> None:
        if self.rule not in MISSING:
            raise ValueError(f"unknown rule {self.rule!r}")
        if self.rule == R_PERIOD and (self.student_id is None or self.period_id is None):
            raise ValueError("an R-6.2 finding names the student and the period")
        if self.rule != R_PERIOD and self.slot is None:
            raise ValueError("a lesson's finding names the lesson's slot")
        if self.rule == R_WRITTEN and self.student_id is None:
            raise ValueError("an R-6.1d finding names the student")

    @property
    def target_id(self) -> UUID:
        """The aggregate whose entry resolves it: the lesson, or the period mark."""
        if self.student_id is not None and self.period_id is not None:
            return period_mark_id(self.journal_id, self.student_id, self.period_id)
        return lesson_id(self.journal_id, self.business_date, self.slot or 0)


class FindingResolvedAlready(ConflictWithJournal):
    """A finding is resolved once: by the first entry that answered it."""


class MissingEntry(JournalAggregate):
    """One entry found missing after its deadline (R-4.5, R-4.6, R-6.1d or R-6.2)."""

    class Found(JournalAggregate.Created):
        school_id: UUID
        rule: str
        journal_id: UUID
        business_date: date
        slot: int | None
        student_id: UUID | None
        period_id: UUID | None
        due: date
        teacher_id: UUID

    class Resolved(JournalAggregate.Event):
        """The missing entry arrived (late): when it was recorded and by whom."""

        entered_at: datetime
        entered_by: UUID

        def apply(self, aggregate: MissingEntry) -> None:
            aggregate.entered_at = self.entered_at
            aggregate.entered_by = self.entered_by

    class Reopened(JournalAggregate.Event):
        """The entry that answered it was withdrawn (a mark cancelled): it is missing again.
        An answer recorded before this event no longer resolves it."""

        entry_id: UUID
        withdrawn_by: UUID

        def apply(self, aggregate: MissingEntry) -> None:
            aggregate.entered_at = None
            aggregate.entered_by = None
            aggregate.reopened_at = self.timestamp

    def __init__(self, school_id: UUID, rule: str, journal_id: UUID, business_date: date,
                 slot: int | None, student_id: UUID | None, period_id: UUID | None, due: date,
                 teacher_id: UUID) -> None:
        self.school_id = school_id
        self.rule = rule
        self.journal_id = journal_id
        self.business_date = business_date
        self.slot = slot
        self.student_id = student_id
        self.period_id = period_id
        self.due = due
        self.teacher_id = teacher_id
        self.entered_at: datetime | None = None
        self.entered_by: UUID | None = None
        self.reopened_at: datetime | None = None

    @classmethod
    def find(cls, finding: Finding, *, at: datetime) -> MissingEntry:
        return cls._start(cls.Found, id=finding.id, at=at, school_id=finding.school_id,
                          rule=finding.rule, journal_id=finding.journal_id,
                          business_date=finding.business_date, slot=finding.slot,
                          student_id=finding.student_id, period_id=finding.period_id,
                          due=finding.due, teacher_id=finding.teacher_id)

    @property
    def resolved(self) -> bool:
        return self.entered_at is not None

    def resolve(self, *, entered_at: datetime, entered_by: UUID, at: datetime) -> None:
        if self.resolved:
            raise FindingResolvedAlready(f"finding {self.id} is resolved already")
        if entered_at.tzinfo is None:
            raise ValueError("entered_at must be timezone-aware")
        self._record(self.Resolved, at=at, entered_at=entered_at, entered_by=entered_by)

    def answers(self, entered_at: datetime) -> bool:
        """Whether an entry recorded at ``entered_at`` may resolve it: not once it was
        withdrawn (an entry older than the last reopening is the one withdrawn or older)."""
        return self.reopened_at is None or entered_at > self.reopened_at

    def reopen(self, *, entry_id: UUID, withdrawn_by: UUID, at: datetime) -> None:
        """The entry that answered it (``entry_id``) was withdrawn: it stands open again."""
        self._record(self.Reopened, at=at, entry_id=entry_id, withdrawn_by=withdrawn_by)


class ComplianceAudit(JournalAggregate):
    """One school's record of the days the scheduler has checked, oldest first."""

    class Opened(JournalAggregate.Created):
        school_id: UUID

    class DayChecked(JournalAggregate.Event):
        """Every deadline that fell on ``day`` (school-local) was checked; ``found`` new
        findings were recorded with it (in the same transaction)."""

        day: date
        found: int

        def apply(self, aggregate: ComplianceAudit) -> None:
            aggregate.last_checked = self.day

    def __init__(self, school_id: UUID) -> None:
        self.school_id = school_id
        self.last_checked: date | None = None

    @classmethod
    def open(cls, *, school_id: UUID, at: datetime) -> ComplianceAudit:
        return cls._start(cls.Opened, id=audit_id(school_id), at=at, school_id=school_id)

    def check_day(self, *, day: date, found: int, at: datetime) -> None:
        """Days are checked in order, each once."""
        if self.last_checked is not None and day <= self.last_checked:
            raise ConflictWithJournal(
                f"{day} was checked already (the last day checked is {self.last_checked})")
        self._record(self.DayChecked, at=at, day=day, found=found)
