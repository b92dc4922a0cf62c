"""PostgreSQL stopped under write load, on a throwaway server of the test's own
(``pgcluster.py``; the shared one on 5432 is never touched): while it is down, writes and
reads answer 503 problem+json with Retry-After - never a 500 - and nothing half-written is
left; once it is back, the same ``ejournal serve`` recovers by itself (no restart), the
clients' retries with their Idempotency-Keys are each recorded exactly once, and the embedded
projector resumes and catches up."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from ejournal.settings import Settings
from tests.faults.conftest import assert_problem
from tests.faults.harness import (
    Writers,
    assert_read_models_hold,
    assert_reconciled,
    classroom,
)
from tests.faults.pgcluster import ThrowawayPostgres
from tests.servers import serving_process

THREADS, PER_THREAD = 3, 15


def test_postgres_stopped_under_load_answers_503_and_recovers_by_itself(
    postgres: ThrowawayPostgres, tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    settings = Settings(database_url=postgres.url)
    room = classroom(settings)
    with serving_process(settings, tmp_path / "serve.log", "--no-scheduler") as server:
        token = room.token(server.url)
        # Given teachers writing marks
        writers = Writers(room, server.url, token, threads=THREADS, per_thread=PER_THREAD,
                          deadline=180).start()
        writers.acknowledged(THREADS * PER_THREAD // 3, "the outage")
        # When PostgreSQL goes away as in a crash
        postgres.stop("immediate")
        # Then writes are refused with 503 problem+json and Retry-After, by every writer
        writers.outcomes.wait_for(lambda: writers.outcomes.seen["503"] >= 3 * THREADS, 90,
                                  "503 answers while the database is down")
        # and so are reads
        with httpx.Client(base_url=server.url, timeout=60,
                          headers={"Authorization": f"Bearer {token}"}) as c:
            diary = c.get(f"/api/v1/students/{room.school.students[0]}/diary")
        body = assert_problem(diary, 503)
        assert diary.headers["Retry-After"].isdigit()
        assert "unavailable" in body["detail"]
        # When it comes back (recovering from its WAL), the same server serves again
        postgres.start()
        outcomes = writers.join(timeout=180)

        # Then every write was acknowledged exactly once and nothing else is in the log
        book = assert_reconciled(room, outcomes, writers.keys)
        assert len(book.marks) == THREADS * PER_THREAD
        assert server.starts == 1
        assert set(outcomes.seen) <= {"201", "503"}, outcomes.seen
        record_property("answers", dict(outcomes.seen))
        record_property("replayed", outcomes.replayed)
        # And the projector, which failed while the database was down, resumed by itself
        assert_read_models_hold(room, server.url, token, book.marks)
