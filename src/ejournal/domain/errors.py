"""Named domain errors, each refusal citing its rule id: :class:`InvalidEntry` (422),
:class:`ConflictWithJournal` (409), :class:`NotFound` (404), :class:`NotPermitted` (403) and
:class:`TryAgainLater` (503 with ``Retry-After``), as ``api/`` maps them. A command raises
before it changes any state, so a refusal writes nothing.
Rule ids are those of ``docs/requirements.md``.
"""

from __future__ import annotations


class DomainError(Exception):
    """A refusal by the domain. ``rule`` is the requirement id it enforces, if any."""

    rule: str | None = None
    field: str | None = None

    def __init__(self, detail: str, *, rule: str | None = None, field: str | None = None):
        super().__init__(detail)
        self.detail = detail
        if rule is not None:
            self.rule = rule
        if field is not None:
            self.field = field

    def __str__(self) -> str:
        prefix = f"[{self.rule}] " if self.rule else ""
        return prefix + self.detail


class InvalidEntry(DomainError):
    """The entry breaks a rule on its own terms (a bad value, a wrong date...)."""


class ConflictWithJournal(DomainError):
    """The entry conflicts with the journal's current state."""


class TryAgainLater(DomainError):
    """Not recorded now, through no fault of the entry: the same request may succeed in a
    moment (unlike a conflict with the journal's state, which it never will)."""


class NotFound(DomainError):
    """An unknown id (or one the caller may not see)."""


class NotPermitted(DomainError):
    """The caller's role may never do this."""


# --- entry rules -------------------------------------------------------------------------


class InvalidMarkValue(InvalidEntry):
    """R-6.1a: a mark is one of 2, 3, 4, 5; "Н" only as an absence; never 1."""

    rule = "R-6.1a"
    field = "value"


class NotASchoolDay(InvalidEntry):
    """R-4.5: a lesson is held only on a school day of the school's calendar."""

    rule = "R-4.5"
    field = "date"


class LessonInTheFuture(InvalidEntry):
    """R-7.2: an entry is truthful; a lesson not yet held cannot be recorded."""

    rule = "R-7.2"
    field = "date"


class TopicNotInProgramme(InvalidEntry):
    """R-4.7: a lesson's programme topic is one of the journal's work programme."""

    rule = "R-4.7"
    field = "programme_topic"


class StudentNotEnrolled(InvalidEntry):
    """The student is not enrolled in the journal's class on that date (or period)."""

    rule = "R-6.1c"
    field = "student_id"


class PeriodNotBegun(InvalidEntry):
    """R-6.2: period marks are given at the end of the period; not before it has begun."""

    rule = "R-6.2"
    field = "period_id"


class ReasonRequired(InvalidEntry):
    """R-7.2: a correction or cancellation says why; the original stays visible."""

    rule = "R-7.2"
    field = "reason"


class SameValue(InvalidEntry):
    """R-7.2: a correction changes the value."""

    rule = "R-7.2"
    field = "value"


class InvalidStructure(InvalidEntry):
    """School structure that does not hold together (dates, names, references)."""


# --- conflicts with the journal ----------------------------------------------------------


class LessonAlreadyRecorded(ConflictWithJournal):
    """One lesson per journal, date and slot."""

    rule = "R-6.1c"


class StudentWasAbsent(ConflictWithJournal):
    """R-6.1c: no mark for a student recorded absent, until the absence is cancelled."""

    rule = "R-6.1c"
    field = "student_id"


class StudentHasMarks(ConflictWithJournal):
    """R-6.1c: a cell holds marks or "Н", not both: a marked student is not recorded absent."""

    rule = "R-6.1c"
    field = "student_id"


class AlreadyAbsent(ConflictWithJournal):
    """The student is already recorded absent at this lesson."""

    rule = "R-4.6"
    field = "student_id"


class NotAbsent(ConflictWithJournal):
    """Only a recorded absence can be cancelled."""

    rule = "R-4.6"
    field = "student_id"


class MarkCancelledAlready(ConflictWithJournal):
    """A cancelled mark is neither corrected nor cancelled again."""

    rule = "R-7.2"


class PeriodMarkAlreadyGiven(ConflictWithJournal):
    """R-6.2: one period mark per student, journal and period; a change is a correction."""

    rule = "R-6.2"


class AlreadyExists(ConflictWithJournal):
    """A name or identity that must be unique is taken."""


class ConcurrentWriteConflict(TryAgainLater):
    """Others kept writing the same record; the command was retried and still conflicted."""


class IdempotencyKeyReused(ConflictWithJournal):
    """The same idempotency key came back with a different request."""

    field = "Idempotency-Key"


# --- not found / not permitted -----------------------------------------------------------


class UnknownLesson(NotFound):
    """R-6.1c: a mark belongs to a lesson held in that journal."""

    rule = "R-6.1c"
    field = "lesson_id"


class UnknownMark(NotFound):
    field = "mark_id"


class NotAllowedToWrite(NotPermitted):
    """R-4.4: only the assigned teacher, a substitute on their dates, or the school admin."""

    rule = "R-4.4"


class NotOwnEntry(NotAllowedToWrite):
    """R-4.4: a substitute corrects or cancels only the entries they made; the journal's
    teacher and the administration correct any."""


class StudentsNeverWrite(NotPermitted):
    """R-4.9: students (and guardians) never work with the journal."""

    rule = "R-4.9"


# --- closed periods (R-3.4b) ---------------------------------------------------------------


class PeriodIsClosed(ConflictWithJournal):
    """R-3.4b: a closed period's dates take no entry, correction or period mark until the
    admin reopens it (its pages may be printed and signed)."""

    rule = "R-3.4b"


class PeriodClosedAlready(ConflictWithJournal):
    rule = "R-3.4b"
    field = "period_id"


class PeriodNotClosed(ConflictWithJournal):
    rule = "R-3.4b"
    field = "period_id"
