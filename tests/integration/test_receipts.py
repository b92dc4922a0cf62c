"""Idempotency receipts over a real database: a replay answers the first request's typed result
and writes nothing, and a receipt stored under the first schema's topic still reads."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.application import Application

from ejournal.application.commands import GiveMark, HoldLesson, PlanYear
from ejournal.application.idempotency import CommandReceipt
from ejournal.application.results import LessonHeld, MarkGiven, YearPlanned, replayed_from
from ejournal.domain.errors import IdempotencyKeyReused
from tests.builders import build_school
from tests.conftest import Clock, Database

FIXTURES = Path(__file__).parent.parent / "fixtures"
MONDAY = date(2026, 11, 23)


def test_a_replay_answers_the_same_typed_result_and_writes_nothing(
        database: Database, clock: Clock) -> None:
    app = database.app(clock)
    s = build_school(app)
    clock.set(datetime(2026, 11, 23, 9, tzinfo=UTC))
    lesson = app.execute(HoldLesson(s.teacher, s.journal, MONDAY, 1, "Дроби"))
    give = GiveMark(s.teacher, s.journal, lesson.id, s.students[0], value="4", work="oral")
    first = app.execute(give, idempotency_key="mark-1")
    head = app.store.head()
    again = app.execute(give, idempotency_key="mark-1")
    assert isinstance(again, MarkGiven)
    assert (again.id, again.late, again.replayed) == (first.id, first.late, True)
    assert not first.replayed
    assert app.store.head() == head == again.position
    with pytest.raises(IdempotencyKeyReused):
        app.execute(GiveMark(s.teacher, s.journal, lesson.id, s.students[0], value="4",
                             work="oral", comment="у доски"), idempotency_key="mark-1")
    year = PlanYear(s.admin, s.school, "2027/2028", date(2027, 9, 1), date(2028, 5, 31), 5,
                    periods=[("I полугодие", date(2027, 9, 1), date(2027, 12, 28))])
    planned = app.execute(year, idempotency_key="year-2")
    replayed = app.execute(year, idempotency_key="year-2")
    assert isinstance(replayed, YearPlanned)
    assert (replayed.id, replayed.periods) == (planned.id, planned.periods)
    assert isinstance(replayed.periods["I полугодие"], UUID)
    app.close()


def test_a_receipt_of_the_first_schema_resolves_and_reads_as_the_typed_result(
        tmp_path: Path) -> None:
    """``v1-every-event.db`` holds one receipt, of a ``hold_lesson`` under key "k-lesson-1",
    stored under the topic ``ejournal.application.service:CommandReceipt``."""
    path = tmp_path / "v1.db"
    shutil.copy(FIXTURES / "v1-every-event.db", path)
    # The library's own application: only the receipt's topic and transcodings are asked of.
    app = Application[UUID](env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                 "SQLITE_DBNAME": str(path)})
    try:
        (stored,) = [n for n in app.recorder.select_notifications(start=1, limit=1000)
                     if "CommandReceipt" in n.topic]
        assert stored.topic == "ejournal.application.service:CommandReceipt.Issued"
        receipt = app.repository.get(UUID(str(stored.originator_id)))
        assert isinstance(receipt, CommandReceipt)
        assert receipt.command == "hold_lesson"
        held = replayed_from(LessonHeld, receipt.answer, stored.id)
        assert held == LessonHeld(UUID("73e46239-3b29-56f4-b7ba-86b13d0763cb"), None,
                                  position=stored.id, replayed=True)
        assert app.recorder.select_events(held.id, limit=1)  # the lesson it answered
    finally:
        app.close()
