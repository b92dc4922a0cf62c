"""The `ejournal` command, run as a real process on a real SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # real processes

#: The demo as recorded on a school day (its four weeks of lessons end that day).
DEMO = ("demo", "--now", "2026-11-25T12:00:00+00:00")


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EJOURNAL_DATABASE_URL": f"sqlite:///{tmp_path / 'j.db'}"}
    return subprocess.run([sys.executable, "-m", "ejournal.cli", *args], env=env, text=True,
                          capture_output=True, timeout=300, check=False)


def test_demo_records_a_school_and_info_counts_its_events(tmp_path: Path) -> None:
    demo = run(tmp_path, *DEMO)
    assert demo.returncode == 0, demo.stderr
    assert "guardian  parent07" in demo.stdout
    lessons = int(demo.stdout.split(" lessons,")[0].rsplit(" ", 1)[-1])
    assert lessons > 50
    info = run(tmp_path, "info")
    assert info.returncode == 0
    events = int(info.stdout.split("events in the log: ")[1].split()[0])
    assert events > 800
    # A second demo with the same seed is refused (usernames are unique) and writes nothing.
    again = run(tmp_path, *DEMO)
    assert again.returncode == 1
    assert "is taken" in again.stderr
    assert f"events in the log: {events}" in run(tmp_path, "info").stdout


def test_an_unsupported_database_url_is_a_clear_error(tmp_path: Path) -> None:
    env = {**os.environ, "EJOURNAL_DATABASE_URL": "mysql://x@localhost/db"}
    result = subprocess.run([sys.executable, "-m", "ejournal.cli", "info"], env=env, text=True,
                            capture_output=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "unsupported scheme 'mysql'" in result.stderr


def test_projections_rebuild_shows_progress_and_status_shows_no_lag(tmp_path: Path) -> None:
    assert run(tmp_path, *DEMO).returncode == 0
    head = int(run(tmp_path, "info").stdout.split("events in the log: ")[1].split()[0])
    before = run(tmp_path, "projections", "status")
    assert before.returncode == 0
    assert f"diary                     0 {head:>10} {head:>8}" in before.stdout
    rebuild = run(tmp_path, "projections", "rebuild", "--batch", "500")
    assert rebuild.returncode == 0, rebuild.stderr
    assert "[########################################]" in rebuild.stderr
    assert f"{head}/{head} events" in rebuild.stderr
    for name in ("diary", "grid", "summary", "timeliness", "mark_history", "feed",
                 "directory", "structure", "findings", "lookups", "reports"):
        assert f"{name}: position {head} of {head}" in rebuild.stdout
    after = run(tmp_path, "projections", "status")
    assert [line.split()[3] for line in after.stdout.splitlines()[1:]] == ["0"] * 11
    unknown = run(tmp_path, "projections", "rebuild", "nope")
    assert unknown.returncode == 2
    assert "unknown read model(s) nope" in unknown.stderr
