"""Read your own write (api-v1.md, "Consistency"), against a real server whose read models move
only when the test runs a projector: the writer's next read waits for its write with no header
to send; a client's ``X-Log-Position`` beyond the log's head is ``422`` naming the header; and
reads waiting for a position hold no request thread, so other users' requests go on meanwhile."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ejournal.api import freshness
from ejournal.application import EJournal
from ejournal.cli import _bootstrap
from ejournal.projections.catalog import projector_for
from ejournal.site import create_app
from tests.api.helpers import School, build_school, created, error_fields, problem
from tests.conftest import NOW, Clock, Database
from tests.servers import OPERATOR, Server, running, wait_until

LESSON_DAY = "2026-11-23"


class ProjectingServer(Server):
    """A server whose read models move when the test catches them up, by a projector of the
    test's own (``caught_up``, which logging in uses too)."""

    def caught_up(self) -> None:
        app = EJournal(self.database.settings)
        projector = projector_for(app)
        try:
            projector.catch_up()
        finally:
            app.close()
            projector.engine.dispose()
            projector.reader.dispose()


@dataclass
class Stalled:
    """A server over the test's database that runs no projector of its own."""

    server: Server
    site: FastAPI

    def waiting(self) -> int:
        """Reads the server holds waiting for the read models."""
        held = getattr(self.site.state.services, "freshness", None)
        return held.waiting() if held is not None else 0

    def project(self) -> None:
        """Brings the read models up to the log's head (a projector of the test's own)."""
        self.server.caught_up()


@contextmanager
def stalled_server(database: Database, request_threads: int = 8) -> Iterator[Stalled]:
    settings = database.settings.model_copy(update={"request_threads": request_threads})
    clock = Clock(NOW)
    _bootstrap(settings, *OPERATOR, now=clock())
    site = create_app(settings, clock=clock, run_projector=False)
    with running(site) as url:
        yield Stalled(ProjectingServer(url, database, clock), site)


def _lesson_with_mark(server: Server, s: School) -> tuple[str, str, httpx.Response]:
    base = f"/api/v1/journals/{s.journal_id}"
    with server.client(s.tokens["teacher"]) as c:
        lesson = created(c.post(f"{base}/lessons", json={"date": LESSON_DAY, "slot": 1,
                                                         "topic": "Дроби"}))["id"]
        mark = c.post(f"{base}/lessons/{lesson}/marks", json={
            "student_id": s.student_ids[0], "value": "5", "work": "oral"})
    return lesson, created(mark)["id"], mark


def _in_background(call: Callable[[], httpx.Response]) -> tuple[threading.Thread, list[Any]]:
    answers: list[Any] = []

    def run() -> None:
        try:
            answers.append(call())
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            answers.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, answers


def test_the_writers_next_read_sees_its_write_with_no_header(database: Database) -> None:
    with stalled_server(database) as stalled:
        server = stalled.server
        s = build_school(server)
        # Given a mark just given, which the read models do not hold yet
        lesson, mark, _ = _lesson_with_mark(server, s)
        base = f"/api/v1/journals/{s.journal_id}"
        token = s.tokens["teacher"]

        def read() -> httpx.Response:
            with server.client(token) as c:
                return c.get(f"{base}/marks/{mark}/history")

        # When the teacher reads its history at once, sending no header
        thread, answers = _in_background(read)
        # Then the read waits for the write (it does not answer without it)...
        wait_until(lambda: bool(answers) or stalled.waiting() == 1, 30, "the read to wait")
        assert answers == [], answers[0].text if answers else None
        # ...and answers it once the read models hold it
        stalled.project()
        thread.join(timeout=30)
        [history] = answers
        assert history.status_code == 200, history.text
        assert [(i["kind"], i["value"]) for i in history.json()["items"]] == [("given", "5")]
        # And the grid and the diary, read right after another write, show that write
        with server.client(token) as c:
            created(c.post(f"{base}/marks/{mark}/corrections",
                           json={"value": "4", "reason": "пересчёт"}))
            grid, answers = _in_background(lambda: c.get(f"{base}/grid"))
            wait_until(lambda: bool(answers) or stalled.waiting() == 1, 30, "the grid to wait")
            assert answers == []
            stalled.project()
            grid.join(timeout=30)
            [shown] = answers
        assert shown.status_code == 200, shown.text
        cells = {row["id"]: row["cells"] for row in shown.json()["students"]}
        assert cells[s.student_ids[0]] == {lesson: ["4"]}


def test_a_position_beyond_the_head_is_422_naming_the_header(database: Database) -> None:
    with stalled_server(database) as stalled:
        server = stalled.server
        s = build_school(server)
        _, _, mark = _lesson_with_mark(server, s)
        head = int(mark.headers["X-Log-Position"])
        stalled.project()
        with server.client(s.tokens["admin"]) as c:
            beyond = c.get(f"/api/v1/journals/{s.journal_id}/grid",
                           headers={"X-Log-Position": str(head + 1)})
            at_head = c.get(f"/api/v1/journals/{s.journal_id}/grid",
                            headers={"X-Log-Position": str(head)})
        assert error_fields(problem(beyond, 422)) == ["X-Log-Position"]
        assert str(head) in problem(beyond, 422)["errors"][0]["message"]
        assert at_head.status_code == 200, at_head.text


def test_reads_waiting_for_a_position_hold_no_request_thread(database: Database) -> None:
    readers = 6
    with stalled_server(database, request_threads=2) as stalled:
        server = stalled.server
        s = build_school(server)
        lesson, _, mark = _lesson_with_mark(server, s)
        position = mark.headers["X-Log-Position"]
        # Given more reads waiting for a write than the server has request threads
        admin = s.tokens["admin"]

        def read() -> httpx.Response:
            with server.client(admin) as c:
                return c.get(f"/api/v1/journals/{s.journal_id}/grid",
                             headers={"X-Log-Position": position})

        started = [_in_background(read) for _ in range(readers)]
        wait_until(lambda: stalled.waiting() == readers
                   or any(answers for _, answers in started), 30, "the reads to wait")
        # When another user asks for something meanwhile (a read that needs a request thread)
        with server.client(s.tokens["auditor"]) as c:
            other = c.get(f"/api/v1/schools/{s.id}/late-entries")
        # Then it is answered while every read still waits
        assert other.status_code == 200, other.text
        assert [answers for _, answers in started] == [[]] * readers, [
            a[0].text for _, a in started if a]
        assert stalled.waiting() == readers
        # And the reads answer the write once the read models hold it
        stalled.project()
        for thread, _ in started:
            thread.join(timeout=30)
        for _, [grid] in started:
            assert grid.status_code == 200, grid.text
            assert [x["id"] for x in grid.json()["lessons"]] == [lesson]


def test_a_position_not_reached_in_time_is_503_with_retry_after(
        database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(freshness, "WAIT", 0.2)
    with stalled_server(database) as stalled:
        server = stalled.server
        s = build_school(server)
        _, mark, _ = _lesson_with_mark(server, s)
        with server.client(s.tokens["teacher"]) as c:
            answer = c.get(f"/api/v1/journals/{s.journal_id}/marks/{mark}/history")
        assert problem(answer, 503)["detail"].startswith("the read models have not reached")
        assert answer.headers["Retry-After"] == "1"
        assert stalled.waiting() == 0

