"""`ejournal check` and `ejournal scheduler --once`, run as real processes."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from typing import Any

import pytest

from ejournal.application.commands import HoldLesson, SetTimetable
from tests.conftest import Database
from tests.scheduler.conftest import FOUND, Compliance, cli_env, local, make_school

MON, TUE, WED, THU = (date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18),
                      date(2026, 11, 19))

pytestmark = pytest.mark.slow  # real processes


def ejournal(database: Database, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ejournal.cli", *args],
                          env=cli_env(database.settings), text=True, capture_output=True,
                          timeout=300, check=False)


def check_json(database: Database, school: object, as_of: date) -> dict[str, Any]:
    result = ejournal(database, "check", "--school", str(school), "--as-of", as_of.isoformat(),
                      "--json")
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def test_check_prints_the_findings_records_them_once_and_exits_0(
    compliance: Compliance,
) -> None:
    c = compliance
    s = make_school(c.app, starts_on=MON, timetable=[(1, 1), (3, 2)])
    c.at(s, MON, 9)
    c.app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=1, topic="Дроби"))
    # As of Thursday (its start): Monday's attendance and Wednesday's lesson are missing.
    first = ejournal(c.database, "check", "--school", str(s.school), "--as-of", THU.isoformat())
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    # Expected: Monday's and Wednesday's timetabled lessons, the attendance of Monday's.
    assert lines[0] == (f"school {s.school} as of {THU}: 3 days checked, 2 of 3 expected "
                        "entries missing (66.7 %; 2 newly recorded), 0 resolved since")
    assert lines[1] == (f"R-4.6   {MON} journal {s.journal} slot 1 student - due {MON} "
                        f"teacher {s.teacher}  (new)")
    assert lines[2] == (f"R-4.5   {WED} journal {s.journal} slot 2 student - due {WED} "
                        f"teacher {s.teacher}  (new)")
    assert len(lines) == 3
    # Again: the same findings, none new; the log holds each once.
    again = check_json(c.database, s.school, THU)
    assert [(f["rule"], f["date"], f["slot"], f["new"]) for f in again["findings"]] == [
        ("R-4.6", MON.isoformat(), 1, False), ("R-4.5", WED.isoformat(), 2, False)]
    assert sorted(c.logged(FOUND).values()) == [1, 1]
    assert again["expected"] == {"R-4.5": 2, "R-4.6": 1, "R-6.1d": 0, "R-6.2": 0}
    # As of Tuesday only Monday's deadline had passed.
    early = check_json(c.database, s.school, TUE)
    assert [(f["rule"], f["date"]) for f in early["findings"]] == [("R-4.6", MON.isoformat())]
    assert early["days_checked"] == 1


def test_a_timetable_entered_late_reveals_the_lessons_missing_before_it_was_entered(
    compliance: Compliance,
) -> None:
    c = compliance
    s = make_school(c.app, starts_on=MON)
    # On Thursday the admin enters the timetable, valid from Monday.
    c.at(s, THU, 12)
    c.app.execute(SetTimetable(s.admin, s.school_class, valid_from=MON,
                               lessons=[(1, 1, s.journal), (2, 4, s.journal)]))
    found = check_json(c.database, s.school, THU)["findings"]
    assert [(f["rule"], f["date"], f["slot"]) for f in found] == [
        ("R-4.5", MON.isoformat(), 1), ("R-4.5", TUE.isoformat(), 4)]


def test_check_refuses_a_date_in_the_future_and_an_unknown_school(
    compliance: Compliance,
) -> None:
    c = compliance
    s = make_school(c.app, starts_on=MON)
    future = date(2100, 12, 31)  # the last day a request may name, after any day of a run
    refused = ejournal(c.database, "check", "--school", str(s.school), "--as-of",
                       future.isoformat())
    assert refused.returncode == 1
    assert f"--as-of {future} is in the future" in refused.stderr
    unknown = ejournal(c.database, "check", "--school", "5d9ee7d5-9949-5a7d-8283-e0d5f4317693",
                       "--as-of", THU.isoformat())
    assert unknown.returncode == 1
    assert "no school 5d9ee7d5-9949-5a7d-8283-e0d5f4317693" in unknown.stderr
    bad = ejournal(c.database, "check", "--school", "nope", "--as-of", THU.isoformat())
    assert bad.returncode == 2
    assert "--school: invalid UUID value" in bad.stderr
    assert c.logged(FOUND) == {}


def test_scheduler_once_checks_each_school_and_says_what_it_did(compliance: Compliance) -> None:
    c = compliance
    s = make_school(c.app, starts_on=MON, timetable=[(1, 1)])
    now = local(s.timezone, TUE, 0, 30).isoformat()
    first = ejournal(c.database, "scheduler", "--once", "--now", now)
    assert first.returncode == 0, first.stderr
    assert f"school {s.school}: {MON}..{MON}, 1 new findings, 0 resolved" in first.stdout
    again = ejournal(c.database, "scheduler", "--once", "--now", now)
    assert f"school {s.school}: nothing due, 0 new findings, 0 resolved" in again.stdout
    wrong = ejournal(c.database, "scheduler", "--now", now)
    assert wrong.returncode == 2
    assert "--now is for --once only" in wrong.stderr
