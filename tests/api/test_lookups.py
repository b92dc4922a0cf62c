"""Lookups over HTTP, on a real server over SQLite and PostgreSQL: a client finds schools,
years and periods, people, subjects, classes, their students, journals and timetables, a
guardian's children and a teacher's journals from API answers alone, names beside ids."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from ejournal.application import EJournal
from ejournal.application.commands import (
    AddSubject,
    AppointSubstitute,
    EndEnrolment,
    EnrolStudent,
    OpenClass,
    OpenJournal,
    RegisterUser,
    SetProgramme,
    SetTimetable,
)
from tests.api.helpers import PASSWORD, build_school, error_fields, problem
from tests.servers import Server


def _app(server: Server) -> EJournal:
    return EJournal(server.database.settings, clock=server.clock)


def _get(server: Server, token: str, path: str, **params: Any) -> Any:
    with server.client(token) as c:
        answer = c.get(path, params=params or None)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _status(server: Server, token: str, path: str) -> int:
    with server.client(token) as c:
        return c.get(path).status_code


def test_a_teacher_finds_their_journals_and_a_substitute_theirs_for_today(
        module_server: Server) -> None:
    s = build_school(module_server, "lk1")
    app = _app(module_server)
    try:
        other = _user(app, "other-lk1")
        for first, last in ((date(2026, 11, 23), date(2026, 11, 27)),
                            (date(2026, 12, 1), date(2026, 12, 4))):
            app.execute(AppointSubstitute(UUID(s.admin_id), UUID(s.journal_id), teacher_id=other,
                                          from_date=first, to_date=last))
    finally:
        app.close()
    module_server.caught_up()
    own = _get(module_server, s.tokens["teacher"], "/api/v1/me/journals")
    assert own == {"items": [{
        "id": s.journal_id, "class_id": s.class_id, "class_name": "7Б",
        "subject_id": s.subject_id, "subject_name": "Математика", "teacher_id": s.teacher_id,
        "teacher_name": "Мария Ивановна", "substitute_from": None, "substitute_to": None}],
        "next": None}
    # The substitute sees the journal while their substitution lasts (today is 25 November),
    # not the one of next week.
    substitute = module_server.login("other-lk1", PASSWORD)
    theirs = _get(module_server, substitute, "/api/v1/me/journals")["items"]
    assert [(j["id"], j["substitute_from"], j["substitute_to"]) for j in theirs] == [
        (s.journal_id, "2026-11-23", "2026-11-27")]
    # A journal's own page: its programme and substitutions, with names.
    detail = _get(module_server, s.tokens["teacher"], f"/api/v1/journals/{s.journal_id}")
    assert (detail["class_name"], detail["subject_name"], detail["teacher_name"]) == (
        "7Б", "Математика", "Мария Ивановна")
    assert [(x["teacher_name"], x["from_date"]) for x in detail["substitutions"]] == [
        ("Пётр Петрович", "2026-11-23"), ("Пётр Петрович", "2026-12-01")]
    # Only teachers have journals of their own; a guardian has children instead.
    assert _status(module_server, s.tokens["guardian"], "/api/v1/me/journals") == 403
    assert _status(module_server, s.tokens["teacher"], "/api/v1/me/children") == 403


def _user(app: EJournal, username: str) -> UUID:
    found = app.user_by_username(username)
    assert found is not None
    return found.id


def test_schools_years_and_periods_are_found_from_the_school_id_in_me(
        module_server: Server) -> None:
    s = build_school(module_server, "lk2")
    other = build_school(module_server, "lk2x")
    me = _get(module_server, s.tokens["auditor"], "/api/v1/me")
    schools = _get(module_server, s.tokens["auditor"], "/api/v1/schools")
    assert [x["id"] for x in schools["items"]] == [me["school_id"]] == [s.id]
    assert schools["items"][0] == {"id": s.id, "name": "Школа lk2",
                                   "timezone": "Asia/Novosibirsk"}
    everything = _get(module_server, s.tokens["operator"], "/api/v1/schools")["items"]
    assert {s.id, other.id} <= {x["id"] for x in everything}
    years = _get(module_server, s.tokens["student"], f"/api/v1/schools/{s.id}/years")["items"]
    (year,) = years
    assert (year["id"], year["days_per_week"], year["starts_on"]) == (s.year_id, 5, "2026-09-01")
    assert [(p["id"], p["name"], p["kind"]) for p in year["periods"]] == [
        (pid, name, "term") for pid, name in zip(s.period_ids, (
            "I четверть", "II четверть", "III четверть", "IV четверть"), strict=True)]
    assert [h["name"] for h in year["holidays"]] == [
        "осенние каникулы", "зимние каникулы", "весенние каникулы"]
    # Another school's: not there; the operator belongs to no school's year.
    assert _status(module_server, s.tokens["admin"], f"/api/v1/schools/{other.id}") == 404
    assert _status(module_server, s.tokens["admin"], f"/api/v1/schools/{other.id}/years") == 404
    assert _status(module_server, s.tokens["operator"], f"/api/v1/schools/{s.id}") == 200
    assert _status(module_server, s.tokens["operator"], f"/api/v1/schools/{s.id}/years") == 403


def test_people_subjects_and_classes_with_grade_and_class_teacher(
        module_server: Server) -> None:
    s = build_school(module_server, "lk3")
    with module_server.client(s.tokens["admin"]) as c:
        made = c.post(f"/api/v1/schools/{s.id}/classes",
                      json={"name": "10А", "year_id": s.year_id, "grade": 10,
                            "class_teacher_id": s.teacher_id})
        refused = c.post(f"/api/v1/schools/{s.id}/classes",
                         json={"name": "12А", "year_id": s.year_id, "grade": 12})
        text = c.post(f"/api/v1/schools/{s.id}/classes",
                      json={"name": "5А", "year_id": s.year_id, "grade": "5"})
    assert made.status_code == 201, made.text
    assert error_fields(problem(refused, 422)) == ["grade"]
    assert error_fields(problem(text, 422)) == ["grade"]
    classes = _get(module_server, s.tokens["teacher"], f"/api/v1/schools/{s.id}/classes")
    assert [(x["name"], x["grade"], x["class_teacher_name"]) for x in classes["items"]] == [
        ("7Б", None, "Мария Ивановна"), ("10А", 10, "Мария Ивановна")]
    subjects = _get(module_server, s.tokens["auditor"], f"/api/v1/schools/{s.id}/subjects")
    assert subjects == {"items": [{"id": s.subject_id, "name": "Математика"}], "next": None}
    users = _get(module_server, s.tokens["admin"], f"/api/v1/schools/{s.id}/users")["items"]
    assert [(u["username"], u["role"], u["disabled"]) for u in users] == [
        ("auditor-lk3", "auditor", False), ("admin-lk3", "admin", False),
        ("teacher-lk3", "teacher", False), ("other-lk3", "teacher", False),
        ("guardian-lk3", "guardian", False), ("student0-lk3", "student", False),
        ("student1-lk3", "student", False)]  # by name: Аудитор, Завуч, Мария, Пётр, ...
    teachers = _get(module_server, s.tokens["operator"], f"/api/v1/schools/{s.id}/users",
                    role="teacher")["items"]
    assert [u["full_name"] for u in teachers] == ["Мария Ивановна", "Пётр Петрович"]
    assert _status(module_server, s.tokens["teacher"], f"/api/v1/schools/{s.id}/users") == 403
    assert _status(module_server, s.tokens["guardian"],
                   f"/api/v1/schools/{s.id}/subjects") == 403
    with module_server.client(s.tokens["admin"]) as c:
        bad = c.get(f"/api/v1/schools/{s.id}/users", params={"cursor": "bm90LWEtY3Vyc29y"})
        role = c.get(f"/api/v1/schools/{s.id}/users", params={"role": "headmaster"})
    assert error_fields(problem(bad, 422)) == ["cursor"]
    assert error_fields(problem(role, 422)) == ["role"]


def test_a_class_lists_its_students_on_a_day_its_journals_and_its_timetable(
        module_server: Server) -> None:
    s = build_school(module_server, "lk4", students=3)
    app = _app(module_server)
    try:
        admin, school, class_id = UUID(s.admin_id), UUID(s.id), UUID(s.class_id)
        journal = UUID(s.journal_id)
        app.execute(EndEnrolment(admin, class_id, student_id=UUID(s.student_ids[2]),
                                 last_day=date(2026, 11, 13)))
        history = app.execute(AddSubject(admin, school, name="История")).id
        assert history is not None
        j2 = app.execute(OpenJournal(admin, class_id=class_id, subject_id=history,
                                     teacher_id=_user(app, "other-lk4"))).id
        assert j2 is not None
        app.execute(SetTimetable(admin, class_id, valid_from=date(2026, 9, 1),
                                 lessons=[(1, 1, journal), (1, 2, j2)]))
        app.execute(SetTimetable(admin, class_id, valid_from=date(2026, 11, 16),
                                 lessons=[(2, 1, j2)]))
        app.execute(SetProgramme(admin, journal, topics=[("Дроби", 4), ("Проценты", 6)]))
        elsewhere = app.execute(OpenClass(admin, school, name="8В", year_id=UUID(s.year_id))).id
        assert elsewhere is not None
        outsider = app.execute(RegisterUser(admin, school, username="lk4-outsider",
                                            full_name="Чужой", role="student")).id
        assert outsider is not None
        app.execute(EnrolStudent(admin, elsewhere, student_id=outsider,
                                 from_date=date(2026, 9, 1)))
    finally:
        app.close()
    module_server.caught_up()
    teacher = s.tokens["teacher"]
    now = _get(module_server, teacher, f"/api/v1/classes/{s.class_id}/students")["items"]
    assert [(x["full_name"], x["to_date"]) for x in now] == [("Ученик 0", None),
                                                             ("Ученик 1", None)]
    before = _get(module_server, teacher, f"/api/v1/classes/{s.class_id}/students",
                  on="2026-11-13")["items"]
    assert [(x["full_name"], x["to_date"]) for x in before][-1] == ("Ученик 2", "2026-11-13")
    journals = _get(module_server, teacher, f"/api/v1/classes/{s.class_id}/journals")["items"]
    assert [(j["subject_name"], j["teacher_name"]) for j in journals] == [
        ("История", "Пётр Петрович"), ("Математика", "Мария Ивановна")]
    # The student and the guardian read the class's timetable, as it stood on a day asked.
    old = _get(module_server, s.tokens["guardian"], f"/api/v1/classes/{s.class_id}/timetable",
               on="2026-11-02")
    assert old["valid_from"] == "2026-09-01"
    assert [(x["weekday"], x["slot"], x["subject_name"], x["teacher_name"])
            for x in old["lessons"]] == [(1, 1, "Математика", "Мария Ивановна"),
                                          (1, 2, "История", "Пётр Петрович")]
    today = _get(module_server, s.tokens["student"], f"/api/v1/classes/{s.class_id}/timetable")
    assert (today["valid_from"], len(today["lessons"])) == ("2026-11-16", 1)
    detail = _get(module_server, teacher, f"/api/v1/journals/{s.journal_id}")
    assert detail["programme"] == [{"title": "Дроби", "hours": 4},
                                   {"title": "Проценты", "hours": 6}]
    # Another class of the school: not this teacher's, this student's or this guardian's.
    for who in ("teacher", "student", "guardian"):
        assert _status(module_server, s.tokens[who],
                       f"/api/v1/classes/{elsewhere}/timetable") == 404, who
    assert _status(module_server, teacher, f"/api/v1/classes/{elsewhere}/students") == 404
    assert _status(module_server, s.tokens["admin"],
                   f"/api/v1/classes/{elsewhere}/students") == 200
    assert _status(module_server, s.tokens["student"],
                   f"/api/v1/classes/{s.class_id}/students") == 403


def test_a_guardian_finds_their_children_and_the_class_they_are_in(
        module_server: Server) -> None:
    s = build_school(module_server, "lk5")
    children = _get(module_server, s.tokens["guardian"], "/api/v1/me/children")
    assert children == {"items": [{"id": s.student_ids[0], "full_name": "Ученик 0",
                                   "class_id": s.class_id, "class_name": "7Б"}], "next": None}
