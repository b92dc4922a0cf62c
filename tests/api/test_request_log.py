"""The request log of ``ejournal serve``: one JSON line per request (method, route template,
status, duration, user id), on by default, off with ``--no-request-log``; never a password,
a token, a body, a query or a path as sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from ejournal.cli import _bootstrap
from tests.databases import NOW, Database
from tests.servers import OPERATOR, serving_process

pytestmark = pytest.mark.slow

STUDENT = "00000000-0000-4000-8000-0000000000aa"
#: Text that may only ever be in a request: a body's, a query's.
BODY_MARK, QUERY_MARK = "Школа-тайна-4711", "query-secret-0815"


def _requests(log: Path) -> list[dict[str, Any]]:
    found = []
    for text in log.read_text(errors="replace").splitlines():
        if text.startswith("{"):
            record = json.loads(text)
            if record["route"] != "/healthz":  # the test's own waiting for the server
                found.append(record)
    return found


def _walk(url: str) -> tuple[str, str]:
    """A login, a read, a refusal and a write: the token and the operator's id."""
    with httpx.Client(base_url=url, timeout=30) as c:
        token = c.post("/api/v1/auth/token", data={"username": OPERATOR[0],
                                                   "password": OPERATOR[1]}
                       ).json()["access_token"]
        c.headers["Authorization"] = f"Bearer {token}"
        me = c.get("/api/v1/me").json()["id"]
        assert c.get(f"/api/v1/students/{STUDENT}/diary",
                     params={"from": QUERY_MARK}).status_code == 403
        assert c.post("/api/v1/schools", json={"name": BODY_MARK, "timezone": "Europe/Moscow"}
                      ).status_code == 201
    return token, me


def test_serve_logs_one_line_per_request_without_secrets(database: Database,
                                                         tmp_path: Path) -> None:
    _bootstrap(database.settings, *OPERATOR, now=NOW)
    log = tmp_path / "serve.log"
    with serving_process(database.settings, log, "--no-scheduler") as server:
        token, me = _walk(server.url)
    lines = _requests(log)
    assert [(r["method"], r["route"], r["status"], r["user_id"]) for r in lines] == [
        ("POST", "/api/v1/auth/token", 200, None),
        ("GET", "/api/v1/me", 200, me),
        ("GET", "/api/v1/students/{student_id}/diary", 403, me),
        ("POST", "/api/v1/schools", 201, me),
    ]
    assert all(set(r) == {"method", "route", "status", "duration_ms", "user_id"}
               for r in lines)
    assert all(isinstance(r["duration_ms"], float) and r["duration_ms"] >= 0 for r in lines)
    # Never the password, the token, a body, a query or the path as sent
    text = log.read_text(errors="replace")
    for secret in (OPERATOR[1], token, BODY_MARK, QUERY_MARK, STUDENT):
        assert secret not in text


def test_no_request_log_turns_it_off(database: Database, tmp_path: Path) -> None:
    _bootstrap(database.settings, *OPERATOR, now=NOW)
    log = tmp_path / "serve.log"
    with serving_process(database.settings, log, "--no-scheduler",
                         "--no-request-log") as server:
        _walk(server.url)
    assert _requests(log) == []
    assert "Application startup complete" in log.read_text()
