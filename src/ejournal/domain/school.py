"""A school (its time zone, subjects and calendar overlay) and its academic years."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ejournal.domain.base import JournalAggregate, SchemaV2
from ejournal.domain.calendar import DayKind, Holiday, Period, PeriodKind, SchoolCalendar
from ejournal.domain.errors import (
    AlreadyExists,
    InvalidEntry,
    InvalidStructure,
    NotFound,
    PeriodClosedAlready,
    PeriodIsClosed,
    PeriodNotClosed,
    ReasonRequired,
)
from ejournal.domain.values import Work, name_key, text
from ejournal.domain.values import name as valid_name

#: The weights a kind of work may have in a weighted average.
MIN_WEIGHT, MAX_WEIGHT = 1, 10


def _name(raw: Any, field: str = "name") -> str:
    return valid_name(raw, field)


def valid_timezone(raw: Any) -> str:
    if not isinstance(raw, str) or not raw or raw != raw.strip():
        raise InvalidEntry("timezone must be an IANA name such as Asia/Novosibirsk",
                           field="timezone")
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidEntry(f"unknown IANA timezone {raw!r}", field="timezone") from None
    return raw


class School(JournalAggregate):
    """A school: name, IANA time zone, subjects, and its overlay on the production calendar."""

    class Registered(JournalAggregate.Created):
        name: str
        timezone: str
        by: UUID

    class SubjectAdded(JournalAggregate.Event):
        subject_id: UUID
        name: str
        by: UUID

        def apply(self, aggregate: School) -> None:
            aggregate.subjects[self.subject_id] = self.name

    class CalendarDayDeclared(SchemaV2, JournalAggregate.Event):
        """The school's overlay: a day off (closure) or an extra school/working day."""

        day: date
        kind: DayKind
        reason: str
        by: UUID

        def apply(self, aggregate: School) -> None:
            aggregate.overlay[self.day] = self.kind

    class WorkWeightsSet(JournalAggregate.Event):
        """The weight of each kind of work in a weighted average, from now on (1..10)."""

        oral: int
        written: int
        practical: int
        test: int
        homework: int
        by: UUID

        def apply(self, aggregate: School) -> None:
            aggregate.work_weights = {Work.ORAL: self.oral, Work.WRITTEN: self.written,
                                      Work.PRACTICAL: self.practical, Work.TEST: self.test,
                                      Work.HOMEWORK: self.homework}

    class StaffMfaRequirementSet(JournalAggregate.Event):
        """Whether the school's staff must sign in with a second factor (R-4.8, R-7.3)."""

        required: bool
        by: UUID

        def apply(self, aggregate: School) -> None:
            aggregate.staff_mfa_required = self.required

    def __init__(self, name: str, timezone: str, by: UUID) -> None:
        self.name = name
        self.timezone = timezone
        self.registered_by = by
        self.subjects: dict[UUID, str] = {}
        self.overlay: dict[date, DayKind] = {}
        #: Every kind of work weighs 1 until the school sets weights.
        self.work_weights: dict[Work, int] = dict.fromkeys(Work, 1)
        self.staff_mfa_required = False

    @classmethod
    def register(cls, *, school_id: UUID, name: Any, timezone: Any, by: UUID,
                 at: datetime) -> School:
        return cls._start(cls.Registered, id=school_id, at=at, name=_name(name),
                          timezone=valid_timezone(timezone), by=by)

    def add_subject(self, *, subject_id: UUID, name: Any, by: UUID, at: datetime) -> None:
        clean = _name(name)
        if any(name_key(existing) == name_key(clean) for existing in self.subjects.values()):
            raise AlreadyExists(f"the school already has a subject named {clean!r}", field="name")
        self._record(self.SubjectAdded, at=at, subject_id=subject_id, name=clean, by=by)

    def set_work_weights(self, weights: dict[str, Any], *, by: UUID, at: datetime) -> None:
        """``weights``: by kind of work (``Work`` values), each a whole number 1..10; a kind
        left out weighs 1."""
        chosen: dict[str, int] = {}
        for work in Work:
            raw = weights.get(work.value, 1)
            if (isinstance(raw, bool) or not isinstance(raw, int)
                    or not MIN_WEIGHT <= raw <= MAX_WEIGHT):
                raise InvalidEntry(f"a weight is a whole number {MIN_WEIGHT}..{MAX_WEIGHT}",
                                   field=work.value)
            chosen[work.value] = raw
        unknown = sorted(set(weights) - set(chosen))
        if unknown:
            raise InvalidEntry(f"no kind of work {unknown[0]!r}", field=unknown[0])
        self._record(self.WorkWeightsSet, at=at, by=by, **chosen)

    def require_staff_mfa(self, required: bool, *, by: UUID, at: datetime) -> None:
        self._record(self.StaffMfaRequirementSet, at=at, required=required, by=by)

    def ensure_subject(self, subject_id: UUID) -> None:
        if subject_id not in self.subjects:
            raise NotFound(f"no subject {subject_id} in this school", field="subject_id")

    def declare_calendar_day(self, *, day: date, kind: Any, reason: Any, by: UUID,
                             at: datetime) -> None:
        try:
            day_kind = kind if isinstance(kind, DayKind) else DayKind(kind)
        except ValueError:
            raise InvalidEntry("kind is one of day_off, school_day", field="kind") from None
        why = text(reason, "reason", required=True)
        self._record(self.CalendarDayDeclared, at=at, day=day, kind=day_kind,
                     reason=why, by=by)


PeriodRow = tuple[UUID, Any, date, date] | tuple[UUID, Any, date, date, Any]


def _periods(periods: list[PeriodRow], starts_on: date,
             ends_on: date) -> list[Period]:
    """(id, name, first day, last day[, kind]) as the year's periods, sorted by start: terms
    never overlap one another; at most one ``year`` period, which may span them (R-6.2). An
    error names the index as sent."""
    rows: list[tuple[int, Period]] = []
    names: set[str] = set()
    years = 0
    for index, (pid, pname, p_start, p_end, *more) in enumerate(periods):
        where = f"periods[{index}]"
        raw_kind = more[0] if more else PeriodKind.TERM
        clean = _name(pname, f"{where}.name")
        if name_key(clean) in names:
            raise InvalidStructure(f"two periods are named {clean!r}", field=where)
        names.add(name_key(clean))
        try:
            kind = raw_kind if isinstance(raw_kind, PeriodKind) else PeriodKind(raw_kind)
        except ValueError:
            raise InvalidStructure("kind is one of term, year", field=f"{where}.kind") from None
        if kind is PeriodKind.YEAR:
            years += 1
            if years > 1:
                raise InvalidStructure("a year has at most one period of kind year",
                                       field=f"{where}.kind")
        if p_end < p_start:
            raise InvalidStructure(f"period {clean!r} ends before it starts", field=where)
        if p_start < starts_on or p_end > ends_on:
            raise InvalidStructure(f"period {clean!r} lies outside the year", field=where)
        rows.append((index, Period(pid, clean, p_start, p_end, kind)))
    terms = sorted((row for row in rows if row[1].kind is PeriodKind.TERM),
                   key=lambda row: row[1].starts_on)
    for (_, before), (index, period) in itertools.pairwise(terms):
        if period.starts_on <= before.ends_on:
            raise InvalidStructure(f"period {period.name!r} overlaps {before.name!r}",
                                   field=f"periods[{index}]")
    return sorted((period for _, period in rows), key=lambda p: p.starts_on)


class AcademicYear(JournalAggregate):
    """A school's year: its dates, reporting periods, каникулы and 5- or 6-day week."""

    class Planned(SchemaV2, JournalAggregate.Created):
        school_id: UUID
        name: str
        starts_on: date
        ends_on: date
        days_per_week: int
        periods: list[Period]  # sorted by start; terms do not overlap
        holidays: list[Holiday]
        by: UUID

    class PeriodClosed(JournalAggregate.Event):
        """R-3.4b: the period's marks are in; its dates take no entry until it is reopened."""

        period_id: UUID
        by: UUID

        def apply(self, aggregate: AcademicYear) -> None:
            aggregate.closed.add(self.period_id)

    class PeriodReopened(JournalAggregate.Event):
        """R-3.4b: the period takes entries again, for the reason given."""

        period_id: UUID
        reason: str
        by: UUID

        def apply(self, aggregate: AcademicYear) -> None:
            aggregate.closed.discard(self.period_id)

    def __init__(self, school_id: UUID, name: str, starts_on: date, ends_on: date,
                 days_per_week: int, periods: list[Period], holidays: list[Holiday],
                 by: UUID) -> None:
        self.school_id = school_id
        self.name = name
        self.starts_on = starts_on
        self.ends_on = ends_on
        self.days_per_week = days_per_week
        self.periods: dict[UUID, Period] = {p.id: p for p in periods}
        self.holidays = tuple(holidays)
        #: The periods closed now (R-3.4b).
        self.closed: set[UUID] = set()

    @classmethod
    def plan(cls, *, year_id: UUID, school_id: UUID, name: Any, starts_on: date,
             ends_on: date, days_per_week: Any,
             periods: list[PeriodRow],
             holidays: list[tuple[Any, date, date]], by: UUID, at: datetime) -> AcademicYear:
        clean_name = _name(name)
        if ends_on <= starts_on:
            raise InvalidStructure("the year must end after it starts", field="ends_on")
        if (ends_on - starts_on).days > 366:
            raise InvalidStructure("an academic year spans at most one year", field="ends_on")
        if isinstance(days_per_week, bool) or days_per_week not in (5, 6) or not isinstance(
            days_per_week, int
        ):
            raise InvalidStructure("days_per_week is 5 or 6", field="days_per_week")
        if not periods:
            raise InvalidStructure("a year has at least one period", field="periods")
        period_rows = _periods(periods, starts_on, ends_on)
        holiday_rows = []
        for index, (hname, h_start, h_end) in enumerate(holidays):
            where = f"holidays[{index}]"
            clean = _name(hname, f"{where}.name")
            if h_end < h_start:
                raise InvalidStructure(f"holidays {clean!r} end before they start", field=where)
            if h_start < starts_on or h_end > ends_on:
                raise InvalidStructure(f"holidays {clean!r} lie outside the year", field=where)
            holiday_rows.append(Holiday(clean, h_start, h_end))
        return cls._start(cls.Planned, id=year_id, at=at, school_id=school_id, name=clean_name,
                          starts_on=starts_on, ends_on=ends_on, days_per_week=days_per_week,
                          periods=period_rows, holidays=holiday_rows, by=by)

    def calendar(self, school: School) -> SchoolCalendar:
        return SchoolCalendar(
            starts_on=self.starts_on,
            ends_on=self.ends_on,
            days_per_week=self.days_per_week,
            holidays=self.holidays,
            overlay=dict(school.overlay),
        )

    def period(self, period_id: UUID) -> Period:
        try:
            return self.periods[period_id]
        except KeyError:
            raise NotFound(f"no period {period_id} in year {self.name!r}",
                           field="period_id") from None

    def close_period(self, *, period_id: UUID, by: UUID, at: datetime) -> None:
        period = self.period(period_id)
        if period_id in self.closed:
            raise PeriodClosedAlready(f"period {period.name!r} is closed already")
        self._record(self.PeriodClosed, at=at, period_id=period_id, by=by)

    def reopen_period(self, *, period_id: UUID, reason: Any, by: UUID, at: datetime) -> None:
        period = self.period(period_id)
        why = text(reason, "reason")
        if not why:
            raise ReasonRequired("reopening a closed period says why", rule="R-3.4b")
        if period_id not in self.closed:
            raise PeriodNotClosed(f"period {period.name!r} is not closed")
        self._record(self.PeriodReopened, at=at, period_id=period_id, reason=why, by=by)

    def closed_on(self, day: date) -> Period | None:
        """A closed period whose dates hold ``day`` (None: every period of that day is open)."""
        for period_id in sorted(self.closed):
            period = self.periods[period_id]
            if period.starts_on <= day <= period.ends_on:
                return period
        return None

    def ensure_open(self, day: date, what: str) -> None:
        """R-3.4b: no entry, correction or period mark on a closed period's dates."""
        period = self.closed_on(day)
        if period is not None:
            raise PeriodIsClosed(f"period {period.name!r} ({period.starts_on}..{period.ends_on})"
                                 f" is closed: {what} on {day} is refused until the admin "
                                 "reopens it")
