"""Deadlines at the calendar's edges: the May holidays, the last day before каникулы, a 6-day
school's Saturday, and a school in UTC+7 whose day ends hours before Moscow's."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from ejournal.application.commands import GiveMark, HoldLesson, TakeAttendance
from ejournal.scheduler.service import ComplianceScheduler, job_id
from tests.scheduler.conftest import Compliance, local, make_school


def _written_work(c: Compliance, s, day: date, hour: int = 10) -> None:
    """A lesson on ``day`` with written work marked for the first student only."""
    c.at(s, day, hour)
    held = c.app.execute(HoldLesson(s.teacher, s.journal, lesson_date=day, slot=1, topic="Диктант"))
    assert held.id is not None
    c.app.execute(TakeAttendance(s.teacher, s.journal, held.id, absent=[]))
    c.app.execute(GiveMark(s.teacher, s.journal, held.id, student_id=s.students[0], value="5",
                           work="written"))


def _written(run) -> list[tuple[date, date]]:
    return [(f.business_date, f.due) for f in run.findings if f.rule == "R-6.1d"]


def test_written_work_on_friday_8_may_2026_is_due_after_the_may_holidays(
    compliance: Compliance,
) -> None:
    c = compliance
    # 9 May 2026 is a Saturday; its day off moves to Monday 11 May (production calendar).
    s = make_school(c.app, starts_on=date(2026, 4, 1), ends_on=date(2026, 5, 29), students=2)
    friday = date(2026, 5, 8)
    _written_work(c, s, friday)
    # Working days after Friday: Tue 12, Wed 13, Thu 14 May. Nothing is due before that ends.
    for day in (date(2026, 5, 11), date(2026, 5, 12), date(2026, 5, 13)):
        assert _written(c.night_after(s, day)) == []
    assert _written(c.run_on(s, date(2026, 5, 14), 23, 50)) == []
    run = c.night_after(s, date(2026, 5, 14))
    assert _written(run) == [(friday, date(2026, 5, 14))]
    (finding,) = [f for f in run.findings if f.rule == "R-6.1d"]
    assert finding.student_id == s.students[1]


def test_a_lesson_on_the_last_day_before_kanikuly(compliance: Compliance) -> None:
    c = compliance
    friday, kanikuly = date(2026, 10, 23), (date(2026, 10, 26), date(2026, 11, 4))
    s = make_school(c.app, starts_on=friday, students=2,
                    holidays=[("осенние каникулы", *kanikuly)],
                    timetable=[(1, 1), (5, 1), (5, 2)])  # Mondays; Fridays, slots 1 and 2
    _written_work(c, s, friday)  # slot 1 held, with written work; slot 2 never held
    run = c.night_after(s, friday)
    assert [(f.rule, f.business_date, f.slot) for f in run.findings] == [
        ("R-4.5", friday, 2)]
    # Каникулы are not school days: their Mondays expect no lesson ...
    run = c.night_after(s, date(2026, 10, 26))
    assert [f for f in run.findings if f.rule == "R-4.5"] == []
    # ... but they are working days for teachers: the written work is due Wednesday 28.10,
    # inside the holidays, not after them.
    assert _written(c.night_after(s, date(2026, 10, 27))) == []
    assert _written(c.run_on(s, date(2026, 10, 28), 23, 0)) == []
    assert _written(c.night_after(s, date(2026, 10, 28))) == [(friday, date(2026, 10, 28))]
    # After them (4.11 is a public holiday too), lessons are expected again.
    run = c.night_after(s, date(2026, 11, 9))
    assert [(f.rule, f.business_date, f.slot) for f in run.findings] == [
        ("R-4.5", date(2026, 11, 6), 1), ("R-4.5", date(2026, 11, 6), 2),
        ("R-4.5", date(2026, 11, 9), 1)]


def test_a_six_day_schools_saturday_lesson_is_expected_and_flagged_after_saturday(
    compliance: Compliance,
) -> None:
    c = compliance
    saturday = date(2026, 11, 28)
    six = make_school(c.app, days_per_week=6, timetable=[(6, 1)], students=2)
    assert c.run_on(six, saturday, 23, 59).findings == []
    run = c.night_after(six, saturday)
    assert [(f.rule, f.business_date, f.slot) for f in run.findings] == [
        ("R-4.5", saturday, 1)]
    # Written work on a Saturday is due three working days on: Mon, Tue, Wed.
    _written_work(c, six, date(2026, 12, 5))
    assert _written(c.run_on(six, date(2026, 12, 9), 23)) == []
    assert _written(c.night_after(six, date(2026, 12, 9))) == [
        (date(2026, 12, 5), date(2026, 12, 9))]


def test_a_school_in_utc_plus_7_is_checked_hours_before_one_in_moscow(
    compliance: Compliance,
) -> None:
    c = compliance
    monday = date(2026, 11, 23)
    novosibirsk = make_school(c.app, timezone="Asia/Novosibirsk", timetable=[(1, 1)])
    moscow = make_school(c.app, timezone="Europe/Moscow", timetable=[(1, 1)])
    # 18:00 UTC on Monday: Tuesday 01:00 in Novosibirsk, still Monday 21:00 in Moscow.
    c.clock.set(datetime(2026, 11, 23, 18, tzinfo=UTC))
    runs = {r.school_id: r for r in c.runner.run_all()}
    assert [(f.rule, f.business_date) for f in runs[novosibirsk.school].findings] == [
        ("R-4.5", monday)]
    assert runs[moscow.school].findings == []
    # 21:00 UTC: midnight in Moscow.
    c.clock.set(datetime(2026, 11, 23, 21, tzinfo=UTC))
    runs = {r.school_id: r for r in c.runner.run_all()}
    assert [(f.rule, f.business_date) for f in runs[moscow.school].findings] == [
        ("R-4.5", monday)]
    assert runs[novosibirsk.school].findings == []

    # The nightly jobs fire at the configured time in each school's own zone.
    scheduler = ComplianceScheduler(c.database.settings.model_copy(
        update={"scheduler_run_at": time(0, 30)}), runner=c.runner)
    assert set(scheduler.discover()) >= {novosibirsk.school, moscow.school}
    after = datetime(2026, 11, 24, 12, tzinfo=UTC)
    fires = {s.school: scheduler.scheduler.get_job(job_id(s.school)).trigger
             .get_next_fire_time(None, after) for s in (novosibirsk, moscow)}
    assert fires[novosibirsk.school] == local(novosibirsk.timezone, date(2026, 11, 25), 0, 30)
    assert fires[moscow.school] == local(moscow.timezone, date(2026, 11, 25), 0, 30)
    assert fires[moscow.school] - fires[novosibirsk.school] == timedelta(hours=4)
