"""The README's walkthrough, as a newcomer runs it: `ejournal demo`, `ejournal projections
rebuild`, `ejournal serve`, then log in as the guardian the demo printed and read the child's
diary - on SQLite and PostgreSQL, with real processes and a real HTTP server."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from ejournal.application import EJournal
from ejournal.domain.lesson import Lesson
from ejournal.domain.school_class import SchoolClass
from tests.conftest import Database
from tests.servers import serve_env, serving_process

#: The moment the demo is recorded and served at: Friday 18 December 2026, 09:00 UTC.
DEMO_NOW = datetime(2026, 12, 18, 9, 0, tzinfo=UTC)


def _ejournal(database: Database, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ejournal.cli", *args],
                          env=serve_env(database.settings), text=True, capture_output=True,
                          timeout=600, check=False)


def _logins(stdout: str) -> dict[str, tuple[str, str]]:
    """`  guardian  parent07      <password>` lines after the "logins to try" line."""
    lines = stdout.split("logins to try", 1)[1].splitlines()[1:]
    return {role: (username, password) for role, username, password in
            (line.split() for line in lines if line.strip())}


def _expected_diary(database: Database, student: UUID) -> dict[tuple[str, str, int], Any]:
    """The student's lessons, marks and absences as the event log has them: (date, journal,
    slot) -> (topic, homework, [current mark values], absent)."""
    app = EJournal(database.settings)
    try:
        head = app.recorder.max_notification_id() or 0
        events = [app.mapper.to_domain_event(n)
                  for n in app.recorder.select_notifications(1, head + 1)]
        (own_class,) = {e.originator_id for e in events
                        if isinstance(e, SchoolClass.StudentEnrolled)
                        and e.student_id == student}
        expected = {}
        for lesson_id in {e.originator_id for e in events if isinstance(e, Lesson.Held)}:
            lesson = app.repository.get(lesson_id)
            assert isinstance(lesson, Lesson)
            if app.repository.get(lesson.journal_id).class_id != own_class:
                continue
            values = [m.value for m in lesson.marks.values()
                      if m.student_id == student and not m.cancelled]
            expected[(lesson.lesson_date.isoformat(), str(lesson.journal_id), lesson.slot)] = (
                lesson.topic, lesson.homework, sorted(values), student in lesson.absent)
        return expected
    finally:
        app.close()


def test_a_newcomer_loads_the_demo_serves_it_and_reads_a_diary_as_a_guardian(
    database: Database, tmp_path: Path
) -> None:
    # Given `ejournal demo` (which prints the logins to try) and the read models built
    demo = _ejournal(database, "demo", "--now", DEMO_NOW.isoformat())
    assert demo.returncode == 0, demo.stderr
    logins = _logins(demo.stdout)
    assert list(logins) == ["guardian", "student", "teacher", "admin", "auditor"]
    rebuilt = _ejournal(database, "projections", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    # When `ejournal serve` runs and the guardian logs in with the printed password
    username, password = logins["guardian"]
    log = tmp_path / "serve.log"
    with serving_process(database.settings, log, "--no-scheduler", now=DEMO_NOW) as served, \
            httpx.Client(base_url=served.url, timeout=30) as c:
        token = c.post("/api/v1/auth/token",
                       data={"username": username, "password": password}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        me = c.get("/api/v1/me", headers=headers).json()
        (child,) = me["children"]
        diary = c.get(f"/api/v1/students/{child}/diary", headers=headers)
        # and the student logs in too, and reads the same diary
        s_user, s_password = logins["student"]
        s_token = c.post("/api/v1/auth/token",
                         data={"username": s_user, "password": s_password}).json()
        own = c.get(f"/api/v1/students/{child}/diary",
                    headers={"Authorization": f"Bearer {s_token['access_token']}"})
    # Then the diary holds the child's month of lessons, marks and absences, as recorded
    assert me["role"] == "guardian"
    assert diary.status_code == 200, diary.text
    assert own.json() == diary.json()
    answered = {(day["date"], lesson["journal_id"], lesson["slot"]): (
        lesson["topic"], lesson["homework"], sorted(m["value"] for m in lesson["marks"]),
        lesson["absent"]) for day in diary.json()["days"] for lesson in day["lessons"]}
    expected = _expected_diary(database, UUID(child))
    assert answered == expected
    assert len({key[0] for key in answered}) >= 15  # a month of school days
    assert max(key[0] for key in answered) == "2026-12-18"  # up to the day it was recorded
    assert sum(len(v[2]) for v in answered.values()) >= 5  # with marks
    subjects = defaultdict(int)
    for day in diary.json()["days"]:
        for lesson in day["lessons"]:
            subjects[lesson["subject"]] += 1
    assert set(subjects) == {"Математика", "Русский язык", "История"}
