"""Read models are kept exactly once: a projector killed at any point, or run in any batch
sizes, ends with the same rows as a clean rebuild from the log."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ejournal.application import EJournal
from ejournal.application.commands import (
    CancelAbsence,
    CancelMark,
    CorrectMark,
    GiveMark,
    HoldLesson,
    TakeAttendance,
)
from ejournal.demo import load_demo
from ejournal.domain.errors import DomainError
from ejournal.projections.catalog import all_models, projector_for
from ejournal.settings import Settings
from tests.builders import build_school
from tests.conftest import Clock, Database
from tests.projections.snapshots import snapshot


def _env(settings: Settings) -> dict[str, str]:
    return {**os.environ, "EJOURNAL_DATABASE_URL": settings.database_url,
            "EJOURNAL_DATABASE_SCHEMA": settings.database_schema}


@pytest.mark.slow
def test_a_projector_killed_again_and_again_ends_equal_to_a_clean_rebuild(
    database: Database,
) -> None:
    app = EJournal(database.settings)
    load_demo(app, now=datetime(2026, 9, 30, 12, tzinfo=UTC))  # its first month: ~1,300 events
    projector = projector_for(app)
    projector.setup()
    head = projector.head()
    assert head > 800
    rng = random.Random(20261128)
    kills = 0
    while projector.position() < head:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ejournal.cli", "project", "--batch", "25", "--idle", "0.05"],
            env=_env(database.settings), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # Kill it once it has moved on by a random number of events (or when it is done).
        start = projector.position()
        target = min(head, start + rng.randint(1, 200))
        while projector.position() < target and proc.poll() is None:
            pass
        proc.kill()
        proc.wait(timeout=30)
        assert proc.returncode in (-9, 0), proc.stderr.read() if proc.stderr else ""
        kills += 1
    assert kills >= 5
    survived = snapshot(projector.engine, projector.models)

    projector.reset(projector.names)
    projector.catch_up()
    assert projector.position() == head
    rebuilt = snapshot(projector.engine, projector.models)
    assert survived == rebuilt
    assert sum(len(rows) for rows in rebuilt.values()) > 1000
    app.close()


SCHOOL_DAYS = [date(2026, 11, 16) + timedelta(days=i) for i in range(12)
               if (date(2026, 11, 16) + timedelta(days=i)).isoweekday() <= 5]

command = st.one_of(
    st.tuples(st.just("hold"), st.sampled_from(SCHOOL_DAYS), st.integers(1, 2)),
    st.tuples(st.just("mark"), st.integers(0, 20), st.integers(0, 3),
              st.sampled_from(["2", "3", "4", "5"]), st.sampled_from(["oral", "written"])),
    st.tuples(st.just("correct"), st.integers(0, 40), st.sampled_from(["2", "3", "4", "5"])),
    st.tuples(st.just("cancel"), st.integers(0, 40)),
    st.tuples(st.just("absent"), st.integers(0, 20), st.integers(0, 3)),
    st.tuples(st.just("present"), st.integers(0, 20), st.integers(0, 3)),
    st.tuples(st.just("project"), st.integers(1, 7)),
)


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands=st.lists(command, min_size=5, max_size=40))
def test_read_models_kept_incrementally_equal_a_rebuild_from_scratch(
    commands: list[Any],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clock = Clock(datetime(2026, 11, 28, 9, tzinfo=UTC))
        app = EJournal(Settings(database_url=f"sqlite:///{Path(tmp) / 'p.db'}"), clock=clock)
        s = build_school(app, students=4)
        projector = projector_for(app)
        projector.setup()
        lessons: list[Any] = []
        marks: list[Any] = []
        for step in commands:
            kind = step[0]
            try:
                if kind == "hold":
                    held = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=step[1],
                                                  slot=step[2], topic=f"{step[1]}/{step[2]}"))
                    lessons.append(held.id)
                elif kind == "mark" and lessons:
                    written = app.execute(GiveMark(s.teacher, s.journal,
                                                   lessons[step[1] % len(lessons)],
                                                   student_id=s.students[step[2]], value=step[3],
                                                   work=step[4]))
                    marks.append(written.id)
                elif kind == "correct" and marks:
                    app.execute(CorrectMark(s.teacher, s.journal, marks[step[1] % len(marks)],
                                            value=step[2], reason="исправление"))
                elif kind == "cancel" and marks:
                    app.execute(CancelMark(s.teacher, s.journal, marks[step[1] % len(marks)],
                                           reason="отмена"))
                elif kind == "absent" and lessons:
                    app.execute(TakeAttendance(s.teacher, s.journal,
                                               lessons[step[1] % len(lessons)],
                                               absent=[(s.students[step[2]], "illness")]))
                elif kind == "present" and lessons:
                    app.execute(CancelAbsence(s.teacher, s.journal, lessons[step[1] % len(lessons)],
                                              student_id=s.students[step[2]], reason="была"))
                elif kind == "project":
                    projector.run_batch(limit=step[1])
            except DomainError:
                pass  # a refused command writes nothing; the sequence goes on
        projector.catch_up()
        kept = snapshot(projector.engine, projector.models)
        projector.reset(projector.names)
        projector.catch_up()
        assert snapshot(projector.engine, projector.models) == kept
        app.close()
        projector.engine.dispose()


def test_the_catalogue_names_every_read_model_once() -> None:
    names = [m.name for m in all_models()]
    assert len(names) == len(set(names))
    assert "diary" in names
