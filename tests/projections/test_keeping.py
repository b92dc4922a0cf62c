"""How the projector keeps read models beyond one batch: a failing model stops alone, and tables
that no longer fit the code are rebuilt."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, update

from ejournal.application.commands import (
    CancelMark,
    CorrectMark,
    EnrolStudent,
    GiveMark,
    HoldLesson,
    LinkGuardian,
    RegisterUser,
)
from ejournal.projections.base import create_read_engine, positions, schemas
from ejournal.projections.diary import Diary, read_diary
from ejournal.projections.feed import Feed, items, read_feed
from ejournal.projections.runner import Projector
from tests.builders import build_school
from tests.conftest import Clock
from tests.projections.conftest import Projected

MON = date(2026, 11, 23)
AT = datetime(2026, 11, 23, 12, tzinfo=UTC)


def _second_projector(p: Projected, model: Feed | Diary) -> Projector:
    """Another projector process's view: its own models, its own memory, the same tables."""
    engine = create_read_engine(p.database.settings, writer=True)
    return Projector(p.app, engine, [model])


def test_a_guardian_linked_by_another_projector_gets_the_next_marks(
    projected_factory, clock: Clock
) -> None:
    p = projected_factory(Feed())
    app = p.app
    s = build_school(app, students=2)
    _, kid = s.students  # no guardian yet
    clock.set(AT)
    lesson = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=1,
                                    topic="Дроби")).id
    app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=kid, value="5", work="oral"))
    p.catch_up()  # this projector now remembers kid's recipients: only kid

    other = _second_projector(p, Feed())
    try:
        app.execute(LinkGuardian(s.admin, kid, guardian_id=s.guardian))
        other.catch_up()  # the link is applied by the other projector
        app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=kid, value="4", work="oral"))
        p.catch_up()
    finally:
        other.engine.dispose()

    with p.connect() as conn:
        guardian_values = [i.value for i in read_feed(conn, s.guardian) if i.student_id == kid]
    # Linked after the first mark: the second reaches the guardian, the first does not.
    assert guardian_values == ["4"]


def test_an_enrolment_seen_by_another_projector_reaches_the_diary(
    projected_factory, clock: Clock
) -> None:
    p = projected_factory(Diary())
    app = p.app
    s = build_school(app, students=1)
    clock.set(AT)
    app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=1, topic="Дроби"))
    p.catch_up()  # remembers the class's enrolments: one student

    newcomer = app.execute(RegisterUser(s.operator, s.school, username="new-kid",
                                        full_name="Новенький", role="student")).id
    other = _second_projector(p, Diary())
    try:
        app.execute(EnrolStudent(s.admin, s.school_class, student_id=newcomer, from_date=MON))
        other.catch_up()
        app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=2, topic="Проценты"))
        p.catch_up()
    finally:
        other.engine.dispose()

    with p.connect() as conn:
        days = read_diary(conn, newcomer, MON, MON)
    assert [lesson.topic for day in days for lesson in day.lessons] == ["Дроби", "Проценты"]


def test_a_failing_read_model_stops_itself_and_the_others_go_on(
        projected_factory, clock: Clock, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    p = projected_factory(Feed(), Diary())
    app = p.app
    s = build_school(app, students=1)
    (kid,) = s.students
    clock.set(AT)
    lesson = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=1,
                                    topic="Дроби")).id
    app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=kid, value="5", work="oral"))
    p.catch_up()
    before = {st.name: st.position for st in p.projector.statuses()}
    app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=kid, value="4", work="oral"))
    feed = p.projector.models[0]

    def broken(*_: object) -> None:
        raise RuntimeError("the disk went away")

    # when the feed's handler fails on the new mark
    monkeypatch.setattr(feed, "mark_given", broken)
    p.projector.run_batch()
    # then the feed stays where it was, with its error logged and shown; the diary goes on
    statuses = {st.name: st for st in p.projector.statuses()}
    assert statuses["feed"].position == before["feed"]
    assert statuses["feed"].error == "RuntimeError: the disk went away"
    assert statuses["diary"].position == statuses["diary"].head
    assert statuses["diary"].error is None
    assert "read model feed failed at position" in caplog.text
    with p.connect() as conn:
        assert [i.value for i in read_feed(conn, s.guardian)] == ["5"]
        (day,) = read_diary(conn, kid, MON, MON)
        assert [m["value"] for m in day.lessons[0].marks] == ["5", "4"]
    # and the failed model waits (a later batch leaves it alone) ...
    p.projector.run_batch()
    assert p.projector.statuses()[0].position == before["feed"]
    # ... until it is set up again with the handler mended: it catches up from where it stopped
    monkeypatch.undo()
    p.projector.setup()
    p.catch_up()
    assert p.projector.statuses()[0].error is None
    with p.connect() as conn:
        assert [i.value for i in read_feed(conn, s.guardian)] == ["4", "5"]


def test_tables_that_no_longer_fit_the_code_are_rebuilt_from_the_log(
    projected_factory, clock: Clock
) -> None:
    p = projected_factory(Feed())
    app = p.app
    s = build_school(app, students=1)
    (kid,) = s.students
    clock.set(AT)
    lesson = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=1,
                                    topic="Дроби")).id
    app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=kid, value="5", work="oral"))
    p.catch_up()
    head = p.projector.head()
    # As if an older release had made the tables: another fingerprint, and a stray row.
    with p.engine.begin() as conn:
        conn.execute(update(schemas).where(schemas.c.name == "feed")
                     .values(fingerprint="older"))
        conn.execute(items.delete())

    p.projector.setup()
    with p.connect() as conn:
        assert conn.scalar(select(positions.c.position)
                           .where(positions.c.name == "feed")) == 0
        assert conn.scalar(select(schemas.c.fingerprint)
                           .where(schemas.c.name == "feed")) == Feed.fingerprint()
    p.catch_up()
    with p.connect() as conn:
        assert [i.value for i in read_feed(conn, s.guardian)] == ["5"]
        assert conn.scalar(select(func.count()).select_from(items)) == 2  # kid and guardian
    assert p.projector.position() == head

    # Unchanged tables are left alone by the next start.
    p.projector.setup()
    assert p.projector.position() == head


def test_tables_made_before_fingerprints_were_recorded_are_rebuilt(
    projected_factory, clock: Clock
) -> None:
    p = projected_factory(Feed())
    s = build_school(p.app, students=1)
    p.catch_up()
    with p.engine.begin() as conn:
        conn.execute(schemas.delete())
    p.projector.setup()
    assert p.projector.position() == 0
    p.catch_up()
    assert p.projector.position() == p.projector.head()
    with p.connect() as conn:
        assert read_feed(conn, s.guardian) == []


def test_corrections_of_marks_a_projector_does_not_remember_read_them_from_its_tables(
    projected_factory, clock: Clock
) -> None:
    p = projected_factory(Feed())
    app = p.app
    s = build_school(app, students=1)
    (kid,) = s.students
    clock.set(AT)
    lesson = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=1,
                                    topic="Дроби")).id
    oral = app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=kid, value="5",
                                work="oral")).id
    written = app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=kid, value="3",
                                   work="written")).id
    p.catch_up()

    fresh = _second_projector(p, Feed())  # remembers nothing
    try:
        app.execute(CorrectMark(s.teacher, s.journal, oral, value="4", reason="пересчёт"))
        app.execute(CancelMark(s.teacher, s.journal, written, reason="не та работа"))
        fresh.catch_up()
    finally:
        fresh.engine.dispose()

    with p.connect() as conn:
        feed = read_feed(conn, s.guardian)
    assert [(i.kind, i.subject, i.value, i.work, i.reason) for i in feed[:2]] == [
        ("mark_cancelled", "Математика", "3", "written", "не та работа"),
        ("mark_corrected", "Математика", "4", "oral", "пересчёт"),
    ]
