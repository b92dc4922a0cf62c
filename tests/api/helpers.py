"""Shared helpers for API tests: answers as problems, the log's length, request bodies, and the
school of ``tests.builders`` with its people logged in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

import httpx

from ejournal.accounts import Accounts
from ejournal.application import EJournal
from ejournal.projections.base import create_read_engine
from tests import builders
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
    """The school of ``build_school`` as the API names it; ``tokens``: bearer tokens by role."""

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


def build_school(server: Server, prefix: str = "s1", *, students: int = 2) -> School:
    """``tests.builders.build_school`` in the server's database (a school of the 2026/27
    year in Asia/Novosibirsk: its admin, teachers, auditor, ``students`` students, the first
    one's guardian, a class and its maths journal), every account's password ``PASSWORD``,
    and a token of each role."""
    settings = server.database.settings
    app = EJournal(settings)
    accounts = Accounts(create_read_engine(settings))
    try:
        s = builders.build_school(app, timezone="Asia/Novosibirsk", students=students,
                                  tag=prefix)
        for user_id in s.people.values():
            accounts.set_password(user_id, PASSWORD, now=server.clock())
    finally:
        app.close()
        accounts.engine.dispose()
    tokens = {role: server.login(s.usernames[who], PASSWORD) for role, who in (
        ("admin", "admin"), ("teacher", "teacher"), ("guardian", "guardian"),
        ("auditor", "auditor"), *((("student", "student0"),) if students else ()))}
    return School(id=str(s.school), year_id=str(s.year),
                  period_ids=[str(p) for p in s.periods.values()],
                  class_id=str(s.school_class), subject_id=str(s.subject),
                  journal_id=str(s.journal), admin_id=str(s.admin), teacher_id=str(s.teacher),
                  student_ids=[str(k) for k in s.students], guardian_id=str(s.guardian),
                  auditor_id=str(s.auditor), tokens={"operator": operator_token(server), **tokens},
                  starts_on=builders.YEAR[0], ends_on=builders.YEAR[1])
