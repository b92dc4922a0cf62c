"""Fifty teachers' clients correct one mark at the same moment, over HTTP: each
correction is recorded (201) or refused - 503 with Retry-After when others kept winning the
race past the retries, or 422 R-7.2 when, by the time it ran, the mark already had that
value. The lesson's versions stay contiguous and the mark's history is exactly the recorded
corrections."""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from ejournal.application import EJournal
from ejournal.application.commands import GiveMark
from ejournal.domain.lesson import Lesson
from tests.conftest import NOW, Clock, Database
from tests.faults.conftest import assert_problem
from tests.faults.harness import classroom
from tests.servers import serving_process

CLIENTS = 50


def test_fifty_concurrent_corrections_of_one_mark_are_each_recorded_or_refused(
    database: Database, tmp_path: Path, record_property: Callable[[str, object], None],
) -> None:
    # Given a mark "4" in a held lesson
    room = classroom(database.settings, students=3, lessons=1)
    lesson_id = room.lessons[0]
    app = EJournal(database.settings, clock=Clock(NOW))
    mark_id = app.execute(GiveMark(room.school.teacher, room.school.journal, lesson_id,
                                   student_id=room.school.students[0], value="4", work="oral")).id
    app.close()
    path = f"/api/v1/journals/{room.school.journal}/marks/{mark_id}/corrections"
    answers: list[httpx.Response | None] = [None] * CLIENTS
    failures: list[BaseException] = []

    with serving_process(database.settings, tmp_path / "serve.log", "--no-scheduler") as server:
        token = room.token(server.url)
        start = threading.Barrier(CLIENTS)

        def correct(i: int) -> None:
            try:
                with httpx.Client(base_url=server.url, timeout=120,
                                  headers={"Authorization": f"Bearer {token}"}) as c:
                    start.wait(timeout=60)
                    answers[i] = c.post(path, json={"value": "2345"[i % 4],
                                                    "reason": f"исправление №{i}"})
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                failures.append(exc)

        # When fifty clients send their corrections at once
        threads = [threading.Thread(target=correct, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
        assert failures == []
        done = [a for a in answers if a is not None]
        assert len(done) == CLIENTS

        # Then each is recorded or refused, never a 500 or a lost answer
        statuses = Counter(a.status_code for a in done)
        record_property("statuses", dict(statuses))
        assert set(statuses) <= {201, 422, 503}, (statuses, server.tail())
        assert statuses[201] >= 1
        for answer in done:
            if answer.status_code == 422:
                assert assert_problem(answer, 422)["rule"] == "R-7.2"  # the same value
            elif answer.status_code == 503:
                assert "gave up" in assert_problem(answer, 503)["detail"]
                assert answer.headers["Retry-After"] == "1"
        recorded = {answer.request.read().decode() for answer in done
                    if answer.status_code == 201}
        positions = [int(a.headers["X-Log-Position"]) for a in done if a.status_code == 201]

        # And the log holds exactly the recorded corrections, in a contiguous version chain
        app = EJournal(database.settings)
        events = list(app.events.get(lesson_id))
        app.close()
        assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
        corrections = [e for e in events if isinstance(e, Lesson.MarkCorrected)]
        assert len(corrections) == statuses[201]
        reasons = [c.reason for c in corrections]
        assert len(set(reasons)) == len(reasons)
        assert {f'"reason":"{r}"' for r in reasons} == {_reason_of(body) for body in recorded}
        # each correction changed the value it found
        values = ["4", *(c.value for c in corrections)]
        assert all(a != b for a, b in itertools.pairwise(values))

        # And the mark's history (the read model) is that chain, oldest first
        with httpx.Client(base_url=server.url, timeout=60,
                          headers={"Authorization": f"Bearer {token}",
                                   "X-Log-Position": str(max(positions))}) as c:
            history = c.get(f"/api/v1/journals/{room.school.journal}/marks/{mark_id}/history")
        assert history.status_code == 200, history.text
        items: list[dict[str, Any]] = history.json()["items"]
        assert [i["kind"] for i in items] == ["given"] + ["corrected"] * len(corrections)
        assert [i["value"] for i in items] == values
        assert [i["reason"] for i in items[1:]] == reasons
        assert {i["by"] for i in items} == {str(room.school.teacher)}


def _reason_of(body: str) -> str:
    import json

    return f'"reason":"{json.loads(body)["reason"]}"'
