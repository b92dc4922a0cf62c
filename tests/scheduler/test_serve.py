"""`ejournal serve` runs the scheduler in the same process (unless `--no-scheduler`): on start
it catches up, on the server's clock, on every day since the last one checked."""

from __future__ import annotations

import signal
from datetime import date
from pathlib import Path

import pytest

from tests.databases import NOW
from tests.scheduler.conftest import FOUND, Compliance, make_school
from tests.servers import Serve, wait_until

MON = date(2026, 11, 16)  # the Monday before the server's today (NOW, Wednesday 25.11)

pytestmark = pytest.mark.slow  # real processes


def test_serve_runs_the_scheduler_which_catches_up_on_start(compliance: Compliance,
                                                              tmp_path: Path) -> None:
    c = compliance
    s = make_school(c.app, starts_on=MON, timetable=[(1, 1)])
    server = Serve(c.database.settings, tmp_path / "serve.log", "--no-projector", now=NOW)
    server.start()
    try:
        # The start-up catch-up records Monday's missing lesson (and the next Monday's).
        wait_until(lambda: bool(c.logged(FOUND)), 60, f"a finding\n{server.tail()}",
                   pause=0.1)
    finally:
        code = server.stop(signal.SIGINT)
    assert code == 0, server.tail()
    found = [(i.rule, i.business_date, i.slot) for i in c.overdue(s)]
    assert found[0] == ("R-4.5", MON, 1)
    assert set(found) <= {("R-4.5", MON, 1), ("R-4.5", date(2026, 11, 23), 1)}
    assert sum(c.logged(FOUND).values()) == len(c.logged(FOUND))
