"""Weights of the kinds of work (api-v1.md, "Weights"): the school's admin sets them
(``PUT …/work-weights``, each 1..10, all 1 by default); a summary answers each student's
``weighted_average`` with the weights in force when it is read, and ``average`` stays the plain
mean. Bad weights are 422 naming the field and write nothing; other roles may not set them."""

from __future__ import annotations

from typing import Any

from tests.api.helpers import School, build_school, created, error_fields, log_length, problem
from tests.servers import Server

#: Lessons of the II четверть that build_school plans (the server's today: 25 November).
DAYS = ("2026-11-23", "2026-11-24")


def _marked(server: Server, s: School) -> None:
    """Student 0: a written work "5" and an oral answer "3"; student 1: an oral "4"."""
    base = f"/api/v1/journals/{s.journal_id}"
    with server.client(s.tokens["teacher"]) as c:
        first, second = (created(c.post(f"{base}/lessons", json={
            "date": day, "slot": 1, "topic": "Дроби"}))["id"] for day in DAYS)
        for lesson, student, value, work in ((first, 0, "5", "written"),
                                             (second, 0, "3", "oral"),
                                             (second, 1, "4", "oral")):
            created(c.post(f"{base}/lessons/{lesson}/marks", json={
                "student_id": s.student_ids[student], "value": value, "work": work}))
    server.caught_up()


def _averages(server: Server, s: School) -> dict[str, tuple[Any, Any]]:
    period = s.period_ids[1]  # II четверть
    with server.client(s.tokens["teacher"]) as c:
        summary = c.get(f"/api/v1/journals/{s.journal_id}/summary",
                        params={"period_id": period})
    assert summary.status_code == 200, summary.text
    return {row["student_id"]: (row["average"], row["weighted_average"])
            for row in summary.json()["students"]}


def test_the_summary_weighs_marks_by_the_schools_weights_when_read(server: Server) -> None:
    s = build_school(server)
    _marked(server, s)
    kid, other = s.student_ids
    # Every kind weighs 1 until the school sets weights
    assert _averages(server, s) == {kid: (4.0, 4.0), other: (4.0, 4.0)}
    # When the admin weighs written work 3 (the others stay 1)
    with server.client(s.tokens["admin"]) as c:
        answer = c.put(f"/api/v1/schools/{s.id}/work-weights", json={"written": 3})
    assert created(answer, 200) == {"late": None}
    server.caught_up()
    # Then the weighted average is (5*3 + 3*1) / 4; the plain one stays the mean
    assert _averages(server, s) == {kid: (4.0, 4.5), other: (4.0, 4.0)}
    # And the weights in force are those of the latest setting
    with server.client(s.tokens["admin"]) as c:
        created(c.put(f"/api/v1/schools/{s.id}/work-weights",
                      json={"oral": 3, "written": 1, "practical": 1, "test": 10,
                            "homework": 2}), 200)
    assert _averages(server, s) == {kid: (4.0, 3.5), other: (4.0, 4.0)}


def test_bad_weights_are_422_naming_the_field_and_others_may_not_set_them(
        server: Server) -> None:
    s = build_school(server)
    path = f"/api/v1/schools/{s.id}/work-weights"
    before = log_length(server)
    with server.client(s.tokens["admin"]) as c:
        bad = [c.put(path, json=body) for body in (
            {"written": 0}, {"written": 11}, {"written": "3"}, {"written": 2.0},
            {"written": True}, {"exam": 2})]
    with server.client(s.tokens["teacher"]) as c:
        teacher = c.put(path, json={"written": 2})
    assert [error_fields(problem(a, 422)) for a in bad] == [
        ["written"], ["written"], ["written"], ["written"], ["written"], ["exam"]]
    problem(teacher, 403)
    assert log_length(server) == before
