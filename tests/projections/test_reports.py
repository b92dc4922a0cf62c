"""The reports read model: a lesson held before lessons carried homework minutes (its stored
event without the field) still decodes, with none, on SQLite and PostgreSQL; rebuilt from the
log, the model answers what it answered as kept."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

from ejournal.application.commands import HoldLesson
from ejournal.projections.report_reads import read_homework_load
from ejournal.projections.reports import Reports
from tests.builders import build_school
from tests.ledger.reference import execute
from tests.projections.conftest import Projected

DAY = date(2026, 11, 16)
HELD = "ejournal.domain.lesson:Lesson.Held"


def test_a_lesson_stored_without_homework_minutes_reads_with_none(
        projected_factory: Callable[..., Projected]) -> None:
    p = projected_factory(Reports())
    s = build_school(p.app, grade=5)
    lesson = p.app.execute(HoldLesson(s.teacher, s.journal, lesson_date=DAY, slot=1,
                                      topic="Дроби", homework="№ 1", homework_minutes=45)).id
    assert lesson is not None
    p.catch_up()
    with p.connect() as conn:
        kept = read_homework_load(conn, s.school_class, DAY, DAY)
    assert [(x.minutes, x.limit_minutes, x.items[0].minutes) for x in kept] == [(45, 120, 45)]

    # Given the stored event as an older release wrote it: no ``homework_minutes`` key
    settings = p.database.settings
    [(originator, stored)] = execute(settings, "SELECT originator_id, state FROM {table} "
                                               "WHERE topic = ?", (HELD,))
    state = json.loads(bytes(stored))
    del state["homework_minutes"]
    execute(settings, "UPDATE {table} SET state = ? WHERE originator_id = ? AND "
                      "originator_version = 1", (json.dumps(state).encode(), originator))
    # Then the lesson decodes with none, and the rebuilt model counts none
    assert p.app.repository.get(lesson).homework_minutes is None
    p.projector.reset(["reports"])
    p.catch_up()
    with p.connect() as conn:
        rebuilt = read_homework_load(conn, s.school_class, DAY, DAY)
    assert [(x.minutes, x.unmeasured, x.items[0].homework) for x in rebuilt] == [(0, 1, "№ 1")]
