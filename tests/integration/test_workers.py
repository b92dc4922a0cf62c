"""``ejournal serve --workers 2``: two processes on one port, one of them elected to run the
projector (and the ledger, the scheduler, the mail). A teacher's write answered by either
worker is seen by the teacher's next read on any connection, whichever worker takes it; when
the leader is killed, the other worker (or the leader's replacement) takes the lease and the
read models move on."""

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
from tests.servers import Serve, serving_process, wait_until

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
