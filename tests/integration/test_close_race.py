"""A journal entry racing the close of its period (R-3.4b), on SQLite and PostgreSQL: the entry
has checked that its date's period is open, and the admin closes the period - in another
application, as another process would - before the entry is saved. The entry must not be
recorded after the close: its save is a write conflict, it runs again and is refused.

The two are ordered with events, not sleeps: the writer is held between its check and its save
until the close has committed."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from ejournal.application import EJournal
from ejournal.application.commands import (
    ClosePeriod,
    GiveMark,
    GivePeriodMark,
    HoldLesson,
    ReopenPeriod,
)
from ejournal.application.results import Result
from ejournal.domain.errors import PeriodIsClosed
from ejournal.domain.lesson import Lesson
from tests.builders import SmallSchool, build_school
from tests.conftest import Clock, Database

pytestmark = pytest.mark.storage

Q1_DAY = date(2026, 10, 20)
NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)


def _held_before_saving(app: EJournal) -> tuple[threading.Event, threading.Event]:
    """``app``'s next save waits, once it is called (``decided`` set), until ``go`` is set."""
    decided, go = threading.Event(), threading.Event()
    save = app.save

    def paused(*objs: Any, **kwargs: Any) -> Any:
        if not decided.is_set():
            decided.set()
            assert go.wait(timeout=60)
        return save(*objs, **kwargs)

    app.save = paused  # type: ignore[method-assign]
    return decided, go


def _race(database: Database, s: SmallSchool, write: Callable[[EJournal], Result]
          ) -> tuple[BaseException | Result, int]:
    """Runs ``write`` in a writer application of its own, closes the first quarter from
    another once the writer has decided, lets the writer save; answers what the writer got and
    the close's log position."""
    writer, closer = database.app(Clock(NOW)), database.app(Clock(NOW))
    try:
        decided, go = _held_before_saving(writer)
        outcome: list[BaseException | Result] = []

        def run() -> None:
            try:
                outcome.append(write(writer))
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                outcome.append(exc)
            finally:
                decided.set()

        thread = threading.Thread(target=run)
        thread.start()
        assert decided.wait(timeout=60)
        closed = closer.execute(ClosePeriod(s.admin, s.school, s.year,
                                            s.periods["I четверть"]))
        go.set()
        thread.join(timeout=60)
        assert not thread.is_alive()
        assert closed.position is not None
        return outcome[0], closed.position
    finally:
        writer.close()
        closer.close()


def _after(app: EJournal, position: int) -> list[Any]:
    return list(app.recorder.select_notifications(position + 1, 1000))


def test_a_mark_checked_before_the_close_is_not_recorded_after_it(
    database: Database, clock: Clock
) -> None:
    app = database.app(clock)
    s = build_school(app)
    clock.set(NOW)
    lesson = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=Q1_DAY, slot=1,
                                    topic="Дроби")).id
    assert lesson is not None
    # When a mark on the quarter's date races its close
    got, closed_at = _race(database, s, lambda w: w.execute(GiveMark(
        s.teacher, s.journal, lesson, student_id=s.students[0], value="5", work="oral")))
    # Then the mark is refused with R-3.4b, and nothing follows the close in the log
    assert isinstance(got, PeriodIsClosed), got
    assert got.rule == "R-3.4b"
    assert "I четверть" in str(got)
    assert _after(app, closed_at) == []
    fresh = database.app(clock)
    try:
        held = fresh.repository.get(lesson)
        assert isinstance(held, Lesson)
        assert held.marks == {}
    finally:
        fresh.close()
    app.close()


def test_a_period_mark_and_a_new_lesson_racing_the_close_are_refused(
    database: Database, clock: Clock
) -> None:
    app = database.app(clock)
    s = build_school(app)
    clock.set(NOW)
    quarter = s.periods["I четверть"]
    got, closed_at = _race(database, s, lambda w: w.execute(GivePeriodMark(
        s.teacher, s.journal, student_id=s.students[1], period_id=quarter, value="4")))
    assert isinstance(got, PeriodIsClosed), got
    assert _after(app, closed_at) == []
    # (the quarter is closed now: reopen it for the second race)
    app.execute(ReopenPeriod(s.admin, s.school, s.year, quarter, reason="вторая гонка"))
    got, closed_at = _race(database, s, lambda w: w.execute(HoldLesson(
        s.teacher, s.journal, lesson_date=Q1_DAY, slot=2, topic="Т")))
    assert isinstance(got, PeriodIsClosed), got
    assert _after(app, closed_at) == []
    app.close()


def test_an_entry_on_an_open_period_racing_the_close_is_recorded(
    database: Database, clock: Clock
) -> None:
    """The year changed under the entry, but its date stays open: it runs again and stands."""
    app = database.app(clock)
    s = build_school(app)
    clock.set(NOW)
    q2_day = date(2026, 11, 20)
    lesson = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=q2_day, slot=1,
                                    topic="Т")).id
    assert lesson is not None
    got, closed_at = _race(database, s, lambda w: w.execute(GiveMark(
        s.teacher, s.journal, lesson, student_id=s.students[0], value="4", work="oral")))
    assert not isinstance(got, BaseException), got
    assert got.position is not None
    assert got.position > closed_at
    app.close()


def test_a_stale_guard_writes_nothing_and_a_current_one_writes(
    database: Database, clock: Clock
) -> None:
    """The recorders' own contract, under the group commit's joint insert too: the events are
    written only while every guarded aggregate is still at the version given."""
    app = database.app(clock)
    s = build_school(app)
    year = app.repository.get(s.year)
    stale, current = {s.year: year.version - 1}, {s.year: year.version}

    def stored() -> list[StoredEvent]:
        return [StoredEvent(originator_id=uuid4(), originator_version=1, topic="t:T",
                            state=b"{}") for _ in range(2)]

    refused = stored()
    with pytest.raises(IntegrityError, match=str(s.year)):
        app.recorder.insert_events(refused, guards=stale)
    assert all(app.recorder.select_events(e.originator_id) == [] for e in refused)
    taken = stored()
    app.recorder.insert_events(taken, guards=current)
    assert all(len(app.recorder.select_events(e.originator_id)) == 1 for e in taken)
    app.close()
