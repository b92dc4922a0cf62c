"""The `ejournal` command, run as a real process on a real SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ejournal.application.commands import AddSubject
from ejournal.projections.catalog import model_names, projector_for
from tests.builders import build_school
from tests.databases import NOW, Clock, Database
from tests.servers import serve_env

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
    assert lessons > 300  # from 1 September to 25 November, 16 lessons a week a class
    info = run(tmp_path, "info")
    assert info.returncode == 0
    events = int(info.stdout.split("events in the log: ")[1].split()[0])
    assert events > 2500
    # A second demo with the same seed is refused, says how to start afresh or add another
    # school beside it, and writes nothing.
    again = run(tmp_path, *DEMO)
    assert again.returncode == 1
    assert "the login operator07 of the demo school of seed 7 is taken" in again.stderr
    assert f"To start afresh: delete {tmp_path / 'j.db'}" in again.stderr
    assert "`ejournal demo --seed 107`" in again.stderr
    assert f"events in the log: {events}" in run(tmp_path, "info").stdout
    # The seed it suggests adds a second school beside the first, with logins of its own.
    second = run(tmp_path, *DEMO, "--seed", "107")
    assert second.returncode == 0, second.stderr
    assert "guardian  parent107" in second.stdout
    assert second.stdout.split()[2] != demo.stdout.split()[2]  # another school's id


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
    names = model_names()
    assert {"diary", "grid", "summary", "timeliness", "mark_history", "feed", "directory",
            "structure", "findings", "lookups", "reports"} <= set(names)
    for name in names:
        assert f"{name}: position {head} of {head}" in rebuild.stdout
    after = run(tmp_path, "projections", "status")
    assert [line.split()[3] for line in after.stdout.splitlines()[1:]] == ["0"] * len(names)
    unknown = run(tmp_path, "projections", "rebuild", "nope")
    assert unknown.returncode == 2
    assert "unknown read model(s) nope" in unknown.stderr


# --- the operator's lists: ids and names without SQL, on both databases ---------------------


def _lists(database: Database, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ejournal.cli", *args],
                          env=serve_env(database.settings), text=True, capture_output=True,
                          timeout=120, check=False)


def _listed(database: Database, *args: str) -> list[dict[str, Any]]:
    done = _lists(database, *args, "--json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # the read model is up to date: no warning
    found: list[dict[str, Any]] = json.loads(done.stdout)
    return found


def test_operator_lists_give_the_ids_of_schools_people_years_classes_and_journals(
        database: Database) -> None:
    # Given a school recorded and its read models up to date
    app = database.app(Clock(NOW))
    s = build_school(app, students=2)
    projector = projector_for(app)
    projector.setup()
    projector.catch_up()
    # Then each list gives the ids with their names
    assert [(x["id"], x["name"]) for x in _listed(database, "schools", "list")] == [
        (str(s.school), f"Школа {s.tag}")]
    people = _listed(database, "users", "list", "--school", str(s.school))
    assert {x["id"]: x["username"] for x in people} == {
        str(ident): s.usernames[who] for who, ident in s.people.items()}
    teachers = _listed(database, "users", "list", "--school", str(s.school), "--role", "teacher")
    assert [(x["full_name"], x["role"]) for x in teachers] == [
        ("Мария Ивановна", "teacher"), ("Пётр Петрович", "teacher")]
    (year,) = _listed(database, "years", "list", "--school", str(s.school))
    assert year["id"] == str(s.year)
    assert {p["id"] for p in year["periods"]} == {str(p) for p in s.periods.values()}
    assert [(x["id"], x["name"]) for x in _listed(
        database, "subjects", "list", "--school", str(s.school))] == [
        (str(s.subject), "Математика")]
    (school_class,) = _listed(database, "classes", "list", "--school", str(s.school))
    assert (school_class["id"], school_class["name"], school_class["class_teacher_name"]) == (
        str(s.school_class), "7Б", "Мария Ивановна")
    for which in (("--teacher", str(s.teacher), "--on", NOW.date().isoformat()),
                  ("--class", str(s.school_class))):
        (journal,) = _listed(database, "journals", "list", *which)
        assert (journal["id"], journal["class_name"], journal["subject_name"],
                journal["teacher_name"]) == (str(s.journal), "7Б", "Математика",
                                             "Мария Ивановна")
    assert _listed(database, "journals", "list", "--teacher", str(s.other_teacher),
                   "--on", NOW.date().isoformat()) == []
    # And without --json, aligned columns under a header
    table = _lists(database, "users", "list", "--school", str(s.school), "--role", "teacher")
    assert table.stdout.splitlines()[0].split() == ["id", "username", "role", "full_name"]
    assert f"{s.teacher}  {s.usernames['teacher']}" in table.stdout
    # An unknown id is an error naming it; a read model behind the log says so
    unknown = _lists(database, "users", "list", "--school", str(s.journal))
    assert (unknown.returncode, unknown.stderr.strip()) == (1, f"ejournal: no school {s.journal}")
    not_teacher = _lists(database, "journals", "list", "--teacher", str(s.admin))
    assert not_teacher.returncode == 1
    assert f"no teacher {s.admin}" in not_teacher.stderr
    app.execute(AddSubject(s.admin, s.school, name="Физика"))
    app.close()
    behind = _lists(database, "subjects", "list", "--school", str(s.school))
    assert behind.returncode == 0
    assert "the lookups read model is 1 event(s) behind the log" in behind.stderr
