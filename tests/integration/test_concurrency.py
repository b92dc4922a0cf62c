"""Several writers, several processes, one database."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from ejournal.application import EJournal
from ejournal.application.commands import GiveMark, HoldLesson
from ejournal.domain.lesson import Lesson
from ejournal.settings import Settings
from tests.builders import build_school
from tests.conftest import Clock, Database

MONDAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
MARKS_PER_WRITER = 25


def _write_marks(settings: Settings, actor: UUID, journal: UUID, lesson: UUID,
                 student: UUID, start: object) -> list[str]:
    """One writer: its own application (its own connections), many marks on one lesson."""
    app = EJournal(settings, clock=lambda: NOW)
    try:
        start.wait(timeout=60)  # type: ignore[attr-defined]
        ids = []
        for i in range(MARKS_PER_WRITER):
            written = app.execute(GiveMark(actor, journal, lesson, student_id=student,
                                           value=str(2 + i % 4), work="oral"))
            ids.append(str(written.id))
        return ids
    finally:
        app.close()


def _process_writer(settings: Settings, args: tuple[UUID, UUID, UUID, UUID], start: object,
                    out: multiprocessing.queues.Queue) -> None:  # type: ignore[type-arg]
    out.put(_write_marks(settings, *args, start=start))


def _setup(database: Database, clock: Clock) -> tuple[EJournal, UUID, UUID, UUID, list[UUID]]:
    app = database.app(clock)
    s = build_school(app, students=2)
    clock.set(NOW)
    lesson = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MONDAY, slot=1, topic="Т"))
    assert lesson.id is not None
    return app, s.teacher, s.journal, lesson.id, s.students


def _assert_all_present(app: EJournal, lesson_id: UUID, expected_marks: set[str]) -> None:
    lesson = app.repository.get(lesson_id)
    assert isinstance(lesson, Lesson)
    assert {str(m) for m in lesson.marks} == expected_marks
    versions = [e.originator_version for e in app.events.get(lesson_id)]
    assert versions == list(range(1, len(expected_marks) + 2))  # held + one per mark


def test_two_threads_writing_one_lesson_at_once_lose_and_double_nothing(
    database: Database, clock: Clock
) -> None:
    app, teacher, journal, lesson, students = _setup(database, clock)
    start = threading.Barrier(2)
    results: list[list[str]] = [[], []]
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            results[index] = _write_marks(database.settings, teacher, journal, lesson,
                                          students[index], start)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            failures.append(exc)
            start.abort()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert failures == []
    written = set(results[0]) | set(results[1])
    assert len(written) == 2 * MARKS_PER_WRITER
    _assert_all_present(app, lesson, written)
    app.close()


@pytest.mark.slow
def test_two_processes_share_one_database(database: Database, clock: Clock) -> None:
    app, teacher, journal, lesson, students = _setup(database, clock)
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(2)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_process_writer,
                    args=(database.settings, (teacher, journal, lesson, students[i]), start, out))
        for i in range(2)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    written = set(results[0]) | set(results[1])
    assert len(written) == 2 * MARKS_PER_WRITER
    # The first process's application sees every write of the other two.
    _assert_all_present(app, lesson, written)
    app.close()


def test_several_applications_start_on_a_fresh_database_at_once(database: Database) -> None:
    """Several `serve` or CLI processes may start together: none fails creating the tables."""
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def boot() -> None:
        try:
            start.wait(timeout=60)
            EJournal(database.settings).close()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            failures.append(exc)

    threads = [threading.Thread(target=boot) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert failures == []
    app = EJournal(database.settings)
    assert app.recorder.max_notification_id() in (None, 0)
    app.close()
