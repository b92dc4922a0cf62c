"""The working calendar and the school calendar against the official Russian production
calendars of 2025 and 2026 (the government's decrees on transferring days off).

2025 transfers: Sat 4 Jan -> Fri 2 May, Sun 5 Jan -> Wed 31 Dec, Sun 23 Feb -> Thu 8 May,
Sat 8 Mar -> Fri 13 Jun, Sat 1 Nov -> Mon 3 Nov (1 Nov is a working Saturday).
2026 transfers: Sat 3 Jan -> Fri 9 Jan, Sun 4 Jan -> Thu 31 Dec; by the Labour Code (art. 112)
Sun 8 Mar -> Mon 9 Mar and Sat 9 May -> Mon 11 May. No working Saturdays in 2026.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ejournal.domain.calendar import (
    DayKind,
    Holiday,
    SchoolCalendar,
    WorkingCalendar,
    is_production_working_day,
    is_public_day_off,
)

PRODUCTION = WorkingCalendar()


def days_of(year: int) -> Iterator[date]:
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)


def month_end(year: int, month: int) -> date:
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


# Monday-to-Friday dates that are days off (public holidays and transferred days off).
WEEKDAYS_OFF = {
    2025: {
        date(2025, 1, 1),
        date(2025, 1, 2),
        date(2025, 1, 3),
        date(2025, 1, 6),
        date(2025, 1, 7),
        date(2025, 1, 8),
        date(2025, 5, 1),
        date(2025, 5, 2),
        date(2025, 5, 8),
        date(2025, 5, 9),
        date(2025, 6, 12),
        date(2025, 6, 13),
        date(2025, 11, 3),
        date(2025, 11, 4),
        date(2025, 12, 31),
    },
    2026: {
        date(2026, 1, 1),
        date(2026, 1, 2),
        date(2026, 1, 5),
        date(2026, 1, 6),
        date(2026, 1, 7),
        date(2026, 1, 8),
        date(2026, 1, 9),
        date(2026, 2, 23),
        date(2026, 3, 9),
        date(2026, 5, 1),
        date(2026, 5, 11),
        date(2026, 6, 12),
        date(2026, 11, 4),
        date(2026, 12, 31),
    },
}
WORKING_WEEKENDS = {2025: {date(2025, 11, 1)}, 2026: set()}

OFFICIAL_WORKING_DAYS_PER_MONTH = {
    2025: [17, 20, 21, 22, 18, 19, 23, 21, 22, 23, 19, 22],
    2026: [15, 19, 21, 22, 19, 21, 23, 21, 22, 22, 20, 22],
}
MONTHS = [
    (year, month, figure)
    for year, figures in OFFICIAL_WORKING_DAYS_PER_MONTH.items()
    for month, figure in enumerate(figures, start=1)
]


# --- the production calendar, day by day -------------------------------------------------


@pytest.mark.parametrize(
    "day",
    [
        *(date(2025, 1, d) for d in range(1, 9)),
        date(2025, 2, 23),  # Sunday
        date(2025, 3, 8),  # Saturday
        date(2025, 5, 1),
        date(2025, 5, 2),  # transferred from Sat 4 Jan
        date(2025, 5, 8),  # transferred from Sun 23 Feb
        date(2025, 5, 9),
        date(2025, 6, 12),
        date(2025, 6, 13),  # transferred from Sat 8 Mar
        date(2025, 11, 3),  # transferred from Sat 1 Nov
        date(2025, 11, 4),
        date(2025, 12, 31),  # transferred from Sun 5 Jan
        *(date(2026, 1, d) for d in range(1, 9)),
        date(2026, 1, 9),  # transferred from Sat 3 Jan
        date(2026, 2, 23),
        date(2026, 3, 8),  # Sunday
        date(2026, 3, 9),  # instead of Sunday 8 Mar
        date(2026, 5, 1),
        date(2026, 5, 9),  # Saturday
        date(2026, 5, 11),  # instead of Saturday 9 May
        date(2026, 6, 12),
        date(2026, 11, 4),
        date(2026, 12, 31),  # transferred from Sun 4 Jan
    ],
    ids=str,
)
def test_a_public_holiday_or_transferred_day_off_is_not_a_working_day(day: date) -> None:
    assert not is_production_working_day(day)
    assert not PRODUCTION.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2025, 1, 9),  # Thursday, the first working day of 2025
        date(2025, 5, 5),
        date(2025, 5, 12),
        date(2025, 6, 11),
        date(2025, 10, 31),
        date(2025, 11, 5),
        date(2025, 12, 30),
        date(2026, 1, 12),  # Monday, the first working day of 2026
        date(2026, 2, 24),
        date(2026, 3, 10),
        date(2026, 5, 8),
        date(2026, 5, 12),
        date(2026, 11, 3),
        date(2026, 12, 30),
    ],
    ids=str,
)
def test_an_ordinary_weekday_is_a_working_day(day: date) -> None:
    assert is_production_working_day(day)
    assert PRODUCTION.is_working_day(day)
    assert not is_public_day_off(day)


def test_the_decrees_working_saturday_of_1_november_2025_is_a_working_day() -> None:
    saturday = date(2025, 11, 1)
    assert saturday.isoweekday() == 6
    assert is_production_working_day(saturday)
    assert PRODUCTION.is_working_day(saturday)
    assert not is_public_day_off(saturday)


@pytest.mark.parametrize(
    "day",
    [date(2025, 3, 15), date(2025, 3, 16), date(2025, 11, 2), date(2026, 3, 14), date(2026, 3, 15)],
    ids=str,
)
def test_an_ordinary_saturday_or_sunday_is_not_a_working_day_nor_a_public_day_off(
    day: date,
) -> None:
    assert day.isoweekday() in (6, 7)
    assert not is_production_working_day(day)
    assert not is_public_day_off(day)


@pytest.mark.parametrize("day", [date(2025, 2, 23), date(2025, 3, 8)], ids=str)
def test_the_2025_holidays_of_23_february_and_8_march_fall_on_a_weekend(day: date) -> None:
    assert day.isoweekday() in (6, 7)
    assert is_public_day_off(day)
    assert not is_production_working_day(day)


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_weekday_days_off_of_the_year_are_exactly_the_official_ones(year: int) -> None:
    found = {d for d in days_of(year) if d.isoweekday() <= 5 and not is_production_working_day(d)}
    assert found == WEEKDAYS_OFF[year]
    assert all(is_public_day_off(d) for d in found)


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_only_working_weekend_days_are_the_decrees_working_saturdays(year: int) -> None:
    found = {d for d in days_of(year) if d.isoweekday() >= 6 and is_production_working_day(d)}
    assert found == WORKING_WEEKENDS[year]


def test_no_saturday_of_2026_is_a_working_day() -> None:
    saturdays = [d for d in days_of(2026) if d.isoweekday() == 6]
    assert len(saturdays) == 52
    assert not any(is_production_working_day(d) for d in saturdays)


@pytest.mark.parametrize("year", [2025, 2026])
def test_no_sunday_is_a_working_day(year: int) -> None:
    assert not any(is_production_working_day(d) for d in days_of(year) if d.isoweekday() == 7)


@pytest.mark.parametrize(("year", "month", "official"), MONTHS, ids=lambda v: str(v))
def test_the_working_days_of_each_month_match_the_official_calendar(
    year: int, month: int, official: int
) -> None:
    in_month = [d for d in days_of(year) if d.month == month]
    assert sum(is_production_working_day(d) for d in in_month) == official
    previous_month_end = date(year, month, 1) - timedelta(days=1)
    assert PRODUCTION.working_days_between(previous_month_end, month_end(year, month)) == official


@pytest.mark.parametrize("year", [2025, 2026])
def test_each_year_has_247_working_days(year: int) -> None:
    assert sum(OFFICIAL_WORKING_DAYS_PER_MONTH[year]) == 247
    assert sum(is_production_working_day(d) for d in days_of(year)) == 247
    assert PRODUCTION.working_days_between(date(year - 1, 12, 31), date(year, 12, 31)) == 247


# --- adding and counting working days -----------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 5, 8), 1, date(2026, 5, 12)),  # 9-11 May off
        (date(2026, 5, 8), 3, date(2026, 5, 14)),
        (date(2026, 4, 30), 1, date(2026, 5, 4)),  # Fri 1 May off
        (date(2025, 4, 30), 1, date(2025, 5, 5)),  # 1-4 May off
        (date(2025, 5, 7), 1, date(2025, 5, 12)),  # 8-11 May off
        (date(2025, 5, 7), 4, date(2025, 5, 15)),
        (date(2025, 12, 30), 1, date(2026, 1, 12)),  # 31 Dec, 1-11 Jan off
        (date(2025, 12, 31), 1, date(2026, 1, 12)),  # from a day off
        (date(2025, 10, 31), 1, date(2025, 11, 1)),  # the working Saturday
        (date(2025, 10, 31), 2, date(2025, 11, 5)),  # 2-4 Nov off
        (date(2026, 11, 27), 1, date(2026, 11, 30)),  # an ordinary weekend
        (date(2026, 11, 28), 1, date(2026, 11, 30)),  # from a Saturday
        (date(2026, 6, 10), 3, date(2026, 6, 16)),  # 12-14 June off
    ],
    ids=lambda v: str(v),
)
def test_add_working_days_skips_weekends_holidays_and_transfers(
    start: date, n: int, expected: date
) -> None:
    assert PRODUCTION.add_working_days(start, n) == expected


@pytest.mark.parametrize(
    "day", [date(2026, 5, 8), date(2026, 5, 9), date(2025, 12, 31), date(2025, 11, 1)], ids=str
)
def test_adding_zero_working_days_returns_the_same_day_even_when_it_is_a_day_off(
    day: date,
) -> None:
    assert PRODUCTION.add_working_days(day, 0) == day


@pytest.mark.parametrize("n", [-1, -3])
def test_adding_a_negative_number_of_working_days_is_refused(n: int) -> None:
    with pytest.raises(ValueError, match="negative"):
        PRODUCTION.add_working_days(date(2026, 5, 8), n)


@pytest.mark.parametrize(
    ("after", "until", "expected"),
    [
        (date(2026, 11, 27), date(2026, 11, 30), 1),  # Fri -> Mon
        (date(2026, 11, 27), date(2026, 11, 28), 0),  # Fri -> Sat: later, no working day
        (date(2026, 11, 26), date(2026, 11, 27), 1),  # the next working day
        (date(2026, 5, 8), date(2026, 5, 11), 0),  # the May long weekend
        (date(2026, 5, 8), date(2026, 5, 12), 1),
        (date(2025, 4, 30), date(2025, 5, 12), 4),  # 5, 6, 7 and 12 May
        (date(2025, 12, 30), date(2026, 1, 11), 0),
        (date(2025, 12, 30), date(2026, 1, 12), 1),
        (date(2025, 10, 31), date(2025, 11, 5), 2),  # 1 Nov (Sat) and 5 Nov
        (date(2026, 11, 27), date(2026, 11, 27), 0),  # the same day
        (date(2026, 11, 30), date(2026, 11, 27), 0),  # until before after
    ],
    ids=lambda v: str(v),
)
def test_working_days_between_counts_the_working_days_after_the_first_up_to_the_second(
    after: date, until: date, expected: int
) -> None:
    assert PRODUCTION.working_days_between(after, until) == expected


years_2025_2026 = st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 11, 30))


@given(start=years_2025_2026, n=st.integers(min_value=1, max_value=30))
def test_adding_n_working_days_lands_on_a_working_day_n_working_days_later(
    start: date, n: int
) -> None:
    end = PRODUCTION.add_working_days(start, n)
    assert end > start
    assert PRODUCTION.is_working_day(end)
    assert PRODUCTION.working_days_between(start, end) == n
    assert PRODUCTION.working_days_between(start, end - timedelta(days=1)) == n - 1


# --- the school's overlay -----------------------------------------------------------------


def test_an_overlay_day_off_makes_a_working_day_not_working() -> None:
    monday = date(2026, 11, 30)
    calendar = WorkingCalendar({monday: DayKind.DAY_OFF})
    assert PRODUCTION.is_working_day(monday)
    assert not calendar.is_working_day(monday)


def test_an_overlay_day_off_shifts_add_working_days() -> None:
    calendar = WorkingCalendar({date(2026, 11, 30): DayKind.DAY_OFF})
    assert PRODUCTION.add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)
    assert calendar.add_working_days(date(2026, 11, 27), 1) == date(2026, 12, 1)
    assert calendar.add_working_days(date(2026, 11, 26), 3) == date(2026, 12, 2)


def test_an_overlay_day_off_is_not_counted_by_working_days_between() -> None:
    calendar = WorkingCalendar({date(2026, 11, 30): DayKind.DAY_OFF})
    assert calendar.working_days_between(date(2026, 11, 27), date(2026, 11, 30)) == 0
    assert calendar.working_days_between(date(2026, 11, 27), date(2026, 12, 1)) == 1


def test_an_overlay_school_day_makes_a_sunday_working() -> None:
    sunday = date(2026, 11, 29)
    calendar = WorkingCalendar({sunday: DayKind.SCHOOL_DAY})
    assert not PRODUCTION.is_working_day(sunday)
    assert calendar.is_working_day(sunday)
    assert calendar.add_working_days(date(2026, 11, 27), 1) == sunday
    assert calendar.working_days_between(date(2026, 11, 27), date(2026, 11, 30)) == 2


def test_an_overlay_school_day_makes_a_public_holiday_working() -> None:
    holiday = date(2026, 11, 4)
    calendar = WorkingCalendar({holiday: DayKind.SCHOOL_DAY})
    assert calendar.is_working_day(holiday)


def test_the_overlay_does_not_change_the_production_calendar() -> None:
    WorkingCalendar({date(2026, 11, 30): DayKind.DAY_OFF}).is_working_day(date(2026, 11, 30))
    assert is_production_working_day(date(2026, 11, 30))
    assert PRODUCTION.is_working_day(date(2026, 11, 30))


# --- the school calendar ------------------------------------------------------------------

AUTUMN = Holiday("autumn", date(2025, 10, 20), date(2025, 10, 29))  # Mon - Wed
WINTER = Holiday("winter", date(2025, 12, 29), date(2026, 1, 11))  # Mon - Sun
SPRING = Holiday("spring", date(2026, 3, 23), date(2026, 3, 31))  # Mon - Tue
HOLIDAYS = (AUTUMN, WINTER, SPRING)


def school(days_per_week: int = 5, overlay: dict[date, DayKind] | None = None) -> SchoolCalendar:
    return SchoolCalendar(
        starts_on=date(2025, 9, 1),
        ends_on=date(2026, 5, 26),
        days_per_week=days_per_week,
        holidays=HOLIDAYS,
        overlay=overlay or {},
    )


@pytest.mark.parametrize("days_per_week", [5, 6])
@pytest.mark.parametrize(
    "day",
    [date(2025, 8, 29), date(2025, 8, 31), date(2026, 5, 27), date(2026, 6, 1), date(2026, 9, 1)],
    ids=str,
)
def test_a_day_outside_the_academic_year_is_not_a_school_day(day: date, days_per_week: int) -> None:
    calendar = school(days_per_week)
    assert not calendar.is_school_day(day)
    reason = calendar.why_not_school_day(day)
    assert reason is not None
    assert "outside the academic year" in reason
    assert str(day) in reason


@pytest.mark.parametrize("days_per_week", [5, 6])
@pytest.mark.parametrize("day", [date(2025, 9, 1), date(2026, 5, 26)], ids=str)
def test_the_first_and_last_days_of_the_academic_year_are_school_days(
    day: date, days_per_week: int
) -> None:
    assert school(days_per_week).is_school_day(day)


@pytest.mark.parametrize("days_per_week", [5, 6])
@pytest.mark.parametrize(
    ("day", "holiday"),
    [
        (AUTUMN.starts_on, AUTUMN),
        (date(2025, 10, 22), AUTUMN),
        (AUTUMN.ends_on, AUTUMN),
        (WINTER.starts_on, WINTER),
        (WINTER.ends_on, WINTER),
        (SPRING.starts_on, SPRING),
        (SPRING.ends_on, SPRING),
    ],
    ids=lambda v: v.name if isinstance(v, Holiday) else str(v),
)
def test_a_day_in_the_school_holidays_is_not_a_school_day(
    day: date, holiday: Holiday, days_per_week: int
) -> None:
    calendar = school(days_per_week)
    assert not calendar.is_school_day(day)
    reason = calendar.why_not_school_day(day)
    assert reason is not None
    assert "school holidays" in reason
    assert holiday.name in reason


@pytest.mark.parametrize("days_per_week", [5, 6])
@pytest.mark.parametrize(
    "day",
    [date(2025, 10, 30), date(2026, 1, 12), date(2026, 4, 1)],  # Thu, Mon, Wed
    ids=str,
)
def test_the_weekday_after_the_school_holidays_is_a_school_day_again(
    day: date, days_per_week: int
) -> None:
    assert day - timedelta(days=1) in (AUTUMN.ends_on, WINTER.ends_on, SPRING.ends_on)
    assert school(days_per_week).is_school_day(day)


@pytest.mark.parametrize(
    ("days_per_week", "day"),
    [
        (5, date(2025, 10, 17)),  # Friday before autumn
        (6, date(2025, 10, 18)),  # Saturday before autumn
        (5, date(2025, 12, 26)),  # Friday before winter
        (6, date(2025, 12, 27)),  # Saturday before winter
        (5, date(2026, 3, 20)),  # Friday before spring
        (6, date(2026, 3, 21)),  # Saturday before spring
    ],
    ids=lambda v: str(v),
)
def test_a_lesson_on_the_last_day_before_the_school_holidays_is_on_a_school_day(
    days_per_week: int, day: date
) -> None:
    assert school(days_per_week).is_school_day(day)


def test_school_holidays_are_working_days_for_teachers() -> None:
    calendar = school()
    for day in (date(2025, 10, 20), date(2025, 10, 29), date(2026, 3, 31)):
        assert not calendar.is_school_day(day)
        assert calendar.working.is_working_day(day)


@pytest.mark.parametrize("days_per_week", [5, 6])
@pytest.mark.parametrize(
    "day",
    [
        date(2025, 11, 4),  # Unity Day, Tuesday
        date(2025, 11, 3),  # transferred from Sat 1 Nov
        date(2026, 2, 23),  # Defender of the Fatherland Day, Monday
        date(2026, 3, 9),  # instead of Sunday 8 Mar
        date(2026, 5, 1),
        date(2026, 5, 11),  # instead of Saturday 9 May
        date(2026, 5, 9),  # Victory Day on a Saturday: not for a 6-day school either
    ],
    ids=str,
)
def test_a_public_holiday_or_transferred_day_off_is_not_a_school_day(
    day: date, days_per_week: int
) -> None:
    calendar = school(days_per_week)
    assert not calendar.is_school_day(day)
    reason = calendar.why_not_school_day(day)
    assert reason is not None
    assert "public holiday" in reason


@pytest.mark.parametrize(("days_per_week", "is_school_day"), [(5, False), (6, True)])
@pytest.mark.parametrize("saturday", [date(2025, 11, 8), date(2026, 2, 7)], ids=str)
def test_an_ordinary_saturday_is_a_school_day_only_for_a_six_day_school(
    saturday: date, days_per_week: int, is_school_day: bool
) -> None:
    assert saturday.isoweekday() == 6
    assert school(days_per_week).is_school_day(saturday) is is_school_day


def test_a_five_day_schools_saturday_is_refused_naming_its_five_day_week() -> None:
    reason = school(5).why_not_school_day(date(2025, 11, 8))
    assert reason is not None
    assert "5-day week" in reason


@pytest.mark.parametrize(("days_per_week", "is_school_day"), [(5, False), (6, True)])
def test_the_decrees_working_saturday_is_a_school_day_only_for_a_six_day_school(
    days_per_week: int, is_school_day: bool
) -> None:
    saturday = date(2025, 11, 1)
    calendar = school(days_per_week)
    assert calendar.working.is_working_day(saturday)
    assert calendar.is_school_day(saturday) is is_school_day


def test_the_decrees_working_saturday_is_a_school_day_for_a_five_day_school_that_adds_it() -> None:
    saturday = date(2025, 11, 1)
    assert school(5, {saturday: DayKind.SCHOOL_DAY}).is_school_day(saturday)


@pytest.mark.parametrize("days_per_week", [5, 6])
@pytest.mark.parametrize(
    "sunday", [date(2025, 9, 7), date(2025, 11, 2), date(2026, 5, 24)], ids=str
)
def test_a_sunday_is_never_a_school_day(sunday: date, days_per_week: int) -> None:
    assert sunday.isoweekday() == 7
    calendar = school(days_per_week)
    assert not calendar.is_school_day(sunday)
    reason = calendar.why_not_school_day(sunday)
    assert reason is not None
    assert f"{days_per_week}-day week" in reason


@pytest.mark.parametrize("days_per_week", [5, 6])
def test_a_sunday_the_overlay_makes_a_school_day_is_a_school_day(days_per_week: int) -> None:
    sunday = date(2025, 11, 2)
    calendar = school(days_per_week, {sunday: DayKind.SCHOOL_DAY})
    assert calendar.is_school_day(sunday)
    assert calendar.why_not_school_day(sunday) is None
    assert calendar.working.is_working_day(sunday)


@pytest.mark.parametrize("days_per_week", [5, 6])
def test_an_overlay_day_off_closes_an_ordinary_school_day(days_per_week: int) -> None:
    wednesday = date(2026, 2, 11)
    assert school(days_per_week).is_school_day(wednesday)
    calendar = school(days_per_week, {wednesday: DayKind.DAY_OFF})
    assert not calendar.is_school_day(wednesday)
    reason = calendar.why_not_school_day(wednesday)
    assert reason is not None
    assert "day off in the school's calendar" in reason
    assert not calendar.working.is_working_day(wednesday)


def test_an_overlay_school_day_does_not_open_a_day_outside_the_academic_year() -> None:
    day = date(2026, 5, 27)
    calendar = school(5, {day: DayKind.SCHOOL_DAY})
    assert not calendar.is_school_day(day)


def test_an_ordinary_weekday_in_term_is_a_school_day_with_no_reason_against_it() -> None:
    calendar = school()
    assert calendar.why_not_school_day(date(2026, 2, 11)) is None
    assert calendar.is_school_day(date(2026, 2, 11))


@pytest.mark.parametrize("days_per_week", [5, 6])
def test_the_school_days_of_a_term_week_follow_the_schools_week(days_per_week: int) -> None:
    monday = date(2026, 2, 9)
    week = [monday + timedelta(days=i) for i in range(7)]
    assert [school(days_per_week).is_school_day(d) for d in week] == [
        i < days_per_week for i in range(7)
    ]
