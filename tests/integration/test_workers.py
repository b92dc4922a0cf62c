"""``ejournal serve`` and ``--workers 2``: the workers on one port answer requests, and a
process of the duties' own, elected, runs the projector (and the ledger, the scheduler, the
mail). A teacher's write answered by either worker is seen by the teacher's next read on any
connection, whichever worker takes it; when the duties' process is killed, the server starts
another, which takes the lease, and the read models move on; it stops with its server, also
when the server is killed."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from ejournal.api.freshness import session_writes
from ejournal.application import EJournal
from ejournal.leadership import RETRY
from ejournal.projections.base import create_read_engine
from tests.conftest import Database
from tests.faults.harness import classroom
from tests.servers import Serve, running_in, serving_process, wait_until

LEADS = re.compile(r"process (\d+) leads: the projector")


def _leaders(server: Serve) -> list[int]:
    return [int(pid) for pid in LEADS.findall(server.log.read_text(errors="replace"))]


def _fresh(url: str, token: str) -> httpx.Client:
    """A client that opens a new connection for every request, so that the kernel hands
    them to either worker."""
    return httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"},
                        limits=httpx.Limits(max_keepalive_connections=0))


@pytest.mark.slow
def test_two_workers_elect_one_leader_and_keep_read_your_write(database: Database,
                                                               tmp_path: Path) -> None:
    room = classroom(database.settings, students=4, lessons=2)
    journal = room.school.journal
    with serving_process(database.settings, tmp_path / "serve.log", "--no-scheduler",
                         "--workers", "2") as server:
        wait_until(lambda: len(_leaders(server)) == 1, 60, "a leader elected")
        token = room.token(server.url)
        with _fresh(server.url, token) as c:
            # Each mark, written through whichever worker took the connection, is in the
            # very next grid read on a new connection.
            for n, student in enumerate(room.school.students):
                answer = c.post(f"/api/v1/journals/{journal}/lessons/{room.lessons[0]}/marks",
                                json={"student_id": str(student), "value": "5", "work": "oral"})
                assert answer.status_code == 201, answer.text
                grid = c.get(f"/api/v1/journals/{journal}/grid")
                assert grid.status_code == 200, grid.text
                marked = [row["id"] for row in grid.json()["students"]
                          if row["cells"].get(str(room.lessons[0])) == ["5"]]
                assert len(marked) == n + 1, (n, grid.json())
        # Exactly one process leads, and the session's last write is where every worker
        # reads it: in the database, at the log's head (the last mark's position).
        assert len(_leaders(server)) == 1
        engine = create_read_engine(database.settings)
        try:
            with engine.connect() as conn:
                kept = conn.execute(select(session_writes.c.position)).scalars().all()
        finally:
            engine.dispose()
        log = EJournal(database.settings)
        try:
            assert kept == [log.recorder.max_notification_id()]
        finally:
            log.close()

        # When the leader dies, another process takes the lease and projects the next write.
        (leader,) = _leaders(server)
        os.kill(leader, signal.SIGKILL)
        wait_until(lambda: len(_leaders(server)) == 2, 30 + 2 * RETRY, "a new leader")
        assert _leaders(server)[1] != leader
        with _fresh(server.url, token) as c:
            def written() -> bool:
                try:
                    return c.post(
                        f"/api/v1/journals/{journal}/lessons/{room.lessons[1]}/marks",
                        json={"student_id": str(room.school.students[0]), "value": "4",
                              "work": "oral"}).status_code == 201
                except httpx.TransportError:  # the killed worker's connection
                    return False

            wait_until(written, 30, "a write after the leader died")
            grid = c.get(f"/api/v1/journals/{journal}/grid")
            assert grid.status_code == 200, grid.text
            first = next(row for row in grid.json()["students"]
                         if row["id"] == str(room.school.students[0]))
            assert first["cells"].get(str(room.lessons[1])) == ["4"]


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        return int(f.read().rpartition(")")[2].split()[1])


@pytest.mark.slow
def test_one_worker_leaves_the_duties_to_a_process_of_their_own(database: Database,
                                                                tmp_path: Path) -> None:
    room = classroom(database.settings, students=2, lessons=2)
    journal = room.school.journal
    student = str(room.school.students[0])
    with serving_process(database.settings, tmp_path / "serve.log", "--no-scheduler") as server:
        wait_until(lambda: len(_leaders(server)) == 1, 60, "a leader elected")
        assert server.proc is not None
        # The projector runs in a child of the server, not in the process serving requests
        (leader,) = _leaders(server)
        assert leader != server.proc.pid
        assert _parent(leader) == server.proc.pid
        token = room.token(server.url)
        with _fresh(server.url, token) as c:
            for lesson, value in zip(room.lessons, "54", strict=True):
                if lesson == room.lessons[1]:
                    # When the duties' process dies, the server starts another, which leads
                    os.kill(leader, signal.SIGKILL)
                    wait_until(lambda: len(_leaders(server)) == 2, 30 + 2 * RETRY,
                               "the duties' process started again")
                answer = c.post(f"/api/v1/journals/{journal}/lessons/{lesson}/marks",
                                json={"student_id": student, "value": value, "work": "oral"})
                assert answer.status_code == 201, answer.text
                # The writer's next read holds the write, projected in the other process
                grid = c.get(f"/api/v1/journals/{journal}/grid")
                assert grid.status_code == 200, grid.text
                row = next(r for r in grid.json()["students"] if r["id"] == student)
                assert row["cells"].get(str(lesson)) == [value]
        assert _leaders(server)[1] not in (leader, server.proc.pid)
        # SIGTERM ends the server once its duties' process has stopped, as the signal would
        assert server.stop() == -signal.SIGTERM, server.tail()
        assert not running_in({server.proc.pid}), server.tail()


@pytest.mark.slow
def test_the_duties_process_stops_when_its_server_is_killed(database: Database,
                                                            tmp_path: Path) -> None:
    server = Serve(database.settings, tmp_path / "serve.log", "--no-scheduler")
    server.start()
    try:
        wait_until(lambda: len(_leaders(server)) == 1, 60, "a leader elected")
        assert server.proc is not None
        pid = server.proc.pid
        # When only the server's own process is killed (its children are not)
        os.kill(pid, signal.SIGKILL)
        server.proc.wait(timeout=30)
        # Then its duties' process, its standard input ended, stops by itself
        wait_until(lambda: not running_in({pid}), 30,
                   f"the duties' process to stop\n{server.tail()}")
    finally:
        server.kill()
