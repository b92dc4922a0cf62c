"""A write made in one process is seen by readers of another within the promised 5 seconds,
and the writer can wait for its own write's position."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest

from ejournal.application.commands import GiveMark, HoldLesson
from ejournal.projections.catalog import projector_for
from ejournal.projections.diary import read_diary
from tests.builders import build_school
from tests.conftest import Clock, Database

MON = date(2026, 11, 23)


@pytest.mark.slow
def test_a_projector_in_another_process_makes_a_write_readable_within_5_seconds(
    database: Database, clock: Clock
) -> None:
    app = database.app(clock)
    s = build_school(app, students=1)
    projector = projector_for(app)
    projector.setup()
    env = {**os.environ, "EJOURNAL_DATABASE_URL": database.settings.database_url,
           "EJOURNAL_DATABASE_SCHEMA": database.settings.database_schema}
    proc = subprocess.Popen([sys.executable, "-m", "ejournal.cli", "project", "--idle", "0.1"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("projecting")
        clock.set(datetime(2026, 11, 23, 9, tzinfo=UTC))
        lesson = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=1, topic="А"))
        assert lesson.id is not None
        mark = app.execute(GiveMark(s.teacher, s.journal, lesson.id, student_id=s.students[0],
                                    value="5", work="oral"))
        assert mark.position is not None
        # This process runs no projector: only the other process can advance the positions.
        assert projector.wait_for(mark.position, timeout=5.0)
        with projector.reader.connect() as conn:
            days = read_diary(conn, s.students[0], MON, MON)
        assert [m["value"] for m in days[0].lessons[0].marks] == ["5"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        app.close()
    assert proc.returncode == 0


def test_waiting_for_a_position_nobody_projects_gives_up_at_the_timeout(
    database: Database, clock: Clock
) -> None:
    app = database.app(clock)
    build_school(app, students=1)
    projector = projector_for(app)
    projector.setup()
    assert projector.wait_for(projector.head(), timeout=0.3) is False
    projector.catch_up()
    assert projector.wait_for(projector.head(), timeout=0.3) is True
    app.close()
