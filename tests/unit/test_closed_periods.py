"""Closed periods in the domain (R-3.4b): a date is closed while any closed period holds it -
a term, or the year period that spans the terms - and open again once each is reopened."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from ejournal.domain.errors import (
    PeriodClosedAlready,
    PeriodIsClosed,
    PeriodNotClosed,
    ReasonRequired,
)
from ejournal.domain.school import AcademicYear

AT = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
TERM1, TERM2, YEAR = uuid4(), uuid4(), uuid4()


def _year() -> AcademicYear:
    return AcademicYear.plan(
        year_id=uuid4(), school_id=uuid4(), name="2026/2027", starts_on=date(2026, 9, 1),
        ends_on=date(2027, 5, 31), days_per_week=5,
        periods=[(TERM1, "1 полугодие", date(2026, 9, 1), date(2026, 12, 28), "term"),
                 (TERM2, "2 полугодие", date(2027, 1, 11), date(2027, 5, 31), "term"),
                 (YEAR, "Год", date(2026, 9, 1), date(2027, 5, 31), "year")],
        holidays=[], by=uuid4(), at=AT)


def test_a_closed_term_closes_its_dates_and_no_others() -> None:
    year, admin = _year(), uuid4()
    year.close_period(period_id=TERM1, by=admin, at=AT)
    with pytest.raises(PeriodIsClosed, match=r"'1 полугодие'.*a mark on 2026-12-28") as refused:
        year.ensure_open(date(2026, 12, 28), "a mark")
    assert refused.value.rule == "R-3.4b"
    year.ensure_open(date(2027, 1, 11), "a mark")  # the second term
    year.ensure_open(date(2027, 5, 31), "a period mark")  # the year mark's day
    with pytest.raises(PeriodClosedAlready):
        year.close_period(period_id=TERM1, by=admin, at=AT)


def test_the_closed_year_period_closes_every_term_within_it_until_reopened() -> None:
    year, admin = _year(), uuid4()
    year.close_period(period_id=YEAR, by=admin, at=AT)
    for day in (date(2026, 9, 1), date(2027, 1, 11), date(2027, 5, 31)):
        with pytest.raises(PeriodIsClosed, match="'Год'"):
            year.ensure_open(day, "an entry")
    with pytest.raises(ReasonRequired) as no_reason:
        year.reopen_period(period_id=YEAR, reason="  ", by=admin, at=AT)
    assert (no_reason.value.rule, no_reason.value.field) == ("R-3.4b", "reason")
    with pytest.raises(PeriodNotClosed):
        year.reopen_period(period_id=TERM2, reason="пересдача", by=admin, at=AT)
    year.reopen_period(period_id=YEAR, reason="пересдача", by=admin, at=AT)
    year.ensure_open(date(2027, 1, 11), "an entry")
    # Replayed from its events, the year is where it was.
    events = year.collect_events()
    replayed = None
    for event in events:
        replayed = event.mutate(replayed)
    assert isinstance(replayed, AcademicYear)
    assert replayed.closed == set()
    assert [type(e).__name__ for e in events] == ["Planned", "PeriodClosed", "PeriodReopened"]
