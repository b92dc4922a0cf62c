"""Closed periods over HTTP on a real server (R-3.4b): once the admin closes a period, every
entry, correction and period mark on its dates is 409 with ``rule: "R-3.4b"`` and writes
nothing; the other periods take entries; reopening needs a reason; both are events of the
year, with who and why."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from ejournal.domain.school import AcademicYear
from tests.api.helpers import School, build_school, created, error_fields, log_length, problem
from tests.servers import Server

pytestmark = pytest.mark.storage

#: In the first quarter (1.09-25.10.2026) and in the second (5.11-28.12), before the tests'
#: clock (25.11.2026).
Q1_DAY, Q1_OTHER, Q2_DAY = "2026-10-20", "2026-10-21", "2026-11-20"


def _closed(answer: httpx.Response) -> dict[str, Any]:
    body = problem(answer, 409)
    assert body["rule"] == "R-3.4b", body
    return body


def _year_events(server: Server, s: School) -> list[Any]:
    app = server.app()
    try:
        return [e for e in app.events.get(UUID(s.year_id))
                if isinstance(e, AcademicYear.PeriodClosed | AcademicYear.PeriodReopened)]
    finally:
        app.close()


def _path(s: School, action: str, period: str | None = None) -> str:
    return f"/api/v1/schools/{s.id}/periods/{period or s.period_ids[0]}/{action}"


def test_a_closed_period_refuses_every_entry_on_its_dates_until_reopened(
    server: Server,
) -> None:
    s = build_school(server, "cp")
    j = f"/api/v1/journals/{s.journal_id}"
    kid, other = s.student_ids
    teacher, admin = server.client(s.tokens["teacher"]), server.client(s.tokens["admin"])
    with teacher, admin:
        # Given the first quarter's entries: a lesson, attendance, a mark, a period mark
        lesson = created(teacher.post(f"{j}/lessons", json={"date": Q1_DAY, "slot": 1,
                                                            "topic": "Дроби"}))["id"]
        created(teacher.post(f"{j}/lessons/{lesson}/attendance", json={
            "absent": [{"student_id": other, "reason": "illness"}]}))
        mark = created(teacher.post(f"{j}/lessons/{lesson}/marks", json={
            "student_id": kid, "value": "4", "work": "oral"}))["id"]
        period_mark = created(teacher.post(f"{j}/period-marks", json={
            "student_id": kid, "period_id": s.period_ids[0], "value": "4"}))["id"]
        # When the admin closes the quarter
        closed = admin.post(_path(s, "close"))
        assert closed.status_code == 201, closed.text
        assert closed.json() == {"period_id": s.period_ids[0], "closed": True}
        # Then nothing on its dates is recorded, each refusal citing R-3.4b
        before = log_length(server)
        refused = [
            teacher.post(f"{j}/lessons", json={"date": Q1_OTHER, "slot": 1, "topic": "Т"}),
            teacher.post(f"{j}/lessons/{lesson}/attendance", json={"absent": []}),
            teacher.post(f"{j}/lessons/{lesson}/absences/{other}/cancellation",
                         json={"reason": "пришёл ко второму уроку"}),
            teacher.post(f"{j}/lessons/{lesson}/marks", json={
                "student_id": kid, "value": "5", "work": "homework"}),
            teacher.post(f"{j}/marks/{mark}/corrections", json={"value": "5",
                                                                "reason": "ошибка"}),
            teacher.post(f"{j}/marks/{mark}/cancellation", json={"reason": "ошибка"}),
            teacher.post(f"{j}/period-marks", json={
                "student_id": other, "period_id": s.period_ids[0], "value": "3"}),
            teacher.post(f"{j}/period-marks/{period_mark}/corrections",
                         json={"value": "5", "reason": "пересдача"}),
            # the admin writes journals too, and is refused as well
            admin.post(f"{j}/lessons/{lesson}/marks", json={
                "student_id": kid, "value": "5", "work": "oral"}),
        ]
        for answer in refused:
            body = _closed(answer)
            assert "I четверть" in body["detail"]
        assert "a mark on 2026-10-20" in refused[3].json()["detail"]
        assert log_length(server) == before
        # The next quarter takes entries
        created(teacher.post(f"{j}/lessons", json={"date": Q2_DAY, "slot": 1, "topic": "Т2"}))
        # Closing it again is a conflict; reopening needs a reason
        assert _closed(admin.post(_path(s, "close")))["detail"].endswith("is closed already")
        after = log_length(server)
        assert error_fields(problem(admin.post(_path(s, "reopen"), json={}), 422)) == [
            "reason"]
        assert error_fields(problem(admin.post(_path(s, "reopen"), json={"reason": "  "}),
                                    422)) == ["reason"]
        assert log_length(server) == after
        # When the admin reopens it with a reason
        reopened = admin.post(_path(s, "reopen"), json={"reason": "приказ №12: пересдача"})
        assert reopened.status_code == 201, reopened.text
        assert reopened.json() == {"period_id": s.period_ids[0], "closed": False}
        # Then its dates take entries again
        created(teacher.post(f"{j}/marks/{mark}/corrections", json={"value": "5",
                                                                    "reason": "пересдача"}))
        assert _closed(admin.post(_path(s, "reopen"), json={"reason": "ещё раз"}))[
            "detail"].endswith("is not closed")
        # And the late-entry audit shows both, with who, when and why
        server.caught_up()
        audit = admin.get(f"/api/v1/schools/{s.id}/late-entries")
        assert audit.status_code == 200, audit.text
        q1 = {"period_id": s.period_ids[0], "period_name": "I четверть",
              "starts_on": "2026-09-01", "ends_on": "2026-10-25", "by": s.admin_id}
        closures = audit.json()["closures"]
        assert {c["by_name"] for c in closures} == {"Завуч"}
        assert [datetime.fromisoformat(c["recorded_at"]) for c in closures] == [
            server.clock()] * 2
        assert [{k: v for k, v in c.items() if k not in ("by_name", "recorded_at")}
                for c in closures] == [
            {**q1, "action": "closed", "reason": None},
            {**q1, "action": "reopened", "reason": "приказ №12: пересдача"}]
        outside = admin.get(f"/api/v1/schools/{s.id}/late-entries",
                            params={"from": "2026-11-01", "to": "2026-12-31"})
        assert outside.json()["closures"] == []
    # And both are events of the year, with who and why
    events = _year_events(server, s)
    assert [(type(e).__name__, e.period_id, e.by) for e in events] == [
        ("PeriodClosed", UUID(s.period_ids[0]), UUID(s.admin_id)),
        ("PeriodReopened", UUID(s.period_ids[0]), UUID(s.admin_id))]
    assert events[1].reason == "приказ №12: пересдача"


def test_only_the_schools_admin_closes_and_an_unknown_period_is_404(server: Server) -> None:
    s = build_school(server, "cq")
    other = build_school(server, "cr")
    before = log_length(server)
    with server.client(s.tokens["teacher"]) as c:
        assert problem(c.post(_path(s, "close")), 403)
    with server.client(s.tokens["auditor"]) as c:
        assert problem(c.post(_path(s, "reopen"), json={"reason": "нет"}), 403)
    with server.client(s.tokens["admin"]) as c:
        unknown = str(uuid4())
        assert problem(c.post(_path(s, "close", unknown)), 404)["detail"] == (
            f"no period {unknown} in school {s.id}")
        # another school's period is not there for this admin, nor this school's for theirs
        assert problem(c.post(_path(s, "close", other.period_ids[0])), 404)["detail"] == (
            f"no period {other.period_ids[0]} in school {s.id}")
    with server.client(other.tokens["admin"]) as c:
        assert problem(c.post(_path(s, "close")), 404)
    assert log_length(server) == before
    assert _year_events(server, s) == []
