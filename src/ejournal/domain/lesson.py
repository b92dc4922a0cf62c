"""A lesson held in a class journal (one column of the grid), with its attendance and marks.

A lesson is its own aggregate, identified by (journal, date, slot), so a command's cost depends
on one lesson's few dozen events. Every event names the lesson in full - school, class,
subject, journal, date and slot - with its author ``by`` and recording ``timestamp``, so a
reader needs no lookup; entries that answer to a timeliness rule carry ``late`` as it stood
when they were recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from ejournal.domain.base import JournalAggregate, SchemaV2
from ejournal.domain.calendar import SchoolCalendar
from ejournal.domain.errors import (
    AlreadyAbsent,
    AlreadyExists,
    InvalidEntry,
    LessonInTheFuture,
    MarkCancelledAlready,
    NotAbsent,
    NotASchoolDay,
    SameValue,
    StudentHasMarks,
    StudentNotEnrolled,
    StudentWasAbsent,
    UnknownMark,
)
from ejournal.domain.journal import ClassJournal
from ejournal.domain.school_class import MAX_SLOT, SchoolClass
from ejournal.domain.timeliness import (
    R_LESSON,
    R_SAME_DAY,
    R_WRITTEN,
    lateness,
    local_date,
    mark_rule_and_due,
)
from ejournal.domain.values import (
    Absence,
    AbsenceReason,
    Actor,
    Late,
    Work,
    absence_reason,
    homework_load,
    mark_value,
    reason_text,
    text,
    work_kind,
)


@dataclass(frozen=True)
class LessonContext:
    """What a lesson command needs to know beyond the lesson itself, loaded by the application."""

    actor: Actor
    journal: ClassJournal
    school_class: SchoolClass
    calendar: SchoolCalendar
    timezone: str

    def late(self, rule: str, due: date, at: datetime) -> Late | None:
        working = self.calendar.written_work if rule == R_WRITTEN else self.calendar.working
        return lateness(rule, due, at, self.timezone, working)

    def names(self, lesson_date: date, slot: int) -> dict[str, Any]:
        """The fields by which every lesson event names its lesson."""
        journal = self.journal
        return {"school_id": journal.school_id, "class_id": journal.class_id,
                "subject_id": journal.subject_id, "journal_id": journal.id,
                "lesson_date": lesson_date, "slot": slot}

    def ensure_enrolled(self, student_id: UUID, day: date) -> None:
        if not self.school_class.is_enrolled(student_id, day):
            raise StudentNotEnrolled(
                f"student {student_id} is not enrolled in the class on {day}"
            )


@dataclass(frozen=True)
class Mark:
    """A mark as it stands; a correction or cancellation replaces it with a new value."""

    id: UUID
    student_id: UUID
    value: str
    work: Work
    comment: str | None
    by: UUID
    cancelled: bool = False
    history: tuple[str, ...] = ()


class LessonEvent(SchemaV2, JournalAggregate.Event):
    """What every event of a lesson carries besides its own facts."""

    school_id: UUID
    class_id: UUID
    subject_id: UUID
    journal_id: UUID
    lesson_date: date  # the business date: the lesson's school-local date
    slot: int
    by: UUID


class Lesson(JournalAggregate):
    class Held(SchemaV2, JournalAggregate.Created):
        """Lesson held (R-4.5): date, slot, topic, homework."""

        school_id: UUID
        class_id: UUID
        subject_id: UUID
        journal_id: UUID
        lesson_date: date
        slot: int
        by: UUID
        topic: str
        homework: str | None
        programme_topic: str | None
        late: Late | None
        #: The minutes the homework takes (R-3.4g, the daily load); a lesson held before
        #: lessons carried them has none.
        homework_minutes: int | None = None
        #: The teacher declared written work at this lesson (R-6.1d): every student present
        #: then needs a written mark, even if none is given. A lesson held before lessons
        #: carried it declared none.
        written_work: bool = False

    class AttendanceTaken(LessonEvent):
        """Attendance taken (R-4.6): these students were absent ("Н"); none listed: all
        present. A later one records further absences."""

        absent: list[Absence]
        late: Late | None

        def apply(self, aggregate: Lesson) -> None:
            aggregate.attendance_taken = True
            for absence in self.absent:
                aggregate.absent[absence.student_id] = absence.reason
                aggregate.absent_by[absence.student_id] = self.by

    class AbsenceCancelled(LessonEvent):
        """The student was there after all (R-4.6); ``reason`` says why, in free text."""

        student_id: UUID
        reason: str
        late: Late | None

        def apply(self, aggregate: Lesson) -> None:
            del aggregate.absent[self.student_id]
            aggregate.absent_by.pop(self.student_id, None)

    class MarkGiven(LessonEvent):
        """A mark (R-6.1a) in this lesson's column (R-6.1c)."""

        mark_id: UUID
        student_id: UUID
        value: str
        work: Work
        comment: str | None
        late: Late | None

        def apply(self, aggregate: Lesson) -> None:
            aggregate.marks[self.mark_id] = Mark(
                self.mark_id, self.student_id, self.value, self.work, self.comment, self.by,
                history=(self.value,),
            )

    class MarkCorrected(LessonEvent):
        """A new value for a mark, with the reason (R-7.2); the former stays in the history."""

        mark_id: UUID
        student_id: UUID
        work: Work
        value: str  # the new value
        reason: str

        def apply(self, aggregate: Lesson) -> None:
            mark = aggregate.marks[self.mark_id]
            aggregate.marks[self.mark_id] = replace(mark, value=self.value,
                                                    history=(*mark.history, self.value))

    class MarkCancelled(LessonEvent):
        """A mark withdrawn, with the reason (R-7.2); it stays in the history."""

        mark_id: UUID
        student_id: UUID
        work: Work
        value: str  # the value withdrawn
        reason: str

        def apply(self, aggregate: Lesson) -> None:
            aggregate.marks[self.mark_id] = replace(aggregate.marks[self.mark_id],
                                                    cancelled=True)

    def __init__(self, school_id: UUID, class_id: UUID, subject_id: UUID, journal_id: UUID,
                 lesson_date: date, slot: int, by: UUID, topic: str, homework: str | None,
                 programme_topic: str | None, late: Late | None,
                 homework_minutes: int | None = None, written_work: bool = False) -> None:
        self.school_id = school_id
        self.class_id = class_id
        self.subject_id = subject_id
        self.journal_id = journal_id
        self.lesson_date = lesson_date
        self.slot = slot
        self.topic = topic
        self.homework = homework
        self.programme_topic = programme_topic
        self.homework_minutes = homework_minutes
        self.written_work = written_work
        self.held_by = by
        self.late = late
        self.attendance_taken = False
        self.absent: dict[UUID, AbsenceReason | None] = {}
        self.absent_by: dict[UUID, UUID] = {}  # who recorded each absence
        self.marks: dict[UUID, Mark] = {}

    # --- queries ------------------------------------------------------------------------

    def current_marks(self, student_id: UUID) -> list[Mark]:
        return [m for m in self.marks.values() if m.student_id == student_id and not m.cancelled]

    @property
    def has_written_work(self) -> bool:
        """Written work is known at this lesson (R-6.1d): declared when it was held, or a
        `written`/`test` mark stands."""
        return self.written_work or any(not m.cancelled and m.work.is_written
                                        for m in self.marks.values())

    def lacks_written_mark(self, student_id: UUID) -> bool:
        """R-6.1d as the check sees it: the lesson has written work, the student was there
        and has no `written`/`test` mark that stands (enrolment is the caller's to check)."""
        return (self.has_written_work and student_id not in self.absent
                and not any(m.work.is_written for m in self.current_marks(student_id)))

    def mark(self, mark_id: UUID) -> Mark:
        try:
            return self.marks[mark_id]
        except KeyError:
            raise UnknownMark(f"no mark {mark_id} in this journal") from None

    # --- commands ------------------------------------------------------------------------

    @classmethod
    def hold(cls, ctx: LessonContext, *, lesson_id: UUID, lesson_date: date, slot: Any,
             topic: Any, homework: Any, programme_topic: Any, at: datetime,
             homework_minutes: Any = None, written_work: Any = False) -> Lesson:
        ctx.journal.ensure_may_write(ctx.actor, lesson_date)
        if isinstance(slot, bool) or not isinstance(slot, int) or not 1 <= slot <= MAX_SLOT:
            raise InvalidEntry(f"slot is a whole number 1..{MAX_SLOT}", field="slot")
        clean_topic = text(topic, "topic", required=True)
        clean_homework = text(homework, "homework")
        clean_programme = text(programme_topic, "programme_topic")
        minutes = homework_load(homework_minutes, clean_homework)
        if not isinstance(written_work, bool):
            raise InvalidEntry("written_work is true or false", field="written_work")
        ctx.journal.ensure_programme_topic(clean_programme)
        why_not = ctx.calendar.why_not_school_day(lesson_date)
        if why_not:
            raise NotASchoolDay(f"a lesson is held only on a school day: {why_not}")
        today = local_date(at, ctx.timezone)
        if lesson_date > today:
            raise LessonInTheFuture(
                f"{lesson_date} is in the future (today is {today} in {ctx.timezone})"
            )
        return cls._start(
            cls.Held, id=lesson_id, at=at, **ctx.names(lesson_date, slot),
            by=ctx.actor.user_id, topic=clean_topic, homework=clean_homework,
            programme_topic=clean_programme, late=ctx.late(R_LESSON, lesson_date, at),
            homework_minutes=minutes, written_work=written_work,
        )

    def _names(self) -> dict[str, Any]:
        return {"school_id": self.school_id, "class_id": self.class_id,
                "subject_id": self.subject_id, "journal_id": self.journal_id,
                "lesson_date": self.lesson_date, "slot": self.slot}

    def take_attendance(self, ctx: LessonContext, *, absent: list[tuple[UUID, Any]],
                        at: datetime) -> Late | None:
        ctx.journal.ensure_may_write(ctx.actor, self.lesson_date)
        rows = []
        seen: set[UUID] = set()
        for index, (student_id, raw_reason) in enumerate(absent):
            where = f"absent[{index}]"
            if student_id in seen:
                raise InvalidEntry(f"student {student_id} is listed twice",
                                   field=f"{where}.student_id")
            seen.add(student_id)
            reason = absence_reason(raw_reason, f"{where}.reason")
            ctx.ensure_enrolled(student_id, self.lesson_date)
            if student_id in self.absent:
                raise AlreadyAbsent(f"student {student_id} is recorded absent already")
            if self.current_marks(student_id):
                raise StudentHasMarks(
                    f"student {student_id} has marks at this lesson; cancel them first"
                )
            rows.append(Absence(student_id, reason))
        late = ctx.late(R_SAME_DAY, self.lesson_date, at)
        self._record(self.AttendanceTaken, at=at, **self._names(), by=ctx.actor.user_id,
                     absent=rows, late=late)
        return late

    def cancel_absence(self, ctx: LessonContext, *, student_id: UUID, reason: Any,
                       at: datetime) -> Late | None:
        ctx.journal.ensure_may_write(ctx.actor, self.lesson_date)
        why = reason_text(reason)
        if student_id not in self.absent:
            raise NotAbsent(f"student {student_id} is not recorded absent at this lesson")
        ctx.journal.ensure_may_change(ctx.actor, self.lesson_date, self.absent_by[student_id])
        late = ctx.late(R_SAME_DAY, self.lesson_date, at)
        self._record(self.AbsenceCancelled, at=at, **self._names(), by=ctx.actor.user_id,
                     student_id=student_id, reason=why, late=late)
        return late

    def give_mark(self, ctx: LessonContext, *, mark_id: UUID, student_id: UUID, value: Any,
                  work: Any, comment: Any, at: datetime) -> Late | None:
        checked_value = mark_value(value)
        checked_work = work_kind(work)
        clean_comment = text(comment, "comment")
        ctx.journal.ensure_may_write(ctx.actor, self.lesson_date)
        if mark_id in self.marks:
            raise AlreadyExists(f"mark {mark_id} is recorded already", field="mark_id")
        ctx.ensure_enrolled(student_id, self.lesson_date)
        if student_id in self.absent:
            raise StudentWasAbsent(
                f"student {student_id} is recorded absent at this lesson; cancel the absence "
                "before giving a mark"
            )
        rule, due = mark_rule_and_due(checked_work, self.lesson_date,
                                      ctx.calendar.written_work)
        late = ctx.late(rule, due, at)
        self._record(self.MarkGiven, at=at, **self._names(), by=ctx.actor.user_id,
                     mark_id=mark_id, student_id=student_id, value=checked_value,
                     work=checked_work, comment=clean_comment, late=late)
        return late

    def correct_mark(self, ctx: LessonContext, *, mark_id: UUID, value: Any, reason: Any,
                     at: datetime) -> None:
        """Corrections are never late (domain.md); the edit history shows them."""
        checked_value = mark_value(value)
        why = reason_text(reason)
        ctx.journal.ensure_may_write(ctx.actor, self.lesson_date)
        mark = self.mark(mark_id)
        ctx.journal.ensure_may_change(ctx.actor, self.lesson_date, mark.by)
        if mark.cancelled:
            raise MarkCancelledAlready("that mark was cancelled; it cannot be corrected")
        if mark.value == checked_value:
            raise SameValue(f"the mark is {checked_value} already; a correction changes it")
        self._record(self.MarkCorrected, at=at, **self._names(), by=ctx.actor.user_id,
                     mark_id=mark_id, student_id=mark.student_id, work=mark.work,
                     value=checked_value, reason=why)

    def cancel_mark(self, ctx: LessonContext, *, mark_id: UUID, reason: Any,
                    at: datetime) -> None:
        why = reason_text(reason)
        ctx.journal.ensure_may_write(ctx.actor, self.lesson_date)
        mark = self.mark(mark_id)
        ctx.journal.ensure_may_change(ctx.actor, self.lesson_date, mark.by)
        if mark.cancelled:
            raise MarkCancelledAlready("that mark was cancelled already")
        self._record(self.MarkCancelled, at=at, **self._names(), by=ctx.actor.user_id,
                     mark_id=mark_id, student_id=mark.student_id, work=mark.work,
                     value=mark.value, reason=why)
