"""The school's structure, on the domain alone: a school and its subjects and calendar, an
academic year, a class with its enrolments and timetable, a journal's assignment, people.
Each refusal names its error class and field, and records nothing."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from ejournal.domain.calendar import DayKind, Holiday, Period, SchoolCalendar, WorkingCalendar
from ejournal.domain.errors import (
    AlreadyExists,
    ConflictWithJournal,
    InvalidEntry,
    InvalidStructure,
    NotFound,
    ReasonRequired,
)
from ejournal.domain.journal import ClassJournal, ProgrammeTopic, Substitution
from ejournal.domain.people import User
from ejournal.domain.school import AcademicYear, School
from ejournal.domain.school_class import Enrolment, SchoolClass, TimetableLesson
from ejournal.domain.values import Role
from tests.unit.domain_fixtures import (
    SETUP_AT,
    World,
    build_world,
    described,
    refused,
    replay,
    state,
)

START, END = date(2026, 9, 1), date(2027, 5, 31)


@pytest.fixture
def world() -> World:
    return build_world()


# === School: time zone, subjects, calendar overlay ==========================================


def test_a_school_is_registered_with_its_iana_time_zone() -> None:
    school_id, by = uuid4(), uuid4()
    school = School.register(school_id=school_id, name="  Гимназия № 2 ",
                             timezone="Asia/Vladivostok", by=by, at=SETUP_AT)
    assert described(school.collect_events()) == [(School.Registered, {
        "timestamp": SETUP_AT, "name": "Гимназия № 2", "timezone": "Asia/Vladivostok",
        "by": by,
    })]
    assert (school.id, school.subjects, school.overlay) == (school_id, {}, {})


@pytest.mark.parametrize("timezone", ["Mars/Olympus_Mons", "", " Europe/Moscow", "MSK+3",
                                      "../etc/passwd", None, 3])
def test_a_school_with_an_unknown_time_zone_is_refused(timezone: Any) -> None:
    with refused(None, InvalidEntry, field="timezone"):
        School.register(school_id=uuid4(), name="Школа", timezone=timezone, by=uuid4(),
                        at=SETUP_AT)


@pytest.mark.parametrize("name", [None, "", "   "])
def test_a_school_without_a_name_is_refused(name: Any) -> None:
    with refused(None, InvalidEntry, field="name"):
        School.register(school_id=uuid4(), name=name, timezone="Europe/Moscow", by=uuid4(),
                        at=SETUP_AT)


def test_a_subject_is_added_by_name(world: World) -> None:
    subject_id = uuid4()
    world.school.add_subject(subject_id=subject_id, name=" Физика ", by=world.admin,
                             at=SETUP_AT)
    assert described(world.school.collect_events()) == [(School.SubjectAdded, {
        "timestamp": SETUP_AT, "subject_id": subject_id, "name": "Физика", "by": world.admin,
    })]
    world.school.ensure_subject(subject_id)


@pytest.mark.parametrize("name", ["Математика", "математика", "  МАТЕМАТИКА  "])
def test_a_second_subject_of_the_same_name_in_any_case_is_refused(world: World,
                                                                  name: str) -> None:
    with refused(world.school, AlreadyExists, field="name"):
        world.school.add_subject(subject_id=uuid4(), name=name, by=world.admin, at=SETUP_AT)
    assert list(world.school.subjects.values()) == ["Математика"]


def test_an_unknown_subject_is_not_found(world: World) -> None:
    with pytest.raises(NotFound) as err:
        world.school.ensure_subject(uuid4())
    assert err.value.field == "subject_id"


def test_a_calendar_day_is_declared_with_its_kind_and_reason(world: World) -> None:
    day = date(2026, 12, 1)
    world.school.declare_calendar_day(day=day, kind="day_off", reason="карантин",
                                      by=world.admin, at=SETUP_AT)
    assert described(world.school.collect_events()) == [(School.CalendarDayDeclared, {
        "timestamp": SETUP_AT, "day": day, "kind": DayKind.DAY_OFF, "reason": "карантин",
        "by": world.admin,
    })]
    assert world.school.overlay == {day: DayKind.DAY_OFF}
    assert world.year.calendar(world.school).is_school_day(day) is False


def test_a_calendar_day_of_an_unknown_kind_is_refused(world: World) -> None:
    with refused(world.school, InvalidEntry, field="kind"):
        world.school.declare_calendar_day(day=date(2026, 12, 1), kind="holiday",
                                          reason="карантин", by=world.admin, at=SETUP_AT)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_calendar_day_without_a_reason_is_refused(world: World, reason: Any) -> None:
    with refused(world.school, ReasonRequired, field="reason"):
        world.school.declare_calendar_day(day=date(2026, 12, 1), kind="day_off",
                                          reason=reason, by=world.admin, at=SETUP_AT)


# === AcademicYear.plan ======================================================================

QUARTERS: list[tuple[Any, Any, date, date]] = [
    (uuid4(), "I четверть", date(2026, 9, 1), date(2026, 10, 25)),
    (uuid4(), "II четверть", date(2026, 11, 5), date(2026, 12, 28)),
    (uuid4(), "III четверть", date(2027, 1, 12), date(2027, 3, 21)),
    (uuid4(), "IV четверть", date(2027, 3, 30), date(2027, 5, 31)),
]
HOLIDAYS: list[tuple[Any, date, date]] = [
    ("осенние каникулы", date(2026, 10, 26), date(2026, 11, 3)),
]


def plan(**changes: Any) -> AcademicYear:
    args: dict[str, Any] = {
        "year_id": uuid4(), "school_id": uuid4(), "name": "2026/2027", "starts_on": START,
        "ends_on": END, "days_per_week": 5, "periods": QUARTERS, "holidays": HOLIDAYS,
        "by": uuid4(), "at": SETUP_AT,
    }
    args.update(changes)
    return AcademicYear.plan(**args)


def test_a_year_is_planned_with_its_periods_in_order_and_its_holidays() -> None:
    year_id, school_id, by = uuid4(), uuid4(), uuid4()
    year = plan(year_id=year_id, school_id=school_id, by=by, days_per_week=6,
                periods=list(reversed(QUARTERS)))
    assert described(year.collect_events()) == [(AcademicYear.Planned, {
        "timestamp": SETUP_AT, "school_id": school_id, "name": "2026/2027",
        "starts_on": START, "ends_on": END, "days_per_week": 6,
        "periods": [Period(pid, name, s, e) for pid, name, s, e in QUARTERS],
        "holidays": [Holiday("осенние каникулы", date(2026, 10, 26), date(2026, 11, 3))],
        "by": by,
    })]
    assert year.period(QUARTERS[1][0]) == Period(QUARTERS[1][0], "II четверть",
                                                   date(2026, 11, 5), date(2026, 12, 28))


@pytest.mark.parametrize("ends_on", [START, date(2026, 8, 31), date(2025, 9, 1)],
                         ids=["same day", "the day before", "a year before"])
def test_a_year_that_does_not_end_after_it_starts_is_refused(ends_on: date) -> None:
    with refused(None, InvalidStructure, field="ends_on"):
        plan(ends_on=ends_on, periods=[(uuid4(), "год", START, START)], holidays=[])


def test_a_year_longer_than_a_year_is_refused() -> None:
    with refused(None, InvalidStructure, field="ends_on"):
        plan(ends_on=date(2027, 9, 3))


@pytest.mark.parametrize("days_per_week", [4, 7, 0, "5", None, True])
def test_a_week_other_than_5_or_6_days_is_refused(days_per_week: Any) -> None:
    with refused(None, InvalidStructure, field="days_per_week"):
        plan(days_per_week=days_per_week)


def test_a_year_without_periods_is_refused() -> None:
    with refused(None, InvalidStructure, field="periods"):
        plan(periods=[])


@pytest.mark.parametrize(
    "second",
    [(date(2026, 10, 25), date(2026, 12, 28)),  # starts on the first one's last day
     (date(2026, 10, 1), date(2026, 12, 28)),
     (date(2026, 9, 15), date(2026, 10, 1))],  # inside the first one
    ids=["shares a day", "overlaps", "inside"],
)
def test_overlapping_periods_are_refused(second: tuple[date, date]) -> None:
    periods = [(uuid4(), "I", date(2026, 9, 1), date(2026, 10, 25)),
               (uuid4(), "II", *second)]
    with refused(None, InvalidStructure, field="periods[1]"):
        plan(periods=periods)


def test_adjacent_periods_are_accepted() -> None:
    year = plan(periods=[(uuid4(), "I", START, date(2026, 12, 31)),
                         (uuid4(), "II", date(2027, 1, 1), END)])
    assert len(year.periods) == 2


@pytest.mark.parametrize(
    ("start", "end"),
    [(date(2026, 8, 31), date(2026, 10, 25)), (date(2027, 3, 30), date(2027, 6, 1))],
    ids=["starts before the year", "ends after the year"],
)
def test_a_period_outside_the_year_is_refused(start: date, end: date) -> None:
    with refused(None, InvalidStructure, field="periods[0]"):
        plan(periods=[(uuid4(), "четверть", start, end)])


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with refused(None, InvalidStructure, field="periods[0]"):
        plan(periods=[(uuid4(), "I", date(2026, 10, 25), date(2026, 9, 1))])


def test_two_periods_of_the_same_name_are_refused() -> None:
    with refused(None, InvalidStructure, field="periods[1]"):
        plan(periods=[(uuid4(), "Четверть", START, date(2026, 10, 25)),
                      (uuid4(), "четверть", date(2026, 11, 5), END)])


@pytest.mark.parametrize(
    ("start", "end"),
    [(date(2026, 8, 25), date(2026, 8, 31)), (date(2027, 5, 25), date(2027, 6, 5)),
     (date(2026, 8, 30), date(2026, 9, 2))],
    ids=["before the year", "running past its end", "straddling its start"],
)
def test_holidays_outside_the_year_are_refused(start: date, end: date) -> None:
    with refused(None, InvalidStructure, field="holidays[1]"):
        plan(holidays=[*HOLIDAYS, ("каникулы", start, end)])


def test_holidays_that_end_before_they_start_are_refused() -> None:
    with refused(None, InvalidStructure, field="holidays[0]"):
        plan(holidays=[("каникулы", date(2026, 11, 3), date(2026, 10, 26))])


def test_a_year_without_a_name_is_refused() -> None:
    with refused(None, InvalidEntry, field="name"):
        plan(name="  ")


# === the calendars ==========================================================================


def test_the_production_calendar_with_the_schools_overlay_counts_working_days() -> None:
    overlay = {date(2026, 11, 26): DayKind.DAY_OFF, date(2026, 11, 29): DayKind.SCHOOL_DAY}
    working = WorkingCalendar(overlay)
    assert working.is_working_day(date(2026, 11, 25)) is True
    assert working.is_working_day(date(2026, 11, 26)) is False  # the school's day off
    assert working.is_working_day(date(2026, 11, 28)) is False  # Saturday
    assert working.is_working_day(date(2026, 11, 29)) is True  # the school's extra day
    assert working.is_working_day(date(2026, 11, 4)) is False  # Unity Day
    assert working.add_working_days(date(2026, 11, 25), 3) == date(2026, 11, 30)
    assert working.add_working_days(date(2026, 11, 25), 0) == date(2026, 11, 25)
    assert working.working_days_between(date(2026, 11, 25), date(2026, 11, 30)) == 3
    assert working.working_days_between(date(2026, 11, 30), date(2026, 11, 25)) == 0
    with pytest.raises(ValueError, match="negative"):
        working.add_working_days(date(2026, 11, 25), -1)


def test_a_decrees_working_saturday_is_a_working_day_but_a_5_day_schools_day_off() -> None:
    saturday = date(2025, 11, 1)
    assert WorkingCalendar().is_working_day(saturday) is True
    five = SchoolCalendar(date(2025, 9, 1), date(2026, 5, 31), 5)
    six = SchoolCalendar(date(2025, 9, 1), date(2026, 5, 31), 6)
    assert five.is_school_day(saturday) is False
    assert six.is_school_day(saturday) is True
    # its transferred day off, Monday 03.11.2025, is off for both
    assert five.is_school_day(date(2025, 11, 3)) is False
    assert six.is_school_day(date(2025, 11, 3)) is False


def test_school_holidays_are_working_days_but_not_school_days(world: World) -> None:
    calendar = world.year.calendar(world.school)
    day = date(2026, 10, 28)
    assert calendar.working.is_working_day(day) is True
    assert calendar.is_school_day(day) is False


# === SchoolClass: enrolments ================================================================


@pytest.fixture
def school_class(world: World) -> SchoolClass:
    return world.school_class


def enrol(world: World, student: UUID, from_date: date) -> None:
    world.school_class.enrol(student_id=student, from_date=from_date,
                             year_starts_on=world.year.starts_on,
                             year_ends_on=world.year.ends_on, by=world.admin, at=SETUP_AT)


def end(world: World, student: UUID, last_day: date) -> None:
    world.school_class.end_enrolment(student_id=student, last_day=last_day, by=world.admin,
                                     at=SETUP_AT)


def test_a_student_is_enrolled_from_a_date(world: World) -> None:
    student = uuid4()
    enrol(world, student, date(2026, 11, 16))
    assert described(world.school_class.collect_events()) == [(SchoolClass.StudentEnrolled, {
        "timestamp": SETUP_AT, "student_id": student, "from_date": date(2026, 11, 16),
        "by": world.admin,
    })]
    assert world.school_class.enrolments[student] == [Enrolment(date(2026, 11, 16))]


def test_an_enrolment_ends_after_its_last_day(world: World) -> None:
    student = uuid4()
    enrol(world, student, date(2026, 11, 16))
    world.school_class.collect_events()
    end(world, student, date(2026, 11, 24))
    assert described(world.school_class.collect_events()) == [(SchoolClass.EnrolmentEnded, {
        "timestamp": SETUP_AT, "student_id": student, "last_day": date(2026, 11, 24),
        "by": world.admin,
    })]
    assert world.school_class.is_enrolled(student, date(2026, 11, 24)) is True
    assert world.school_class.is_enrolled(student, date(2026, 11, 25)) is False


def test_a_student_enrolled_twice_is_refused(world: World) -> None:
    student = world.students[0]
    with refused(world.school_class, ConflictWithJournal, field="student_id"):
        enrol(world, student, date(2026, 11, 16))


def test_a_new_enrolment_before_the_former_one_ended_is_refused(world: World) -> None:
    student = uuid4()
    world.enrol(student, date(2026, 9, 1), until=date(2026, 11, 16))
    with refused(world.school_class, ConflictWithJournal, field="from_date"):
        enrol(world, student, date(2026, 11, 13))
    enrol(world, student, date(2026, 11, 16))
    assert len(world.school_class.enrolments[student]) == 2


@pytest.mark.parametrize("from_date", [date(2027, 6, 1), date(2026, 8, 31)],
                         ids=["after the year ends", "before it starts"])
def test_an_enrolment_outside_the_year_is_refused(world: World, from_date: date) -> None:
    with refused(world.school_class, InvalidStructure, field="from_date"):
        enrol(world, uuid4(), from_date)


def test_ending_the_enrolment_of_a_student_not_enrolled_is_refused(world: World) -> None:
    with refused(world.school_class, ConflictWithJournal, field="student_id"):
        end(world, uuid4(), date(2026, 11, 25))


def test_ending_an_enrolment_that_has_ended_is_refused(world: World) -> None:
    student = uuid4()
    world.enrol(student, date(2026, 9, 1), until=date(2026, 11, 16))
    with refused(world.school_class, ConflictWithJournal, field="student_id"):
        end(world, student, date(2026, 11, 25))


def test_ending_an_enrolment_before_its_first_day_is_refused(world: World) -> None:
    student = uuid4()
    world.enrol(student, date(2026, 11, 16))
    with refused(world.school_class, InvalidStructure, field="last_day"):
        end(world, student, date(2026, 11, 13))
    end(world, student, date(2026, 11, 16))  # a one-day enrolment
    assert world.school_class.is_enrolled(student, date(2026, 11, 16)) is True
    assert world.school_class.is_enrolled(student, date(2026, 11, 17)) is False


def test_a_class_teacher_is_a_teacher(world: World) -> None:
    with refused(world.school_class, InvalidStructure, field="class_teacher_id"):
        world.school_class.appoint_class_teacher(Role.ADMIN, teacher_id=world.admin,
                                                 by=world.admin, at=SETUP_AT)
    world.school_class.appoint_class_teacher(Role.TEACHER, teacher_id=world.other_teacher,
                                             by=world.admin, at=SETUP_AT)
    assert described(world.school_class.collect_events()) == [
        (SchoolClass.ClassTeacherAppointed,
         {"timestamp": SETUP_AT, "teacher_id": world.other_teacher, "by": world.admin})]


# === SchoolClass: the timetable =============================================================


def set_timetable(world: World, lessons: list[tuple[int, int, UUID]], *,
                  days_per_week: int = 5) -> None:
    world.school_class.set_timetable(valid_from=date(2026, 9, 1), lessons=lessons,
                                     class_journals={world.journal.id},
                                     days_per_week=days_per_week, by=world.admin, at=SETUP_AT)


def test_a_timetable_is_set_from_a_date(world: World) -> None:
    journal = world.journal.id
    set_timetable(world, [(1, 1, journal), (5, 10, journal)])
    assert described(world.school_class.collect_events()) == [(SchoolClass.TimetableSet, {
        "timestamp": SETUP_AT, "valid_from": date(2026, 9, 1),
        "lessons": [TimetableLesson(1, 1, journal), TimetableLesson(5, 10, journal)],
        "by": world.admin,
    })]
    assert world.school_class.timetable_on(date(2026, 8, 31)) == ()
    assert world.school_class.timetable_on(date(2026, 9, 1)) == (
        TimetableLesson(1, 1, journal), TimetableLesson(5, 10, journal))


@pytest.mark.parametrize("weekday", [6, 7, 0])
def test_a_timetable_weekday_outside_a_5_day_week_is_refused(world: World,
                                                            weekday: int) -> None:
    with refused(world.school_class, InvalidStructure, field="lessons[1].weekday"):
        set_timetable(world, [(1, 1, world.journal.id), (weekday, 1, world.journal.id)])


def test_a_saturday_in_the_timetable_of_a_6_day_school_is_accepted(world: World) -> None:
    set_timetable(world, [(6, 1, world.journal.id)], days_per_week=6)
    assert world.school_class.timetable_on(date(2026, 9, 5)) == (
        TimetableLesson(6, 1, world.journal.id),)
    world.school_class.collect_events()
    with refused(world.school_class, InvalidStructure, field="lessons[0].weekday"):
        set_timetable(world, [(7, 1, world.journal.id)], days_per_week=6)


@pytest.mark.parametrize("slot", [11, 0])
def test_a_timetable_slot_outside_1_to_10_is_refused(world: World, slot: int) -> None:
    with refused(world.school_class, InvalidStructure, field="lessons[0].slot"):
        set_timetable(world, [(1, slot, world.journal.id)])


def test_two_lessons_at_the_same_weekday_and_slot_are_refused(world: World) -> None:
    journal = world.journal.id
    with refused(world.school_class, InvalidStructure, field="lessons[2]"):
        set_timetable(world, [(1, 1, journal), (1, 2, journal), (1, 1, journal)])


def test_a_timetable_naming_a_journal_not_of_the_class_is_refused(world: World) -> None:
    with refused(world.school_class, InvalidStructure, field="lessons[1].journal_id"):
        set_timetable(world, [(1, 1, world.journal.id), (1, 2, uuid4())])


def test_a_later_timetable_replaces_the_former_from_its_date(world: World) -> None:
    journal = world.journal.id
    set_timetable(world, [(1, 1, journal)])
    world.school_class.set_timetable(valid_from=date(2026, 11, 9), lessons=[(2, 3, journal)],
                                     class_journals={journal}, days_per_week=5,
                                     by=world.admin, at=SETUP_AT)
    assert world.school_class.timetable_on(date(2026, 11, 8)) == (TimetableLesson(1, 1, journal),)
    assert world.school_class.timetable_on(date(2026, 11, 9)) == (TimetableLesson(2, 3, journal),)


# === ClassJournal: assignment, substitutes, programme =======================================


def test_a_journal_is_assigned_to_a_teacher(world: World) -> None:
    with refused(None, InvalidStructure, field="teacher_id"):
        ClassJournal.open(journal_id=uuid4(), school_id=world.school.id,
                          class_id=world.school_class.id, subject_id=uuid4(),
                          year_id=world.year.id, teacher_id=world.auditor,
                          teacher_role=Role.AUDITOR, by=world.admin, at=SETUP_AT)
    with refused(world.journal, InvalidStructure, field="teacher_id"):
        world.journal.assign_teacher(teacher_id=world.admin, teacher_role=Role.ADMIN,
                                     by=world.admin, at=SETUP_AT)


def test_a_substitute_is_a_teacher_for_dates_in_order(world: World) -> None:
    with refused(world.journal, InvalidStructure, field="teacher_id"):
        world.journal.appoint_substitute(teacher_id=world.admin, teacher_role=Role.ADMIN,
                                         from_date=date(2026, 11, 23),
                                         to_date=date(2026, 11, 27), by=world.admin,
                                         at=SETUP_AT)
    with refused(world.journal, InvalidStructure, field="to_date"):
        world.journal.appoint_substitute(teacher_id=world.substitute,
                                         teacher_role=Role.TEACHER,
                                         from_date=date(2026, 11, 27),
                                         to_date=date(2026, 11, 26), by=world.admin,
                                         at=SETUP_AT)
    world.journal.appoint_substitute(teacher_id=world.substitute, teacher_role=Role.TEACHER,
                                     from_date=date(2026, 11, 27), to_date=date(2026, 11, 27),
                                     by=world.admin, at=SETUP_AT)
    assert world.journal.substitutions == [
        Substitution(world.substitute, date(2026, 11, 27), date(2026, 11, 27))]


def test_a_work_programme_lists_distinct_topics_with_their_hours(world: World) -> None:
    with refused(world.journal, InvalidStructure, field="topics[1]"):
        world.journal.set_programme(topics=[("Дроби", 10), ("Дроби", 5)], by=world.admin,
                                    at=SETUP_AT)
    for hours in (0, 1001, True, "10", 2.5):
        with refused(world.journal, InvalidStructure, field="topics[0].hours"):
            world.journal.set_programme(topics=[("Дроби", hours)], by=world.admin,
                                        at=SETUP_AT)
    with refused(world.journal, InvalidEntry, field="topics[0].title"):
        world.journal.set_programme(topics=[("  ", 10)], by=world.admin, at=SETUP_AT)
    world.journal.set_programme(topics=[("Дроби", 10), ("Уравнения", 1000)], by=world.admin,
                                at=SETUP_AT)
    assert described(world.journal.collect_events()) == [(ClassJournal.ProgrammeSet, {
        "timestamp": SETUP_AT,
        "topics": [ProgrammeTopic("Дроби", 10), ProgrammeTopic("Уравнения", 1000)],
        "by": world.admin,
    })]


# === User: personal accounts (R-2.1) ========================================================


def register(**changes: Any) -> User:
    args: dict[str, Any] = {
        "user_id": uuid4(), "school_id": uuid4(), "username": "m.ivanova",
        "full_name": "Мария Ивановна", "role": "teacher", "by": uuid4(), "at": SETUP_AT,
    }
    args.update(changes)
    return User.register(**args)


def test_a_user_is_registered_personally_by_the_school() -> None:
    school_id, by = uuid4(), uuid4()
    user = register(school_id=school_id, username="m.ivanova@school-2", by=by,
                    full_name=" Мария Ивановна ")
    assert described(user.collect_events()) == [(User.Registered, {
        "timestamp": SETUP_AT, "school_id": school_id, "username": "m.ivanova@school-2",
        "full_name": "Мария Ивановна", "role": Role.TEACHER, "by": by,
    })]
    assert user.role is Role.TEACHER


@pytest.mark.parametrize("username", ["a", "", "x y", "-abc", ".abc", "мария", "a" * 65,
                                      "a/b", None, 42])
def test_a_bad_username_is_refused(username: Any) -> None:
    with refused(None, InvalidEntry, field="username"):
        register(username=username)


def test_a_username_of_64_characters_is_accepted() -> None:
    assert register(username="a" * 64).username == "a" * 64


def test_an_operator_with_a_school_is_refused() -> None:
    with refused(None, InvalidEntry, field="role"):
        register(role="operator", school_id=uuid4())
    assert register(role="operator", school_id=None, by=None).school_id is None


@pytest.mark.parametrize("role", ["admin", "teacher", "student", "guardian", "auditor"])
def test_anyone_but_an_operator_without_a_school_is_refused(role: str) -> None:
    with refused(None, InvalidEntry, field="role"):
        register(role=role, school_id=None)


def test_an_unknown_role_is_refused() -> None:
    with refused(None, InvalidEntry, field="role"):
        register(role="director")


@pytest.fixture
def family() -> tuple[User, User]:
    school = uuid4()
    student = register(school_id=school, username="pupil", role="student")
    guardian = register(school_id=school, username="parent", role="guardian")
    student.collect_events()
    guardian.collect_events()
    return student, guardian


def test_a_guardian_is_linked_to_a_student(family: tuple[User, User]) -> None:
    student, guardian = family
    by = uuid4()
    student.link_guardian(guardian, by=by, at=SETUP_AT)
    assert described(student.collect_events()) == [(User.GuardianLinked, {
        "timestamp": SETUP_AT, "guardian_id": guardian.id, "by": by,
    })]
    assert student.guardians == {guardian.id}


def test_linking_a_user_who_is_not_a_guardian_is_refused(family: tuple[User, User]) -> None:
    student, _ = family
    teacher = register(school_id=student.school_id, role="teacher")
    with refused(student, InvalidEntry, field="guardian_id"):
        student.link_guardian(teacher, by=uuid4(), at=SETUP_AT)


def test_linking_a_guardian_of_another_school_is_refused(family: tuple[User, User]) -> None:
    student, _ = family
    stranger = register(school_id=uuid4(), username="other-parent", role="guardian")
    with refused(student, InvalidEntry, field="guardian_id"):
        student.link_guardian(stranger, by=uuid4(), at=SETUP_AT)


def test_linking_the_same_guardian_twice_is_refused(family: tuple[User, User]) -> None:
    student, guardian = family
    student.link_guardian(guardian, by=uuid4(), at=SETUP_AT)
    student.collect_events()
    with refused(student, AlreadyExists, field="guardian_id"):
        student.link_guardian(guardian, by=uuid4(), at=SETUP_AT)


def test_a_guardian_is_linked_only_to_a_student(family: tuple[User, User]) -> None:
    _, guardian = family
    teacher = register(school_id=guardian.school_id, role="teacher")
    teacher.collect_events()
    with refused(teacher, InvalidEntry, field="student_id"):
        teacher.link_guardian(guardian, by=uuid4(), at=SETUP_AT)


# === replay rebuilds equal state ============================================================


def test_replaying_a_schools_and_a_years_events_rebuilds_equal_state() -> None:
    by = uuid4()
    school = School.register(school_id=uuid4(), name="Школа", timezone="Asia/Novosibirsk",
                             by=by, at=SETUP_AT)
    school.add_subject(subject_id=uuid4(), name="Математика", by=by, at=SETUP_AT)
    school.declare_calendar_day(day=date(2026, 12, 1), kind="day_off", reason="карантин",
                                by=by, at=SETUP_AT)
    year = plan(school_id=school.id)
    assert state(replay(school.collect_events())) == state(school)
    assert state(replay(year.collect_events())) == state(year)


def test_replaying_a_users_events_rebuilds_equal_state(family: tuple[User, User]) -> None:
    school = uuid4()
    student = register(school_id=school, username="pupil2", role="student")
    guardian = register(school_id=school, username="parent2", role="guardian")
    student.link_guardian(guardian, by=uuid4(), at=SETUP_AT)
    assert state(replay(student.collect_events())) == state(student)
