"""R-6.1d: a finding is answered only by an entry that still stands. A cancelled mark resolves
nothing; cancelling the mark that answered a finding opens it again; ``/overdue`` (the findings
read model) and ``ejournal check`` (the checks over the journal as it stands) always agree."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from ejournal.application.commands import (
    CancelAbsence,
    CancelMark,
    GiveMark,
    HoldLesson,
    TakeAttendance,
)
from ejournal.domain.findings import Finding, MissingEntry
from tests.builders import SmallSchool
from tests.scheduler.conftest import FOUND, RESOLVED, Compliance, make_school

MON, TUE, THU, FRI = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 26), date(2026, 11, 27)
NEXT_MON, NEXT_TUE, NEXT_WED = date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)
REOPENED = "ejournal.domain.findings:MissingEntry.Reopened"

Key = tuple[str, date, int | None, UUID | None]


def _written_lesson(c: Compliance, s: SmallSchool, marked: list[UUID]) -> tuple[UUID, list[UUID]]:
    """Monday's written work (slot 1), attendance taken, a written mark for each of ``marked``
    on the day; the lesson's id and the marks' ids."""
    c.at(s, MON, 10)
    lesson = c.app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=1,
                                      topic="Контрольная работа"))
    c.app.execute(TakeAttendance(s.teacher, s.journal, lesson.id, absent=[]))
    marks = [c.app.execute(GiveMark(s.teacher, s.journal, lesson.id, student_id=kid, value="4",
                                    work="written")).id for kid in marked]
    return lesson.id, marks


def _open_on_overdue(c: Compliance, s: SmallSchool) -> set[Key]:
    return {(i.rule, i.business_date, i.slot, i.student_id) for i in c.overdue(s)
            if i.resolved_at is None}


def _listed_by_check(c: Compliance, s: SmallSchool, as_of: date) -> set[Key]:
    run = c.runner.check(s.school, as_of)
    return {(f.rule, f.business_date, f.slot, f.student_id) for f in run.findings}


def test_a_mark_cancelled_before_the_deadline_resolves_nothing(compliance: Compliance) -> None:
    c = compliance
    s = make_school(c.app)
    kept, cancelled, never = s.students
    _, (_, mark) = _written_lesson(c, s, [kept, cancelled])
    c.at(s, TUE, 9)
    c.app.execute(CancelMark(s.teacher, s.journal, mark, reason="не та работа"))

    run = c.night_after(s, THU)  # the deadline (Thursday) has passed
    assert {f.student_id for f in run.findings if f.rule == "R-6.1d"} == {cancelled, never}
    items = {i.student_id: i for i in c.overdue(s, rule="R-6.1d")}
    assert sorted(items, key=str) == sorted([cancelled, never], key=str)
    assert (items[cancelled].resolved_at, items[cancelled].resolved_by) == (None, None)
    assert c.logged(RESOLVED) == {}
    c.at(s, FRI, 12)
    assert _open_on_overdue(c, s) == _listed_by_check(c, s, FRI) == {
        ("R-6.1d", MON, 1, cancelled), ("R-6.1d", MON, 1, never)}


def test_cancelling_the_mark_that_answered_a_finding_reopens_it(compliance: Compliance) -> None:
    c = compliance
    s = make_school(c.app)
    kept, late, _ = s.students
    lesson, _ = _written_lesson(c, s, [kept])
    c.night_after(s, THU)
    (finding,) = [i for i in c.overdue(s, rule="R-6.1d") if i.student_id == late]

    # The late mark resolves it ...
    first = c.at(s, NEXT_MON, 10)
    answer = c.app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=late, value="3",
                                    work="written")).id
    assert c.night_after(s, NEXT_MON).resolved == 1
    (item,) = [i for i in c.overdue(s, rule="R-6.1d") if i.student_id == late]
    assert item.resolved_at == first

    # ... and cancelling it opens it again at once, with no run in between.
    c.at(s, NEXT_TUE, 10)
    c.app.execute(CancelMark(s.teacher, s.journal, answer, reason="ошибка"))
    (item,) = [i for i in c.overdue(s, rule="R-6.1d") if i.student_id == late]
    assert (item.finding_id, item.resolved_at, item.resolved_by) == (finding.finding_id, None,
                                                                     None)
    assert list(c.logged(REOPENED).values()) == [1]
    reopened = c.finding(finding.finding_id)
    assert (reopened.resolved, reopened.entered_at) == (False, None)
    assert ("R-6.1d", MON, 1, late) in _open_on_overdue(c, s)
    assert _open_on_overdue(c, s) == _listed_by_check(c, s, NEXT_TUE)
    c.night_after(s, NEXT_TUE)
    (item,) = [i for i in c.overdue(s, rule="R-6.1d") if i.student_id == late]
    assert item.resolved_at is None  # the withdrawn mark does not resolve it again

    # A new late mark resolves it once more, with its own recording time.
    second = c.at(s, NEXT_WED, 11)
    c.app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=late, value="4",
                           work="written"))
    assert c.night_after(s, NEXT_WED).resolved == 1
    (item,) = [i for i in c.overdue(s, rule="R-6.1d") if i.student_id == late]
    assert item.resolved_at == second
    assert c.logged(RESOLVED)[finding.finding_id] == 2
    assert c.logged(FOUND)[finding.finding_id] == 1


def test_a_mark_on_time_cancelled_after_the_deadline_is_found_missing_then(
    compliance: Compliance,
) -> None:
    c = compliance
    s = make_school(c.app)
    kept, cancelled, other = s.students
    _, (_, mark, _) = _written_lesson(c, s, [kept, cancelled, other])
    assert [f for f in c.night_after(s, THU).findings if f.rule == "R-6.1d"] == []

    c.at(s, FRI, 9)
    c.app.execute(CancelMark(s.teacher, s.journal, mark, reason="списано"))
    (item,) = c.overdue(s, rule="R-6.1d")
    assert (item.student_id, item.due, item.resolved_at, item.teacher_id) == (
        cancelled, THU, None, s.teacher)
    assert _open_on_overdue(c, s) == _listed_by_check(c, s, FRI) == {
        ("R-6.1d", MON, 1, cancelled)}
    assert list(c.logged(FOUND).values()) == [1]  # check found it recorded already


def test_an_absence_cancelled_after_the_deadline_is_found_missing_then(
    compliance: Compliance,
) -> None:
    c = compliance
    s = make_school(c.app)
    marked, absent, other = s.students
    c.at(s, MON, 10)
    lesson = c.app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=2,
                                      topic="Диктант", written_work=True)).id
    c.app.execute(TakeAttendance(s.teacher, s.journal, lesson, absent=[(absent, None)]))
    for kid in (marked, other):
        c.app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=kid, value="5",
                               work="written"))
    assert [f for f in c.night_after(s, THU).findings if f.rule == "R-6.1d"] == []

    c.at(s, FRI, 9)
    c.app.execute(CancelAbsence(s.teacher, s.journal, lesson, student_id=absent,
                                reason="был на уроке"))
    (item,) = c.overdue(s, rule="R-6.1d")
    assert (item.student_id, item.slot, item.due, item.resolved_at) == (absent, 2, THU, None)
    assert _open_on_overdue(c, s) == _listed_by_check(c, s, FRI) == {
        ("R-6.1d", MON, 2, absent)}


def test_an_absence_recorded_late_answers_the_finding_and_its_cancellation_reopens_it(
    compliance: Compliance,
) -> None:
    c = compliance
    s = make_school(c.app)
    marked, away, unmarked = s.students
    c.at(s, MON, 10)
    lesson = c.app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=1,
                                      topic="Контрольная", written_work=True)).id
    c.app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=marked, value="4",
                           work="test"))
    c.night_after(s, THU)  # no attendance was taken: everyone counts as present
    assert {i.student_id for i in c.overdue(s, rule="R-6.1d")} == {away, unmarked}

    # Attendance taken late: the absent student needed no written mark.
    entered = c.at(s, FRI, 9)
    c.app.execute(TakeAttendance(s.teacher, s.journal, lesson, absent=[(away, "illness")]))
    assert c.night_after(s, FRI).resolved == 2  # and the absent student's R-6.1d
    answered = {i.student_id: i.resolved_at for i in c.overdue(s, rule="R-6.1d")}
    assert answered == {away: entered, unmarked: None}
    c.at(s, FRI, 12)
    assert _open_on_overdue(c, s) == _listed_by_check(c, s, FRI) == {
        ("R-6.1d", MON, 1, unmarked)}

    # The absence cancelled: missing again.
    c.at(s, NEXT_MON, 9)
    c.app.execute(CancelAbsence(s.teacher, s.journal, lesson, student_id=away,
                                reason="ошибка: был на уроке"))
    assert _open_on_overdue(c, s) == _listed_by_check(c, s, NEXT_MON) == {
        ("R-6.1d", MON, 1, unmarked), ("R-6.1d", MON, 1, away)}
    assert list(c.logged(REOPENED).values()) == [1]


def test_a_second_written_mark_still_stands_and_nothing_reopens(compliance: Compliance) -> None:
    c = compliance
    s = make_school(c.app)
    kid = s.students[0]
    lesson, (mark,) = _written_lesson(c, s, [kid])
    c.app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=kid, value="5", work="test"))
    c.night_after(s, THU)
    c.at(s, FRI, 9)
    c.app.execute(CancelMark(s.teacher, s.journal, mark, reason="две отметки"))
    assert kid not in {i.student_id for i in c.overdue(s, rule="R-6.1d")}
    assert c.logged(REOPENED) == {}


def test_an_answer_older_than_the_reopening_does_not_resolve_it() -> None:
    at = datetime.fromisoformat("2026-11-30T10:00:00+00:00")
    who = UUID(int=1)
    finding = MissingEntry.find(Finding(
        rule="R-6.1d", school_id=who, journal_id=who, business_date=MON, due=THU,
        teacher_id=who, slot=1, student_id=who), at=at)
    answered = datetime.fromisoformat("2026-11-30T11:00:00+00:00")
    finding.resolve(entered_at=answered, entered_by=who, at=answered)
    withdrawn = datetime.fromisoformat("2026-12-01T09:00:00+00:00")
    finding.reopen(entry_id=UUID(int=2), withdrawn_by=who, at=withdrawn)
    assert (finding.resolved, finding.answers(answered)) == (False, False)
    assert finding.answers(datetime.fromisoformat("2026-12-01T09:30:00+00:00"))
    replayed = None
    for event in finding.collect_events():
        replayed = event.mutate(replayed)
    assert isinstance(replayed, MissingEntry)
    assert vars(replayed) == vars(finding)
