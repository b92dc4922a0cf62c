"""Writers racing for one lesson (api-v1.md: 409 is a conflict with the journal's state, which a
client must not retry). Eight teachers' clients mark the students of one lesson at the same
moment against ``ejournal serve``: every mark is recorded, or, if others kept winning the race
past the retries, refused with ``503`` and ``Retry-After`` (try again), never ``409``; the
lesson then holds exactly the recorded marks."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from eventsourcing.persistence import RecordConflictError

from ejournal.application import EJournal, retries
from ejournal.domain.lesson import Lesson
from ejournal.site import create_app
from tests.api.helpers import log_length, problem
from tests.conftest import NOW, Clock, Database
from tests.faults.harness import classroom
from tests.servers import Server, running, serving_process

WRITERS = 8
MARKS_EACH = 30


@pytest.mark.slow
def test_eight_writers_on_one_lesson_meet_no_409(
    database: Database, tmp_path: Path, record_property: Callable[[str, object], None],
) -> None:
    # Given a held lesson of a class of eight
    room = classroom(database.settings, students=WRITERS, lessons=1)
    lesson_id = room.lessons[0]
    path = f"/api/v1/journals/{room.school.journal}/lessons/{lesson_id}/marks"
    answers: list[list[httpx.Response]] = [[] for _ in range(WRITERS)]
    failures: list[BaseException] = []

    with serving_process(database.settings, tmp_path / "serve.log", "--no-scheduler") as server:
        token = room.token(server.url)
        start = threading.Barrier(WRITERS)

        def write(i: int) -> None:
            try:
                with httpx.Client(base_url=server.url, timeout=120,
                                  headers={"Authorization": f"Bearer {token}"}) as c:
                    start.wait(timeout=60)
                    for n in range(MARKS_EACH):
                        answers[i].append(c.post(path, json={
                            "student_id": str(room.school.students[i]), "value": "2345"[n % 4],
                            "work": "oral"}))
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                failures.append(exc)

        # When eight clients mark the same lesson at once
        threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        assert failures == []
        done = [a for mine in answers for a in mine]
        assert len(done) == WRITERS * MARKS_EACH

        # Then each mark is recorded, or refused as "try again" - never as a conflict
        statuses = Counter(a.status_code for a in done)
        record_property("statuses", dict(statuses))
        assert set(statuses) <= {201, 503}, (statuses, server.tail())
        for answer in done:
            if answer.status_code == 503:
                assert answer.headers["content-type"] == "application/problem+json"
                assert int(answer.headers["Retry-After"]) >= 1
        recorded = {a.json()["id"] for a in done if a.status_code == 201}

    # And the lesson holds exactly the recorded marks
    app = EJournal(database.settings)
    try:
        events = list(app.events.get(lesson_id))
    finally:
        app.close()
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
    given = {str(e.mark_id) for e in events if isinstance(e, Lesson.MarkGiven)}
    assert given == recorded


def test_retries_that_never_win_answer_503_with_retry_after_and_write_nothing(
    database: Database, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a server whose every save loses the race (as if others always wrote first)
    room = classroom(database.settings, students=1, lessons=1)
    site = create_app(database.settings, clock=Clock(NOW))
    monkeypatch.setattr(retries, "RETRY_JITTER", 0.0)
    with running(site) as url:
        app = site.state.services.app

        def always_loses(*_: object, **__: object) -> object:
            raise RecordConflictError("simulated: another writer was first")

        monkeypatch.setattr(app, "save", always_loses)
        server = Server(url, database, Clock(NOW))
        before = log_length(server)
        # When the teacher gives a mark
        with server.client(room.token(url)) as c:
            answer = c.post(f"/api/v1/journals/{room.school.journal}/lessons/"
                            f"{room.lessons[0]}/marks",
                            json={"student_id": str(room.school.students[0]), "value": "5",
                                  "work": "oral"})
    # Then it is "try again" (503, Retry-After), not a conflict, and nothing is written
    body = problem(answer, 503)
    assert answer.headers["Retry-After"] == "1"
    assert f"gave up after {retries.MAX_ATTEMPTS} attempts" in body["detail"]
    assert "rule" not in body
    assert log_length(server) == before
