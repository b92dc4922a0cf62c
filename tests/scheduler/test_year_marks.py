"""R-6.2 names quarter, half-year and year: terms never overlap one another, one ``year``
period may span them; a year mark is a period mark for it, checked at the year period's end
beside the term that ends the same day. An error about a period names its index as sent."""

from __future__ import annotations

from datetime import date

import pytest

from ejournal.application.commands import GivePeriodMark, PlanYear
from ejournal.domain.calendar import Period, PeriodKind
from ejournal.domain.errors import InvalidStructure
from ejournal.domain.school import AcademicYear
from ejournal.domain.transcodings import PeriodAsDict
from tests.builders import build_school
from tests.scheduler.conftest import FOUND, RESOLVED, Compliance, make_school

START, END = date(2026, 11, 23), date(2026, 12, 4)  # a short year: two weekly terms
FIRST, SECOND = (START, date(2026, 11, 27)), (date(2026, 11, 30), END)
NEXT_MON = date(2026, 12, 7)


def test_quarters_and_a_year_period_are_planned_and_a_year_mark_is_given(
    compliance: Compliance,
) -> None:
    c = compliance
    s = build_school(c.app, periods=[
        ("I четверть", date(2026, 9, 1), date(2026, 10, 25), "term"),
        ("II четверть", date(2026, 11, 5), date(2026, 12, 28), "term"),
        ("Год", date(2026, 9, 1), date(2027, 5, 31), "year"),
        ("III четверть", date(2027, 1, 12), date(2027, 3, 21), "term"),
        ("IV четверть", date(2027, 3, 30), date(2027, 5, 31), "term")])
    # Read back from the store: the kinds are kept, terms and the year alike.
    year = c.app.repository.get(s.year)
    assert isinstance(year, AcademicYear)
    kinds = {p.name: p.kind for p in year.periods.values()}
    assert kinds == {"I четверть": PeriodKind.TERM, "II четверть": PeriodKind.TERM,
                     "III четверть": PeriodKind.TERM, "IV четверть": PeriodKind.TERM,
                     "Год": PeriodKind.YEAR}
    c.at(s, date(2027, 5, 31), 10)
    given = c.app.execute(GivePeriodMark(s.teacher, s.journal, student_id=s.students[0],
                                         period_id=s.periods["Год"], value="5"))
    assert given.late is None
    quarter = c.app.execute(GivePeriodMark(s.teacher, s.journal, student_id=s.students[0],
                                           period_id=s.periods["IV четверть"], value="4"))
    assert quarter.id != given.id


@pytest.mark.parametrize(("periods", "field", "why"), [
    # Sent second-first: the error names the index as sent, not after sorting.
    ([("II", date(2026, 10, 20), date(2026, 12, 28), "term"),
      ("I", date(2026, 9, 1), date(2026, 10, 25), "term")], "periods[0]", "overlaps"),
    ([("I", date(2026, 9, 1), date(2026, 12, 28), "term"),
      ("Год", date(2026, 9, 1), date(2027, 5, 31), "year"),
      ("Ещё год", date(2027, 1, 1), date(2027, 5, 31), "year")], "periods[2].kind",
     "at most one"),
    ([("I", date(2026, 9, 1), date(2026, 12, 28), "season")], "periods[0].kind", "term, year"),
], ids=["terms overlap", "two years", "unknown kind"])
def test_terms_never_overlap_and_a_year_has_one_year_period(
    compliance: Compliance, periods: list[tuple[str, date, date, str]], field: str, why: str,
) -> None:
    c = compliance
    s = make_school(c.app)
    with pytest.raises(InvalidStructure, match=why) as refused:
        c.app.execute(PlanYear(s.admin, s.school, name="2026/2027", starts_on=date(2026, 9, 1),
                               ends_on=date(2027, 5, 31), days_per_week=5, periods=periods))
    assert refused.value.field == field


def test_a_missing_year_mark_is_found_at_the_years_end_beside_the_terms(
    compliance: Compliance,
) -> None:
    c = compliance
    s = make_school(c.app, starts_on=START, ends_on=END, periods=[
        ("I", *FIRST), ("II", *SECOND), ("Год", START, END, "year")])
    marked, late, _ = s.students
    year_period, second = s.periods["Год"], s.periods["II"]
    c.at(s, END, 12)
    for period in (year_period, second):
        c.app.execute(GivePeriodMark(s.teacher, s.journal, student_id=marked,
                                     period_id=period, value="5"))
    run = c.night_after(s, END)
    missing = sorted((f.period_id == year_period, str(f.student_id)) for f in run.findings
                     if f.rule == "R-6.2" and f.business_date == END)
    others = sorted(str(k) for k in s.students if k != marked)
    assert missing == [(False, k) for k in others] + [(True, k) for k in others]
    assert len({f.id for f in run.findings}) == len(run.findings)
    c.night_after(s, END)
    assert set(c.logged(FOUND).values()) == {1}

    entered = c.at(s, NEXT_MON, 9)
    year_mark = c.app.execute(GivePeriodMark(s.teacher, s.journal, student_id=late,
                                             period_id=year_period, value="4"))
    assert year_mark.late is not None
    assert (year_mark.late.rule, year_mark.late.due) == ("R-6.2", END)
    assert c.night_after(s, NEXT_MON).resolved == 1
    resolved = [(i.student_id, i.resolved_at) for i in c.overdue(s, rule="R-6.2")
                if i.resolved_at is not None]
    assert resolved == [(late, entered)]
    assert sum(c.logged(RESOLVED).values()) == 1


def test_a_period_stored_before_kinds_reads_as_a_term() -> None:
    old = {"id": "5d9ee7d599495a7d8283e0d5f4317693", "name": "I четверть",
           "starts_on": "2026-09-01", "ends_on": "2026-10-25"}
    period = PeriodAsDict().decode(old)
    assert isinstance(period, Period)
    assert period.kind is PeriodKind.TERM
    year = Period(period.id, "Год", date(2026, 9, 1), date(2027, 5, 31), PeriodKind.YEAR)
    assert PeriodAsDict().decode(PeriodAsDict().encode(year)) == year
