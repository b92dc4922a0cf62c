"""The README's walkthrough, as a newcomer runs it: `ejournal demo`, `ejournal projections
rebuild`, `ejournal serve`, then log in as the guardian the demo printed and read the child's
diary; as the teacher, find their journal's grid and a period's summary, and as the auditor
the school's reports, each id from that login's own answers (and the README's shell block
for them, run as written); and `ejournal demo --serve`, the README's first command, logged in
to with a login it printed - on SQLite and PostgreSQL, with real processes and a real HTTP
server."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from ejournal.application import EJournal
from ejournal.demo.people import TEACHERS
from ejournal.demo.programmes import SUBJECTS
from ejournal.domain.lesson import Lesson
from ejournal.domain.school_class import SchoolClass
from tests.conftest import Database
from tests.servers import free_port, serve_env, serving_process, wait_until

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
    assert set(subjects) == {s.name for s in SUBJECTS}  # the six subjects of the timetable


def _grid_marks(grid: dict[str, Any]) -> dict[str, list[str]]:
    """Each student's marks in a grid (its cells hold marks and «Н»)."""
    return {s["id"]: sorted(v for cell in s["cells"].values() for v in cell if v != "Н")
            for s in grid["students"]}


README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_walkthrough(url: str, logins: dict[str, tuple[str, str]]) -> list[Any]:
    """The README's shell block for the teacher and the auditor, run by bash against ``url``
    with the passwords the demo printed (its usernames must be the demo's): the JSON
    documents it prints, in order."""
    text = README.read_text(encoding="utf-8")
    block = text.split("The teacher and the auditor find", 1)[1]
    script = block.split("```sh\n", 1)[1].split("```", 1)[0]
    for role in ("teacher", "auditor"):
        username, password = logins[role]
        placeholder = f"login {username} 'the {role} password ejournal demo printed'"
        assert placeholder in script, f"the README logs in as someone else than the {role}"
        script = script.replace(placeholder, f"login {username} '{password}'")
    script = script.replace("http://127.0.0.1:8000", url)
    bash = shutil.which("bash")
    assert bash, "the README's walkthrough needs bash"
    assert shutil.which("curl"), "the README's walkthrough needs curl"
    done = subprocess.run([bash, "-euo", "pipefail", "-c", script], text=True,
                          capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    decoder, found, at = json.JSONDecoder(), [], 0
    while at < len(done.stdout.rstrip()):
        document, at = decoder.raw_decode(done.stdout, at)
        found.append(document)
        while at < len(done.stdout) and done.stdout[at].isspace():
            at += 1
    return found


def test_the_teacher_and_the_auditor_find_their_way_from_api_answers_alone(
    database: Database, tmp_path: Path
) -> None:
    """The README's walkthrough for staff: each id a request needs comes from an earlier
    answer to the same login - never from SQL or from another role's answers."""
    demo = _ejournal(database, "demo", "--now", DEMO_NOW.isoformat())
    assert demo.returncode == 0, demo.stderr
    logins = _logins(demo.stdout)
    flagged = int(demo.stdout.split(" late entries (flagged)")[0].rsplit(" ", 1)[-1])
    assert _ejournal(database, "projections", "rebuild").returncode == 0
    with serving_process(database.settings, tmp_path / "serve.log", "--no-scheduler",
                         now=DEMO_NOW) as served:

        def client(role: str) -> httpx.Client:
            username, password = logins[role]
            with httpx.Client(base_url=served.url, timeout=30) as c:
                token = c.post("/api/v1/auth/token", data={"username": username,
                                                           "password": password})
            assert token.status_code == 200, token.text
            return httpx.Client(base_url=served.url, timeout=30, headers={
                "Authorization": f"Bearer {token.json()['access_token']}"})

        def ok(c: httpx.Client, path: str, **params: str) -> Any:
            answer = c.get(path, params=params)
            assert answer.status_code == 200, f"{path}: {answer.text}"
            return answer.json()

        # The teacher: their school from /me, their journals from /me/journals
        with client("teacher") as teacher:
            school = ok(teacher, "/api/v1/me")["school_id"]
            journals = ok(teacher, "/api/v1/me/journals")["items"]
            assert journals
            journal = journals[0]
            assert journal["subject_name"] in {s.name for s in SUBJECTS}
            # the periods of the school's year, and its first (the first quarter, ended)
            (year,) = ok(teacher, f"/api/v1/schools/{school}/years")["items"]
            period = year["periods"][0]
            assert period["ends_on"] < DEMO_NOW.date().isoformat()
            grid = ok(teacher, f"/api/v1/journals/{journal['id']}/grid",
                      **{"from": period["starts_on"], "to": period["ends_on"]})
            summary = ok(teacher, f"/api/v1/journals/{journal['id']}/summary",
                         period_id=period["id"])
        assert len(grid["lessons"]) >= 10
        assert len(grid["students"]) >= 20
        by_grid = _grid_marks(grid)
        assert sum(map(len, by_grid.values())) >= 50
        # The summary of the period holds the same marks as the grid of its days
        assert {s["student_id"]: sorted(s["marks"]) for s in summary["students"]} == by_grid
        for student in summary["students"]:
            marks = [int(v) for v in student["marks"]]
            assert student["average"] == (round(sum(marks) / len(marks), 2) if marks else None)

        # The auditor: the school from /me; late entries, timeliness, overdue; a class's
        # performance for a period, ids from the auditor's own answers
        with client("auditor") as auditor:
            school = ok(auditor, "/api/v1/me")["school_id"]
            late = ok(auditor, f"/api/v1/schools/{school}/late-entries")
            timeliness = ok(auditor, f"/api/v1/schools/{school}/timeliness")
            overdue = ok(auditor, f"/api/v1/schools/{school}/overdue")
            classes = ok(auditor, f"/api/v1/schools/{school}/classes")["items"]
            (year,) = ok(auditor, f"/api/v1/schools/{school}/years")["items"]
            performance = ok(auditor, f"/api/v1/classes/{classes[0]['id']}/performance",
                             period_id=year["periods"][0]["id"])
        # And the README's own shell block, run as written, answers the same
        printed = _readme_walkthrough(served.url, logins)
    assert [set(printed[0])] == [{"lessons", "students"}]
    assert printed[1:] == [summary, late, timeliness, performance]
    assert late["next"] is None
    assert len(late["items"]) == flagged
    assert {item["by_name"] for item in late["items"]} == {name for name, _ in TEACHERS}
    assert timeliness["items"]
    assert overdue["items"] == []  # `--no-scheduler`, and no `ejournal check` was run
    assert {c["name"] for c in classes} == {"7А", "7Б"}
    assert len(performance["students"]) >= 20
    assert {s["subject_name"] for s in performance["subjects"]} == {s.name for s in SUBJECTS}


def test_demo_serve_records_the_school_serves_it_and_a_printed_login_works(
    database: Database, tmp_path: Path
) -> None:
    # Given `ejournal demo --serve` as a process of its own, on a free port
    port = free_port()
    log = tmp_path / "demo-serve.log"
    printed: list[str] = []
    with log.open("wb") as errors:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ejournal.cli", "demo", "--serve", "--port", str(port),
             "--now", DEMO_NOW.isoformat()], env=serve_env(database.settings),
            stdout=subprocess.PIPE, stderr=errors, text=True)
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: printed.extend(proc.stdout or ()), daemon=True)
    reader.start()
    url = f"http://127.0.0.1:{port}"
    try:
        # When it prints the address and the logins, and answers there
        wait_until(lambda: _served(proc, url, printed), 300,
                   f"ejournal demo --serve\n{''.join(printed)}\n{log.read_text()}")
        out = "".join(printed)
        assert f"serving at {url}/ - log in there" in out
        logins = _logins(out.replace("serving at", "logins to try", 1))
        assert [(role, name) for role, (name, _) in logins.items()] == [
            ("guardian", "parent07"), ("student", "student07"), ("teacher", "teacher07"),
            ("admin", "admin07"), ("auditor", "auditor07")]
        username, password = logins["guardian"]
        with httpx.Client(base_url=url, timeout=30) as c:
            answer = c.post("/api/v1/auth/token",
                            data={"username": username, "password": password})
            assert answer.status_code == 200, answer.text
            headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
            me = c.get("/api/v1/me", headers=headers).json()
            page = c.get("/")
        # Then the guardian is the printed one, with a child, and the site's login page is there
        assert (me["role"], me["username"], len(me["children"])) == ("guardian", "parent07", 1)
        assert page.status_code == 200
        assert "Войти" in page.text
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    # uvicorn shuts down cleanly, then exits by the signal it was sent
    assert proc.returncode in (0, -signal.SIGTERM), log.read_text()
    assert "Application shutdown complete." in log.read_text()


def _served(proc: subprocess.Popen[str], url: str, printed: list[str]) -> bool:
    if proc.poll() is not None:
        raise AssertionError(f"ejournal demo --serve exited with {proc.returncode}")
    if sum(1 for line in printed if line.startswith("  ") and len(line.split()) == 3) < 5:
        return False
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False
