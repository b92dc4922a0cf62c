"""Shared helpers for API tests: answers as problems, the log's length, a school built over
HTTP by its operator and admin (a year, subjects, a class with students and a journal)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

import httpx

from ejournal.application import EJournal
from tests.servers import OPERATOR, Server

PASSWORD = "pa55word-for-tests"
PROBLEM = "application/problem+json"


def is_uuid(value: Any) -> bool:
    try:
        UUID(str(value))
    except ValueError:
        return False
    return True


def created(answer: httpx.Response, status: int = 201) -> dict[str, Any]:
    """A write's answer: the status, a JSON body, and ``id`` a UUID where there is one."""
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    if "id" in body:
        assert is_uuid(body["id"]), body
    return body


def problem(answer: httpx.Response, status: int) -> dict[str, Any]:
    """An error answer: problem+json with that status."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    body: dict[str, Any] = answer.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


def error_fields(body: dict[str, Any]) -> list[str]:
    return [e["field"] for e in body.get("errors", [])]


def log_length(server: Server) -> int:
    """How many events the log holds (a refused request adds none)."""
    app = EJournal(server.database.settings)
    try:
        return app.recorder.max_notification_id() or 0
    finally:
        app.close()


def school_year(today: date) -> tuple[date, date]:
    """The school year around ``today``: 1 September to 31 May."""
    first = today.year if today.month >= 8 else today.year - 1
    return date(first, 9, 1), date(first + 1, 5, 31)


def year_body(starts_on: date, ends_on: date, name: str = "Учебный год") -> dict[str, Any]:
    """A 5-day year in two halves, with autumn and winter каникулы."""
    first = starts_on.year
    return {
        "name": name,
        "starts_on": starts_on.isoformat(),
        "ends_on": ends_on.isoformat(),
        "days_per_week": 5,
        "periods": [
            {"name": "1 полугодие", "starts_on": starts_on.isoformat(),
             "ends_on": date(first, 12, 28).isoformat()},
            {"name": "2 полугодие", "starts_on": date(first + 1, 1, 9).isoformat(),
             "ends_on": ends_on.isoformat()},
        ],
        "holidays": [
            {"name": "Осенние каникулы", "starts_on": date(first, 10, 26).isoformat(),
             "ends_on": date(first, 11, 3).isoformat()},
            {"name": "Зимние каникулы", "starts_on": date(first, 12, 29).isoformat(),
             "ends_on": date(first + 1, 1, 8).isoformat()},
        ],
    }


def operator_token(server: Server) -> str:
    return server.login(*OPERATOR)


def add_school(server: Server, token: str, name: str = "Школа №1",
               timezone: str = "Asia/Novosibirsk") -> str:
    with server.client(token) as c:
        body = created(c.post("/api/v1/schools", json={"name": name, "timezone": timezone}))
    school_id: str = body["id"]
    return school_id


def add_user(server: Server, token: str, school_id: str, username: str, role: str,
             full_name: str | None = None, password: str = PASSWORD) -> str:
    with server.client(token) as c:
        body = created(c.post(f"/api/v1/schools/{school_id}/users", json={
            "username": username, "password": password, "full_name": full_name or username,
            "role": role}))
    user_id: str = body["id"]
    return user_id


@dataclass
class School:
    """A school built over HTTP; tokens are the people's bearer tokens, by role."""

    id: str
    year_id: str
    period_ids: list[str]
    class_id: str
    subject_id: str
    journal_id: str
    admin_id: str
    teacher_id: str
    student_ids: list[str]
    guardian_id: str
    auditor_id: str
    tokens: dict[str, str] = field(default_factory=dict)
    starts_on: date = date.min
    ends_on: date = date.max


def build_school(server: Server, prefix: str = "s1", *, students: int = 2,
                 today: date | None = None) -> School:
    """The operator registers a school and its admin; the admin registers a teacher,
    students, a guardian (linked to the first student) and an auditor, plans the year around
    ``today`` (the server's, if None), adds a subject, opens a class (the teacher is its class
    teacher), enrols the students from the year's first day and opens the class's journal of
    that subject."""
    starts_on, ends_on = school_year(today or server.clock().date())
    op = operator_token(server)
    school_id = add_school(server, op, name=f"Школа {prefix}")
    admin_id = add_user(server, op, school_id, f"{prefix}-admin", "admin", "Администратор")
    admin = server.login(f"{prefix}-admin", PASSWORD)
    teacher_id = add_user(server, admin, school_id, f"{prefix}-teacher", "teacher",
                          "Мария Ивановна")
    student_ids = [add_user(server, admin, school_id, f"{prefix}-student{n}", "student",
                            f"Ученик {n}") for n in range(1, students + 1)]
    guardian_id = add_user(server, admin, school_id, f"{prefix}-guardian", "guardian",
                           "Родитель")
    auditor_id = add_user(server, admin, school_id, f"{prefix}-auditor", "auditor", "Аудитор")
    with server.client(admin) as c:
        year = created(c.post(f"/api/v1/schools/{school_id}/years",
                              json=year_body(starts_on, ends_on)))
        subject = created(c.post(f"/api/v1/schools/{school_id}/subjects",
                                 json={"name": "Математика"}))
        school_class = created(c.post(f"/api/v1/schools/{school_id}/classes", json={
            "name": "5А", "year_id": year["id"], "class_teacher_id": teacher_id}))
        for student_id in student_ids:
            created(c.post(f"/api/v1/classes/{school_class['id']}/enrolments",
                           json={"student_id": student_id,
                                 "from_date": starts_on.isoformat()}))
        if student_ids:
            created(c.post(f"/api/v1/students/{student_ids[0]}/guardians",
                           json={"guardian_id": guardian_id}))
        journal = created(c.post("/api/v1/journals", json={
            "class_id": school_class["id"], "subject_id": subject["id"],
            "teacher_id": teacher_id}))
    tokens = {"operator": op, "admin": admin,
              "teacher": server.login(f"{prefix}-teacher", PASSWORD),
              "guardian": server.login(f"{prefix}-guardian", PASSWORD),
              "auditor": server.login(f"{prefix}-auditor", PASSWORD)}
    if student_ids:
        tokens["student"] = server.login(f"{prefix}-student1", PASSWORD)
    return School(id=school_id, year_id=year["id"],
                  period_ids=[p["id"] for p in year["periods"]], class_id=school_class["id"],
                  subject_id=subject["id"], journal_id=journal["id"], admin_id=admin_id,
                  teacher_id=teacher_id, student_ids=student_ids, guardian_id=guardian_id,
                  auditor_id=auditor_id, tokens=tokens, starts_on=starts_on, ends_on=ends_on)
