"""Compliance reads over HTTP (a real server): the missing entries the scheduler found
(``overdue``) and the per-teacher timeliness report; the school's admin and auditor only (other
roles 403, other schools 404); and `ejournal check` agrees with the ``overdue`` endpoint on the
same data."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime
from typing import Any

from ejournal.accounts import Accounts
from ejournal.api.paging import dated_cursor, position_cursor
from ejournal.application.commands import GiveMark, HoldLesson, TakeAttendance
from ejournal.projections.base import create_read_engine
from ejournal.scheduler.runner import ComplianceRunner
from tests.api.helpers import problem
from tests.builders import SmallSchool
from tests.conftest import Clock
from tests.scheduler.conftest import cli_env, local, make_school
from tests.servers import OPERATOR, Server

PASSWORD = "пароль-для-аудита"
MON, WED, THU, NEXT_MON, NEXT_TUE, NEXT_WED = (
    date(2026, 11, 16), date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 23),
    date(2026, 11, 24), date(2026, 11, 25))
YEAR = {"from": "2026-09-01", "to": "2027-08-31"}


def _school(server: Server, tag: str) -> tuple[SmallSchool, dict[str, str]]:
    """Two weeks of one journal (Mondays slot 1, Wednesdays slot 2), checked by the scheduler
    each night:

    * Mon 16.11: lesson and attendance on time; written work marked on time for the first
      student only - the second never gets a mark (R-6.1d, due Thu 19.11);
    * Wed 18.11: the lesson is never recorded (R-4.5);
    * Mon 23.11: the lesson is recorded on Tuesday, with its attendance: late, after the
      scheduler found it missing (R-4.5, resolved).
    """
    settings = server.database.settings
    clock = Clock(datetime(2026, 11, 13, 12, tzinfo=UTC))
    runner = ComplianceRunner.open(settings, clock=clock)
    app = runner.app
    s = make_school(app, starts_on=MON, students=2, timetable=[(1, 1), (3, 2)], tag=tag)
    accounts = Accounts(create_read_engine(settings))
    for user_id in (s.admin, s.auditor, s.teacher):
        accounts.set_password(user_id, PASSWORD, now=server.clock())
    accounts.engine.dispose()

    clock.set(local(s.timezone, MON, 9))
    held = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=1, topic="Дроби")).id
    assert held is not None
    app.execute(TakeAttendance(s.teacher, s.journal, held, absent=[]))
    app.execute(GiveMark(s.teacher, s.journal, held, student_id=s.students[0], value="4",
                         work="written"))
    runner.run_school(s.school, local(s.timezone, NEXT_TUE, 0, 30))
    clock.set(local(s.timezone, NEXT_TUE, 10))
    late = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=NEXT_MON, slot=1,
                                  topic="Проценты")).id
    assert late is not None
    app.execute(TakeAttendance(s.teacher, s.journal, late, absent=[]))
    runner.run_school(s.school, local(s.timezone, NEXT_WED, 0, 30))
    runner.close()
    return s, {role: s.usernames[role] for role in ("admin", "auditor", "teacher")}


def _items(server: Server, token: str, school: object, **params: str) -> list[dict[str, Any]]:
    with server.client(token) as c:
        answer = c.get(f"/api/v1/schools/{school}/overdue", params={**YEAR, **params})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["next"] is None
    items: list[dict[str, Any]] = body["items"]
    return items


def test_the_admin_and_the_auditor_read_what_the_scheduler_found(server: Server) -> None:
    s, names = _school(server, "c1")
    admin = server.login(names["admin"], PASSWORD)
    items = _items(server, admin, s.school)
    # Oldest first: by the date the entry belongs to.
    assert [(i["rule"], i["date"], i["student_id"], i["slot"], i["due"]) for i in items] == [
        ("R-6.1d", MON.isoformat(), str(s.students[1]), 1, THU.isoformat()),
        ("R-4.5", WED.isoformat(), None, 2, WED.isoformat()),
        ("R-4.5", NEXT_MON.isoformat(), None, 1, NEXT_MON.isoformat())]
    assert {i["journal_id"] for i in items} == {str(s.journal)}
    assert {i["teacher_id"] for i in items} == {str(s.teacher)}
    detected = datetime.fromisoformat(items[0]["detected_at"])
    assert detected == local(s.timezone, NEXT_TUE, 0, 30)
    assert [i["resolved_at"] for i in items[:2]] == [None, None]
    # Recorded late on Tuesday 10:00 Moscow time: that is when it stopped being missing.
    assert datetime.fromisoformat(items[2]["resolved_at"]) == local(s.timezone, NEXT_TUE, 10)
    assert items[2]["resolved_by"] == str(s.teacher)

    auditor = server.login(names["auditor"], PASSWORD)
    assert _items(server, auditor, s.school) == items
    # Filters: rule, business dates, journal.
    assert [i["date"] for i in _items(server, admin, s.school, rule="R-6.1d")] == [
        MON.isoformat()]
    assert [i["date"] for i in _items(server, admin, s.school, **{
        "from": "2026-11-20", "to": "2026-11-30"})] == [NEXT_MON.isoformat()]
    assert _items(server, admin, s.school, journal_id="5d9ee7d5-9949-5a7d-8283-e0d5f4317693"
                  ) == []


def test_timeliness_counts_entries_on_time_late_and_missing_per_teacher_and_rule(
    server: Server,
) -> None:
    s, names = _school(server, "c2")
    admin = server.login(names["admin"], PASSWORD)
    with server.client(admin) as c:
        answer = c.get(f"/api/v1/schools/{s.school}/timeliness", params=YEAR)
        week = c.get(f"/api/v1/schools/{s.school}/timeliness",
                     params={"from": "2026-11-16", "to": "2026-11-22"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["from"], body["to"], body["next"]) == ("2026-09-01", "2027-08-31", None)
    rows = {(r["teacher_id"], r["rule"]): (r["on_time"], r["late"], r["missing"],
                                           r["resolved"]) for r in body["items"]}
    teacher = str(s.teacher)
    assert rows == {
        (teacher, "R-4.5"): (1, 1, 1, 1),  # 16.11 on time; 23.11 late (found, resolved); 18.11
        (teacher, "R-4.6"): (1, 1, 0, 0),  # attendance of 16.11 on time, of 23.11 late
        (teacher, "R-6.1d"): (1, 0, 1, 0),  # one written mark on time, one never given
    }
    assert week.status_code == 200
    first_week = {(r["teacher_id"], r["rule"]): (r["on_time"], r["late"], r["missing"],
                                                 r["resolved"]) for r in week.json()["items"]}
    assert first_week == {(teacher, "R-4.5"): (1, 0, 1, 0), (teacher, "R-4.6"): (1, 0, 0, 0),
                          (teacher, "R-6.1d"): (1, 0, 1, 0)}


def test_nobody_else_may_read_them(server: Server) -> None:
    s, names = _school(server, "c3")
    other, other_names = _school(server, "c4")
    teacher = server.login(names["teacher"], PASSWORD)
    stranger = server.login(other_names["admin"], PASSWORD)
    operator = server.login(*OPERATOR)
    for what in ("overdue", "timeliness"):
        # A role that may never read them: 403, whatever the school (api-v1.md).
        for token in (teacher, operator):
            with server.client(token) as c:
                body = problem(c.get(f"/api/v1/schools/{s.school}/{what}"), 403)
                assert body["detail"] == "only the school's administration and auditors"
        # Another school's admin: this school does not exist for them (ids cannot be probed).
        with server.client(stranger) as c:
            body = problem(c.get(f"/api/v1/schools/{s.school}/{what}"), 404)
            assert body["detail"] == f"no school {s.school}"
    with server.client() as c:
        problem(c.get(f"/api/v1/schools/{s.school}/overdue"), 401)
    admin = server.login(names["admin"], PASSWORD)
    with server.client(admin) as c:
        bad = problem(c.get(f"/api/v1/schools/{s.school}/overdue", params={"rule": "R-9"}),
                      422)
        assert [e["field"] for e in bad["errors"]] == ["rule"]
        backwards = problem(c.get(f"/api/v1/schools/{s.school}/timeliness",
                                  params={"from": "2026-12-01", "to": "2026-11-01"}), 422)
        assert [e["field"] for e in backwards["errors"]] == ["from"]
        assert "is after `to`" in backwards["errors"][0]["message"]
        for bad_cursor in ("x", "12", "2026-11-16.5", "2026-11-16.-1",
                           "2026-11-16.99999999999999999999", position_cursor("feed").encode(5),
                           dated_cursor("overdue").encode((date(2026, 11, 16), 5))[:-2]):
            cursor = problem(c.get(f"/api/v1/schools/{s.school}/overdue",
                                   params={"cursor": bad_cursor}), 422)
            assert [e["field"] for e in cursor["errors"]] == ["cursor"], bad_cursor
    # Their own school's findings are there, for their own admin.
    assert len(_items(server, stranger, other.school)) == 3


def test_ejournal_check_and_the_overdue_endpoint_agree(server: Server) -> None:
    s, names = _school(server, "c5")
    result = subprocess.run(
        [sys.executable, "-m", "ejournal.cli", "check", "--school", str(s.school), "--as-of",
         NEXT_WED.isoformat(), "--json"], env=cli_env(server.database.settings), text=True,
        capture_output=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    checked = json.loads(result.stdout)
    # Everything it finds was found by the nightly runs already: nothing new.
    assert [f["new"] for f in checked["findings"]] == [False, False]

    def key(item: dict[str, Any]) -> tuple[Any, ...]:
        return (item["rule"], item["journal_id"], item["date"], item["student_id"])

    admin = server.login(names["admin"], PASSWORD)
    listed = _items(server, admin, s.school)
    assert sorted(key(f) for f in checked["findings"]) == sorted(
        key(i) for i in listed if i["resolved_at"] is None)
    # The one entered late is listed as resolved, and the check no longer finds it.
    assert [key(i) for i in listed if i["resolved_at"] is not None] == [
        ("R-4.5", str(s.journal), NEXT_MON.isoformat(), None)]


def test_the_openapi_document_describes_the_compliance_answers(server: Server) -> None:
    with server.client() as c:
        document = c.get("/openapi.json").json()
    schemas = document["components"]["schemas"]

    def body(path: str) -> dict[str, Any]:
        ok = document["paths"][f"/api/v1/schools/{{school_id}}/{path}"]["get"]["responses"]
        ref: str = ok["200"]["content"]["application/json"]["schema"]["$ref"]
        found: dict[str, Any] = schemas[ref.rsplit("/", 1)[1]]
        return found

    def item(schema: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = schemas[schema["properties"]["items"]["items"]["$ref"]
                                        .rsplit("/", 1)[1]]
        return found

    overdue, timeliness = body("overdue"), body("timeliness")
    assert set(overdue["required"]) == {"items", "next"}
    assert set(item(overdue)["properties"]) == {
        "rule", "journal_id", "date", "student_id", "detected_at", "resolved_at", "slot", "due",
        "teacher_id", "resolved_by", "teacher_name", "resolved_by_name", "student_name",
        "class_name", "subject_name"}
    assert set(timeliness["required"]) == {"from", "to", "items", "next"}
    assert set(item(timeliness)["required"]) == {
        "teacher_id", "teacher_name", "rule", "on_time", "late", "missing", "resolved"}
    # Errors are problems (the Problem schema); FastAPI's own 422 schemas are not left behind.
    assert "Problem" in schemas
    assert not {"HTTPValidationError", "ValidationError"} & set(schemas)
