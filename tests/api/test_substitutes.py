"""A substitute correcting the regular teacher's mark over HTTP: 403 citing R-4.4, nothing
written; their own mark they correct (201)."""

from __future__ import annotations

from tests.api.helpers import PASSWORD, build_school, created, log_length, problem
from tests.servers import Server


def test_a_substitute_may_not_correct_the_regular_teachers_mark(server: Server) -> None:
    s = build_school(server, "sb")  # the clock: Wednesday 25.11.2026
    journal = f"/api/v1/journals/{s.journal_id}"
    student = s.student_ids[0]
    with server.client(s.tokens["admin"]) as c:
        teachers = c.get(f"/api/v1/schools/{s.id}/users?role=teacher").json()["items"]
        other = next(u for u in teachers if u["id"] != s.teacher_id)
        created(c.post(f"{journal}/substitutions", json={
            "teacher_id": other["id"], "from_date": "2026-11-23", "to_date": "2026-11-25"}))
    with server.client(s.tokens["teacher"]) as c:
        lesson = created(c.post(f"{journal}/lessons", json={
            "date": "2026-11-23", "slot": 1, "topic": "Дроби"}))
        theirs = created(c.post(f"{journal}/lessons/{lesson['id']}/marks", json={
            "student_id": student, "value": "4", "work": "oral"}))
    with server.client(server.login(other["username"], PASSWORD)) as c:
        before = log_length(server)
        refused = problem(c.post(f"{journal}/marks/{theirs['id']}/corrections",
                                 json={"value": "5", "reason": "пересдача"}), 403)
        assert refused["rule"] == "R-4.4"
        assert "only the entries they made" in refused["detail"]
        refused = problem(c.post(f"{journal}/marks/{theirs['id']}/cancellation",
                                 json={"reason": "ошибка"}), 403)
        assert refused["rule"] == "R-4.4"
        assert log_length(server) == before
        own = created(c.post(f"{journal}/lessons/{lesson['id']}/marks", json={
            "student_id": student, "value": "3", "work": "oral"}))
        corrected = c.post(f"{journal}/marks/{own['id']}/corrections",
                           json={"value": "4", "reason": "пересчитал"})
        assert corrected.status_code == 201, corrected.text


def test_a_substitute_reads_the_grid_of_their_days_only(server: Server) -> None:
    """R-4.4: the grid a substitute reads holds the lessons of the days they substitute on
    (and those days' cells); the summary stays the journal's teachers' (404)."""
    s = build_school(server, "sg")  # the clock: Wednesday 25.11.2026
    journal = f"/api/v1/journals/{s.journal_id}"
    student = s.student_ids[0]
    with server.client(s.tokens["admin"]) as c:
        teachers = c.get(f"/api/v1/schools/{s.id}/users?role=teacher").json()["items"]
        other = next(u for u in teachers if u["id"] != s.teacher_id)
        created(c.post(f"{journal}/substitutions", json={
            "teacher_id": other["id"], "from_date": "2026-11-23", "to_date": "2026-11-24"}))
    with server.client(s.tokens["teacher"]) as c:
        before = created(c.post(f"{journal}/lessons", json={
            "date": "2026-11-20", "slot": 1, "topic": "Раньше замены"}))
        during = created(c.post(f"{journal}/lessons", json={
            "date": "2026-11-23", "slot": 1, "topic": "В замену"}))
        for lesson, value in ((before, "3"), (during, "5")):
            created(c.post(f"{journal}/lessons/{lesson['id']}/marks", json={
                "student_id": student, "value": value, "work": "oral"}))
    with server.client(server.login(other["username"], PASSWORD)) as c:
        grid = c.get(f"{journal}/grid?from=2026-11-01&to=2026-11-30")
        assert grid.status_code == 200, grid.text
        body = grid.json()
        assert [(x["date"], x["topic"]) for x in body["lessons"]] == [("2026-11-23", "В замену")]
        cells = {x["id"]: x["cells"] for x in body["students"]}
        assert cells[student] == {during["id"]: ["5"]}
        outside = c.get(f"{journal}/grid?from=2026-11-01&to=2026-11-20").json()
        assert outside == {"lessons": [], "students": []}
        summary = c.get(f"{journal}/summary?period_id={s.period_ids[0]}")
        assert summary.status_code == 404
