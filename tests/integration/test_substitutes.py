"""Substitutes (R-4.4): a substitute corrects or cancels only the entries they made; the
journal's teacher and the admin correct any; a substitute still completes, late and flagged,
the lessons they held after their window has ended."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ejournal.application import EJournal
from ejournal.application.commands import (
    AppointSubstitute,
    CancelAbsence,
    CancelMark,
    CorrectMark,
    CorrectPeriodMark,
    GiveMark,
    GivePeriodMark,
    HoldLesson,
    TakeAttendance,
)
from ejournal.domain.errors import NotOwnEntry
from tests.builders import build_school
from tests.conftest import Clock

MON, TUE = date(2026, 11, 23), date(2026, 11, 24)
LATER = datetime(2026, 12, 2, 9, tzinfo=UTC)  # Wednesday 2 December, after the window


def test_a_substitute_changes_only_their_own_entries(app: EJournal, clock: Clock) -> None:
    s = build_school(app, students=2)
    kid, other_kid = s.students
    sub, teacher = s.other_teacher, s.teacher
    app.execute(AppointSubstitute(s.admin, s.journal, teacher_id=sub, from_date=MON,
                                  to_date=TUE))
    clock.set(datetime(2026, 11, 23, 9, tzinfo=UTC))
    monday = app.execute(HoldLesson(teacher, s.journal, lesson_date=MON, slot=1, topic="Дроби")).id
    app.execute(TakeAttendance(teacher, s.journal, monday, absent=[(other_kid, "illness")]))
    theirs = app.execute(GiveMark(teacher, s.journal, monday, student_id=kid, value="4",
                                  work="oral")).id
    clock.set(datetime(2026, 11, 24, 9, tzinfo=UTC))
    tuesday = app.execute(HoldLesson(sub, s.journal, lesson_date=TUE, slot=1,
                                     topic="Проценты")).id
    own = app.execute(GiveMark(sub, s.journal, tuesday, student_id=kid, value="3",
                               work="oral")).id
    own_period = app.execute(GivePeriodMark(sub, s.journal, student_id=other_kid,
                                            period_id=s.periods["II четверть"], value="4")).id
    given_period = app.execute(GivePeriodMark(teacher, s.journal, student_id=kid,
                                              period_id=s.periods["II четверть"], value="5")).id

    # Inside the window: not the regular teacher's entries (R-4.4, 403), but their own.
    refusals = [CorrectMark(sub, s.journal, theirs, value="5", reason="пересдача"),
                CancelMark(sub, s.journal, theirs, reason="ошибка"),
                CancelAbsence(sub, s.journal, monday, student_id=other_kid, reason="пришёл"),
                CorrectPeriodMark(sub, s.journal, given_period, value="4", reason="ошибка")]
    before = app.recorder.max_notification_id()
    for command in refusals:
        with pytest.raises(NotOwnEntry) as refused:
            app.execute(command)
        assert refused.value.rule == "R-4.4"
    assert app.recorder.max_notification_id() == before
    app.execute(CorrectMark(sub, s.journal, own, value="4", reason="пересчитал"))
    app.execute(CorrectPeriodMark(sub, s.journal, own_period, value="5", reason="ошибка"))

    # After the window (2 December): the substitute still completes the lesson they held,
    # late and flagged; the journal's teacher and the admin change any entry.
    clock.set(LATER)
    taken = app.execute(TakeAttendance(sub, s.journal, tuesday, absent=[]))
    assert taken.late is not None
    assert (taken.late.rule, taken.late.due) == ("R-4.6", TUE)
    late_mark = app.execute(GiveMark(sub, s.journal, tuesday, student_id=other_kid, value="5",
                                     work="oral"))
    assert late_mark.late is not None
    assert late_mark.late.rule == "R-4.6"
    with pytest.raises(NotOwnEntry):
        app.execute(CorrectMark(sub, s.journal, theirs, value="5", reason="пересдача"))
    app.execute(CorrectMark(teacher, s.journal, own, value="5", reason="проверил"))
    app.execute(CancelMark(s.admin, s.journal, late_mark.id, reason="не тот ученик"))
    app.execute(CancelAbsence(teacher, s.journal, monday, student_id=other_kid,
                              reason="пришёл ко второму уроку"))
