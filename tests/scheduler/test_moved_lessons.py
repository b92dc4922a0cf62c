"""Moved lessons (перестановки, R-4.5): a journal's day is complete when it holds as many
lessons that date as the timetable expected of it, whatever their slots."""

from __future__ import annotations

from datetime import date

from ejournal.application.commands import HoldLesson
from tests.scheduler.conftest import RESOLVED, Compliance, make_school

MON, TUE, WED = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)


def test_a_lesson_held_in_another_slot_than_the_timetables_completes_the_day(
    compliance: Compliance,
) -> None:
    c = compliance
    s = make_school(c.app, timetable=[(1, 2), (2, 2), (2, 4)])  # Mon: 2; Tue: 2 and 4
    c.at(s, MON, 10)
    c.app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=3, topic="Дроби"))
    c.at(s, TUE, 10)
    c.app.execute(HoldLesson(s.teacher, s.journal, lesson_date=TUE, slot=1, topic="Проценты"))
    run = c.night_after(s, TUE)
    # Monday is complete; Tuesday holds one lesson of two: the slot left over is flagged.
    assert [(f.business_date, f.slot) for f in run.findings if f.rule == "R-4.5"] == [(TUE, 4)]
    assert [(i.business_date, i.slot, i.resolved_at) for i in c.overdue(s, rule="R-4.5")] == [
        (TUE, 4, None)]

    # The missing lesson recorded late, in yet another slot, resolves the finding.
    entered = c.at(s, WED, 9)
    late = c.app.execute(HoldLesson(s.teacher, s.journal, lesson_date=TUE, slot=6,
                                    topic="Проценты, продолжение"))
    assert late.late is not None
    assert c.night_after(s, WED).resolved == 1
    assert [(i.slot, i.resolved_at, i.resolved_by) for i in c.overdue(s, rule="R-4.5")] == [
        (4, entered, s.teacher)]
    assert sum(c.logged(RESOLVED).values()) == 1
    c.at(s, WED, 12)
    assert [f for f in c.runner.check(s.school, WED).findings if f.rule == "R-4.5"] == []


def test_each_lesson_counts_once_and_the_earliest_slot_is_answered_first(
    compliance: Compliance,
) -> None:
    c = compliance
    s = make_school(c.app, timetable=[(1, 1), (1, 3), (1, 5)])
    c.at(s, MON, 10)
    for slot in (3, 7):  # slot 3 as timetabled; slot 7 instead of slot 1
        c.app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=slot,
                                 topic=f"Урок {slot}"))
    run = c.night_after(s, MON)
    assert [(f.business_date, f.slot) for f in run.findings if f.rule == "R-4.5"] == [(MON, 5)]
