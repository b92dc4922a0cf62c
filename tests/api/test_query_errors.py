"""Defaults and refusals of query parameters and bodies (api-v1.md, "Conventions"): a date
range left out is the current school year (for the late-entry audit too); ``from`` after
``to``, a cursor the server never gave, a body that is not JSON, and a number sent as a string
are each ``422`` with ``errors`` naming the field, and write nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

from ejournal.application.commands import EnrolStudent, HoldLesson, OpenClass, OpenJournal, PlanYear
from tests.api.helpers import School, build_school, error_fields, log_length, problem
from tests.servers import Server

#: The year before the tests' school year: a lesson of it recorded late, in June.
LAST_YEAR = (date(2025, 9, 1), date(2026, 5, 31))


def _late_lessons(server: Server, s: School) -> tuple[str, str]:
    """A lesson of last year's class and one of this year's, each recorded late: their ids."""
    app = server.app()
    try:
        admin, teacher, school = (s.admin_id, s.teacher_id, s.id)
        year = app.execute(PlanYear(UUID(admin), UUID(school), name="2025/26",
                                    starts_on=LAST_YEAR[0], ends_on=LAST_YEAR[1],
                                    days_per_week=5,
                                    periods=[("Год", *LAST_YEAR)])).id
        old_class = app.execute(OpenClass(UUID(admin), UUID(school), name="6Б",
                                          year_id=year)).id
        app.execute(EnrolStudent(UUID(admin), old_class, student_id=UUID(s.student_ids[0]),
                                 from_date=LAST_YEAR[0]))
        old_journal = app.execute(OpenJournal(UUID(admin), class_id=old_class,
                                              subject_id=UUID(s.subject_id),
                                              teacher_id=UUID(teacher))).id
        old = app.execute(HoldLesson(UUID(teacher), old_journal, lesson_date=date(2026, 5, 20),
                                     slot=1, topic="Повторение"),
                          at=datetime(2026, 6, 10, 9, tzinfo=UTC))
        new = app.execute(HoldLesson(UUID(teacher), UUID(s.journal_id),
                                     lesson_date=date(2026, 11, 16), slot=1, topic="Дроби"),
                          at=datetime(2026, 11, 20, 9, tzinfo=UTC))
    finally:
        app.close()
    assert old.late is not None
    assert new.late is not None
    server.caught_up()
    return str(old.id), str(new.id)


def test_late_entries_without_dates_cover_the_current_school_year(server: Server) -> None:
    # Given late lessons of last school year and of this one
    s = build_school(server)
    _late_lessons(server, s)
    path = f"/api/v1/schools/{s.id}/late-entries"
    with server.client(s.tokens["auditor"]) as c:
        # When the auditor asks with no dates
        default = c.get(path)
        # and for both years
        both = c.get(path, params={"from": "2025-09-01", "to": "2027-08-31"})
    # Then the answer is this school year's: 1 September 2026 to 31 August 2027
    assert default.status_code == 200, default.text
    assert [i["date"] for i in default.json()["items"]] == ["2026-11-16"]
    assert sorted(i["date"] for i in both.json()["items"]) == ["2026-05-20", "2026-11-16"]


def test_bad_ranges_cursors_and_bodies_are_422_naming_the_field(server: Server) -> None:
    s = build_school(server)
    reversed_range = {"from": "2026-12-01", "to": "2026-11-01"}
    with server.client(s.tokens["auditor"]) as c:
        late = c.get(f"/api/v1/schools/{s.id}/late-entries", params=reversed_range)
        overdue = c.get(f"/api/v1/schools/{s.id}/overdue", params=reversed_range)
        cursor = c.get(f"/api/v1/schools/{s.id}/late-entries", params={"cursor": "Zm9v"})
    with server.client(s.tokens["teacher"]) as c:
        grid = c.get(f"/api/v1/journals/{s.journal_id}/grid", params=reversed_range)
        before = log_length(server)
        broken = c.post(f"/api/v1/journals/{s.journal_id}/lessons",
                        content=b'{"date": "2026-11-23", "slot": 1,',
                        headers={"Content-Type": "application/json"})
    for answer in (late, overdue, grid):
        assert error_fields(problem(answer, 422)) == ["from"], answer.text
    assert error_fields(problem(cursor, 422)) == ["cursor"]
    assert error_fields(problem(broken, 422)) == ["body"]
    assert log_length(server) == before


def test_a_timetable_weekday_sent_as_a_string_is_refused_like_a_slot(server: Server) -> None:
    s = build_school(server)
    path = f"/api/v1/classes/{s.class_id}/timetable"
    before = log_length(server)
    with server.client(s.tokens["admin"]) as c:
        answers = [c.put(path, json={"valid_from": "2026-12-01", "lessons": [lesson]})
                   for lesson in ({"weekday": "1", "slot": 1, "journal_id": s.journal_id},
                                  {"weekday": 1, "slot": "1", "journal_id": s.journal_id},
                                  {"weekday": 1.0, "slot": 1, "journal_id": s.journal_id})]
    assert [error_fields(problem(a, 422)) for a in answers] == [
        ["lessons[0].weekday"], ["lessons[0].slot"], ["lessons[0].weekday"]]
    assert log_length(server) == before
