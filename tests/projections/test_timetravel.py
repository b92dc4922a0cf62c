"""The journal grid as of a moment: what the journal showed before and after a correction."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ejournal.application.commands import (
    CancelAbsence,
    CorrectMark,
    GiveMark,
    HoldLesson,
    TakeAttendance,
)
from ejournal.projections.grid import Grid, read_grid
from ejournal.projections.timetravel import grid_as_of
from tests.builders import build_school
from tests.conftest import Clock

MON = date(2026, 11, 23)
NOV = (date(2026, 11, 1), date(2026, 11, 30))


def test_the_grid_before_a_correction_shows_the_old_value_and_after_it_the_new(
    projected_factory, clock: Clock
) -> None:
    p = projected_factory(Grid())
    app = p.app
    clock.set(datetime(2026, 11, 2, 9, tzinfo=UTC))
    s = build_school(app, students=2)
    kid, other = s.students
    clock.set(datetime(2026, 11, 23, 9, tzinfo=UTC))
    lesson = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=1,
                                    topic="Дроби")).id
    assert lesson is not None
    mark = app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=kid, value="3",
                                work="oral")).id
    assert mark is not None
    app.execute(TakeAttendance(s.teacher, s.journal, lesson, absent=[(other, "illness")]))
    before = datetime(2026, 11, 23, 15, tzinfo=UTC)
    clock.set(datetime(2026, 11, 24, 9, tzinfo=UTC))
    app.execute(CorrectMark(s.teacher, s.journal, mark, value="5", reason="апелляция"))
    app.execute(CancelAbsence(s.teacher, s.journal, lesson, student_id=other, reason="была"))
    p.catch_up()

    def cells(view: object) -> dict[str, object]:
        return {st.full_name: st.cells for st in view.students}  # type: ignore[attr-defined]

    then = grid_as_of(app, p.reader, s.journal, *NOV, as_of=before)
    assert [lesson_col.topic for lesson_col in then.lessons] == ["Дроби"]
    assert cells(then) == {"Ученик 0": {lesson: ["3"]}, "Ученик 1": {lesson: ["Н"]}}
    after = grid_as_of(app, p.reader, s.journal, *NOV,
                       as_of=datetime(2026, 11, 24, 12, tzinfo=UTC))
    assert cells(after) == {"Ученик 0": {lesson: ["5"]}, "Ученик 1": {}}
    # As of now, the replay equals the kept read model.
    with p.connect() as conn:
        assert after == read_grid(conn, s.journal, *NOV)
    # Before the lesson was recorded, the journal had no column for it.
    empty = grid_as_of(app, p.reader, s.journal, *NOV,
                       as_of=datetime(2026, 11, 20, tzinfo=UTC))
    assert empty.lessons == []
