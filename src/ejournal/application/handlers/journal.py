"""Handlers of the class journal: lessons, attendance, marks and period marks.

Each loads the actor, the journal, its class, year and school and the entry it changes in one
round trip (``_context``); the domain decides who may write (R-4.4) and how late it is.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate

from ejournal.application import commands as c
from ejournal.application import results as r
from ejournal.application.unit import Handler, UnitOfWork, expect
from ejournal.domain import ids
from ejournal.domain.errors import (
    LessonAlreadyRecorded,
    NotFound,
    PeriodMarkAlreadyGiven,
    UnknownLesson,
    UnknownMark,
)
from ejournal.domain.findings import Finding, MissingEntry, finding_id
from ejournal.domain.journal import ClassJournal
from ejournal.domain.lesson import Lesson, LessonContext
from ejournal.domain.people import User
from ejournal.domain.period_mark import PeriodMark
from ejournal.domain.school import AcademicYear, School
from ejournal.domain.school_class import SchoolClass
from ejournal.domain.timeliness import R_WRITTEN, local_date, mark_rule_and_due
from ejournal.domain.values import Actor, Work


def _context(uow: UnitOfWork, actor_id: UUID, journal_id: UUID,
             also: Sequence[UUID] = ()) -> tuple[LessonContext, dict[UUID, Aggregate]]:
    """The actor, the journal, its class, year and school, and ``also`` (e.g. the lesson),
    loaded together in one round trip once the journal's references are known."""
    refs = uow.journal_refs.get(journal_id, ())
    # Only ``also`` is changed by a journal command: the rest is read, never copied.
    shared = {actor_id, journal_id, *refs}
    loaded = uow.load_all([actor_id, journal_id, *refs, *also], read_only=shared)
    user = expect(loaded, User, actor_id, "user")
    actor = Actor(user_id=user.id, role=user.role, school_id=user.school_id)
    journal = expect(loaded, ClassJournal, journal_id, "journal", "journal_id")
    if actor.school_id != journal.school_id:
        # Another school's journal does not exist for this user (ids cannot be probed).
        raise NotFound(f"no journal {journal_id}", field="journal_id")
    if not refs:
        refs = (journal.class_id, journal.year_id, journal.school_id)
        uow.journal_refs[journal_id] = refs
        loaded.update(uow.load_all(refs, read_only=True))
    school_class = expect(loaded, SchoolClass, journal.class_id, "class")
    year = expect(loaded, AcademicYear, journal.year_id, "academic year")
    school = expect(loaded, School, journal.school_id, "school", "school_id")
    ctx = LessonContext(actor=actor, journal=journal, school_class=school_class,
                        calendar=year.calendar(school), timezone=school.timezone)
    return ctx, loaded


def _ensure_open(ctx: LessonContext, loaded: dict[UUID, Aggregate], day: date,
                 what: str, uow: UnitOfWork) -> None:
    """R-3.4b: ``day`` is in no closed period of the journal's year (checked once the domain
    has decided the entry, so that who may not write is told that first), and the year does
    not change before the entry is recorded: a close in between makes it run again."""
    year = expect(loaded, AcademicYear, ctx.journal.year_id, "academic year")
    year.ensure_open(day, what)
    uow.guard(year)


def _lesson(ctx: LessonContext, lesson_id: UUID, loaded: dict[UUID, Aggregate]) -> Lesson:
    lesson = loaded.get(lesson_id)
    if not isinstance(lesson, Lesson) or lesson.journal_id != ctx.journal.id:
        raise UnknownLesson(f"no lesson {lesson_id} held in this journal")
    return lesson


def hold_lesson(command: c.HoldLesson, uow: UnitOfWork) -> r.LessonHeld:
    lesson_id = ids.lesson_id(command.journal_id, command.lesson_date, command.slot)
    ctx, loaded = _context(uow, command.actor_id, command.journal_id, also=[lesson_id])
    lesson = Lesson.hold(ctx, lesson_id=lesson_id, lesson_date=command.lesson_date,
                         slot=command.slot, topic=command.topic, homework=command.homework,
                         programme_topic=command.programme_topic, at=uow.now,
                         homework_minutes=command.homework_minutes,
                         written_work=command.written_work)
    if lesson_id in loaded:
        raise LessonAlreadyRecorded(
            f"the journal has a lesson on {command.lesson_date}, slot {command.slot} already")
    _ensure_open(ctx, loaded, command.lesson_date, "a lesson", uow)
    uow.add(lesson)
    return r.LessonHeld(lesson.id, lesson.late)


def take_attendance(command: c.TakeAttendance, uow: UnitOfWork) -> r.AttendanceTaken:
    ctx, loaded = _context(uow, command.actor_id, command.journal_id, also=[command.lesson_id])
    lesson = _lesson(ctx, command.lesson_id, loaded)
    late = lesson.take_attendance(ctx, absent=list(command.absent), at=uow.now)
    _ensure_open(ctx, loaded, lesson.lesson_date, "attendance", uow)
    uow.add(lesson)
    return r.AttendanceTaken(late)


def cancel_absence(command: c.CancelAbsence, uow: UnitOfWork) -> r.AbsenceCancelled:
    ctx, loaded = _context(uow, command.actor_id, command.journal_id, also=[command.lesson_id])
    lesson = _lesson(ctx, command.lesson_id, loaded)
    late = lesson.cancel_absence(ctx, student_id=command.student_id, reason=command.reason,
                                 at=uow.now)
    _ensure_open(ctx, loaded, lesson.lesson_date, "cancelling an absence", uow)
    uow.add(lesson, *_missing_again(ctx, lesson, command.student_id, lesson.id, uow))
    return r.AbsenceCancelled(late)


def give_mark(command: c.GiveMark, uow: UnitOfWork) -> r.MarkGiven:
    ctx, loaded = _context(uow, command.actor_id, command.journal_id, also=[command.lesson_id])
    lesson = _lesson(ctx, command.lesson_id, loaded)
    mark_id = ids.mark_id(lesson.lesson_date, lesson.slot, secrets.randbits(98))
    late = lesson.give_mark(ctx, mark_id=mark_id, student_id=command.student_id,
                            value=command.value, work=command.work, comment=command.comment,
                            at=uow.now)
    _ensure_open(ctx, loaded, lesson.lesson_date, "a mark", uow)
    uow.add(lesson)
    return r.MarkGiven(mark_id, late)


def _mark_context(uow: UnitOfWork, actor_id: UUID, journal_id: UUID,
                  mark_id: UUID) -> tuple[LessonContext, Lesson]:
    """The mark's id names its lesson's date and slot (ids.mark_id)."""
    lesson_id = ids.mark_lesson(journal_id, mark_id)
    ctx, loaded = _context(uow, actor_id, journal_id, also=[lesson_id] if lesson_id else [])
    lesson = loaded.get(lesson_id) if lesson_id else None
    if not isinstance(lesson, Lesson) or lesson.journal_id != journal_id:
        raise UnknownMark(f"no mark {mark_id} in this journal")
    lesson.mark(mark_id)  # raises UnknownMark when the lesson has no such mark
    _ensure_open(ctx, loaded, lesson.lesson_date, "a change to a mark", uow)
    return ctx, lesson


def correct_mark(command: c.CorrectMark, uow: UnitOfWork) -> r.MarkCorrected:
    ctx, lesson = _mark_context(uow, command.actor_id, command.journal_id, command.mark_id)
    lesson.correct_mark(ctx, mark_id=command.mark_id, value=command.value,
                        reason=command.reason, at=uow.now)
    uow.add(lesson)
    return r.MarkCorrected(command.mark_id)


def cancel_mark(command: c.CancelMark, uow: UnitOfWork) -> r.MarkCancelled:
    ctx, lesson = _mark_context(uow, command.actor_id, command.journal_id, command.mark_id)
    lesson.cancel_mark(ctx, mark_id=command.mark_id, reason=command.reason, at=uow.now)
    uow.add(lesson, *_written_mark_withdrawn(ctx, lesson, command.mark_id, uow))
    return r.MarkCancelled(command.mark_id)


def _written_mark_withdrawn(ctx: LessonContext, lesson: Lesson, mark_id: UUID,
                            uow: UnitOfWork) -> list[MissingEntry]:
    mark = lesson.mark(mark_id)
    if not mark.work.is_written:
        return []
    return _missing_again(ctx, lesson, mark.student_id, mark_id, uow)


def _missing_again(ctx: LessonContext, lesson: Lesson, student: UUID, withdrawn: UUID,
                   uow: UnitOfWork) -> list[MissingEntry]:
    """A finding is answered only by an entry that stands (R-6.1d): a student at written work
    left without a standing written mark - their last one cancelled, or their absence (which
    answered it) cancelled; ``withdrawn``: the mark's id, or the lesson's - has their finding
    opened again, or, past the deadline with none recorded yet, found now, as the check would
    find it."""
    if not lesson.lacks_written_mark(student) \
            or not ctx.school_class.is_enrolled(student, lesson.lesson_date):
        return []
    fid = finding_id(R_WRITTEN, lesson.journal_id, lesson.lesson_date, lesson.slot, student)
    known = uow.load_all([fid]).get(fid)
    if isinstance(known, MissingEntry):
        known.reopen(entry_id=withdrawn, withdrawn_by=ctx.actor.user_id, at=uow.now)
        return [known]
    _, due = mark_rule_and_due(Work.WRITTEN, lesson.lesson_date, ctx.calendar.written_work)
    if local_date(uow.now, ctx.timezone) <= due:
        return []  # not due yet: the scheduler checks it when its deadline has passed
    return [MissingEntry.find(Finding(
        rule=R_WRITTEN, school_id=lesson.school_id, journal_id=lesson.journal_id,
        business_date=lesson.lesson_date, due=due,
        teacher_id=ctx.journal.answerable(lesson.lesson_date), slot=lesson.slot,
        student_id=student), at=uow.now)]


def give_period_mark(command: c.GivePeriodMark, uow: UnitOfWork) -> r.PeriodMarkGiven:
    pm_id = ids.period_mark_id(command.journal_id, command.student_id, command.period_id)
    ctx, loaded = _context(uow, command.actor_id, command.journal_id, also=[pm_id])
    year = expect(loaded, AcademicYear, ctx.journal.year_id, "academic year")
    period = year.period(command.period_id)
    mark = PeriodMark.give(
        period_mark_id=pm_id, actor=ctx.actor, journal=ctx.journal,
        school_class=ctx.school_class, period_id=command.period_id, period=period,
        student_id=command.student_id, value=command.value, timezone=ctx.timezone,
        working=ctx.calendar.working, at=uow.now,
    )
    if pm_id in loaded:
        raise PeriodMarkAlreadyGiven(
            f"student {command.student_id} has a period mark for {period.name} in this "
            "journal; change it with a correction")
    _ensure_open(ctx, loaded, period.ends_on, "a period mark", uow)
    uow.add(mark)
    return r.PeriodMarkGiven(mark.id, mark.late)


def correct_period_mark(command: c.CorrectPeriodMark,
                        uow: UnitOfWork) -> r.PeriodMarkCorrected:
    ctx, loaded = _context(uow, command.actor_id, command.journal_id,
                           also=[command.period_mark_id])
    mark = expect(loaded, PeriodMark, command.period_mark_id, "period mark", "period_mark_id")
    if mark.journal_id != command.journal_id:
        raise NotFound(f"no period mark {command.period_mark_id} in this journal",
                       field="period_mark_id")
    mark.correct(actor=ctx.actor, journal=ctx.journal, value=command.value,
                 reason=command.reason, timezone=ctx.timezone, working=ctx.calendar.working,
                 at=uow.now)
    year = expect(loaded, AcademicYear, ctx.journal.year_id, "academic year")
    _ensure_open(ctx, loaded, year.period(mark.period_id).ends_on,
                 "a period mark's correction", uow)
    uow.add(mark)
    return r.PeriodMarkCorrected(mark.id)


HANDLERS: dict[type, Handler] = {
    c.HoldLesson: hold_lesson,
    c.TakeAttendance: take_attendance,
    c.CancelAbsence: cancel_absence,
    c.GiveMark: give_mark,
    c.CorrectMark: correct_mark,
    c.CancelMark: cancel_mark,
    c.GivePeriodMark: give_period_mark,
    c.CorrectPeriodMark: correct_period_mark,
}
