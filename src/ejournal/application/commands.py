"""The commands: what a user (or the scheduler) asks of the school, as frozen values.

A command's every field is part of the request: together with its class they are the
fingerprint an idempotency key is checked against (``idempotency.fingerprint``). When and under
which key it runs are not part of it (``EJournal.execute``). Each names the result it answers
with: ``GiveMark(...)`` answers ``MarkGiven``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, Generic, TypeVar, get_args, get_origin
from uuid import UUID

from ejournal.application import results as r
from ejournal.domain.findings import Finding

R = TypeVar("R", bound=r.Result, covariant=True)


class Command(Generic[R]):
    """A command answering ``R``; sequences given to it are kept as tuples."""

    result: ClassVar[type[r.Result]]
    __dataclass_fields__: ClassVar[dict[str, Any]]  # each command is a dataclass

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in getattr(cls, "__orig_bases__", ()):
            if get_origin(base) is Command:
                cls.result = get_args(base)[0]

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if isinstance(value, list | tuple):
                object.__setattr__(self, name, tuple(
                    tuple(item) if isinstance(item, list) else item for item in value))


# --- accounts and people ----------------------------------------------------------------


@dataclass(frozen=True)
class RegisterOperator(Command[r.UserRegistered]):
    """The first account of the platform (``ejournal bootstrap``)."""

    username: str
    full_name: str


@dataclass(frozen=True)
class RegisterSchool(Command[r.SchoolRegistered]):
    actor_id: UUID
    name: str
    timezone: str


@dataclass(frozen=True)
class RegisterUser(Command[r.UserRegistered]):
    """A school's account (an operator's, with ``school_id`` None)."""

    actor_id: UUID
    school_id: UUID | None
    username: str
    full_name: str
    role: str


@dataclass(frozen=True)
class LinkGuardian(Command[r.GuardianLinked]):
    actor_id: UUID
    student_id: UUID
    guardian_id: UUID


@dataclass(frozen=True)
class UnlinkGuardian(Command[r.GuardianUnlinked]):
    actor_id: UUID
    student_id: UUID
    guardian_id: UUID


@dataclass(frozen=True)
class RecordPasswordChange(Command[r.PasswordChanged]):
    """The holder of the account stored a new password of their own (checked beforehand)."""

    actor_id: UUID


@dataclass(frozen=True)
class RecordMfa(Command[r.MfaTurned]):
    """The holder's second factor turned on or off (its code checked beforehand)."""

    actor_id: UUID
    on: bool


@dataclass(frozen=True)
class RequireStaffMfa(Command[r.SchoolSettingsSet]):
    actor_id: UUID
    school_id: UUID
    required: bool


@dataclass(frozen=True)
class ResetPassword(Command[r.PasswordReset]):
    actor_id: UUID
    user_id: UUID


@dataclass(frozen=True)
class DisableUser(Command[r.UserDisabled]):
    actor_id: UUID
    user_id: UUID
    reason: str


@dataclass(frozen=True)
class EnableUser(Command[r.UserEnabled]):
    actor_id: UUID
    user_id: UUID


# --- school structure -------------------------------------------------------------------


@dataclass(frozen=True)
class PlanYear(Command[r.YearPlanned]):
    """``periods``: (name, first day, last day[, kind: ``term`` (default) or ``year``]);
    ``holidays``: (name, first day, last day)."""

    actor_id: UUID
    school_id: UUID
    name: str
    starts_on: date
    ends_on: date
    days_per_week: int
    periods: Sequence[tuple[str, date, date] | tuple[str, date, date, str]]
    holidays: Sequence[tuple[str, date, date]] = ()


@dataclass(frozen=True)
class DeclareCalendarDay(Command[r.CalendarDayDeclared]):
    actor_id: UUID
    school_id: UUID
    day: date
    kind: str
    reason: str


@dataclass(frozen=True)
class SetWorkWeights(Command[r.WorkWeightsSet]):
    """``weights``: (kind of work: ``oral``, ``written``, ..., weight 1..10)."""

    actor_id: UUID
    school_id: UUID
    weights: Sequence[tuple[str, int]]


@dataclass(frozen=True)
class ClosePeriod(Command[r.PeriodClosed]):
    """R-3.4b: the period's dates take no entry, correction or period mark from now on."""

    actor_id: UUID
    school_id: UUID
    year_id: UUID
    period_id: UUID


@dataclass(frozen=True)
class ReopenPeriod(Command[r.PeriodReopened]):
    actor_id: UUID
    school_id: UUID
    year_id: UUID
    period_id: UUID
    reason: str


@dataclass(frozen=True)
class AddSubject(Command[r.SubjectAdded]):
    actor_id: UUID
    school_id: UUID
    name: str


@dataclass(frozen=True)
class OpenClass(Command[r.ClassOpened]):
    actor_id: UUID
    school_id: UUID
    name: str
    year_id: UUID
    class_teacher_id: UUID | None = None
    grade: int | None = None


@dataclass(frozen=True)
class EnrolStudent(Command[r.StudentEnrolled]):
    actor_id: UUID
    class_id: UUID
    student_id: UUID
    from_date: date


@dataclass(frozen=True)
class EndEnrolment(Command[r.EnrolmentEnded]):
    """The student leaves the class after ``last_day`` (their last day in it)."""

    actor_id: UUID
    class_id: UUID
    student_id: UUID
    last_day: date


@dataclass(frozen=True)
class AppointClassTeacher(Command[r.ClassTeacherAppointed]):
    actor_id: UUID
    class_id: UUID
    teacher_id: UUID


@dataclass(frozen=True)
class OpenJournal(Command[r.JournalOpened]):
    """A teaching assignment (R-4.4). One journal per class and subject."""

    actor_id: UUID
    class_id: UUID
    subject_id: UUID
    teacher_id: UUID


@dataclass(frozen=True)
class AssignTeacher(Command[r.TeacherAssigned]):
    actor_id: UUID
    journal_id: UUID
    teacher_id: UUID


@dataclass(frozen=True)
class AppointSubstitute(Command[r.SubstituteAppointed]):
    actor_id: UUID
    journal_id: UUID
    teacher_id: UUID
    from_date: date
    to_date: date


@dataclass(frozen=True)
class SetProgramme(Command[r.ProgrammeSet]):
    """``topics``: (title, hours), in the programme's order (R-4.7)."""

    actor_id: UUID
    journal_id: UUID
    topics: Sequence[tuple[str, int]]


@dataclass(frozen=True)
class SetTimetable(Command[r.TimetableSet]):
    """``lessons``: (ISO weekday, slot, journal id), from ``valid_from`` on."""

    actor_id: UUID
    class_id: UUID
    valid_from: date
    lessons: Sequence[tuple[int, int, UUID]]


# --- the class journal ------------------------------------------------------------------


@dataclass(frozen=True)
class HoldLesson(Command[r.LessonHeld]):
    actor_id: UUID
    journal_id: UUID
    lesson_date: date
    slot: int
    topic: str
    homework: str | None = None
    programme_topic: str | None = None
    homework_minutes: int | None = None
    written_work: bool = False


@dataclass(frozen=True)
class TakeAttendance(Command[r.AttendanceTaken]):
    """``absent``: (student id, reason or None); empty: everyone was there."""

    actor_id: UUID
    journal_id: UUID
    lesson_id: UUID
    absent: Sequence[tuple[UUID, str | None]]


@dataclass(frozen=True)
class CancelAbsence(Command[r.AbsenceCancelled]):
    actor_id: UUID
    journal_id: UUID
    lesson_id: UUID
    student_id: UUID
    reason: str


@dataclass(frozen=True)
class GiveMark(Command[r.MarkGiven]):
    actor_id: UUID
    journal_id: UUID
    lesson_id: UUID
    student_id: UUID
    value: str
    work: str
    comment: str | None = None


@dataclass(frozen=True)
class CorrectMark(Command[r.MarkCorrected]):
    actor_id: UUID
    journal_id: UUID
    mark_id: UUID
    value: str
    reason: str


@dataclass(frozen=True)
class CancelMark(Command[r.MarkCancelled]):
    actor_id: UUID
    journal_id: UUID
    mark_id: UUID
    reason: str


@dataclass(frozen=True)
class GivePeriodMark(Command[r.PeriodMarkGiven]):
    actor_id: UUID
    journal_id: UUID
    student_id: UUID
    period_id: UUID
    value: str


@dataclass(frozen=True)
class CorrectPeriodMark(Command[r.PeriodMarkCorrected]):
    actor_id: UUID
    journal_id: UUID
    period_mark_id: UUID
    value: str
    reason: str


# --- compliance findings (the scheduler's) ----------------------------------------------


@dataclass(frozen=True)
class RecordFindings(Command[r.FindingsRecorded]):
    """The scheduler's findings (R-4.5, R-4.6, R-6.1d, R-6.2) not recorded yet and, with
    ``day_checked``, the school's record that this day was checked - in one transaction."""

    school_id: UUID
    findings: Sequence[Finding]
    day_checked: date | None = None


@dataclass(frozen=True)
class ResolveFindings(Command[r.FindingsResolved]):
    """``answers``: (finding id, entered at, entered by) - the missing entry arrived (late)."""

    answers: Sequence[tuple[UUID, datetime, UUID]]


@dataclass(frozen=True)
class SealLedger(Command[r.LedgerSealed]):
    """The scheduler's daily seal of the ledger's head for a school (once a school-local
    ``day``: a second seal of the same day is left out)."""

    school_id: UUID
    day: date
    position: int
    head: str


@dataclass(frozen=True)
class AttachHomeworkFile(Command[r.FileAttached]):
    """A file for the lesson's homework, its bytes stored already under ``sha256`` and its
    ``content_type`` found in them (``domain.file_kinds.kind_of``)."""

    actor_id: UUID
    journal_id: UUID
    lesson_id: UUID
    name: str
    size: int
    content_type: str
    sha256: str


@dataclass(frozen=True)
class RetractHomeworkFile(Command[r.FileRetracted]):
    actor_id: UUID
    journal_id: UUID
    lesson_id: UUID
    file_id: UUID
    reason: str
