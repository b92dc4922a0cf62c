"""One school week through the application layer, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ejournal.application.commands import (
    CancelAbsence,
    CancelMark,
    CorrectMark,
    CorrectPeriodMark,
    EndEnrolment,
    EnrolStudent,
    GiveMark,
    GivePeriodMark,
    HoldLesson,
    OpenJournal,
    RegisterUser,
    TakeAttendance,
)
from ejournal.domain.errors import (
    AlreadyExists,
    LessonAlreadyRecorded,
    NotAllowedToWrite,
    NotFound,
    PeriodMarkAlreadyGiven,
    StudentsNeverWrite,
    UnknownMark,
)
from ejournal.domain.lesson import Lesson
from ejournal.domain.values import Late, Work
from tests.builders import build_school
from tests.conftest import Clock, Database

WEEK = [date(2026, 11, 16) + timedelta(days=i) for i in range(5)]  # Mon 16 - Fri 20 Nov


def at(day: date, hour: int = 10) -> datetime:
    """A moment on a Moscow school day (UTC+3)."""
    return datetime(day.year, day.month, day.day, hour - 3, tzinfo=UTC)


def test_a_school_week_is_recorded_and_read_back_on_both_databases(
    database: Database, clock: Clock
) -> None:
    app = database.app(clock)
    s = build_school(app, students=4)
    pupil, absent_pupil, other, leaver = s.students

    # Given the leaver's last day in the class is Wednesday 18 Nov.
    app.execute(EndEnrolment(s.admin, s.school_class, student_id=leaver, last_day=WEEK[2]))

    lessons = {}
    for day in WEEK:
        # When the teacher records each lesson on its day,
        clock.set(at(day, 11))
        lesson = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=day, slot=2,
                                        topic=f"Дроби, урок {day:%d.%m}", homework="№ 12, 13"))
        # then it is on time.
        assert lesson.late is None
        assert lesson.id is not None
        lessons[day] = lesson.id
        app.execute(TakeAttendance(s.teacher, s.journal, lesson.id,
                                   absent=[(absent_pupil, "illness")] if day == WEEK[0] else []))
        app.execute(GiveMark(s.teacher, s.journal, lesson.id, student_id=pupil, value="5",
                             work="oral"))

    # A mark for the leaver on Wednesday is fine; on Thursday he is gone.
    clock.set(at(WEEK[2], 15))
    app.execute(GiveMark(s.teacher, s.journal, lessons[WEEK[2]], student_id=leaver, value="3",
                         work="oral"))

    # Written work on Monday, marked on Thursday (3 working days: Tue, Wed, Thu): on time.
    clock.set(at(WEEK[3], 16))
    written = app.execute(GiveMark(s.teacher, s.journal, lessons[WEEK[0]], student_id=other,
                                   value="4", work="written", comment="контрольная"))
    assert written.late is None

    # An oral mark for Monday given on Thursday is late under by 3 days.
    late = app.execute(GiveMark(s.teacher, s.journal, lessons[WEEK[0]], student_id=pupil, value="4",
                                work="oral"))
    assert late.late == Late(rule="R-4.6", due=WEEK[0], days=3, working_days=3)

    # The absent pupil's absence is cancelled (she was late, not absent), then marked.
    app.execute(CancelAbsence(s.teacher, s.journal, lessons[WEEK[0]], student_id=absent_pupil,
                              reason="опоздала, была на уроке"))
    corrected = app.execute(GiveMark(s.teacher, s.journal, lessons[WEEK[0]],
                                     student_id=absent_pupil, value="2", work="oral"))
    assert corrected.id is not None
    app.execute(CorrectMark(s.teacher, s.journal, corrected.id, value="3",
                            reason="пересчёт баллов"))
    app.execute(CancelMark(s.teacher, s.journal, written.id or corrected.id,
                           reason="работа потеряна"))

    # A period mark for the quarter that ended 25 Oct, given now: late under.
    quarter = s.periods["I четверть"]
    pm = app.execute(GivePeriodMark(s.teacher, s.journal, student_id=pupil, period_id=quarter,
                                    value="5"))
    assert pm.late is not None
    assert (pm.late.rule, pm.late.due, pm.late.days) == ("R-6.2", date(2026, 10, 25), 25)
    assert pm.id is not None
    app.execute(CorrectPeriodMark(s.teacher, s.journal, pm.id, value="4", reason="апелляция"))

    app.close()

    # Then a new application on the same database reads back exactly what was written.
    fresh = database.app(clock)
    monday = fresh.repository.get(lessons[WEEK[0]])
    assert isinstance(monday, Lesson)
    assert monday.topic == "Дроби, урок 16.11"
    assert monday.absent == {}
    assert [(m.value, m.work, m.cancelled) for m in monday.current_marks(pupil)] == [
        ("5", Work.ORAL, False), ("4", Work.ORAL, False)]
    assert [(m.value, m.history) for m in monday.current_marks(absent_pupil)] == [
        ("3", ("2", "3"))]
    assert monday.current_marks(other) == []  # the written mark was cancelled
    assert monday.marks[written.id or corrected.id].cancelled is True
    wednesday = fresh.repository.get(lessons[WEEK[2]])
    assert [m.value for m in wednesday.current_marks(leaver)] == ["3"]

    # Every event of the week is in the log, in order, each with its author and time.
    notifications = fresh.recorder.select_notifications(start=1, limit=10_000)
    ids_in_order = [n.id for n in notifications]
    assert ids_in_order == sorted(ids_in_order)
    lesson_events = [fresh.mapper.to_domain_event(n) for n in notifications
                     if n.originator_id in lessons.values()]
    assert all(getattr(e, "by", None) == s.teacher for e in lesson_events)
    assert all(getattr(e, "timestamp").tzinfo is not None for e in lesson_events)  # noqa: B009
    fresh.close()


def test_the_leaver_cannot_be_marked_after_leaving(database: Database, clock: Clock) -> None:
    from ejournal.domain.errors import StudentNotEnrolled

    app = database.app(clock)
    s = build_school(app, students=2)
    app.execute(EndEnrolment(s.admin, s.school_class, student_id=s.students[1], last_day=WEEK[2]))
    clock.set(at(WEEK[4]))
    lesson = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=WEEK[3], slot=1, topic="Т"))
    assert lesson.id is not None
    before = app.recorder.max_notification_id()
    with pytest.raises(StudentNotEnrolled) as err:
        app.execute(GiveMark(s.teacher, s.journal, lesson.id, student_id=s.students[1], value="4",
                             work="oral"))
    assert err.value.rule == "R-6.1c"
    assert app.recorder.max_notification_id() == before  # nothing written
    app.close()


def test_uniqueness_and_visibility_hold_in_storage(database: Database, clock: Clock) -> None:
    app = database.app(clock)
    s = build_school(app)
    clock.set(at(WEEK[0]))
    lesson = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=WEEK[0], slot=1, topic="А"))
    assert lesson.id is not None
    before = app.recorder.max_notification_id()

    # One lesson per journal, date and slot.
    with pytest.raises(LessonAlreadyRecorded):
        app.execute(HoldLesson(s.admin, s.journal, lesson_date=WEEK[0], slot=1, topic="Б"))
    # One journal per class and subject.
    with pytest.raises(AlreadyExists):
        app.execute(OpenJournal(s.admin, class_id=s.school_class, subject_id=s.subject,
                                teacher_id=s.other_teacher))
    # One account per username, whatever its case.
    with pytest.raises(AlreadyExists) as taken:
        app.execute(RegisterUser(s.admin, s.school,
                                 username=app.repository.get(s.admin).username.upper(),
                                 full_name="Двойник", role="teacher"))
    assert taken.value.field == "username"
    # an unassigned teacher does not write: a student never does.
    with pytest.raises(NotAllowedToWrite):
        app.execute(GiveMark(s.other_teacher, s.journal, lesson.id, student_id=s.students[0],
                             value="5", work="oral"))
    with pytest.raises(StudentsNeverWrite):
        app.execute(GiveMark(s.students[0], s.journal, lesson.id, student_id=s.students[0],
                             value="5", work="oral"))
    # An unknown mark, or one of another journal, is not found.
    with pytest.raises(UnknownMark):
        app.execute(CorrectMark(s.teacher, s.journal, s.school, value="4", reason="нет такой"))
    assert app.recorder.max_notification_id() == before

    # One period mark per student, journal and period.
    pm = app.execute(GivePeriodMark(s.teacher, s.journal, student_id=s.students[0],
                                    period_id=s.periods["II четверть"], value="4"))
    assert pm.late is None
    with pytest.raises(PeriodMarkAlreadyGiven) as second:
        app.execute(GivePeriodMark(s.admin, s.journal, student_id=s.students[0],
                                   period_id=s.periods["II четверть"], value="5"))
    assert second.value.rule == "R-6.2"
    app.close()


def test_another_schools_people_and_journals_do_not_exist_for_a_user(
    database: Database, clock: Clock
) -> None:
    app = database.app(clock)
    first = build_school(app)
    second = build_school(app)
    clock.set(at(WEEK[0]))
    before = app.recorder.max_notification_id()
    # The admin of the second school cannot write or enrol into the first one.
    with pytest.raises(NotFound):
        app.execute(HoldLesson(second.admin, first.journal, lesson_date=WEEK[0], slot=1, topic="X"))
    with pytest.raises(NotFound):
        app.execute(EnrolStudent(second.admin, first.school_class, student_id=second.students[0],
                                 from_date=WEEK[0]))
    with pytest.raises(NotFound):
        app.execute(EnrolStudent(first.admin, first.school_class, student_id=second.students[0],
                                 from_date=WEEK[0]))
    assert app.recorder.max_notification_id() == before
    app.close()


def test_an_idempotent_repeat_returns_the_first_answer_and_writes_nothing(
    database: Database, clock: Clock
) -> None:
    from ejournal.domain.errors import IdempotencyKeyReused

    app = database.app(clock)
    s = build_school(app)
    clock.set(at(WEEK[0]))
    lesson = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=WEEK[0], slot=1, topic="А"))
    assert lesson.id is not None
    first = app.execute(GiveMark(s.teacher, s.journal, lesson.id, student_id=s.students[0],
                                 value="5", work="oral"), idempotency_key="retry-1")
    after_first = app.recorder.max_notification_id()
    again = app.execute(GiveMark(s.teacher, s.journal, lesson.id, student_id=s.students[0],
                                 value="5", work="oral"), idempotency_key="retry-1")
    assert (again.id, again.late, again.replayed) == (first.id, first.late, True)
    assert app.recorder.max_notification_id() == after_first
    # The same key with another body is refused; another user's same key is theirs alone.
    with pytest.raises(IdempotencyKeyReused):
        app.execute(GiveMark(s.teacher, s.journal, lesson.id, student_id=s.students[0], value="4",
                             work="oral"), idempotency_key="retry-1")
    other = app.execute(GiveMark(s.admin, s.journal, lesson.id, student_id=s.students[0], value="5",
                                 work="oral"), idempotency_key="retry-1")
    assert other.id != first.id
    assert not other.replayed
    stored = app.repository.get(lesson.id)
    assert len(stored.current_marks(s.students[0])) == 2
    app.close()
