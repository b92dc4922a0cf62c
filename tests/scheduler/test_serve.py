"""`ejournal serve` runs the scheduler in the same process (unless `--no-scheduler`): on start
it catches up, with the real clock, on every day since the last one checked."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time as clock
from datetime import date

import pytest

from tests.scheduler.conftest import FOUND, Compliance, cli_env, make_school

MON = date(2026, 11, 16)  # before any day these tests run on

pytestmark = pytest.mark.slow  # real processes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_serve_runs_the_scheduler_which_catches_up_on_start(compliance: Compliance) -> None:
    c = compliance
    s = make_school(c.app, starts_on=MON, timetable=[(1, 1)])
    proc = subprocess.Popen(
        [sys.executable, "-m", "ejournal.cli", "serve", "--port", str(_free_port()),
         "--no-projector"], env=cli_env(c.database.settings),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        # Wait (at most a minute) for the start-up catch-up to record Monday's missing lesson.
        deadline = clock.monotonic() + 60
        while not c.logged(FOUND) and proc.poll() is None and clock.monotonic() < deadline:
            pass
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    (item, *_) = c.overdue(s)
    assert (item.rule, item.business_date, item.slot) == ("R-4.5", MON, 1)
    assert sum(c.logged(FOUND).values()) == len(c.logged(FOUND))
