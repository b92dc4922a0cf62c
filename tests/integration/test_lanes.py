"""Lanes (application/lanes.py) on a real database: commands on one lesson take turns, each
deciding with the lesson as the one before it left it, before that is committed, and they are
recorded in one group transaction; what such a command decided stands only if what it took
was recorded - its write, its refusal, its idempotency receipt.

Commands are ordered with events, not sleeps: the first save is held before the database
until the others wait where each test wants them."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import OperationalError

from ejournal.application import EJournal, Result
from ejournal.application.commands import GiveMark, HoldLesson
from ejournal.application.handlers import HANDLERS
from ejournal.application.results import LessonHeld, MarkGiven
from ejournal.domain import ids
from ejournal.domain.errors import ConcurrentWriteConflict, InvalidEntry, LessonAlreadyRecorded
from ejournal.domain.lesson import Lesson
from tests.builders import SmallSchool, build_school
from tests.conftest import Clock, Database

MONDAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
WAIT = 60


class _Held:
    """The next save ``app`` records alone stops before the database (``inside`` is set)
    until ``go`` is set; then it fails with ``fail``, if given, as if the database had."""

    def __init__(self, app: EJournal, fail: Exception | None = None) -> None:
        self.inside, self.go = threading.Event(), threading.Event()
        group = app.group_commit
        original: Callable[..., Any] = group._record_one
        used = [False]

        def record_one(processing: Any) -> Any:
            if not used[0]:
                used[0] = True
                self.inside.set()
                assert self.go.wait(WAIT)
                if fail is not None:
                    raise fail
            return original(processing)

        group._record_one = record_one


class _QueueWatch(list[Any]):
    def __init__(self, size: int, reached: threading.Event) -> None:
        super().__init__()
        self.size, self.reached = size, reached

    def append(self, item: Any) -> None:
        super().append(item)
        if len(self) >= self.size:
            self.reached.set()


def _queued(app: EJournal, size: int) -> threading.Event:
    """Set once ``size`` saves wait in the (empty) queue of the group commit."""
    reached = threading.Event()
    with app.group_commit._changed:
        assert app.group_commit._queue == []
        app.group_commit._queue = _QueueWatch(size, reached)
    return reached


def _in_thread(results: dict[str, Any], name: str, call: Callable[[], Result]
               ) -> threading.Thread:
    def run() -> None:
        try:
            results[name] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            results[name] = exc

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


def _join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(WAIT)
        assert not thread.is_alive()


def _setup(database: Database, clock: Clock) -> tuple[EJournal, SmallSchool, UUID, UUID]:
    """An application, a school of three, and two held lessons: one to hold the first save
    on, and the lesson the commands share."""
    app = database.app(clock)
    s = build_school(app, students=3)
    clock.set(NOW)
    other, shared = (app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MONDAY, slot=n,
                                            topic="Т")).id for n in (1, 2))
    assert other is not None
    assert shared is not None
    return app, s, other, shared


def _decisions(monkeypatch: pytest.MonkeyPatch, command: type) -> Counter[str]:
    """How often each thread ran the command's handler."""
    counted: Counter[str] = Counter()
    handler = HANDLERS[command]

    def run(*args: Any) -> Any:
        counted[threading.current_thread().name] += 1
        return handler(*args)

    monkeypatch.setitem(HANDLERS, command, run)
    return counted


def _joint(app: EJournal) -> list[int]:
    """The events of every joint transaction tried, as they are tried."""
    sizes: list[int] = []
    record_events = app.group_commit._record_events

    def watched(events: Any, **kwargs: Any) -> Any:
        sizes.append(len(events))
        return record_events(events, **kwargs)

    app.group_commit._record_events = watched
    return sizes


def _mark(app: EJournal, s: SmallSchool, lesson: UUID, student: int, value: str,
          key: str | None = None) -> Callable[[], Result]:
    return lambda: app.execute(GiveMark(s.teacher, s.journal, lesson,
                                        student_id=s.students[student], value=value,
                                        work="oral"), idempotency_key=key)


def _stored(database: Database, lesson: UUID) -> tuple[list[int], dict[str, str]]:
    """The lesson's event versions and marks, as a fresh application reads them."""
    fresh = database.app()
    try:
        versions = [e.originator_version for e in fresh.events.get(lesson)]
        held = fresh.repository.get(lesson)
        assert isinstance(held, Lesson)
        return versions, {str(m): mark.value for m, mark in held.marks.items()}
    finally:
        fresh.close()


def test_commands_on_one_lesson_decide_in_turn_and_share_one_transaction(
    database: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, s, other, shared = _setup(database, clock)
    decisions = _decisions(monkeypatch, GiveMark)
    joint = _joint(app)
    held = _Held(app)
    results: dict[str, Any] = {}
    try:
        # Given a save held before the database
        threads = [_in_thread(results, "first", _mark(app, s, other, 0, "5"))]
        assert held.inside.wait(WAIT)
        # When three marks on one lesson are given meanwhile
        lined_up = _queued(app, 3)
        threads += [_in_thread(results, name, _mark(app, s, shared, n, value))
                    for n, (name, value) in enumerate((("b", "4"), ("c", "3"), ("d", "2")))]
        assert lined_up.wait(WAIT)
        held.go.set()
        _join(threads)
        # Then each decided once, with the others' marks before it: one transaction for all
        assert all(isinstance(r, MarkGiven) for r in results.values()), results
        assert decisions == {"first": 1, "b": 1, "c": 1, "d": 1}
        assert joint == [3]
        positions = sorted(results[n].position for n in "bcd")
        assert positions == list(range(positions[0], positions[0] + 3))
        versions, marks = _stored(database, shared)
        assert versions == [1, 2, 3, 4]
        assert marks == {str(results["b"].id): "4", str(results["c"].id): "3",
                         str(results["d"].id): "2"}
        assert len(app.lanes) == 0
    finally:
        held.go.set()
        app.close()


def test_a_command_after_one_that_was_not_recorded_runs_again_from_the_log(
    database: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, s, _, shared = _setup(database, clock)
    decisions = _decisions(monkeypatch, GiveMark)
    broken = OperationalError("simulated: the connection broke")
    held = _Held(app, fail=broken)
    results: dict[str, Any] = {}
    try:
        # Given a mark held before the database, and a second mark on the lesson after it
        threads = [_in_thread(results, "a", _mark(app, s, shared, 0, "5"))]
        assert held.inside.wait(WAIT)
        lined_up = _queued(app, 1)
        threads.append(_in_thread(results, "b", _mark(app, s, shared, 1, "4")))
        assert lined_up.wait(WAIT)
        # When the first one's transaction fails
        held.go.set()
        _join(threads)
        # Then the first is told so, and the second, decided with the first's mark, is
        # decided again without it and recorded alone
        assert results["a"] is broken
        assert isinstance(results["b"], MarkGiven), results
        assert decisions == {"a": 1, "b": 2}
        versions, marks = _stored(database, shared)
        assert versions == [1, 2]
        assert marks == {str(results["b"].id): "4"}
        assert len(app.lanes) == 0
    finally:
        held.go.set()
        app.close()


@pytest.mark.parametrize("first_recorded", [True, False], ids=["recorded", "not-recorded"])
def test_a_refusal_decided_with_a_change_not_yet_recorded_waits_for_it(
    database: Database, clock: Clock, first_recorded: bool
) -> None:
    app, s, _, _ = _setup(database, clock)
    held = _Held(app, fail=None if first_recorded else OperationalError("simulated"))
    waiting = threading.Event()
    recorded = app.group_commit.recorded

    def watched(tickets: Any) -> bool:
        tickets = list(tickets)
        if tickets:
            waiting.set()
        return recorded(tickets)

    app.group_commit.recorded = watched  # type: ignore[method-assign]
    results: dict[str, Any] = {}

    def hold(topic: str) -> Callable[[], Result]:
        return lambda: app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MONDAY,
                                              slot=5, topic=topic))

    try:
        # Given a lesson held and saving, and the same lesson held again meanwhile
        threads = [_in_thread(results, "a", hold("первый"))]
        assert held.inside.wait(WAIT)
        threads.append(_in_thread(results, "b", hold("второй")))
        # When the second is refused with the first's lesson, that refusal waits for it
        assert waiting.wait(WAIT)
        assert "b" not in results
        held.go.set()
        _join(threads)
        lesson_id = ids.lesson_id(s.journal, MONDAY, 5)
        fresh = database.app()
        try:
            lesson = fresh.repository.get(lesson_id)
            assert isinstance(lesson, Lesson)
            events = list(fresh.events.get(lesson_id))
        finally:
            fresh.close()
        if first_recorded:
            # Then it stands once the first is recorded
            assert isinstance(results["a"], LessonHeld)
            assert isinstance(results["b"], LessonAlreadyRecorded), results
            assert lesson.topic == "первый"
        else:
            # Or, the first not recorded, the second is decided again and recorded
            assert isinstance(results["a"], OperationalError)
            assert isinstance(results["b"], LessonHeld), results
            assert lesson.topic == "второй"
        assert len(events) == 1
        assert len(app.lanes) == 0
    finally:
        held.go.set()
        app.close()


def test_one_idempotency_key_twice_in_one_lane_writes_once(
    database: Database, clock: Clock
) -> None:
    app, s, other, shared = _setup(database, clock)
    held = _Held(app)
    results: dict[str, Any] = {}
    try:
        threads = [_in_thread(results, "first", _mark(app, s, other, 0, "5"))]
        assert held.inside.wait(WAIT)
        # When one request arrives twice under one key, the second after the first in the
        # lesson's lane, before either is recorded
        lined_up = _queued(app, 2)
        threads += [_in_thread(results, name, _mark(app, s, shared, 1, "4", key="k-1"))
                    for name in ("b", "c")]
        assert lined_up.wait(WAIT)
        held.go.set()
        _join(threads)
        # Then one mark is recorded, and both answers name it, one of them a replay
        b, c = results["b"], results["c"]
        assert isinstance(b, MarkGiven), results
        assert isinstance(c, MarkGiven), results
        assert b.id == c.id
        assert sorted([b.replayed, c.replayed]) == [False, True]
        versions, marks = _stored(database, shared)
        assert versions == [1, 2]
        assert marks == {str(b.id): "4"}
        assert len(app.lanes) == 0
    finally:
        held.go.set()
        app.close()


def test_a_refused_command_in_the_lane_costs_the_others_nothing(
    database: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, s, other, shared = _setup(database, clock)
    decisions = _decisions(monkeypatch, GiveMark)
    joint = _joint(app)
    held = _Held(app)
    results: dict[str, Any] = {}
    try:
        threads = [_in_thread(results, "first", _mark(app, s, other, 0, "5"))]
        assert held.inside.wait(WAIT)
        lined_up = _queued(app, 2)
        # When of three marks on one lesson the middle one is refused
        threads += [_in_thread(results, "b", _mark(app, s, shared, 0, "4"))]
        threads += [_in_thread(results, "c", _mark(app, s, shared, 1, "7"))]
        threads += [_in_thread(results, "d", _mark(app, s, shared, 2, "3"))]
        assert lined_up.wait(WAIT)
        held.go.set()
        _join(threads)
        # Then the other two are recorded together, once each
        assert isinstance(results["c"], InvalidEntry), results
        assert isinstance(results["b"], MarkGiven)
        assert isinstance(results["d"], MarkGiven)
        assert decisions == {"first": 1, "b": 1, "c": 1, "d": 1}
        assert joint == [2]
        versions, marks = _stored(database, shared)
        assert versions == [1, 2, 3]
        assert marks == {str(results["b"].id): "4", str(results["d"].id): "3"}
        assert len(app.lanes) == 0
    finally:
        held.go.set()
        app.close()


def test_many_writers_in_two_processes_on_one_lesson_lose_and_double_nothing(
    database: Database, clock: Clock
) -> None:
    """Six threads of one application and two of another (as another process would: lanes
    do not reach it) mark one lesson at once."""
    app, s, _, shared = _setup(database, clock)
    second = database.app(Clock(NOW))
    start = threading.Barrier(8)
    answers: dict[int, list[Any]] = {}

    def write(n: int, on: EJournal) -> None:
        mine = answers.setdefault(n, [])
        start.wait(WAIT)
        for i in range(8):
            try:
                mine.append(on.execute(GiveMark(s.teacher, s.journal, shared,
                                                student_id=s.students[n % 3],
                                                value="2345"[i % 4], work="oral")))
            except ConcurrentWriteConflict as exc:  # the API's "try again": allowed
                mine.append(exc)

    threads = [threading.Thread(target=write, args=(n, app if n < 6 else second))
               for n in range(8)]
    try:
        for thread in threads:
            thread.start()
        _join(threads)
        given = [a for mine in answers.values() for a in mine]
        assert len(given) == 64
        assert all(isinstance(a, MarkGiven | ConcurrentWriteConflict) for a in given), given
        recorded = {str(a.id) for a in given if isinstance(a, MarkGiven)}
        assert len(recorded) == len([a for a in given if isinstance(a, MarkGiven)])
        versions, marks = _stored(database, shared)
        assert set(marks) == recorded
        assert versions == list(range(1, len(recorded) + 2))
        assert len(app.lanes) == 0
        assert len(second.lanes) == 0
    finally:
        second.close()
        app.close()
