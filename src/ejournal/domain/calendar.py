"""Working days and school days.

* A **working day** follows the Russian production calendar: Monday to Friday, less public
  holidays and the government's transferred days off, plus its working Saturdays (taken from
  ``holidays``, which carries the transfers). School holidays (каникулы) are working days for
  teachers. The school's own overlay can add days off (closures) or working days.
* A **school day** (a lesson may be held) is inside the academic year, not in каникулы, not a
  public holiday or transferred day off, a day of the school's 5- or 6-day week - a decree's
  working Saturday is not a school day for a 5-day school - with the school's overlay on top.

Everything here is pure: no clock, no I/O beyond the ``holidays`` tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum
from functools import lru_cache
from typing import Any
from uuid import UUID

import holidays


class DayKind(Enum):
    """What the school's overlay says of a date."""

    DAY_OFF = "day_off"  # an extra day off or an emergency closure
    SCHOOL_DAY = "school_day"  # an extra working (and school) day


@lru_cache(maxsize=64)
def _production_calendar(year: int) -> Any:
    return holidays.country_holidays("RU", years=year)


@lru_cache(maxsize=64)
def _working_days_before(year: int) -> tuple[int, ...]:
    """counts[k]: working days of the production calendar among the first k days of the year."""
    calendar = _production_calendar(year)
    first = date(year, 1, 1)
    counts = [0]
    for offset in range((date(year + 1, 1, 1) - first).days):
        counts.append(counts[-1] + bool(calendar.is_working_day(first + timedelta(offset))))
    return tuple(counts)


def is_production_working_day(day: date) -> bool:
    """The Russian production calendar alone, with holiday transfers and working Saturdays."""
    counts = _working_days_before(day.year)
    k = day.timetuple().tm_yday
    return counts[k] > counts[k - 1]


def _production_count(after: date, until: date) -> int:
    """Production-calendar working days in (after, until], for after <= until."""
    if after.year == until.year:
        counts = _working_days_before(after.year)
        return counts[until.timetuple().tm_yday] - counts[after.timetuple().tm_yday]
    first = _working_days_before(after.year)
    total = first[-1] - first[after.timetuple().tm_yday]
    for year in range(after.year + 1, until.year):
        total += _working_days_before(year)[-1]
    return total + _working_days_before(until.year)[until.timetuple().tm_yday]


def is_public_day_off(day: date) -> bool:
    """A public holiday or a government's transferred day off (not a plain weekend)."""
    return day in _production_calendar(day.year)


class _Days:
    """A run of days, both ends included."""

    starts_on: date
    ends_on: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class Holiday(_Days):
    """School holidays (каникулы): working days for teachers, no lessons."""

    name: str
    starts_on: date
    ends_on: date


class PeriodKind(Enum):
    """A term (четверть, триместр, полугодие) or the year itself (отметка за год)."""

    TERM = "term"
    YEAR = "year"


@dataclass(frozen=True)
class Period(_Days):
    """A reporting period of an academic year; period marks are given for it (R-6.2). Terms
    never overlap one another; the one ``year`` period may span them."""

    id: UUID
    name: str
    starts_on: date
    ends_on: date
    kind: PeriodKind = PeriodKind.TERM


@dataclass(frozen=True)
class WorkingCalendar:
    """The production calendar with one school's overlay on top; for R-6.1d in a 6-day school,
    also its Saturdays that are school days (``saturdays``: that school's year)."""

    overlay: Mapping[date, DayKind] = field(default_factory=dict)
    saturdays: SchoolCalendar | None = None

    def is_working_day(self, day: date) -> bool:
        kind = self.overlay.get(day)
        if kind is DayKind.DAY_OFF:
            return False
        if kind is DayKind.SCHOOL_DAY:
            return True
        return is_production_working_day(day) or self._school_saturday(day)

    def _school_saturday(self, day: date) -> bool:
        return (self.saturdays is not None and day.isoweekday() == 6
                and self.saturdays.is_school_day(day))

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after ``day`` (``day`` itself does not count)."""
        if n < 0:
            raise ValueError("n must not be negative")
        current = day
        remaining = n
        while remaining:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, after: date, until: date) -> int:
        """How many working days lie in (after, until]; 0 when ``until`` is not later."""
        if until <= after:
            return 0
        count = _production_count(after, until)
        for day, kind in self.overlay.items():
            if after < day <= until:
                count += (kind is DayKind.SCHOOL_DAY) - is_production_working_day(day)
        if self.saturdays is not None:
            first = max(after + timedelta(days=1), self.saturdays.starts_on)
            saturday = first + timedelta(days=(6 - first.isoweekday()) % 7)
            while saturday <= min(until, self.saturdays.ends_on):
                if saturday not in self.overlay and not is_production_working_day(saturday):
                    count += self._school_saturday(saturday)
                saturday += timedelta(days=7)
        return count


@dataclass(frozen=True)
class SchoolCalendar:
    """One school's academic year as it decides whether a lesson may be held on a date."""

    starts_on: date
    ends_on: date
    days_per_week: int
    holidays: tuple[Holiday, ...] = ()
    overlay: Mapping[date, DayKind] = field(default_factory=dict)

    @property
    def working(self) -> WorkingCalendar:
        return WorkingCalendar(self.overlay)

    @property
    def written_work(self) -> WorkingCalendar:
        """The working days R-6.1d counts: in a 6-day school its Saturdays that are school
        days are the teacher's working days too (docs/scheduler.md, "Six-day schools")."""
        if self.days_per_week < 6:
            return self.working
        return WorkingCalendar(self.overlay, saturdays=self)

    def why_not_school_day(self, day: date) -> str | None:
        """None when ``day`` is a school day, else the reason it is not."""
        kind = self.overlay.get(day)
        if not self.starts_on <= day <= self.ends_on:
            return (
                f"{day} is outside the academic year {self.starts_on} - {self.ends_on}"
            )
        if kind is DayKind.DAY_OFF:
            return f"{day} is a day off in the school's calendar"
        if kind is DayKind.SCHOOL_DAY:
            return None
        for holiday in self.holidays:
            if day in holiday:
                return f"{day} is in the school holidays ({holiday.name})"
        if is_public_day_off(day):
            return f"{day} is a public holiday or a transferred day off"
        if day.isoweekday() > self.days_per_week:
            return f"{day} is not a day of the school's {self.days_per_week}-day week"
        return None

    def is_school_day(self, day: date) -> bool:
        return self.why_not_school_day(day) is None
