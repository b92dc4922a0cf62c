"""Group commit (application/grouping.py) on a real database: commands saving at the same
moment share one transaction, each keeps its own outcome, and a conflict inside a group costs
nobody else their write."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from ejournal.application import EJournal, Result
from ejournal.application.commands import GiveMark, HoldLesson
from ejournal.domain.lesson import Lesson
from tests.builders import SmallSchool, build_school
from tests.conftest import Clock, Database

MONDAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
WAIT = 60


class _QueueWatch(list[Any]):
    """The group's queue, which says when ``size`` commands wait in it."""

    def __init__(self, items: list[Any], size: int, reached: threading.Event) -> None:
        super().__init__(items)
        self.size, self.reached = size, reached

    def append(self, item: Any) -> None:
        super().append(item)
        if len(self) >= self.size:
            self.reached.set()


def _hold_first_save(app: EJournal) -> tuple[threading.Event, threading.Event]:
    """The next command recorded alone stops before the database until ``release`` is set;
    ``inside`` says it got there. Meanwhile other commands queue behind it."""
    inside, release = threading.Event(), threading.Event()
    group = app.group_commit
    original: Callable[..., Any] = group._record_one
    held = [False]

    def record_one(processing: Any) -> Any:
        if not held[0]:
            held[0] = True
            inside.set()
            assert release.wait(WAIT)
        return original(processing)

    group._record_one = record_one
    return inside, release


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


def _setup(database: Database, clock: Clock) -> tuple[EJournal, SmallSchool, list[UUID]]:
    app = database.app(clock)
    s = build_school(app, students=3)
    clock.set(NOW)
    lessons = []
    for slot in (1, 2, 3):
        held = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MONDAY, slot=slot,
                                      topic="Т"))
        assert held.id is not None
        lessons.append(held.id)
    return app, s, lessons


def _marks(app: EJournal, lesson_id: UUID) -> dict[str, str]:
    lesson = app.repository.get(lesson_id)
    assert isinstance(lesson, Lesson)
    return {str(mark_id): mark.value for mark_id, mark in lesson.marks.items()}


def _run_group(app: EJournal, first: Callable[[], Result],
               queued: dict[str, Callable[[], Result]]) -> dict[str, Any]:
    """``first`` is held inside the store while the ``queued`` commands line up behind it;
    then all go on. Returns each one's outcome."""
    inside, release = _hold_first_save(app)
    results: dict[str, Any] = {}
    threads = [_in_thread(results, "first", first)]
    assert inside.wait(WAIT)
    lined_up = threading.Event()
    with app.group_commit._changed:
        app.group_commit._queue = _QueueWatch(app.group_commit._queue, len(queued), lined_up)
    threads += [_in_thread(results, name, call) for name, call in queued.items()]
    assert lined_up.wait(WAIT)
    release.set()
    for thread in threads:
        thread.join(WAIT)
    return results


def _first_then_two(app: EJournal, s: SmallSchool, first: UUID, b: UUID, c: UUID
                    ) -> tuple[dict[str, Any], dict[int, int]]:
    """A mark on ``first`` held in the store while marks on ``b`` and ``c`` (lessons) line up
    behind it; each outcome, and how many groups of each size this made. b's and c's events
    are offered to the store in one transaction (which may then fail)."""
    before = dict(app.group_commit.groups)
    joint: list[int] = []  # events per joint transaction tried
    record_events = app.group_commit._record_events

    def watched(events: Any, **kwargs: Any) -> Any:
        joint.append(len(events))
        return record_events(events, **kwargs)

    app.group_commit._record_events = watched

    def mark(lesson: UUID, student: int, value: str) -> Callable[[], Result]:
        return lambda: app.execute(GiveMark(s.teacher, s.journal, lesson,
                                            student_id=s.students[student], value=value,
                                            work="oral"))

    results = _run_group(app, mark(first, 0, "5"), {"b": mark(b, 1, "4"), "c": mark(c, 2, "3")})
    assert all(isinstance(r, Result) for r in results.values()), results
    assert joint == [2], joint  # b's and c's marks were tried in one transaction
    return results, {k: v - before.get(k, 0) for k, v in app.group_commit.groups.items()}


def test_commands_saving_together_share_one_transaction_and_keep_their_answers(
    database: Database, clock: Clock
) -> None:
    app, s, (first, second, third) = _setup(database, clock)
    try:
        results, grouped = _first_then_two(app, s, first, second, third)
        assert grouped.get(2) == 1, grouped  # b and c: one transaction
        b, c = results["b"], results["c"]
        assert {b.position, c.position} == {min(b.position, c.position),
                                            min(b.position, c.position) + 1}
        assert results["first"].position < min(b.position, c.position)
        assert _marks(app, first) == {str(results["first"].id): "5"}
        assert _marks(app, second) == {str(b.id): "4"}
        assert _marks(app, third) == {str(c.id): "3"}
    finally:
        app.close()


def test_a_conflict_inside_a_group_is_retried_and_costs_nobody_their_write(
    database: Database, clock: Clock
) -> None:
    """b's lesson is written by another process after b read it: the joint transaction of b
    and c fails on b's version, nothing of it is written, each is then recorded alone, and b
    reloads the lesson and writes again."""
    app, s, (first, second, third) = _setup(database, clock)
    rival = database.app(Clock(NOW))
    try:
        read = app.loader.load
        raced = [False]

        def load_then_race(ids: Any, read_only: Any = (), unchecked: Any = None) -> Any:
            loaded = read(ids, read_only, unchecked)
            if second in loaded and not raced[0]:
                raced[0] = True  # another process marks b's lesson after b has read it
                rival.execute(GiveMark(s.teacher, s.journal, second,
                                       student_id=s.students[0], value="2", work="oral"))
            return loaded

        app.loader.load = load_then_race  # type: ignore[method-assign]
        results, grouped = _first_then_two(app, s, first, second, third)
        assert grouped.get(2) == 1, grouped
        assert grouped.get(1, 0) >= 2, grouped  # b and c alone after it (b: twice)
        marks = _marks(app, second)
        assert str(results["b"].id) in marks
        assert sorted(marks.values()) == ["2", "4"]
        assert _marks(app, third) == {str(results["c"].id): "3"}
        versions = [e.originator_version for e in app.events.get(second)]
        assert versions == [1, 2, 3]  # held, then one mark each: nothing lost or doubled
    finally:
        rival.close()
        app.close()
