"""Every date the API accepts (1991-01-01 .. 2100-12-31, ``api/requests.py``) works in every
journal command and read: a school whose year lies at either end of that range holds lessons,
takes attendance, gives, corrects and cancels marks and period marks, and reads them back."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from tests.api.helpers import PASSWORD, add_school, add_user, created, operator_token, year_body
from tests.servers import Server

#: School years at the ends of the accepted range (and 1998, an ordinary year before 2000).
YEARS = [(date(1991, 9, 2), date(1992, 5, 29)), (date(1998, 9, 1), date(1999, 5, 31)),
         (date(2099, 9, 1), date(2100, 5, 31))]


def _school(server: Server, starts_on: date, ends_on: date) -> dict[str, Any]:
    op = operator_token(server)
    school_id = add_school(server, op, name=f"Школа {starts_on.year}", timezone="Europe/Moscow")
    tag = str(starts_on.year)
    add_user(server, op, school_id, f"admin-{tag}", "admin", password=PASSWORD)
    admin = server.login(f"admin-{tag}", PASSWORD)
    teacher_id = add_user(server, admin, school_id, f"teacher-{tag}", "teacher")
    student_id = add_user(server, admin, school_id, f"student-{tag}", "student", "Ученик")
    with server.client(admin) as c:
        year = created(c.post(f"/api/v1/schools/{school_id}/years",
                              json=year_body(starts_on, ends_on)))
        subject = created(c.post(f"/api/v1/schools/{school_id}/subjects",
                                 json={"name": "Математика"}))["id"]
        class_id = created(c.post(f"/api/v1/schools/{school_id}/classes",
                                  json={"name": "5А", "year_id": year["id"],
                                        "class_teacher_id": teacher_id}))["id"]
        created(c.post(f"/api/v1/classes/{class_id}/enrolments",
                       json={"student_id": student_id, "from_date": starts_on.isoformat()}))
        journal = created(c.post("/api/v1/journals", json={
            "class_id": class_id, "subject_id": subject, "teacher_id": teacher_id}))["id"]
    return {"journal": journal, "student": student_id, "periods": year["periods"],
            "teacher": server.login(f"teacher-{tag}", PASSWORD), "admin": admin}


@pytest.mark.parametrize(("starts_on", "ends_on"), YEARS, ids=["1991", "1998", "2100"])
def test_every_journal_command_and_read_works_on_any_accepted_date(
        server: Server, starts_on: date, ends_on: date) -> None:
    # Given a school whose year lies at an end of the accepted range, read on its last day
    server.clock.set(datetime(ends_on.year, ends_on.month, ends_on.day, 9, tzinfo=UTC))
    s = _school(server, starts_on, ends_on)
    day = date(starts_on.year, 10, 7)
    journal, student = s["journal"], s["student"]
    base = f"/api/v1/journals/{journal}"
    with server.client(s["teacher"]) as c:
        # When the teacher holds a lesson, takes attendance, marks, corrects and cancels
        lesson = created(c.post(f"{base}/lessons", json={
            "date": day.isoformat(), "slot": 10, "topic": "Дроби"}))["id"]
        created(c.post(f"{base}/lessons/{lesson}/attendance", json={"absent": []}))
        kept = created(c.post(f"{base}/lessons/{lesson}/marks", json={
            "student_id": student, "value": "4", "work": "written"}))["id"]
        dropped = created(c.post(f"{base}/lessons/{lesson}/marks", json={
            "student_id": student, "value": "2", "work": "oral"}))["id"]
        created(c.post(f"{base}/marks/{kept}/corrections", json={"value": "5",
                                                                 "reason": "пересчёт"}))
        created(c.post(f"{base}/marks/{dropped}/cancellation", json={"reason": "ошибка"}))
        period = s["periods"][0]["id"]
        final = created(c.post(f"{base}/period-marks", json={
            "student_id": student, "period_id": period, "value": "4"}))["id"]
        created(c.post(f"{base}/period-marks/{final}/corrections",
                       json={"value": "5", "reason": "пересмотр"}))
    server.caught_up()
    # Then every read answers the entries on their dates
    span = {"from": starts_on.isoformat(), "to": ends_on.isoformat()}
    with server.client(s["teacher"]) as c:
        grid = c.get(f"{base}/grid", params=span)
        history = c.get(f"{base}/marks/{kept}/history")
        summary = c.get(f"{base}/summary", params={"period_id": period})
        diary = c.get(f"/api/v1/students/{student}/diary", params=span)
        final_history = c.get(f"{base}/period-marks/{final}/history")
    assert grid.status_code == 200, grid.text
    assert [(x["date"], x["slot"]) for x in grid.json()["lessons"]] == [(day.isoformat(), 10)]
    assert grid.json()["students"][0]["cells"] == {lesson: ["5"]}
    assert history.status_code == 200, history.text
    assert [(i["kind"], i["value"]) for i in history.json()["items"]] == [
        ("given", "4"), ("corrected", "5")]
    assert summary.status_code == 200, summary.text
    row = summary.json()["students"][0]
    assert (row["marks"], row["period_mark"]) == (["5"], "5")
    assert diary.status_code == 200, diary.text
    [diary_day] = diary.json()["days"]
    assert diary_day["date"] == day.isoformat()
    assert [m["value"] for m in diary_day["lessons"][0]["marks"]] == ["5"]
    assert final_history.status_code == 200, final_history.text
    assert [i["value"] for i in final_history.json()["items"]] == ["4", "5"]
