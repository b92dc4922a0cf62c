"""Timeliness (domain.md): the school-local date of a moment, the due date of a mark and how
late an entry was, against the Russian production calendar of 2025-2026."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ejournal.domain.calendar import DayKind, WorkingCalendar
from ejournal.domain.timeliness import (
    R_LESSON,
    R_PERIOD,
    R_SAME_DAY,
    R_WRITTEN,
    lateness,
    local_date,
    mark_rule_and_due,
)
from ejournal.domain.values import Late, Work

PRODUCTION = WorkingCalendar()
MOSCOW = "Europe/Moscow"


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- local_date ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Europe/Kaliningrad", date(2026, 11, 25)),  # UTC+2: 20:30
        ("Europe/Moscow", date(2026, 11, 25)),  # UTC+3: 21:30
        ("Europe/Samara", date(2026, 11, 25)),  # UTC+4: 22:30
        ("Asia/Yekaterinburg", date(2026, 11, 25)),  # UTC+5: 23:30
        ("Asia/Omsk", date(2026, 11, 26)),  # UTC+6: 00:30
        ("Asia/Novosibirsk", date(2026, 11, 26)),  # UTC+7: 01:30
        ("Asia/Vladivostok", date(2026, 11, 26)),  # UTC+10: 04:30
        ("Asia/Kamchatka", date(2026, 11, 26)),  # UTC+12: 06:30
    ],
)
def test_local_date_is_the_date_on_the_schools_clock(zone: str, expected: date) -> None:
    assert local_date(utc(2026, 11, 25, 18, 30), zone) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (utc(2026, 11, 25, 11, 59, 59), date(2026, 11, 25)),  # 23:59:59 in Kamchatka
        (utc(2026, 11, 25, 12, 0), date(2026, 11, 26)),  # midnight in Kamchatka
        (utc(2026, 11, 25, 23, 59), date(2026, 11, 26)),
    ],
    ids=lambda v: str(v),
)
def test_kamchatka_is_twelve_hours_ahead_of_utc(moment: datetime, expected: date) -> None:
    assert local_date(moment, "Asia/Kamchatka") == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (utc(2026, 11, 25, 20, 59), date(2026, 11, 25)),  # 23:59 in Moscow
        (utc(2026, 11, 25, 21, 0), date(2026, 11, 26)),  # midnight in Moscow
    ],
    ids=lambda v: str(v),
)
def test_the_moscow_date_turns_at_moscow_midnight(moment: datetime, expected: date) -> None:
    assert local_date(moment, MOSCOW) == expected


def test_local_date_reads_a_moment_given_in_another_offset() -> None:
    novosibirsk_morning = datetime(2026, 11, 26, 1, 30, tzinfo=timezone(timedelta(hours=7)))
    assert local_date(novosibirsk_morning, MOSCOW) == date(2026, 11, 25)
    assert local_date(novosibirsk_morning, "Asia/Novosibirsk") == date(2026, 11, 26)


def test_a_naive_moment_is_refused() -> None:
    naive = datetime(2026, 11, 25, 18, 30)  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        local_date(naive, MOSCOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        lateness(R_SAME_DAY, date(2026, 11, 25), naive, MOSCOW, PRODUCTION)


# --- lateness -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "recorded_at",
    [
        utc(2026, 11, 27, 5, 0),  # 08:00 Moscow
        utc(2026, 11, 27, 20, 59),  # 23:59 Moscow
        utc(2026, 11, 26, 12, 0),  # the day before (recorded ahead of the due date)
    ],
    ids=str,
)
def test_an_entry_recorded_by_its_due_date_is_not_late(recorded_at: datetime) -> None:
    assert lateness(R_SAME_DAY, date(2026, 11, 27), recorded_at, MOSCOW, PRODUCTION) is None


@pytest.mark.parametrize(
    ("rule", "due", "recorded_at", "days", "working_days"),
    [
        # Friday's lesson recorded on Monday: 3 calendar days, 1 working day.
        (R_SAME_DAY, date(2026, 11, 27), utc(2026, 11, 30, 9, 0), 3, 1),
        (R_LESSON, date(2026, 11, 27), utc(2026, 11, 30, 9, 0), 3, 1),
        # Friday's lesson recorded on Saturday: late, but no working day has passed.
        (R_SAME_DAY, date(2026, 11, 27), utc(2026, 11, 28, 9, 0), 1, 0),
        # Moscow midnight turns the date.
        (R_SAME_DAY, date(2026, 11, 25), utc(2026, 11, 25, 21, 0), 1, 1),
        # Across the May holidays of 2026 (9-11 May off).
        (R_SAME_DAY, date(2026, 5, 8), utc(2026, 5, 12, 9, 0), 4, 1),
        (R_WRITTEN, date(2026, 5, 14), utc(2026, 5, 15, 9, 0), 1, 1),
        # Across New Year: 31 Dec 2025 and 1-11 Jan 2026 off.
        (R_SAME_DAY, date(2025, 12, 30), utc(2026, 1, 12, 9, 0), 13, 1),
        # The working Saturday of 1 Nov 2025 counts, 2-4 Nov do not.
        (R_SAME_DAY, date(2025, 10, 31), utc(2025, 11, 5, 9, 0), 5, 2),
        (R_PERIOD, date(2025, 12, 26), utc(2026, 1, 13, 9, 0), 18, 4),  # 29, 30 Dec, 12, 13 Jan
    ],
    ids=lambda v: str(v),
)
def test_an_entry_recorded_after_its_due_date_is_late_by_calendar_and_working_days(
    rule: str, due: date, recorded_at: datetime, days: int, working_days: int
) -> None:
    assert lateness(rule, due, recorded_at, MOSCOW, PRODUCTION) == Late(
        rule=rule, due=due, days=days, working_days=working_days
    )


def test_the_same_moment_is_late_in_novosibirsk_and_on_time_in_moscow() -> None:
    due = date(2026, 11, 25)
    moment = utc(2026, 11, 25, 18, 30)
    assert lateness(R_SAME_DAY, due, moment, MOSCOW, PRODUCTION) is None
    assert lateness(R_SAME_DAY, due, moment, "Asia/Novosibirsk", PRODUCTION) == Late(
        rule=R_SAME_DAY, due=due, days=1, working_days=1
    )


def test_kamchatka_is_late_from_utc_noon() -> None:
    due = date(2026, 11, 25)
    kamchatka = "Asia/Kamchatka"
    assert lateness(R_SAME_DAY, due, utc(2026, 11, 25, 11, 59), kamchatka, PRODUCTION) is None
    late = lateness(R_SAME_DAY, due, utc(2026, 11, 25, 12, 0), kamchatka, PRODUCTION)
    assert late == Late(rule=R_SAME_DAY, due=due, days=1, working_days=1)


def test_the_schools_overlay_decides_the_working_days_of_a_late_entry() -> None:
    due = date(2026, 11, 27)
    recorded_at = utc(2026, 12, 1, 9, 0)  # Tuesday
    closed_monday = WorkingCalendar({date(2026, 11, 30): DayKind.DAY_OFF})
    open_sunday = WorkingCalendar({date(2026, 11, 29): DayKind.SCHOOL_DAY})
    assert lateness(R_SAME_DAY, due, recorded_at, MOSCOW, PRODUCTION) == Late(R_SAME_DAY, due, 4, 2)
    assert lateness(R_SAME_DAY, due, recorded_at, MOSCOW, closed_monday) == Late(
        R_SAME_DAY, due, 4, 1
    )
    assert lateness(R_SAME_DAY, due, recorded_at, MOSCOW, open_sunday) == Late(
        R_SAME_DAY, due, 4, 3
    )


# --- mark_rule_and_due --------------------------------------------------------------------


@pytest.mark.parametrize("work", [Work.ORAL, Work.PRACTICAL, Work.HOMEWORK])
@pytest.mark.parametrize(
    "lesson_date", [date(2026, 11, 27), date(2026, 5, 8), date(2025, 11, 1)], ids=str
)
def test_an_oral_practical_or_homework_mark_is_due_on_the_lessons_date(
    work: Work, lesson_date: date
) -> None:
    assert mark_rule_and_due(work, lesson_date, PRODUCTION) == (R_SAME_DAY, lesson_date)


@pytest.mark.parametrize("work", [Work.WRITTEN, Work.TEST])
@pytest.mark.parametrize(
    ("lesson_date", "due"),
    [
        (date(2026, 11, 23), date(2026, 11, 26)),  # Mon -> Thu
        (date(2026, 11, 25), date(2026, 11, 30)),  # Wed -> Mon over the weekend
        (date(2026, 5, 8), date(2026, 5, 14)),  # over 9-11 May
        (date(2026, 5, 7), date(2026, 5, 13)),
        (date(2026, 4, 29), date(2026, 5, 5)),  # over 1-3 May
        (date(2025, 5, 7), date(2025, 5, 14)),  # over 8-11 May 2025
        (date(2025, 10, 30), date(2025, 11, 5)),  # 31 Oct, Sat 1 Nov, 5 Nov
        (date(2025, 12, 26), date(2026, 1, 12)),  # 29, 30 Dec, then 12 Jan
        (date(2026, 2, 20), date(2026, 2, 26)),  # over Mon 23 Feb
        (date(2026, 3, 6), date(2026, 3, 12)),  # over Mon 9 Mar
    ],
    ids=lambda v: str(v),
)
def test_a_written_or_test_mark_is_due_three_working_days_after_the_lesson(
    work: Work, lesson_date: date, due: date
) -> None:
    assert mark_rule_and_due(work, lesson_date, PRODUCTION) == (R_WRITTEN, due)


def test_a_written_marks_due_date_follows_the_schools_overlay() -> None:
    thursday = date(2026, 11, 26)
    closed_friday = WorkingCalendar({date(2026, 11, 27): DayKind.DAY_OFF})
    open_saturday = WorkingCalendar({date(2026, 11, 28): DayKind.SCHOOL_DAY})
    assert mark_rule_and_due(Work.WRITTEN, thursday, PRODUCTION) == (R_WRITTEN, date(2026, 12, 1))
    assert mark_rule_and_due(Work.WRITTEN, thursday, closed_friday) == (
        R_WRITTEN,
        date(2026, 12, 2),
    )
    assert mark_rule_and_due(Work.TEST, thursday, open_saturday) == (R_WRITTEN, date(2026, 11, 30))


def test_only_written_and_test_work_answer_to_the_three_working_day_rule() -> None:
    rules = {work: mark_rule_and_due(work, date(2026, 11, 23), PRODUCTION)[0] for work in Work}
    assert rules == {
        Work.ORAL: R_SAME_DAY,
        Work.WRITTEN: R_WRITTEN,
        Work.PRACTICAL: R_SAME_DAY,
        Work.TEST: R_WRITTEN,
        Work.HOMEWORK: R_SAME_DAY,
    }


def test_the_rule_ids_are_those_of_the_requirements() -> None:
    assert (R_LESSON, R_SAME_DAY, R_WRITTEN, R_PERIOD) == ("R-4.5", "R-4.6", "R-6.1d", "R-6.2")


def test_a_written_mark_recorded_on_its_due_date_is_not_late_and_a_day_later_is() -> None:
    rule, due = mark_rule_and_due(Work.TEST, date(2026, 5, 8), PRODUCTION)
    assert due == date(2026, 5, 14)
    assert lateness(rule, due, utc(2026, 5, 14, 20, 0), MOSCOW, PRODUCTION) is None
    assert lateness(rule, due, utc(2026, 5, 14, 21, 0), MOSCOW, PRODUCTION) == Late(
        R_WRITTEN, due, 1, 1
    )
