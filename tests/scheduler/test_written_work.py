"""R-6.1d with written work declared: a lesson held with ``written_work`` needs a written mark
for every student present by its deadline, even when no mark was given at all."""

from __future__ import annotations

from datetime import date

from ejournal.application.commands import GiveMark, HoldLesson, TakeAttendance
from ejournal.domain.lesson import Lesson
from tests.scheduler.conftest import Compliance, make_school

MON, THU, NEXT_MON = date(2026, 11, 23), date(2026, 11, 26), date(2026, 11, 30)


def test_declared_written_work_without_any_mark_flags_every_student_present(
    compliance: Compliance,
) -> None:
    c = compliance
    s = make_school(c.app, students=4)
    marked, absent, first, second = s.students
    c.at(s, MON, 10)
    held = c.app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=2,
                                    topic="Диктант", written_work=True))
    plain = c.app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=3,
                                     topic="Повторение"))
    for lesson in (held.id, plain.id):
        c.app.execute(TakeAttendance(s.teacher, s.journal, lesson, absent=[(absent, None)]))
    stored = c.app.repository.get(held.id)
    assert isinstance(stored, Lesson)
    assert (stored.written_work, stored.has_written_work) == (True, True)
    # An oral mark is no written mark; a test mark on time is.
    c.app.execute(GiveMark(s.teacher, s.journal, held.id, student_id=first, value="5",
                           work="oral"))
    c.at(s, THU, 15)
    c.app.execute(GiveMark(s.teacher, s.journal, held.id, student_id=marked, value="4",
                           work="test"))
    assert [f for f in c.run_on(s, THU, 23).findings if f.rule == "R-6.1d"] == []

    run = c.night_after(s, THU)
    found = sorted((f.slot, str(f.student_id), f.due) for f in run.findings
                   if f.rule == "R-6.1d")
    # The lesson without declared written work and without written marks expects none.
    assert found == sorted([(2, str(first), THU), (2, str(second), THU)])
    assert sorted(str(i.student_id) for i in c.overdue(s, rule="R-6.1d")) == sorted(
        [str(first), str(second)])

    c.at(s, NEXT_MON, 9)
    c.app.execute(GiveMark(s.teacher, s.journal, held.id, student_id=second, value="3",
                           work="written"))
    assert c.night_after(s, NEXT_MON).resolved == 1
    c.at(s, NEXT_MON, 12)
    assert {(f.student_id, f.slot) for f in c.runner.check(s.school, NEXT_MON).findings
            if f.rule == "R-6.1d"} == {(first, 2)}
