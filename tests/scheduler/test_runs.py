"""Runs of the scheduler: catch-up after downtime, a restart in the middle of a run, two
scheduler processes at once, the database lock - each finding is recorded exactly once."""

from __future__ import annotations

import random
import re
import subprocess
import sys
import threading
from collections import Counter
from datetime import date, time
from typing import Any
from uuid import UUID

import pytest

from ejournal.application import EJournal
from ejournal.application.commands import HoldLesson, RecordFindings
from ejournal.application.locks import SchoolLocks
from ejournal.domain.findings import Finding
from ejournal.projections.base import create_read_engine
from ejournal.scheduler.service import ComplianceScheduler
from tests.builders import SmallSchool
from tests.conftest import Database
from tests.scheduler.conftest import (
    DAY_CHECKED,
    FOUND,
    Compliance,
    cli_env,
    count_events,
    local,
    make_school,
)

MON, TUE, WED, THU, FRI = (date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25),
                           date(2026, 11, 26), date(2026, 11, 27))
WEEKDAYS = [(d, 1) for d in range(1, 6)]


def test_after_three_days_down_the_scheduler_catches_up_every_day_once(
    compliance: Compliance,
) -> None:
    c = compliance
    s = make_school(c.app, timetable=WEEKDAYS)
    assert c.night_after(s, MON).days == [MON]
    # The service is down on the nights after Tuesday, Wednesday and Thursday. Meanwhile the
    # teacher records Wednesday's lesson late, on Thursday: with the data known at the
    # catch-up it is not missing (it is a late entry instead).
    c.at(s, THU, 10)
    wednesday = c.app.execute(HoldLesson(s.teacher, s.journal, lesson_date=WED, slot=1, topic="Т"))
    assert wednesday.late is not None
    # Friday noon it starts again: the start-up catch-up checks the three days it missed.
    c.at(s, FRI, 12)
    scheduler = ComplianceScheduler(c.database.settings.model_copy(
        update={"scheduler_run_at": time(0, 30)}), runner=c.runner)
    assert s.school in scheduler.discover()
    assert c.days_checked(s) == [MON, TUE, WED, THU]
    # (Wednesday's lesson has no attendance, though: .)
    assert sorted((i.rule, i.business_date) for i in c.overdue(s)) == [
        ("R-4.5", MON), ("R-4.5", TUE), ("R-4.5", THU), ("R-4.6", WED)]
    assert set(c.logged(FOUND).values()) == {1}
    # The job of the night after Friday checks Friday, and only Friday.
    assert c.night_after(s, FRI).days == [FRI]
    assert c.days_checked(s) == [MON, TUE, WED, THU, FRI]
    assert c.logged(DAY_CHECKED) == Counter({_audit(s): 5})


def _audit(s: SmallSchool) -> UUID:
    from ejournal.domain.findings import audit_id

    return audit_id(s.school)


def _long_history(app: EJournal) -> SmallSchool:
    """A school whose scheduler has never run: a quarter of school days to catch up on."""
    return make_school(app, starts_on=date(2026, 9, 1),
                       holidays=[("осенние каникулы", date(2026, 10, 26), date(2026, 11, 4))],
                       timetable=[(d, slot) for d in range(1, 6) for slot in (1, 2, 3)])


def _scheduler_once(database: Database, now: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ejournal.cli", "scheduler", "--once", "--now", now],
        env=cli_env(database.settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)


@pytest.mark.slow
def test_a_scheduler_killed_in_the_middle_of_runs_records_each_finding_once(
    compliance: Compliance,
) -> None:
    c = compliance
    s = _long_history(c.app)
    now = local(s.timezone, FRI, 0, 30).isoformat()  # checks 1.09 .. 26.11
    rng = random.Random(20261127)
    kills = 0
    for _ in range(40):
        start = c.app.recorder.max_notification_id() or 0
        target = start + rng.randint(10, 120)
        proc = _scheduler_once(c.database, now)
        while (c.app.recorder.max_notification_id() or 0) < target and proc.poll() is None:
            pass
        if proc.poll() is None:
            proc.kill()
            kills += 1
        _, err = proc.communicate(timeout=60)
        assert proc.returncode in (0, -9), err
        if proc.returncode == 0:
            break
    assert proc.returncode == 0
    assert kills >= 2
    days = c.days_checked(s)
    assert days == sorted(set(days))
    assert days[0] == date(2026, 9, 1)
    assert days[-1] == THU
    assert len(days) == (THU - date(2026, 9, 1)).days + 1
    found = c.logged(FOUND)
    assert set(found.values()) == {1}
    # Nothing is missing either: a check of the same days finds exactly what was recorded.
    c.at(s, FRI, 1)
    check = c.runner.check(s.school, FRI)
    assert check.new == set()
    assert {f.id for f in check.findings} == set(found)
    assert len(found) > 100


@pytest.mark.slow
def test_two_scheduler_processes_at_once_record_each_finding_once(
    compliance: Compliance,
) -> None:
    c = compliance
    s = _long_history(c.app)
    now = local(s.timezone, FRI, 0, 30).isoformat()
    procs = [_scheduler_once(c.database, now) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    found = c.logged(FOUND)
    assert set(found.values()) == {1}
    days = c.days_checked(s)
    assert days == sorted(set(days))
    assert len(days) == (THU - date(2026, 9, 1)).days + 1
    # Each process says what it recorded: together, every finding once.
    reported = [int(m) for out, _ in outputs
                for m in re.findall(rf"school {s.school}: .*?(\d+) new findings", out)]
    assert sum(reported) == len(found) > 100


def test_a_school_locked_by_another_process_is_skipped_until_released(
    compliance: Compliance,
) -> None:
    c = compliance
    s = make_school(c.app, timetable=WEEKDAYS)
    c.at(s, WED, 1)
    other = SchoolLocks(c.database.settings, create_read_engine(c.database.settings))
    try:
        with other.hold(s.school, wait=False) as held:
            assert held
            run = c.runner.run_school(s.school)
            assert run.held_elsewhere
            assert (run.days, run.findings) == ([], [])
            assert c.logged(FOUND) == Counter()
            # The lock is the school's: another school is checked meanwhile.
            t = make_school(c.app, timetable=WEEKDAYS)
            assert c.runner.run_school(t.school).days == [MON, TUE]
        run = c.runner.run_school(s.school)
        assert not run.held_elsewhere
        assert run.days == [MON, TUE]
    finally:
        other.engine.dispose()
    assert sum(c.logged(FOUND).values()) == 4


def test_two_writers_recording_the_same_findings_at_once_record_them_once(
    database: Database, compliance: Compliance,
) -> None:
    """Without the lock (``ejournal check`` beside the scheduler): derived ids decide."""
    c = compliance
    s = make_school(c.app, timetable=WEEKDAYS)
    c.at(s, FRI, 1)
    c.runner.refresh()
    state = c.runner.state(s.school)
    assert state is not None
    findings = [f for day in (MON, TUE, WED, THU) for f in c.runner.findings_of(state, day)]
    assert len(findings) == 4
    start = threading.Barrier(2)
    results: list[int] = []
    failures: list[BaseException] = []

    def write() -> None:
        app = database.app(c.clock)
        try:
            start.wait(timeout=60)
            results.append(len(app.execute(RecordFindings(s.school, findings)).new))
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            failures.append(exc)
        finally:
            app.close()

    threads = [threading.Thread(target=write) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert failures == []
    assert sorted(results) == [0, 4]  # one transaction each: whoever saved first, all 4
    assert count_events(c.app, FOUND) == Counter({f.id: 1 for f in findings})


def test_a_finding_saved_after_its_entry_arrived_is_resolved_all_the_same(
    compliance: Compliance,
) -> None:
    """The check reads the journal, the teacher writes, then the finding is saved."""
    c = compliance
    s = make_school(c.app, timetable=WEEKDAYS)
    entered = local(s.timezone, TUE, 0, 31)
    check = c.runner.findings_of

    def check_then_teacher_writes(state: Any, day: date) -> list[Finding]:
        found = check(state, day)
        c.clock.set(entered)
        c.app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=1, topic="Т"))
        return found

    c.runner.findings_of = check_then_teacher_writes  # type: ignore[method-assign]
    run = c.runner.run_school(s.school, local(s.timezone, TUE, 0, 30))
    assert [f.rule for f in run.findings] == ["R-4.5"]
    assert run.resolved == 1
    (item,) = c.overdue(s)
    assert (item.rule, item.business_date, item.resolved_at) == ("R-4.5", MON, entered)
    (finding,) = run.findings
    assert c.finding(finding.id).entered_at == entered


def test_check_resolves_any_open_finding_whose_entry_is_there(compliance: Compliance) -> None:
    """A run that died between saving a finding and resolving it: ``ejournal check`` sweeps
    every open finding of the school."""
    c = compliance
    s = make_school(c.app, timetable=WEEKDAYS)
    c.at(s, TUE, 0, 30)
    c.runner.refresh()
    state = c.runner.state(s.school)
    assert state is not None
    (stale,) = c.runner.findings_of(state, MON)
    entered = c.at(s, TUE, 0, 31)
    c.app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=1, topic="Т"))
    c.app.execute(RecordFindings(s.school, [stale], day_checked=MON))
    assert c.runner.run_school(s.school).resolved == 0  # not this run's finding
    assert c.runner.check(s.school, TUE).resolved == 1
    # (The check finds the lesson's attendance missing, too: .)
    (item,) = c.overdue(s, rule="R-4.5")
    assert (item.business_date, item.resolved_at) == (MON, entered)
