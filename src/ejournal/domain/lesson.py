"""A lesson held in a class journal (one column of the grid), with its attendance and marks.

A lesson is its own aggregate, identified by (journal, date, slot): a command's cost depends on
one lesson's few dozen events, not on the journal's whole year. Every event carries the journal,
the lesson's date (its business date), its author ``by`` and its recording ``timestamp``;
entries that answer to a timeliness rule carry ``late`` (null, or rule, due, days,
working_days) as it stood when they were recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from ejournal.domain.base import JournalAggregate
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
from ejournal.domain.timeliness import R_LESSON, R_SAME_DAY, lateness, local_date, mark_rule_and_due
from ejournal.domain.values import (
    Actor,
    Late,
    absence_reason,
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

    def late(self, rule: str, due: date, at: datetime) -> dict[str, Any] | None:
        verdict = lateness(rule, due, at, self.timezone, self.calendar.working)
        return verdict.as_dict() if verdict else None

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
    work: str
    comment: str | None
    by: UUID
    cancelled: bool = False
    history: tuple[str, ...] = ()


class Lesson(JournalAggregate):
    class Held(JournalAggregate.Created):
        """Lesson held (R-4.5): date, slot, topic, homework."""

        journal_id: UUID
        lesson_date: date
        slot: int
        topic: str
        homework: str | None
        programme_topic: str | None
        by: UUID
        late: dict[str, Any] | None

    class AttendanceTaken(JournalAggregate.Event):
        """Attendance taken (R-4.6): these students were absent ("Н"); an empty list: all
        present. A later one records further absences."""

        journal_id: UUID
        lesson_date: date
        absent: list[dict[str, Any]]  # {student_id, reason: illness|excused|unexcused|null}
        by: UUID
        late: dict[str, Any] | None

        def apply(self, aggregate: Lesson) -> None:
            aggregate.attendance_taken = True
            for row in self.absent:
                aggregate.absent[row["student_id"]] = row["reason"]

    class AbsenceCancelled(JournalAggregate.Event):
        """The student was there after all (R-4.6)."""

        journal_id: UUID
        lesson_date: date
        student_id: UUID
        reason: str
        by: UUID
        late: dict[str, Any] | None

        def apply(self, aggregate: Lesson) -> None:
            del aggregate.absent[self.student_id]

    class MarkGiven(JournalAggregate.Event):
        """A mark (R-6.1a) in this lesson's column (R-6.1c)."""

        journal_id: UUID
        lesson_date: date
        mark_id: UUID
        student_id: UUID
        value: str
        work: str
        comment: str | None
        by: UUID
        late: dict[str, Any] | None

        def apply(self, aggregate: Lesson) -> None:
            aggregate.marks[self.mark_id] = Mark(
                self.mark_id, self.student_id, self.value, self.work, self.comment, self.by,
                history=(self.value,),
            )

    class MarkCorrected(JournalAggregate.Event):
        """A new value for a mark, with the reason; the original stays in the history."""

        journal_id: UUID
        lesson_date: date
        mark_id: UUID
        value: str
        reason: str
        by: UUID

        def apply(self, aggregate: Lesson) -> None:
            mark = aggregate.marks[self.mark_id]
            aggregate.marks[self.mark_id] = replace(mark, value=self.value,
                                                    history=(*mark.history, self.value))

    class MarkCancelled(JournalAggregate.Event):
        """A mark withdrawn, with the reason; it stays in the history."""

        journal_id: UUID
        lesson_date: date
        mark_id: UUID
        reason: str
        by: UUID

        def apply(self, aggregate: Lesson) -> None:
            aggregate.marks[self.mark_id] = replace(aggregate.marks[self.mark_id],
                                                    cancelled=True)

    def __init__(self, journal_id: UUID, lesson_date: date, slot: int, topic: str,
                 homework: str | None, programme_topic: str | None, by: UUID,
                 late: dict[str, Any] | None) -> None:
        self.journal_id = journal_id
        self.lesson_date = lesson_date
        self.slot = slot
        self.topic = topic
        self.homework = homework
        self.programme_topic = programme_topic
        self.held_by = by
        self.late = late
        self.attendance_taken = False
        self.absent: dict[UUID, str | None] = {}
        self.marks: dict[UUID, Mark] = {}

    # --- queries ------------------------------------------------------------------------

    def current_marks(self, student_id: UUID) -> list[Mark]:
        return [m for m in self.marks.values() if m.student_id == student_id and not m.cancelled]

    def mark(self, mark_id: UUID) -> Mark:
        try:
            return self.marks[mark_id]
        except KeyError:
            raise UnknownMark(f"no mark {mark_id} in this journal") from None

    # --- commands ------------------------------------------------------------------------

    @classmethod
    def hold(cls, ctx: LessonContext, *, lesson_id: UUID, lesson_date: date, slot: Any,
             topic: Any, homework: Any, programme_topic: Any, at: datetime) -> Lesson:
        ctx.journal.ensure_may_write(ctx.actor, lesson_date)
        if isinstance(slot, bool) or not isinstance(slot, int) or not 1 <= slot <= MAX_SLOT:
            raise InvalidEntry(f"slot is a whole number 1..{MAX_SLOT}", field="slot")
        clean_topic = text(topic, "topic", required=True)
        clean_homework = text(homework, "homework")
        clean_programme = text(programme_topic, "programme_topic")
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
            cls.Held, id=lesson_id, at=at, journal_id=ctx.journal.id, lesson_date=lesson_date,
            slot=slot, topic=clean_topic, homework=clean_homework,
            programme_topic=clean_programme, by=ctx.actor.user_id,
            late=ctx.late(R_LESSON, lesson_date, at),
        )

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
            checked = absence_reason(raw_reason, f"{where}.reason")
            reason = checked.value if checked else None
            ctx.ensure_enrolled(student_id, self.lesson_date)
            if student_id in self.absent:
                raise AlreadyAbsent(f"student {student_id} is recorded absent already")
            if self.current_marks(student_id):
                raise StudentHasMarks(
                    f"student {student_id} has marks at this lesson; cancel them first"
                )
            rows.append({"student_id": student_id, "reason": reason})
        late = ctx.late(R_SAME_DAY, self.lesson_date, at)
        self._record(self.AttendanceTaken, at=at, journal_id=self.journal_id,
                     lesson_date=self.lesson_date, absent=rows, by=ctx.actor.user_id, late=late)
        return Late.from_dict(late)

    def cancel_absence(self, ctx: LessonContext, *, student_id: UUID, reason: Any,
                       at: datetime) -> Late | None:
        ctx.journal.ensure_may_write(ctx.actor, self.lesson_date)
        why = reason_text(reason)
        if student_id not in self.absent:
            raise NotAbsent(f"student {student_id} is not recorded absent at this lesson")
        late = ctx.late(R_SAME_DAY, self.lesson_date, at)
        self._record(self.AbsenceCancelled, at=at, journal_id=self.journal_id,
                     lesson_date=self.lesson_date, student_id=student_id, reason=why,
                     by=ctx.actor.user_id, late=late)
        return Late.from_dict(late)

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
        rule, due = mark_rule_and_due(checked_work, self.lesson_date, ctx.calendar.working)
        late = ctx.late(rule, due, at)
        self._record(self.MarkGiven, at=at, journal_id=self.journal_id,
                     lesson_date=self.lesson_date, mark_id=mark_id, student_id=student_id,
                     value=checked_value, work=checked_work.value, comment=clean_comment,
                     by=ctx.actor.user_id, late=late)
        return Late.from_dict(late)

    def correct_mark(self, ctx: LessonContext, *, mark_id: UUID, value: Any, reason: Any,
                     at: datetime) -> None:
        """Corrections are never late (domain.md); the edit history shows them."""
        checked_value = mark_value(value)
        why = reason_text(reason)
        ctx.journal.ensure_may_write(ctx.actor, self.lesson_date)
        mark = self.mark(mark_id)
        if mark.cancelled:
            raise MarkCancelledAlready("that mark was cancelled; it cannot be corrected")
        if mark.value == checked_value:
            raise SameValue(f"the mark is {checked_value} already; a correction changes it")
        self._record(self.MarkCorrected, at=at, journal_id=self.journal_id,
                     lesson_date=self.lesson_date, mark_id=mark_id, value=checked_value,
                     reason=why, by=ctx.actor.user_id)

    def cancel_mark(self, ctx: LessonContext, *, mark_id: UUID, reason: Any,
                    at: datetime) -> None:
        why = reason_text(reason)
        ctx.journal.ensure_may_write(ctx.actor, self.lesson_date)
        mark = self.mark(mark_id)
        if mark.cancelled:
            raise MarkCancelledAlready("that mark was cancelled already")
        self._record(self.MarkCancelled, at=at, journal_id=self.journal_id,
                     lesson_date=self.lesson_date, mark_id=mark_id, reason=why,
                     by=ctx.actor.user_id)
