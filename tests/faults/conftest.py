"""Fault and hostile-input tests: two schools built through the application, their people
logged in over HTTP to one real server per module and database; each test checks that a
refusal writes nothing (the log's head before and after) and writes on its own day."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from ejournal.accounts import Accounts
from ejournal.api.edge import SECURITY_HEADERS
from ejournal.application import EJournal
from ejournal.projections.base import create_read_engine
from tests.builders import SmallSchool, build_school
from tests.databases import NOW
from tests.faults.pgcluster import ThrowawayPostgres
from tests.servers import Server

PASSWORD = "correct horse battery staple"
PROBLEM = "application/problem+json"
#: A school day of the 2026/27 year that ``build_school`` plans (a Monday, no holiday).
SCHOOL_DAY = date(2026, 11, 23)
#: School days of that year from 16 November until the day of ``NOW`` (Monday to Friday; no
#: holiday in between): a lesson on any of them is in the past for the server.
SCHOOL_DAYS = [date(2026, 11, 16) + timedelta(days=n)
               for n in range((NOW.date() - date(2026, 11, 16)).days + 1)
               if (date(2026, 11, 16) + timedelta(days=n)).isoweekday() <= 5]


def assert_secure(answer: httpx.Response) -> None:
    """Every answer carries the security headers; an HTML page a stricter policy of its own
    (scripts from the site only, never framed)."""
    html = answer.headers.get("content-type", "").startswith("text/html")
    for name, value in SECURITY_HEADERS.items():
        if html and name == "Content-Security-Policy":
            policy = answer.headers.get(name, "")
            assert "frame-ancestors 'none'" in policy, (answer.request.url, policy)
            assert "script-src 'self';" in policy, (answer.request.url, policy)
            continue
        assert answer.headers.get(name) == value, (name, answer.request.url, answer.status_code)


def assert_problem(answer: httpx.Response, status: int | tuple[int, ...]) -> dict[str, Any]:
    """A refusal: that status (or one of them), problem+json with its status in the body."""
    allowed = (status,) if isinstance(status, int) else status
    assert answer.status_code in allowed, (answer.request.method, answer.request.url,
                                           answer.status_code, answer.text[:300])
    assert answer.headers["content-type"] == PROBLEM, answer.headers
    assert_secure(answer)
    if answer.request.method == "HEAD":
        return {}
    body: dict[str, Any] = answer.json()
    assert body["status"] == answer.status_code
    assert {"type", "title", "detail"} <= body.keys()
    return body


def error_fields(body: dict[str, Any]) -> list[str]:
    return [e["field"] for e in body.get("errors", [])]


@dataclass
class World:
    """Two schools (``a`` and ``b``) and the bearer tokens of their people."""

    server: Server
    app: EJournal
    a: SmallSchool
    b: SmallSchool
    tokens: dict[str, str]
    tag: str

    def client(self, who: str | None) -> httpx.Client:
        return self.server.client(self.tokens[who] if who else None)

    def head(self) -> int:
        """The event log's last notification id (a refused request adds none)."""
        return int(self.app.recorder.max_notification_id() or 0)

    def journal(self, school: str = "a") -> str:
        return f"/api/v1/journals/{getattr(self, school).journal}"

    def post(self, who: str | None, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        with self.client(who) as c:
            if body is not None:
                kwargs["json"] = body
            return c.post(path, **kwargs)


@pytest.fixture(scope="module")
def world(module_server: Server) -> Iterator[World]:
    """One server and world a module and database (building a world costs seconds: argon2 on
    every password)."""
    server = module_server
    app = server.app()
    tag = uuid.uuid4().hex[:8]
    a = build_school(app, tag=tag)
    b = build_school(app, tag=f"{tag}-b")
    accounts = Accounts(create_read_engine(server.database.settings))
    people = {
        "operator": (a.operator, f"op-{tag}"), "admin": (a.admin, f"admin-{tag}"),
        "teacher": (a.teacher, f"teacher-{tag}"), "auditor": (a.auditor, f"auditor-{tag}"),
        "guardian": (a.guardian, f"guardian-{tag}"), "b_teacher": (b.teacher,
                                                                  f"teacher-{tag}-b"),
    }
    for user_id, _ in people.values():
        accounts.set_password(user_id, PASSWORD, now=server.clock())
    accounts.engine.dispose()
    tokens = {who: server.login(username, PASSWORD) for who, (_, username) in people.items()}
    yield World(server, app, a, b, tokens, tag)
    app.close()


@pytest.fixture
def postgres() -> Iterator[ThrowawayPostgres]:
    """A PostgreSQL server of the test's own, which it may stop and start (``pgcluster.py``)."""
    try:
        server = ThrowawayPostgres()
    except (FileNotFoundError, RuntimeError) as exc:
        pytest.skip(f"no throwaway PostgreSQL here: {exc}")
    server.start()
    yield server
    server.destroy()
