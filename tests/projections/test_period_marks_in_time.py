"""Period marks out of time (R-6.2): one before its period has begun is refused, naming the
rule, and writes nothing; a correction after the period's last day is accepted, flagged late,
and listed in the late-entry audit as ``period_mark_correction``; one before it is not."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ejournal.application.commands import CorrectPeriodMark, GivePeriodMark
from ejournal.domain.errors import PeriodNotBegun
from ejournal.projections.timeliness import Timeliness, read_late_entries
from tests.builders import build_school
from tests.conftest import Clock


def test_a_period_mark_before_its_period_begins_is_refused(projected_factory,
                                                             clock: Clock) -> None:
    p = projected_factory(Timeliness())
    s = build_school(p.app, students=1)
    (kid,) = s.students
    clock.set(datetime(2026, 11, 25, 9, tzinfo=UTC))  # in II четверть; III begins 12.01.2027
    before = p.app.recorder.max_notification_id()
    with pytest.raises(PeriodNotBegun) as refused:
        p.app.execute(GivePeriodMark(s.teacher, s.journal, student_id=kid,
                                     period_id=s.periods["III четверть"], value="5"))
    assert (refused.value.rule, refused.value.field) == ("R-6.2", "period_id")
    assert "2027-01-12" in str(refused.value)
    assert p.app.recorder.max_notification_id() == before
    # The period under way takes one (early, on time).
    given = p.app.execute(GivePeriodMark(s.teacher, s.journal, student_id=kid,
                                         period_id=s.periods["II четверть"], value="5"))
    assert given.late is None


def test_a_correction_after_the_periods_end_is_listed_as_late(projected_factory,
                                                               clock: Clock) -> None:
    p = projected_factory(Timeliness())
    s = build_school(p.app, students=2)
    early, on_time = s.students
    second = s.periods["II четверть"]  # 5.11 - 28.12.2026
    clock.set(datetime(2026, 12, 20, 9, tzinfo=UTC))
    marks = [p.app.execute(GivePeriodMark(s.teacher, s.journal, student_id=kid,
                                          period_id=second, value="4")).id for kid in s.students]
    clock.set(datetime(2026, 12, 28, 9, tzinfo=UTC))  # the last day: on time
    p.app.execute(CorrectPeriodMark(s.teacher, s.journal, marks[1], value="5",
                                    reason="пересдача"))
    corrected_at = datetime(2027, 1, 13, 9, tzinfo=UTC)  # after зимние каникулы
    clock.set(corrected_at)
    p.app.execute(CorrectPeriodMark(s.teacher, s.journal, marks[0], value="3",
                                    reason="ошибка в ведомости"))
    p.catch_up()
    with p.connect() as conn:
        listed = read_late_entries(conn, s.school)
    assert [(e.entry, e.rule, e.student_id, e.business_date, e.due, e.recorded_at,
             e.recorded_on, e.by, e.days) for e in listed] == [
        ("period_mark_correction", "R-6.2", early, date(2026, 12, 28), date(2026, 12, 28),
         corrected_at, date(2027, 1, 13), s.teacher, 16)]
    assert listed[0].working_days > 0
    assert on_time not in {e.student_id for e in listed}
