"""``POST …/lessons`` takes an optional ``written_work`` (R-6.1d): recorded with the lesson;
anything but a boolean is 422 naming it, and writes nothing."""

from __future__ import annotations

from uuid import UUID

from ejournal.application import EJournal
from ejournal.domain.lesson import Lesson
from tests.api.helpers import build_school, created, error_fields, log_length, problem
from tests.servers import Server


def test_a_lesson_is_held_with_written_work_declared(server: Server) -> None:
    s = build_school(server, "ww")
    with server.client(s.tokens["teacher"]) as c:
        before = log_length(server)
        for bad in ("yes", 1, None):
            answer = c.post(f"/api/v1/journals/{s.journal_id}/lessons", json={
                "date": "2026-11-24", "slot": 1, "topic": "Диктант", "written_work": bad})
            assert error_fields(problem(answer, 422)) == ["written_work"]
        assert log_length(server) == before
        declared = created(c.post(f"/api/v1/journals/{s.journal_id}/lessons", json={
            "date": "2026-11-24", "slot": 1, "topic": "Диктант", "written_work": True}))
        plain = created(c.post(f"/api/v1/journals/{s.journal_id}/lessons", json={
            "date": "2026-11-24", "slot": 2, "topic": "Чтение"}))
    app = EJournal(server.database.settings)
    try:
        lessons = [app.repository.get(UUID(declared["id"])), app.repository.get(UUID(plain["id"]))]
    finally:
        app.close()
    assert [(type(x), x.written_work) for x in lessons] == [(Lesson, True), (Lesson, False)]
