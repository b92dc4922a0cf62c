"""The class journal's write-time rules, on the domain alone: given past events (built with the
aggregates' own commands), when a command, then these new events - or this named error citing
its rule id, with nothing recorded. Rule ids are those of docs/requirements.md."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from ejournal.domain import ids
from ejournal.domain.base import JournalAggregate
from ejournal.domain.calendar import DayKind, WorkingCalendar
from ejournal.domain.errors import (
    AlreadyAbsent,
    DomainError,
    InvalidEntry,
    InvalidMarkValue,
    LessonInTheFuture,
    MarkCancelledAlready,
    NotAbsent,
    NotAllowedToWrite,
    NotASchoolDay,
    NotFound,
    NotOwnEntry,
    ReasonRequired,
    SameValue,
    StudentHasMarks,
    StudentNotEnrolled,
    StudentsNeverWrite,
    StudentWasAbsent,
    TopicNotInProgramme,
    UnknownMark,
)
from ejournal.domain.journal import ClassJournal
from ejournal.domain.lesson import Lesson
from ejournal.domain.period_mark import PeriodMark
from ejournal.domain.school_class import SchoolClass
from ejournal.domain.values import Absence, AbsenceReason, Actor, Late, Role, Work
from tests.unit.domain_fixtures import (
    SETUP_AT,
    YEAR_2025_26,
    World,
    at_local,
    build_world,
    described,
    payload,
    refused,
    replay,
    state,
    utc,
)

MON = date(2026, 11, 23)
WED = date(2026, 11, 25)
FRI = date(2026, 11, 27)
Q2 = "II четверть"
Q2_LAST_DAY = date(2026, 12, 28)


@pytest.fixture
def world() -> World:
    """A Moscow school, 5-day week, 2026/27; three students enrolled from 01.09.2026."""
    return build_world()


def hold(world: World, day: date, *, who: str | Actor = "teacher", slot: Any = 1,
         at: Any = None, topic: Any = "Дроби", programme_topic: Any = None) -> Lesson:
    """When a lesson is held (its events are NOT collected)."""
    return Lesson.hold(world.ctx(who), lesson_id=uuid4(), lesson_date=day, slot=slot,
                       topic=topic, homework="№ 12", programme_topic=programme_topic,
                       at=at or world.noon(day))


# === R-6.1a: a mark is 2, 3, 4 or 5 ==========================================================

ACCEPTED_MARKS = ["2", "3", "4", "5", 2, 3, 4, 5]
REFUSED_MARKS = ["1", "0", "6", "5+", "", " 5", "5 ", "Н", "н", "H", None, 4.0, True, False, 1,
                 0, 6, -5, "４"]


def refused_id(value: object) -> str:
    return repr(value)


@pytest.mark.parametrize("value", ACCEPTED_MARKS, ids=refused_id)
def test_a_mark_of_2_3_4_or_5_is_given_and_stored_as_text(world: World, value: Any) -> None:
    # given a lesson held
    lesson = world.hold(WED)
    # when a mark is given
    mark_id = uuid4()
    lesson.give_mark(world.ctx(), mark_id=mark_id, student_id=world.students[0], value=value,
                     work="oral", comment=None, at=world.noon(WED))
    # then the mark stands as text
    [event] = lesson.collect_events()
    assert type(event) is Lesson.MarkGiven
    assert payload(event)["value"] == str(value)
    assert lesson.marks[mark_id].value == str(value)


@pytest.mark.parametrize("value", REFUSED_MARKS, ids=refused_id)
def test_a_mark_other_than_2_3_4_5_is_refused_citing_r_6_1a(world: World, value: Any) -> None:
    lesson = world.hold(WED)
    with refused(lesson, InvalidMarkValue, rule="R-6.1a", field="value"):
        lesson.give_mark(world.ctx(), mark_id=uuid4(), student_id=world.students[0],
                         value=value, work="oral", comment=None, at=world.noon(WED))
    assert lesson.marks == {}


def test_a_mark_of_1_is_refused_citing_r_6_1a(world: World) -> None:
    lesson = world.hold(WED)
    with refused(lesson, InvalidMarkValue, rule="R-6.1a", field="value") as err:
        lesson.give_mark(world.ctx(), mark_id=uuid4(), student_id=world.students[0],
                         value="1", work="written", comment=None, at=world.noon(WED))
    assert "1 is never given" in str(err.value)


def test_the_absence_symbol_is_refused_as_a_mark_citing_r_6_1a(world: World) -> None:
    lesson = world.hold(WED)
    with refused(lesson, InvalidMarkValue, rule="R-6.1a", field="value") as err:
        lesson.give_mark(world.ctx(), mark_id=uuid4(), student_id=world.students[0],
                         value="Н", work="oral", comment=None, at=world.noon(WED))
    assert "absence" in str(err.value)


@pytest.mark.parametrize("value", REFUSED_MARKS, ids=refused_id)
def test_a_correction_to_a_value_other_than_2_3_4_5_is_refused_citing_r_6_1a(
    world: World, value: Any
) -> None:
    lesson = world.hold(WED)
    mark_id = world.give(lesson, world.students[0], "4")
    with refused(lesson, InvalidMarkValue, rule="R-6.1a", field="value"):
        lesson.correct_mark(world.ctx(), mark_id=mark_id, value=value, reason="ошибка",
                            at=world.noon(WED))
    assert lesson.marks[mark_id].value == "4"


@pytest.mark.parametrize("value", ACCEPTED_MARKS, ids=refused_id)
def test_a_period_mark_of_2_3_4_or_5_is_given_and_stored_as_text(world: World,
                                                                value: Any) -> None:
    mark = world.period_mark(world.students[0], Q2, value)
    [event] = mark.collect_events()
    assert type(event) is PeriodMark.Given
    assert payload(event)["value"] == str(value)
    assert mark.value == str(value)


@pytest.mark.parametrize("value", REFUSED_MARKS, ids=refused_id)
def test_a_period_mark_other_than_2_3_4_5_is_refused_citing_r_6_1a(world: World,
                                                                  value: Any) -> None:
    with refused(None, InvalidMarkValue, rule="R-6.1a", field="value"):
        world.period_mark(world.students[0], Q2, value)


@pytest.mark.parametrize("value", REFUSED_MARKS, ids=refused_id)
def test_a_period_mark_correction_other_than_2_3_4_5_is_refused_citing_r_6_1a(
    world: World, value: Any
) -> None:
    mark = world.period_mark(world.students[0], Q2, "4")
    mark.collect_events()
    with refused(mark, InvalidMarkValue, rule="R-6.1a", field="value"):
        mark.correct(actor=world.actor("teacher"), journal=world.journal, value=value,
                     reason="пересмотр", timezone=world.timezone, at=world.noon(Q2_LAST_DAY))
    assert mark.value == "4"


# === R-6.1c: a mark stands in the column of the lesson held on that day ======================


def test_a_mark_is_given_in_its_lessons_column_with_the_journal_and_the_lessons_date(
    world: World,
) -> None:
    # given a lesson held on Wednesday
    lesson = world.hold(WED)
    student = world.students[1]
    # when the teacher gives a 5 for written work on Thursday
    mark_id = uuid4()
    at = world.noon(date(2026, 11, 26))
    late = lesson.give_mark(world.ctx(), mark_id=mark_id, student_id=student, value="5",
                            work="written", comment="отлично", at=at)
    # then MarkGiven carries the journal and the lesson's date (not the recording date)
    assert described(lesson.collect_events()) == [(Lesson.MarkGiven, {
        "timestamp": at, **world.names(WED), "mark_id": mark_id, "student_id": student,
        "value": "5", "work": Work.WRITTEN, "comment": "отлично", "by": world.teacher,
        "late": None,
    })]
    assert late is None
    assert [m.value for m in lesson.current_marks(student)] == ["5"]


def test_several_marks_may_stand_in_one_cell(world: World) -> None:
    lesson = world.hold(WED)
    first = world.give(lesson, world.students[0], "3", work="oral")
    second = world.give(lesson, world.students[0], "5", work="written")
    assert {m.id: m.value for m in lesson.current_marks(world.students[0])} == {
        first: "3", second: "5"}


@pytest.mark.parametrize("bits", [0, 1, (1 << 98) - 1, 0x2F00D_CAFE_BEEF_1234_5678])
@pytest.mark.parametrize(("day", "slot"), [(date(2026, 11, 25), 1), (date(2000, 1, 1), 10),
                                           (date(2099, 12, 31), 15), (date(1, 1, 1), 1),
                                           (date(1999, 12, 31), 2), (date(9999, 12, 31), 10)])
def test_a_mark_id_names_its_lessons_date_and_slot(day: date, slot: int, bits: int) -> None:
    journal = uuid4()
    mark = ids.mark_id(day, slot, bits)
    assert mark.version == 8
    assert mark.variant == "specified in RFC 4122"
    assert ids.mark_lesson(journal, mark) == ids.lesson_id(journal, day, slot)
    assert ids.mark_lesson(uuid4(), mark) != ids.lesson_id(journal, day, slot)


def test_different_random_bits_give_different_mark_ids() -> None:
    made = {ids.mark_id(date(2026, 11, 25), 1, bits) for bits in range(0, 1 << 12, 7)}
    assert len(made) == len(range(0, 1 << 12, 7))
    assert len({ids.mark_id(date(2026, 11, 25), 1, 1 << b) for b in range(92)}) == 92


def v1_mark_id(day: date, slot: int, bits: int) -> UUID:
    """A mark id as the first layout made it: 16 bits of days since 2000-01-01, a slot byte."""
    value = ((day - date(2000, 1, 1)).days << 112) | (slot << 104) | ((bits & 0xFFFFFF) << 80)
    value |= (0x8 << 76) | (((bits >> 24) & 0xFFF) << 64) | (0b10 << 62)
    return UUID(int=value | ((bits >> 36) & ((1 << 62) - 1)))


@pytest.mark.parametrize(("day", "slot"), [(date(2026, 11, 16), 2), (date(2000, 1, 1), 10)])
def test_a_mark_id_of_the_first_layout_still_names_its_lesson(day: date, slot: int) -> None:
    journal = uuid4()
    assert ids.mark_lesson(journal, v1_mark_id(day, slot, 0xBEEF_CAFE)) == ids.lesson_id(
        journal, day, slot)


def test_an_id_that_is_not_a_mark_id_names_no_lesson() -> None:
    assert ids.mark_lesson(uuid4(), uuid4()) is None  # a version 4 UUID


def test_the_unknown_work_kind_of_a_mark_is_refused(world: World) -> None:
    lesson = world.hold(WED)
    with refused(lesson, InvalidEntry, field="work"):
        lesson.give_mark(world.ctx(), mark_id=uuid4(), student_id=world.students[0],
                         value="5", work="essay", comment=None, at=world.noon(WED))


# === a lesson: what it records ===============================================================


def test_a_lesson_held_on_a_school_day_records_its_date_slot_topic_and_homework(
    world: World,
) -> None:
    at = world.noon(WED)
    lesson_id = ids.lesson_id(world.journal.id, WED, 2)
    lesson = Lesson.hold(world.ctx(), lesson_id=lesson_id, lesson_date=WED, slot=2,
                         topic="Дроби", homework="№ 12", programme_topic=None, at=at,
                         homework_minutes=25)
    assert described(lesson.collect_events()) == [(Lesson.Held, {
        "timestamp": at, **world.names(WED, 2), "topic": "Дроби", "homework": "№ 12",
        "programme_topic": None, "by": world.teacher,
        "late": None, "homework_minutes": 25, "written_work": False,
    })]
    assert lesson.id == lesson_id
    assert lesson.version == 1
    assert (lesson.attendance_taken, lesson.absent, lesson.marks) == (False, {}, {})


@pytest.mark.parametrize(("homework", "minutes"), [
    ("№ 1", -1), ("№ 1", 301), ("№ 1", True), ("№ 1", "30"), ("№ 1", 30.0), (None, 30),
    ("  ", 30)])
def test_homework_minutes_are_0_to_300_and_only_with_homework(world: World, homework: Any,
                                                              minutes: Any) -> None:
    """R-3.4g: the minutes measure the homework set, so they come with it."""
    with refused(None, InvalidEntry, field="homework_minutes"):
        Lesson.hold(world.ctx(), lesson_id=ids.lesson_id(world.journal.id, WED, 3),
                    lesson_date=WED, slot=3, topic="Дроби", homework=homework,
                    programme_topic=None, at=world.noon(WED), homework_minutes=minutes)


@pytest.mark.parametrize("slot", [0, 11, -1, True, "1", 1.0, None])
def test_a_lesson_slot_outside_1_to_10_is_refused(world: World, slot: Any) -> None:
    with refused(None, InvalidEntry, field="slot"):
        hold(world, WED, slot=slot)


@pytest.mark.parametrize("topic", [None, "", "   ", "x" * 2001, "a\x00b", 42])
def test_a_lesson_without_a_proper_topic_is_refused(world: World, topic: Any) -> None:
    with refused(None, InvalidEntry, field="topic"):
        hold(world, WED, topic=topic)


def test_a_programme_topic_outside_the_work_programme_is_refused_citing_r_4_7(
    world: World,
) -> None:
    world.journal.set_programme(topics=[("Дроби", 10)], by=world.admin, at=SETUP_AT)
    world.journal.collect_events()
    with refused(None, TopicNotInProgramme, rule="R-4.7", field="programme_topic"):
        hold(world, WED, programme_topic="Интегралы")
    lesson = hold(world, WED, programme_topic="Дроби")
    assert lesson.programme_topic == "Дроби"


def test_a_naive_recording_time_is_refused(world: World) -> None:
    naive = datetime(2026, 11, 25, 12, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="timezone-aware"):
        hold(world, WED, at=naive)


def test_the_same_journal_date_and_slot_give_the_same_lesson_id() -> None:
    journal = uuid4()
    assert ids.lesson_id(journal, WED, 1) == ids.lesson_id(journal, WED, 1)
    assert ids.lesson_id(journal, WED, 1) != ids.lesson_id(journal, WED, 2)
    assert ids.lesson_id(journal, WED, 1) != ids.lesson_id(journal, FRI, 1)
    assert ids.lesson_id(journal, WED, 1) != ids.lesson_id(uuid4(), WED, 1)


# === R-4.5: a lesson only on a school day ====================================================


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (date(2026, 8, 31), "before the academic year"),
        (date(2027, 6, 1), "after the academic year"),
        (date(2026, 10, 28), "autumn каникулы (a plain Wednesday)"),
        (date(2027, 1, 11), "the last day of winter каникулы (a Monday)"),
        (date(2026, 11, 4), "Unity Day, a public holiday"),
        (date(2026, 11, 28), "a Saturday, for a 5-day school"),
        (date(2026, 11, 29), "a Sunday"),
    ],
)
def test_a_lesson_on_a_day_that_is_not_a_school_day_is_refused_citing_r_4_5(
    world: World, day: date, why: str
) -> None:
    with refused(None, NotASchoolDay, rule="R-4.5", field="date"):
        hold(world, day, at=world.noon(date(2027, 6, 1)))


@pytest.mark.parametrize(
    "day",
    [date(2026, 1, 9), date(2026, 3, 9), date(2026, 5, 11)],
    ids=["9 Jan 2026 (from 3 Jan)", "9 Mar 2026 (for 8 Mar)", "11 May 2026 (for 9 May)"],
)
@pytest.mark.parametrize("days_per_week", [5, 6])
def test_a_lesson_on_a_transferred_day_off_is_refused_citing_r_4_5(
    day: date, days_per_week: int
) -> None:
    world = build_world(plan=YEAR_2025_26, days_per_week=days_per_week)
    with refused(None, NotASchoolDay, rule="R-4.5", field="date"):
        hold(world, day, at=world.noon(date(2026, 5, 31)))


def test_the_days_next_to_a_transferred_day_off_are_school_days() -> None:
    world = build_world(plan=YEAR_2025_26)
    for day in (date(2026, 1, 12), date(2026, 3, 10), date(2026, 5, 12)):
        assert hold(world, day).lesson_date == day


def test_a_saturday_is_a_school_day_for_a_6_day_school() -> None:
    world = build_world(days_per_week=6)
    saturday = date(2026, 11, 28)
    lesson = hold(world, saturday)
    [event] = lesson.collect_events()
    assert type(event) is Lesson.Held
    assert payload(event)["lesson_date"] == saturday


def test_a_public_holiday_on_a_saturday_is_not_a_school_day_for_a_6_day_school() -> None:
    world = build_world(plan=YEAR_2025_26, days_per_week=6)
    # Victory Day, Saturday 09.05.2026; the Saturday before it is a school day
    with refused(None, NotASchoolDay, rule="R-4.5", field="date"):
        hold(world, date(2026, 5, 9))
    assert hold(world, date(2026, 5, 2)).lesson_date == date(2026, 5, 2)


def test_a_sunday_is_not_a_school_day_even_for_a_6_day_school() -> None:
    world = build_world(days_per_week=6)
    with refused(None, NotASchoolDay, rule="R-4.5", field="date"):
        hold(world, date(2026, 11, 29))


def test_a_decrees_working_saturday_is_not_a_school_day_for_a_5_day_school() -> None:
    world = build_world(plan=YEAR_2025_26, days_per_week=5)
    with refused(None, NotASchoolDay, rule="R-4.5", field="date"):
        hold(world, date(2025, 11, 1))


def test_a_decrees_working_saturday_is_a_school_day_for_a_6_day_school() -> None:
    world = build_world(plan=YEAR_2025_26, days_per_week=6)
    lesson = hold(world, date(2025, 11, 1))
    assert type(lesson.collect_events()[0]) is Lesson.Held
    assert lesson.lesson_date == date(2025, 11, 1)


def test_a_day_the_school_declared_off_is_refused_citing_r_4_5(world: World) -> None:
    world.declare(WED, DayKind.DAY_OFF)
    with refused(None, NotASchoolDay, rule="R-4.5", field="date") as err:
        hold(world, WED)
    assert "day off in the school's calendar" in str(err.value)
    # and the day before is still a school day
    assert hold(world, date(2026, 11, 24)).lesson_date == date(2026, 11, 24)


def test_a_sunday_the_school_declared_a_school_day_is_accepted(world: World) -> None:
    sunday = date(2026, 11, 29)
    world.declare(sunday, DayKind.SCHOOL_DAY)
    lesson = hold(world, sunday)
    [event] = lesson.collect_events()
    assert type(event) is Lesson.Held
    assert payload(event)["lesson_date"] == sunday


def test_the_first_and_last_days_of_the_academic_year_are_school_days(world: World) -> None:
    assert hold(world, date(2026, 9, 1)).lesson_date == date(2026, 9, 1)
    assert hold(world, date(2027, 5, 31)).lesson_date == date(2027, 5, 31)


# === R-7.2: no lesson in the future, in the school's own time zone ===========================


def test_a_lesson_dated_today_in_novosibirsk_is_accepted_while_it_is_yesterday_in_moscow(
) -> None:
    # 18:30 UTC on 24.11 is 01:30 on 25.11 in Novosibirsk (UTC+7)
    at = utc(2026, 11, 24, 18, 30)
    world = build_world(timezone="Asia/Novosibirsk")
    lesson = hold(world, WED, at=at)
    [event] = lesson.collect_events()
    assert type(event) is Lesson.Held
    assert payload(event)["timestamp"] == at
    assert payload(event)["late"] is None


def test_a_lesson_dated_tomorrow_in_moscow_is_refused_citing_r_7_2() -> None:
    # 18:30 UTC on 24.11 is 21:30 on 24.11 in Moscow (UTC+3): 25.11 is tomorrow
    world = build_world(timezone="Europe/Moscow")
    with refused(None, LessonInTheFuture, rule="R-7.2", field="date"):
        hold(world, WED, at=utc(2026, 11, 24, 18, 30))


def test_a_lesson_is_accepted_from_the_first_minute_of_its_local_day() -> None:
    world = build_world(timezone="Europe/Moscow")
    with refused(None, LessonInTheFuture, rule="R-7.2", field="date"):
        hold(world, WED, at=utc(2026, 11, 24, 20, 59))
    assert hold(world, WED, at=utc(2026, 11, 24, 21, 0)).lesson_date == WED


# === enrolment: a student is in the class on the lesson's date ===============================

JOINS = date(2026, 11, 16)  # a Monday: the first day in the class
LEAVES = date(2026, 11, 25)  # the first day out: the fixture ends the enrolment the day before


@pytest.fixture
def newcomer(world: World) -> UUID:
    """A student in the class from 16.11 up to, not including, 25.11."""
    student = uuid4()
    world.enrol(student, JOINS, until=LEAVES)
    return student


@pytest.mark.parametrize(
    "day", [date(2026, 11, 13), LEAVES, date(2026, 11, 26)],
    ids=["the Friday before joining", "the enrolment's end date", "after leaving"])
def test_a_mark_for_a_student_not_enrolled_on_the_lesson_date_is_refused(
    world: World, newcomer: UUID, day: date
) -> None:
    lesson = world.hold(day)
    with refused(lesson, StudentNotEnrolled, rule="R-6.1c", field="student_id"):
        lesson.give_mark(world.ctx(), mark_id=uuid4(), student_id=newcomer, value="5",
                         work="oral", comment=None, at=world.noon(day))


@pytest.mark.parametrize("day", [JOINS, date(2026, 11, 24)],
                         ids=["the first day", "the day before the end"])
def test_a_mark_for_a_student_enrolled_on_the_lesson_date_is_accepted(
    world: World, newcomer: UUID, day: date
) -> None:
    lesson = world.hold(day)
    lesson.give_mark(world.ctx(), mark_id=uuid4(), student_id=newcomer, value="5",
                     work="oral", comment=None, at=world.noon(day))
    [event] = lesson.collect_events()
    assert type(event) is Lesson.MarkGiven
    assert payload(event)["student_id"] == newcomer


def test_a_mark_for_a_student_never_enrolled_is_refused(world: World) -> None:
    lesson = world.hold(WED)
    with refused(lesson, StudentNotEnrolled, rule="R-6.1c", field="student_id"):
        lesson.give_mark(world.ctx(), mark_id=uuid4(), student_id=uuid4(), value="5",
                         work="oral", comment=None, at=world.noon(WED))


@pytest.mark.parametrize(
    "day", [date(2026, 11, 13), LEAVES],
    ids=["the Friday before joining", "the enrolment's end date"])
def test_an_absence_of_a_student_not_enrolled_on_the_lesson_date_is_refused(
    world: World, newcomer: UUID, day: date
) -> None:
    lesson = world.hold(day)
    with refused(lesson, StudentNotEnrolled, rule="R-6.1c", field="student_id"):
        lesson.take_attendance(world.ctx(), absent=[(newcomer, None)], at=world.noon(day))
    assert lesson.absent == {}


@pytest.mark.parametrize("day", [JOINS, date(2026, 11, 24)],
                         ids=["the first day", "the day before the end"])
def test_an_absence_of_a_student_enrolled_on_the_lesson_date_is_recorded(
    world: World, newcomer: UUID, day: date
) -> None:
    lesson = world.hold(day)
    lesson.take_attendance(world.ctx(), absent=[(newcomer, "illness")], at=world.noon(day))
    [event] = lesson.collect_events()
    assert type(event) is Lesson.AttendanceTaken
    assert payload(event)["absent"] == [Absence(newcomer, AbsenceReason.ILLNESS)]


def test_a_re_enrolled_student_is_enrolled_again_from_the_new_date(world: World) -> None:
    student = uuid4()
    world.enrol(student, date(2026, 9, 1), until=date(2026, 11, 16))
    world.enrol(student, date(2026, 11, 25))
    gap = world.hold(date(2026, 11, 20))
    with refused(gap, StudentNotEnrolled, rule="R-6.1c", field="student_id"):
        world.give(gap, student)
    back = world.hold(WED)
    world.give(back, student)
    assert len(back.current_marks(student)) == 1


@pytest.mark.parametrize(
    ("joins", "leaves"),
    [
        (Q2_LAST_DAY, None),  # joins on the period's last day
        (date(2026, 9, 1), date(2026, 11, 6)),  # in the class on its first day only
        (date(2026, 11, 20), date(2026, 11, 27)),  # a week inside it
    ],
    ids=["joins on the last day", "leaves after the first day", "a week inside"],
)
def test_a_period_mark_for_a_student_enrolled_for_part_of_the_period_is_given(
    world: World, joins: date, leaves: date | None
) -> None:
    student = uuid4()
    world.enrol(student, joins, until=leaves)
    mark = world.period_mark(student, Q2)
    [event] = mark.collect_events()
    assert type(event) is PeriodMark.Given
    assert payload(event)["student_id"] == student


@pytest.mark.parametrize(
    ("joins", "leaves"),
    [
        (date(2026, 9, 1), date(2026, 11, 5)),  # first day out = the period's first day
        (date(2026, 12, 29), None),  # joins the day after the period
        (None, None),  # never enrolled
    ],
    ids=["left as the period began", "joins after the period", "never enrolled"],
)
def test_a_period_mark_for_a_student_not_enrolled_during_the_period_is_refused(
    world: World, joins: date | None, leaves: date | None
) -> None:
    student = uuid4()
    if joins is not None:
        world.enrol(student, joins, until=leaves)
    with refused(None, StudentNotEnrolled, rule="R-6.2", field="student_id"):
        world.period_mark(student, Q2)


# === absences and marks: a cell holds marks or "Н", not both ================================


def test_an_attendance_records_the_absent_students_with_their_reasons(world: World) -> None:
    lesson = world.hold(WED)
    s0, s1, s2 = world.students
    at = world.noon(WED)
    late = lesson.take_attendance(world.ctx(), absent=[(s0, "illness"), (s1, None)], at=at)
    assert described(lesson.collect_events()) == [(Lesson.AttendanceTaken, {
        "timestamp": at, **world.names(WED),
        "absent": [Absence(s0, AbsenceReason.ILLNESS), Absence(s1, None)],
        "by": world.teacher, "late": None,
    })]
    assert late is None
    assert lesson.attendance_taken is True
    assert lesson.absent == {s0: AbsenceReason.ILLNESS, s1: None}
    assert s2 not in lesson.absent


def test_an_empty_absent_list_records_attendance_taken_with_all_present(world: World) -> None:
    lesson = world.hold(WED)
    at = world.noon(WED)
    lesson.take_attendance(world.ctx(), absent=[], at=at)
    assert described(lesson.collect_events()) == [(Lesson.AttendanceTaken, {
        "timestamp": at, **world.names(WED), "absent": [],
        "by": world.teacher, "late": None,
    })]
    assert lesson.attendance_taken is True
    assert lesson.absent == {}


def test_a_later_attendance_records_further_absences(world: World) -> None:
    lesson = world.hold(WED)
    world.absent(lesson, world.students[0])
    world.absent(lesson, world.students[1])
    assert set(lesson.absent) == {world.students[0], world.students[1]}


def test_an_unknown_absence_reason_is_refused(world: World) -> None:
    lesson = world.hold(WED)
    with refused(lesson, InvalidEntry, field="absent[0].reason"):
        lesson.take_attendance(world.ctx(), absent=[(world.students[0], "sick")],
                               at=world.noon(WED))


def test_a_mark_for_a_student_recorded_absent_is_refused_citing_r_6_1c(world: World) -> None:
    lesson = world.hold(WED)
    world.absent(lesson, world.students[0])
    with refused(lesson, StudentWasAbsent, rule="R-6.1c", field="student_id"):
        lesson.give_mark(world.ctx(), mark_id=uuid4(), student_id=world.students[0],
                         value="5", work="oral", comment=None, at=world.noon(WED))
    assert lesson.current_marks(world.students[0]) == []


def test_a_mark_for_a_student_whose_absence_was_cancelled_is_accepted(world: World) -> None:
    lesson = world.hold(WED)
    student = world.students[0]
    world.absent(lesson, student)
    lesson.cancel_absence(world.ctx(), student_id=student, reason="пришёл ко второму уроку",
                          at=world.noon(WED))
    lesson.collect_events()
    mark_id = uuid4()
    lesson.give_mark(world.ctx(), mark_id=mark_id, student_id=student, value="4",
                     work="oral", comment=None, at=world.noon(WED))
    [event] = lesson.collect_events()
    assert type(event) is Lesson.MarkGiven
    assert payload(event)["mark_id"] == mark_id


def test_an_absence_of_a_student_with_current_marks_is_refused(world: World) -> None:
    lesson = world.hold(WED)
    world.give(lesson, world.students[0])
    with refused(lesson, StudentHasMarks, rule="R-6.1c", field="student_id"):
        lesson.take_attendance(world.ctx(), absent=[(world.students[1], None),
                                                    (world.students[0], None)],
                               at=world.noon(WED))
    assert lesson.absent == {}


def test_an_absence_of_a_student_whose_marks_were_cancelled_is_recorded(world: World) -> None:
    lesson = world.hold(WED)
    mark_id = world.give(lesson, world.students[0])
    lesson.cancel_mark(world.ctx(), mark_id=mark_id, reason="не тот ученик",
                       at=world.noon(WED))
    lesson.collect_events()
    lesson.take_attendance(world.ctx(), absent=[(world.students[0], None)],
                           at=world.noon(WED))
    assert [type(e) for e in lesson.collect_events()] == [Lesson.AttendanceTaken]
    assert world.students[0] in lesson.absent


def test_a_student_listed_twice_in_one_attendance_is_refused(world: World) -> None:
    lesson = world.hold(WED)
    student = world.students[0]
    with refused(lesson, InvalidEntry, field="absent[1].student_id"):
        lesson.take_attendance(world.ctx(), absent=[(student, None), (student, "illness")],
                               at=world.noon(WED))
    assert lesson.attendance_taken is False


def test_a_student_already_absent_is_not_recorded_absent_again(world: World) -> None:
    lesson = world.hold(WED)
    world.absent(lesson, world.students[0])
    with refused(lesson, AlreadyAbsent, rule="R-4.6", field="student_id"):
        lesson.take_attendance(world.ctx(), absent=[(world.students[0], None)],
                               at=world.noon(WED))


def test_cancelling_an_absence_records_who_and_why(world: World) -> None:
    lesson = world.hold(WED)
    student = world.students[0]
    world.absent(lesson, student)
    at = world.noon(WED)
    late = lesson.cancel_absence(world.ctx(), student_id=student, reason="был на уроке", at=at)
    assert described(lesson.collect_events()) == [(Lesson.AbsenceCancelled, {
        "timestamp": at, **world.names(WED), "student_id": student, "reason": "был на уроке",
        "by": world.teacher, "late": None,
    })]
    assert late is None
    assert lesson.absent == {}


def test_cancelling_an_absence_that_does_not_exist_is_refused(world: World) -> None:
    lesson = world.hold(WED)
    world.absent(lesson, world.students[0])
    with refused(lesson, NotAbsent, rule="R-4.6", field="student_id"):
        lesson.cancel_absence(world.ctx(), student_id=world.students[1], reason="ошибка",
                              at=world.noon(WED))


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_cancelling_an_absence_without_a_reason_is_refused_citing_r_7_2(
    world: World, reason: Any
) -> None:
    lesson = world.hold(WED)
    world.absent(lesson, world.students[0])
    with refused(lesson, ReasonRequired, rule="R-7.2", field="reason"):
        lesson.cancel_absence(world.ctx(), student_id=world.students[0], reason=reason,
                              at=world.noon(WED))
    assert world.students[0] in lesson.absent


# === corrections and cancellations of marks (R-7.2) ==========================================


def test_a_correction_records_the_new_value_and_the_reason_keeping_the_original(
    world: World,
) -> None:
    lesson = world.hold(WED)
    mark_id = world.give(lesson, world.students[0], "3")
    at = world.noon(date(2026, 12, 2))
    lesson.correct_mark(world.ctx(), mark_id=mark_id, value=4, reason="пересчитаны баллы",
                        at=at)
    assert described(lesson.collect_events()) == [(Lesson.MarkCorrected, {
        "timestamp": at, **world.names(WED), "mark_id": mark_id,
        "student_id": world.students[0], "work": Work.ORAL, "value": "4",
        "reason": "пересчитаны баллы", "by": world.teacher,
    })]
    assert lesson.marks[mark_id].value == "4"
    assert lesson.marks[mark_id].history == ("3", "4")


def test_a_correction_must_name_an_existing_mark(world: World) -> None:
    lesson = world.hold(WED)
    world.give(lesson, world.students[0])
    with refused(lesson, UnknownMark, field="mark_id"):
        lesson.correct_mark(world.ctx(), mark_id=uuid4(), value="5", reason="ошибка",
                            at=world.noon(WED))


def test_a_cancelled_mark_cannot_be_corrected(world: World) -> None:
    lesson = world.hold(WED)
    mark_id = world.give(lesson, world.students[0], "3")
    lesson.cancel_mark(world.ctx(), mark_id=mark_id, reason="ошибка", at=world.noon(WED))
    lesson.collect_events()
    with refused(lesson, MarkCancelledAlready, rule="R-7.2"):
        lesson.correct_mark(world.ctx(), mark_id=mark_id, value="4", reason="ошибка",
                            at=world.noon(WED))


@pytest.mark.parametrize("value", ["4", 4])
def test_a_correction_to_the_same_value_is_refused_citing_r_7_2(world: World,
                                                                value: Any) -> None:
    lesson = world.hold(WED)
    mark_id = world.give(lesson, world.students[0], "4")
    with refused(lesson, SameValue, rule="R-7.2", field="value"):
        lesson.correct_mark(world.ctx(), mark_id=mark_id, value=value, reason="ошибка",
                            at=world.noon(WED))


def test_a_correction_compares_with_the_current_value_not_the_original(world: World) -> None:
    lesson = world.hold(WED)
    mark_id = world.give(lesson, world.students[0], "4")
    lesson.correct_mark(world.ctx(), mark_id=mark_id, value="5", reason="ошибка",
                        at=world.noon(WED))
    lesson.collect_events()
    with refused(lesson, SameValue, rule="R-7.2", field="value"):
        lesson.correct_mark(world.ctx(), mark_id=mark_id, value="5", reason="ещё раз",
                            at=world.noon(WED))
    lesson.correct_mark(world.ctx(), mark_id=mark_id, value="4", reason="вернули",
                        at=world.noon(WED))
    assert [type(e) for e in lesson.collect_events()] == [Lesson.MarkCorrected]
    assert lesson.marks[mark_id].history == ("4", "5", "4")


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_correction_without_a_reason_is_refused_citing_r_7_2(world: World,
                                                               reason: Any) -> None:
    lesson = world.hold(WED)
    mark_id = world.give(lesson, world.students[0], "4")
    with refused(lesson, ReasonRequired, rule="R-7.2", field="reason"):
        lesson.correct_mark(world.ctx(), mark_id=mark_id, value="5", reason=reason,
                            at=world.noon(WED))


def test_a_cancellation_records_the_reason_and_the_mark_stays_in_the_history(
    world: World,
) -> None:
    lesson = world.hold(WED)
    mark_id = world.give(lesson, world.students[0], "2")
    at = world.noon(WED)
    lesson.cancel_mark(world.ctx(), mark_id=mark_id, reason="не тот ученик", at=at)
    assert described(lesson.collect_events()) == [(Lesson.MarkCancelled, {
        "timestamp": at, **world.names(WED), "mark_id": mark_id,
        "student_id": world.students[0], "work": Work.ORAL, "value": "2",
        "reason": "не тот ученик", "by": world.teacher,
    })]
    assert lesson.marks[mark_id].cancelled is True
    assert lesson.marks[mark_id].history == ("2",)
    assert lesson.current_marks(world.students[0]) == []


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_cancellation_without_a_reason_is_refused_citing_r_7_2(world: World,
                                                                 reason: Any) -> None:
    lesson = world.hold(WED)
    mark_id = world.give(lesson, world.students[0])
    with refused(lesson, ReasonRequired, rule="R-7.2", field="reason"):
        lesson.cancel_mark(world.ctx(), mark_id=mark_id, reason=reason, at=world.noon(WED))
    assert lesson.marks[mark_id].cancelled is False


def test_a_cancelled_mark_cannot_be_cancelled_again(world: World) -> None:
    lesson = world.hold(WED)
    mark_id = world.give(lesson, world.students[0])
    lesson.cancel_mark(world.ctx(), mark_id=mark_id, reason="ошибка", at=world.noon(WED))
    lesson.collect_events()
    with refused(lesson, MarkCancelledAlready, rule="R-7.2"):
        lesson.cancel_mark(world.ctx(), mark_id=mark_id, reason="ещё раз", at=world.noon(WED))


def test_a_cancellation_must_name_an_existing_mark(world: World) -> None:
    lesson = world.hold(WED)
    with refused(lesson, UnknownMark, field="mark_id"):
        lesson.cancel_mark(world.ctx(), mark_id=uuid4(), reason="ошибка", at=world.noon(WED))


# === R-4.4 / R-4.9: who writes the journal ===================================================

Given = tuple[JournalAggregate | None, Callable[[], Any]]


def op_hold(world: World, day: date, actor: Actor) -> Given:
    return None, lambda: hold(world, day, who=actor)


def op_take_attendance(world: World, day: date, actor: Actor) -> Given:
    lesson = world.hold(day)
    return lesson, lambda: lesson.take_attendance(
        world.ctx(actor), absent=[(world.students[1], None)], at=world.noon(day))


def op_cancel_absence(world: World, day: date, actor: Actor) -> Given:
    lesson = world.hold(day)
    world.absent(lesson, world.students[1])
    return lesson, lambda: lesson.cancel_absence(
        world.ctx(actor), student_id=world.students[1], reason="был", at=world.noon(day))


def op_give_mark(world: World, day: date, actor: Actor) -> Given:
    lesson = world.hold(day)
    return lesson, lambda: lesson.give_mark(
        world.ctx(actor), mark_id=uuid4(), student_id=world.students[1], value="5",
        work="oral", comment=None, at=world.noon(day))


def op_correct_mark(world: World, day: date, actor: Actor) -> Given:
    lesson = world.hold(day)
    mark_id = world.give(lesson, world.students[1], "4")
    return lesson, lambda: lesson.correct_mark(
        world.ctx(actor), mark_id=mark_id, value="5", reason="ошибка", at=world.noon(day))


def op_cancel_mark(world: World, day: date, actor: Actor) -> Given:
    lesson = world.hold(day)
    mark_id = world.give(lesson, world.students[1], "4")
    return lesson, lambda: lesson.cancel_mark(
        world.ctx(actor), mark_id=mark_id, reason="ошибка", at=world.noon(day))


def op_give_period_mark(world: World, day: date, actor: Actor) -> Given:
    # a period mark has no lesson date: the recording's local date is checked
    return None, lambda: world.period_mark(world.students[1], Q2, "5", who=actor,
                                           at=world.noon(day))


def op_correct_period_mark(world: World, day: date, actor: Actor) -> Given:
    mark = world.period_mark(world.students[1], Q2, "4", at=world.noon(date(2026, 11, 10)))
    mark.collect_events()
    return mark, lambda: mark.correct(actor=actor, journal=world.journal, value="5",
                                      reason="пересмотр", timezone=world.timezone,
                                      at=world.noon(day))


OPERATIONS = [op_hold, op_take_attendance, op_cancel_absence, op_give_mark, op_correct_mark,
              op_cancel_mark, op_give_period_mark, op_correct_period_mark]


#: Corrections and cancellations: a substitute makes them of their own entries only (R-4.4).
CHANGES = (op_cancel_absence, op_correct_mark, op_cancel_mark, op_correct_period_mark)


def op_id(operation: Callable[..., Any]) -> str:
    return operation.__name__.removeprefix("op_")


def written_by(aggregate: JournalAggregate | None, result: Any) -> list[UUID]:
    target = aggregate if aggregate is not None else result
    assert isinstance(target, JournalAggregate)
    return [payload(e)["by"] for e in target.collect_events()]


@pytest.mark.parametrize("operation", OPERATIONS, ids=op_id)
@pytest.mark.parametrize("who", ["teacher", "admin"])
def test_the_assigned_teacher_and_the_schools_admin_write_the_journal(
    world: World, operation: Callable[[World, date, Actor], Given], who: str
) -> None:
    actor = world.actor(who)
    aggregate, when = operation(world, WED, actor)
    result = when()
    assert written_by(aggregate, result) == [actor.user_id]


@pytest.mark.parametrize("operation", OPERATIONS, ids=op_id)
@pytest.mark.parametrize(
    ("who", "error", "rule"),
    [
        ("other_teacher", NotAllowedToWrite, "R-4.4"),
        ("other_admin", NotAllowedToWrite, "R-4.4"),
        ("auditor", NotAllowedToWrite, "R-4.4"),
        ("operator", NotAllowedToWrite, "R-4.4"),
        ("student", StudentsNeverWrite, "R-4.9"),
        ("guardian", StudentsNeverWrite, "R-4.9"),
    ],
)
def test_anyone_else_is_refused_writing_the_journal(
    world: World, operation: Callable[[World, date, Actor], Given], who: str,
    error: type[DomainError], rule: str
) -> None:
    aggregate, when = operation(world, WED, world.actor(who))
    with refused(aggregate, error, rule=rule):
        when()


def test_the_assigned_teacher_acting_for_another_school_is_refused(world: World) -> None:
    lesson = world.hold(WED)
    stranger = Actor(world.teacher, Role.TEACHER, uuid4())
    with refused(lesson, NotAllowedToWrite, rule="R-4.4"):
        lesson.give_mark(world.ctx(stranger), mark_id=uuid4(), student_id=world.students[0],
                         value="5", work="oral", comment=None, at=world.noon(WED))


@pytest.mark.parametrize(
    ("role", "error"),
    [(Role.AUDITOR, NotAllowedToWrite), (Role.OPERATOR, NotAllowedToWrite),
     (Role.STUDENT, StudentsNeverWrite), (Role.GUARDIAN, StudentsNeverWrite)],
)
def test_only_the_teacher_role_writes_under_the_assigned_teachers_id(
    world: World, role: Role, error: type[DomainError]
) -> None:
    lesson = world.hold(WED)
    not_a_teacher = Actor(world.teacher, role, world.school.id)
    with refused(lesson, error):
        lesson.take_attendance(world.ctx(not_a_teacher), absent=[], at=world.noon(WED))


def test_a_journals_former_teacher_no_longer_writes_it(world: World) -> None:
    world.journal.assign_teacher(teacher_id=world.other_teacher, teacher_role=Role.TEACHER,
                                 by=world.admin, at=SETUP_AT)
    world.journal.collect_events()
    with refused(None, NotAllowedToWrite, rule="R-4.4"):
        hold(world, WED, who="teacher")
    assert hold(world, WED, who="other_teacher").held_by == world.other_teacher


@pytest.mark.parametrize("operation", OPERATIONS, ids=op_id)
@pytest.mark.parametrize("day", [MON, WED, FRI], ids=["first day", "inside", "last day"])
def test_a_substitute_writes_on_the_dates_of_the_substitution(
    world: World, operation: Callable[[World, date, Actor], Given], day: date
) -> None:
    world.appoint_substitute(MON, FRI)
    actor = world.actor("substitute")
    aggregate, when = operation(world, day, actor)
    if operation in CHANGES:  # the entry changed is the journal's teacher's
        with refused(aggregate, NotOwnEntry, rule="R-4.4"):
            when()
        return
    result = when()
    assert written_by(aggregate, result) == [actor.user_id]


@pytest.mark.parametrize("operation", OPERATIONS, ids=op_id)
@pytest.mark.parametrize("day", [date(2026, 11, 20), date(2026, 11, 30)],
                         ids=["the day before", "the day after"])
def test_a_substitute_is_refused_outside_the_dates_of_the_substitution(
    world: World, operation: Callable[[World, date, Actor], Given], day: date
) -> None:
    world.appoint_substitute(MON, FRI)
    aggregate, when = operation(world, day, world.actor("substitute"))
    with refused(aggregate, NotAllowedToWrite, rule="R-4.4"):
        when()


def test_a_substitute_writes_by_the_lessons_date_not_the_recording_date(world: World) -> None:
    world.appoint_substitute(MON, FRI)
    ctx = world.ctx("substitute")
    # a lesson before the substitution, written during it: refused
    before = world.hold(date(2026, 11, 20))
    with refused(before, NotAllowedToWrite, rule="R-4.4"):
        before.give_mark(ctx, mark_id=uuid4(), student_id=world.students[0], value="5",
                         work="oral", comment=None, at=world.noon(WED))
    # a lesson on the substitution's last day, written after it: accepted (and late)
    last = world.hold(FRI)
    late = last.give_mark(ctx, mark_id=uuid4(), student_id=world.students[0], value="5",
                          work="oral", comment=None, at=world.noon(date(2026, 11, 30)))
    assert [payload(e)["by"] for e in last.collect_events()] == [world.substitute]
    assert late == Late(rule="R-4.6", due=FRI, days=3, working_days=1)


def test_a_substitute_of_another_journal_is_refused(world: World) -> None:
    world.appoint_substitute(MON, FRI)
    other_journal_sub = Actor(uuid4(), Role.TEACHER, world.school.id)
    with refused(None, NotAllowedToWrite, rule="R-4.4"):
        hold(world, WED, who=other_journal_sub)


# === period marks (R-6.2) ====================================================================


def test_a_period_mark_records_the_period_and_its_last_day(world: World) -> None:
    student = world.students[0]
    period_id = world.periods[Q2]
    at = world.noon(date(2026, 12, 25))
    mark_id = ids.period_mark_id(world.journal.id, student, period_id)
    mark = PeriodMark.give(
        period_mark_id=mark_id, actor=world.actor("teacher"), journal=world.journal,
        school_class=world.school_class, period_id=period_id,
        period=world.year.period(period_id), student_id=student, value=5,
        timezone=world.timezone, working=world.year.calendar(world.school).working, at=at)
    assert described(mark.collect_events()) == [(PeriodMark.Given, {
        "timestamp": at, "school_id": world.school.id, "journal_id": world.journal.id,
        "student_id": student, "period_id": period_id, "period_ends_on": Q2_LAST_DAY, "value": "5",
        "by": world.teacher, "late": None,
    })]
    assert mark.id == mark_id
    assert mark.late is None


def test_one_period_mark_per_journal_student_and_period_by_its_id() -> None:
    journal, student, period = uuid4(), uuid4(), uuid4()
    the_id = ids.period_mark_id(journal, student, period)
    assert ids.period_mark_id(journal, student, period) == the_id
    assert ids.period_mark_id(uuid4(), student, period) != the_id
    assert ids.period_mark_id(journal, uuid4(), period) != the_id
    assert ids.period_mark_id(journal, student, uuid4()) != the_id
    # the parts are not interchangeable
    assert ids.period_mark_id(student, journal, period) != the_id


def test_a_period_outside_the_year_is_not_found(world: World) -> None:
    with pytest.raises(NotFound) as err:
        world.year.period(uuid4())
    assert err.value.field == "period_id"


def test_a_period_mark_correction_records_the_new_value_and_the_reason(world: World) -> None:
    student = world.students[0]
    mark = world.period_mark(student, Q2, "4")
    mark.collect_events()
    at = world.noon(date(2027, 1, 20))
    mark.correct(actor=world.actor("teacher"), journal=world.journal, value=5,
                 reason="пересдача", timezone=world.timezone, at=at)
    assert described(mark.collect_events()) == [(PeriodMark.Corrected, {
        "timestamp": at, "school_id": world.school.id, "journal_id": world.journal.id,
        "student_id": student, "period_id": world.periods[Q2], "period_ends_on": Q2_LAST_DAY,
        "value": "5",
        "reason": "пересдача", "by": world.teacher, "late": Late(
            "R-6.2", Q2_LAST_DAY, (date(2027, 1, 20) - Q2_LAST_DAY).days,
            WorkingCalendar().working_days_between(Q2_LAST_DAY, date(2027, 1, 20))),
    })]
    assert mark.value == "5"


@pytest.mark.parametrize("value", ["4", 4])
def test_a_period_mark_correction_to_the_same_value_is_refused_citing_r_7_2(
    world: World, value: Any
) -> None:
    mark = world.period_mark(world.students[0], Q2, "4")
    mark.collect_events()
    with refused(mark, SameValue, rule="R-7.2", field="value"):
        mark.correct(actor=world.actor("teacher"), journal=world.journal, value=value,
                     reason="пересдача", timezone=world.timezone, at=world.noon(Q2_LAST_DAY))


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_period_mark_correction_without_a_reason_is_refused_citing_r_7_2(
    world: World, reason: Any
) -> None:
    mark = world.period_mark(world.students[0], Q2, "4")
    mark.collect_events()
    with refused(mark, ReasonRequired, rule="R-7.2", field="reason"):
        mark.correct(actor=world.actor("teacher"), journal=world.journal, value="5",
                     reason=reason, timezone=world.timezone, at=world.noon(Q2_LAST_DAY))


# === timeliness: a late entry is recorded and flagged, never refused =========================


def late(rule: str, due: date, days: int, working_days: int) -> Late:
    return Late(rule=rule, due=due, days=days, working_days=working_days)


def test_a_lesson_recorded_on_its_day_is_not_late(world: World) -> None:
    # 23:59 in Moscow on the lesson's day
    lesson = hold(world, WED, at=utc(2026, 11, 25, 20, 59))
    assert payload(lesson.collect_events()[0])["late"] is None
    assert lesson.late is None


def test_a_lesson_recorded_the_next_day_is_recorded_late_citing_r_4_5(world: World) -> None:
    # 00:00 in Moscow on the day after
    lesson = hold(world, WED, at=utc(2026, 11, 25, 21, 0))
    [event] = lesson.collect_events()
    assert type(event) is Lesson.Held
    assert payload(event)["late"] == late("R-4.5", WED, days=1, working_days=1)
    assert lesson.late == late("R-4.5", WED, days=1, working_days=1)


def test_lateness_counts_calendar_days_and_working_days_apart(world: World) -> None:
    # Friday's lesson recorded on Monday: 3 days late, 1 working day
    lesson = hold(world, FRI, at=world.noon(date(2026, 11, 30)))
    assert payload(lesson.collect_events()[0])["late"] == late("R-4.5", FRI, 3, 1)


def test_lateness_uses_the_schools_local_date() -> None:
    # 20:00 UTC on 25.11 is 03:00 on 26.11 in Novosibirsk, but still 23:00 on 25.11 in Moscow
    at = utc(2026, 11, 25, 20, 0)
    novosibirsk = build_world(timezone="Asia/Novosibirsk")
    moscow = build_world(timezone="Europe/Moscow")
    assert hold(novosibirsk, WED, at=at).late == late("R-4.5", WED, 1, 1)
    assert hold(moscow, WED, at=at).late is None


def test_attendance_taken_the_next_day_is_recorded_late_citing_r_4_6(world: World) -> None:
    lesson = world.hold(WED)
    verdict = lesson.take_attendance(world.ctx(), absent=[(world.students[0], None)],
                                     at=world.noon(date(2026, 11, 26)))
    [event] = lesson.collect_events()
    assert type(event) is Lesson.AttendanceTaken
    assert payload(event)["late"] == late("R-4.6", WED, 1, 1)
    assert verdict == Late(rule="R-4.6", due=WED, days=1, working_days=1)


def test_an_absence_cancelled_after_the_lesson_day_is_recorded_late_citing_r_4_6(
    world: World,
) -> None:
    lesson = world.hold(WED)
    world.absent(lesson, world.students[0])
    verdict = lesson.cancel_absence(world.ctx(), student_id=world.students[0], reason="был",
                                    at=world.noon(date(2026, 11, 30)))
    [event] = lesson.collect_events()
    assert type(event) is Lesson.AbsenceCancelled
    assert payload(event)["late"] == late("R-4.6", WED, 5, 3)
    assert verdict == Late(rule="R-4.6", due=WED, days=5, working_days=3)


@pytest.mark.parametrize("work", ["oral", "practical", "homework"])
def test_a_same_day_mark_given_the_next_day_is_recorded_late_citing_r_4_6(
    world: World, work: str
) -> None:
    lesson = world.hold(WED)
    verdict = lesson.give_mark(world.ctx(), mark_id=uuid4(), student_id=world.students[0],
                               value="4", work=work, comment=None,
                               at=world.noon(date(2026, 11, 26)))
    [event] = lesson.collect_events()
    assert payload(event)["late"] == late("R-4.6", WED, 1, 1)
    assert verdict == Late(rule="R-4.6", due=WED, days=1, working_days=1)


@pytest.mark.parametrize("work", ["oral", "practical", "homework"])
def test_a_same_day_mark_given_on_the_lesson_day_is_not_late(world: World, work: str) -> None:
    lesson = world.hold(WED)
    verdict = lesson.give_mark(world.ctx(), mark_id=uuid4(), student_id=world.students[0],
                               value="4", work=work, comment=None,
                               at=at_local(WED, world.timezone, 23, 59))
    assert payload(lesson.collect_events()[0])["late"] is None
    assert verdict is None


@pytest.fixture
def may_8() -> tuple[World, Lesson]:
    """A lesson on Friday 08.05.2026; 09-11.05 are off (Saturday, Sunday, Victory Day moved to
    Monday 11.05), so written work is due on Thursday 14.05."""
    world = build_world(plan=YEAR_2025_26)
    return world, world.hold(date(2026, 5, 8))


@pytest.mark.parametrize("work", ["written", "test"])
def test_a_written_mark_within_three_working_days_is_not_late(
    may_8: tuple[World, Lesson], work: str
) -> None:
    world, lesson = may_8
    verdict = lesson.give_mark(world.ctx(), mark_id=uuid4(), student_id=world.students[0],
                               value="5", work=work, comment=None,
                               at=at_local(date(2026, 5, 14), world.timezone, 23, 59))
    [event] = lesson.collect_events()
    assert payload(event)["late"] is None
    assert verdict is None


@pytest.mark.parametrize("work", ["written", "test"])
def test_a_written_mark_after_three_working_days_is_recorded_late_citing_r_6_1d(
    may_8: tuple[World, Lesson], work: str
) -> None:
    world, lesson = may_8
    verdict = lesson.give_mark(world.ctx(), mark_id=uuid4(), student_id=world.students[0],
                               value="5", work=work, comment=None,
                               at=at_local(date(2026, 5, 15), world.timezone, 0, 0))
    [event] = lesson.collect_events()
    assert type(event) is Lesson.MarkGiven
    assert payload(event)["late"] == late("R-6.1d", date(2026, 5, 14), 1, 1)
    assert verdict == Late(rule="R-6.1d", due=date(2026, 5, 14), days=1, working_days=1)


def test_an_oral_mark_for_the_same_lesson_is_due_on_the_lesson_day(
    may_8: tuple[World, Lesson],
) -> None:
    world, lesson = may_8
    lesson.give_mark(world.ctx(), mark_id=uuid4(), student_id=world.students[0], value="5",
                     work="oral", comment=None, at=world.noon(date(2026, 5, 12)))
    # 4 calendar days after Friday, but only Tuesday 12.05 is a working day
    assert payload(lesson.collect_events()[0])["late"] == late("R-4.6", date(2026, 5, 8), 4, 1)


def test_the_schools_own_day_off_moves_the_written_work_deadline(world: World) -> None:
    world.declare(date(2026, 11, 30), DayKind.DAY_OFF)
    lesson = world.hold(FRI)  # due: Mon 30.11 is off, so Tue, Wed, Thu -> 03.12
    lesson.give_mark(world.ctx(), mark_id=uuid4(), student_id=world.students[0], value="5",
                     work="written", comment=None, at=world.noon(date(2026, 12, 4)))
    assert payload(lesson.collect_events()[0])["late"] == late("R-6.1d", date(2026, 12, 3),
                                                               1, 1)


def test_a_period_mark_on_the_periods_last_day_is_not_late(world: World) -> None:
    mark = world.period_mark(world.students[0], Q2,
                             at=at_local(Q2_LAST_DAY, world.timezone, 23, 59))
    assert payload(mark.collect_events()[0])["late"] is None


def test_a_period_mark_after_the_periods_last_day_is_recorded_late_citing_r_6_2(
    world: World,
) -> None:
    mark = world.period_mark(world.students[0], Q2, at=world.noon(date(2026, 12, 29)))
    [event] = mark.collect_events()
    assert type(event) is PeriodMark.Given
    assert payload(event)["late"] == late("R-6.2", Q2_LAST_DAY, 1, 1)
    assert mark.late == Late(rule="R-6.2", due=Q2_LAST_DAY, days=1, working_days=1)


def test_a_period_mark_after_the_new_year_counts_the_working_days_of_the_каникулы(
    world: World,
) -> None:
    # (28.12, 12.01]: 29.12 and 30.12 (каникулы, but working days), 31.12 and 01-08.01 off,
    # 09-10.01 weekend, 11.01 and 12.01 working
    mark = world.period_mark(world.students[0], Q2, at=world.noon(date(2027, 1, 12)))
    assert payload(mark.collect_events()[0])["late"] == late("R-6.2", Q2_LAST_DAY, 15, 4)


def test_mark_corrections_and_cancellations_are_never_late(world: World) -> None:
    lesson = world.hold(WED)
    first = world.give(lesson, world.students[0], "3")
    second = world.give(lesson, world.students[1], "4")
    months_later = world.noon(date(2027, 3, 1))
    lesson.correct_mark(world.ctx(), mark_id=first, value="4", reason="ошибка",
                        at=months_later)
    lesson.cancel_mark(world.ctx(), mark_id=second, reason="ошибка", at=months_later)
    events = lesson.collect_events()
    assert [type(e) for e in events] == [Lesson.MarkCorrected, Lesson.MarkCancelled]
    assert all("late" not in payload(e) for e in events)

    mark = world.period_mark(world.students[0], Q2, "4")
    mark.collect_events()
    mark.correct(actor=world.actor("teacher"), journal=world.journal, value="5",
                 reason="пересдача", timezone=world.timezone, at=months_later)
    [corrected] = mark.collect_events()
    # A period mark's correction after the period's last day is late under R-6.2 (it is
    # accepted, and listed in the late-entry audit).
    assert type(corrected) is PeriodMark.Corrected
    assert corrected.late is not None
    assert (corrected.late.rule, corrected.late.due) == ("R-6.2", Q2_LAST_DAY)


# === replay rebuilds equal state =============================================================


def test_replaying_a_lessons_events_rebuilds_equal_state(world: World) -> None:
    s0, s1, s2 = world.students
    ctx = world.ctx()
    at = world.noon(WED)
    lesson = hold(world, WED)
    lesson.take_attendance(ctx, absent=[(s0, "illness"), (s2, None)], at=at)
    lesson.cancel_absence(ctx, student_id=s0, reason="пришёл", at=at)
    m1, m2, m3 = uuid4(), uuid4(), uuid4()
    lesson.give_mark(ctx, mark_id=m1, student_id=s0, value="3", work="oral", comment=None,
                     at=at)
    lesson.give_mark(ctx, mark_id=m2, student_id=s1, value=5, work="written",
                     comment="молодец", at=world.noon(date(2026, 12, 7)))
    lesson.give_mark(ctx, mark_id=m3, student_id=s1, value="2", work="homework",
                     comment=None, at=at)
    lesson.correct_mark(ctx, mark_id=m1, value="4", reason="пересчёт", at=at)
    lesson.cancel_mark(ctx, mark_id=m3, reason="не тот ученик", at=at)
    lesson.take_attendance(ctx, absent=[], at=at)
    events = lesson.collect_events()
    assert len(events) == 9

    rebuilt = replay(events)

    assert type(rebuilt) is Lesson
    assert state(rebuilt) == state(lesson)
    assert rebuilt.version == lesson.version == 9
    assert rebuilt.modified_on == at
    assert rebuilt.marks[m1].history == ("3", "4")
    assert rebuilt.marks[m3].cancelled is True
    assert rebuilt.absent == {s2: None}


def test_replaying_a_school_class_events_rebuilds_equal_state(world: World) -> None:
    s0, s1 = uuid4(), uuid4()
    by, starts, ends = world.admin, world.year.starts_on, world.year.ends_on
    school_class = SchoolClass.open(class_id=uuid4(), school_id=world.school.id,
                                    year_id=world.year.id, name="8А", class_teacher_id=None,
                                    by=by, at=SETUP_AT)
    school_class.enrol(student_id=s0, from_date=date(2026, 9, 1), year_starts_on=starts,
                       year_ends_on=ends, by=by, at=SETUP_AT)
    school_class.enrol(student_id=s1, from_date=date(2026, 9, 1), year_starts_on=starts,
                       year_ends_on=ends, by=by, at=SETUP_AT)
    school_class.end_enrolment(student_id=s1, last_day=date(2026, 9, 30), by=by, at=SETUP_AT)
    school_class.enrol(student_id=s1, from_date=date(2026, 11, 9), year_starts_on=starts,
                       year_ends_on=ends, by=by, at=SETUP_AT)
    school_class.appoint_class_teacher(Role.TEACHER, teacher_id=world.teacher, by=by,
                                       at=SETUP_AT)
    school_class.set_timetable(valid_from=date(2026, 9, 1),
                               lessons=[(1, 1, world.journal.id), (3, 2, world.journal.id)],
                               class_journals={world.journal.id}, days_per_week=5, by=by,
                               at=SETUP_AT)
    school_class.set_timetable(valid_from=date(2026, 11, 9), lessons=[(2, 1, world.journal.id)],
                               class_journals={world.journal.id}, days_per_week=5, by=by,
                               at=SETUP_AT)
    events = school_class.collect_events()

    rebuilt = replay(events)

    assert state(rebuilt) == state(school_class)
    assert rebuilt.is_enrolled(s1, date(2026, 9, 30)) is True
    assert rebuilt.is_enrolled(s1, date(2026, 10, 1)) is False
    assert rebuilt.is_enrolled(s1, date(2026, 11, 9)) is True
    assert len(rebuilt.timetable_on(date(2026, 10, 1))) == 2
    assert len(rebuilt.timetable_on(date(2026, 11, 9))) == 1


def test_replaying_a_class_journals_events_rebuilds_equal_state(world: World) -> None:
    by = world.admin
    journal = ClassJournal.open(journal_id=uuid4(), school_id=world.school.id,
                                class_id=world.school_class.id, subject_id=uuid4(),
                                year_id=world.year.id, teacher_id=world.teacher,
                                teacher_role=Role.TEACHER, by=by, at=SETUP_AT)
    journal.set_programme(topics=[("Дроби", 10), ("Уравнения", 12)], by=by, at=SETUP_AT)
    journal.appoint_substitute(teacher_id=world.substitute, teacher_role=Role.TEACHER,
                               from_date=MON, to_date=FRI, by=by, at=SETUP_AT)
    journal.assign_teacher(teacher_id=world.other_teacher, teacher_role=Role.TEACHER, by=by,
                           at=SETUP_AT)
    events = journal.collect_events()

    rebuilt = replay(events)

    assert state(rebuilt) == state(journal)
    assert rebuilt.teacher_id == world.other_teacher
    assert [t.title for t in rebuilt.programme] == ["Дроби", "Уравнения"]
    rebuilt.ensure_may_write(Actor(world.substitute, Role.TEACHER, world.school.id), WED)


def test_replaying_a_period_marks_events_rebuilds_equal_state(world: World) -> None:
    mark = world.period_mark(world.students[0], Q2, "3", at=world.noon(date(2026, 12, 30)))
    teacher = world.actor("teacher")
    mark.correct(actor=teacher, journal=world.journal, value="4", reason="пересдача",
                 timezone=world.timezone, at=world.noon(date(2027, 1, 14)))
    mark.correct(actor=teacher, journal=world.journal, value="5", reason="ещё пересдача",
                 timezone=world.timezone, at=world.noon(date(2027, 1, 21)))
    events = mark.collect_events()

    rebuilt = replay(events)

    assert state(rebuilt) == state(mark)
    assert (rebuilt.value, rebuilt.version) == ("5", 3)
    assert rebuilt.late == Late(rule="R-6.2", due=Q2_LAST_DAY, days=2, working_days=2)
