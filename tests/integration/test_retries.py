"""A write conflict re-runs the whole command, a bounded number of times."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from eventsourcing.persistence import RecordConflictError

from ejournal.application import retries
from ejournal.application.commands import GiveMark, HoldLesson
from ejournal.domain.errors import ConcurrentWriteConflict
from tests.builders import build_school
from tests.conftest import Clock, Database


def test_a_conflicting_save_is_retried_from_a_fresh_load_then_succeeds(
    database: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = database.app(clock)
    s = build_school(app)
    clock.set(datetime(2026, 11, 23, 9, tzinfo=UTC))
    lesson = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=date(2026, 11, 23), slot=1,
                                    topic="Т"))
    assert lesson.id is not None
    real_save = app.save
    calls: list[int] = []

    def flaky_save(*objs: Any, **kwargs: Any) -> Any:
        calls.append(len(objs))
        if len(calls) <= 2:
            # As if another writer had appended to the same lesson first.
            raise RecordConflictError("simulated: the lesson moved on")
        return real_save(*objs, **kwargs)

    monkeypatch.setattr(app, "save", flaky_save)
    monkeypatch.setattr(retries, "RETRY_JITTER", 0.0)
    written = app.execute(GiveMark(s.teacher, s.journal, lesson.id, student_id=s.students[0],
                                   value="4", work="oral"))
    assert len(calls) == 3
    stored = app.repository.get(lesson.id)
    assert [m.value for m in stored.current_marks(s.students[0])] == ["4"]
    assert written.id in stored.marks
    app.close()


def test_a_conflict_that_never_clears_surfaces_as_a_named_error_and_writes_nothing(
    database: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = database.app(clock)
    s = build_school(app)
    clock.set(datetime(2026, 11, 23, 9, tzinfo=UTC))
    lesson = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=date(2026, 11, 23), slot=1,
                                    topic="Т"))
    assert lesson.id is not None
    before = app.recorder.max_notification_id()
    attempts: list[int] = []

    def always_conflicts(*objs: Any, **kwargs: Any) -> Any:
        attempts.append(1)
        raise RecordConflictError("simulated")

    monkeypatch.setattr(app, "save", always_conflicts)
    monkeypatch.setattr(retries, "RETRY_JITTER", 0.0)
    with pytest.raises(ConcurrentWriteConflict):
        app.execute(GiveMark(s.teacher, s.journal, lesson.id, student_id=s.students[0], value="4",
                             work="oral"))
    assert len(attempts) == retries.MAX_ATTEMPTS
    assert app.recorder.max_notification_id() == before
    app.close()
