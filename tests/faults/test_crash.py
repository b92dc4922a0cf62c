"""``ejournal serve`` killed with SIGKILL under write load, twice, and started again - one
process, or two workers (``--workers 2``, every process of the server killed at once, as a
crash of the machine would); the teachers' clients retry with their Idempotency-Keys: no
acknowledged write is lost, none is doubled, every write is eventually acknowledged exactly
once, and the read models (whose projector was killed mid-batch as well) show exactly the
marks of the log."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Database
from tests.faults.harness import (
    Writers,
    assert_read_models_hold,
    assert_reconciled,
    classroom,
)
from tests.servers import serving_process

THREADS, PER_THREAD, KILLS = 3, 15, 2


@pytest.mark.parametrize("workers", [1, 2], ids=["one-process", "two-workers"])
def test_a_server_killed_under_write_load_loses_and_doubles_nothing(
    database: Database, tmp_path: Path, record_property: Callable[[str, object], None],
    workers: int,
) -> None:
    room = classroom(database.settings)
    with serving_process(database.settings, tmp_path / "serve.log", "--no-scheduler",
                         "--workers", str(workers)) as server:
        token = room.token(server.url)
        # Given teachers' clients writing marks, each with its own Idempotency-Keys
        writers = Writers(room, server.url, token, threads=THREADS,
                          per_thread=PER_THREAD).start()
        for kill in range(1, KILLS + 1):
            # When the server is killed once a share of the writes is acknowledged
            writers.acknowledged(kill * THREADS * PER_THREAD // (KILLS + 1), f"kill {kill}")
            server.kill()
            # and started again (the clients meet a dead socket meanwhile, and retry)
            server.start()
        outcomes = writers.join()

        # Then every write was acknowledged once, and the log holds each exactly once
        book = assert_reconciled(room, outcomes, writers.keys)
        assert len(book.marks) == THREADS * PER_THREAD
        assert server.starts == KILLS + 1
        # the kills were felt: broken connections, or answers replayed from a receipt
        broken = sum(n for kind, n in outcomes.seen.items() if kind.startswith("connection"))
        assert broken + outcomes.replayed > 0, outcomes.seen
        record_property("answers", dict(outcomes.seen))
        record_property("replayed", outcomes.replayed)
        assert set(outcomes.seen) <= {"201"} | {k for k in outcomes.seen
                                               if k.startswith("connection")}
        # And the read models, kept by a projector killed with the server, show exactly them
        assert_read_models_hold(room, server.url, token, book.marks)
