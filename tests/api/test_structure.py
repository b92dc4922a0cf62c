"""School structure over HTTP: the operator creates a school and its admin, the admin builds
the rest; refusals write nothing; another school's ids are not there; bad input is 422."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

from sqlalchemy import func, select

from ejournal.accounts import credentials
from ejournal.projections.base import create_read_engine
from tests.api.helpers import (
    PASSWORD,
    School,
    add_school,
    add_user,
    build_school,
    created,
    error_fields,
    log_length,
    operator_token,
    problem,
    year_body,
)
from tests.servers import Server

Y1, Y2 = date(2026, 9, 1), date(2027, 5, 31)


def _credential_count(server: Server) -> int:
    engine = create_read_engine(server.database.settings)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(credentials)) or 0)
    finally:
        engine.dispose()


def _me(server: Server, username: str) -> dict[str, Any]:
    with server.client(server.login(username, PASSWORD)) as c:
        answer = c.get("/api/v1/me")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _every_write(s: School) -> list[tuple[str, str, dict[str, Any]]]:
    """One valid request per structure endpoint, on school ``s``'s own ids."""
    student = s.student_ids[-1]
    return [
        ("POST", "/api/v1/schools", {"name": "Ещё школа", "timezone": "Europe/Moscow"}),
        ("POST", f"/api/v1/schools/{s.id}/users",
         {"username": f"new-{uuid4().hex[:8]}", "password": PASSWORD, "full_name": "Новый",
          "role": "teacher"}),
        ("POST", f"/api/v1/schools/{s.id}/years", year_body(Y1, Y2, name="Другой год")),
        ("POST", f"/api/v1/schools/{s.id}/calendar/days",
         {"date": "2026-12-01", "kind": "day_off", "reason": "карантин"}),
        ("POST", f"/api/v1/schools/{s.id}/subjects", {"name": "Физика"}),
        ("POST", f"/api/v1/schools/{s.id}/classes", {"name": "6Б", "year_id": s.year_id}),
        ("POST", f"/api/v1/classes/{s.class_id}/enrolments",
         {"student_id": student, "from_date": "2026-09-01"}),
        ("POST", f"/api/v1/classes/{s.class_id}/enrolments/{student}/end",
         {"on_date": "2026-12-20"}),
        ("POST", f"/api/v1/students/{s.student_ids[0]}/guardians",
         {"guardian_id": s.guardian_id}),
        ("POST", "/api/v1/journals",
         {"class_id": s.class_id, "subject_id": s.subject_id, "teacher_id": s.teacher_id}),
        ("POST", f"/api/v1/journals/{s.journal_id}/substitutions",
         {"teacher_id": s.teacher_id, "from_date": "2026-12-01", "to_date": "2026-12-05"}),
        ("PUT", f"/api/v1/journals/{s.journal_id}/programme",
         {"topics": [{"title": "Дроби", "hours": 4}]}),
        ("PUT", f"/api/v1/classes/{s.class_id}/timetable",
         {"valid_from": "2026-12-01",
          "lessons": [{"weekday": 1, "slot": 1, "journal_id": s.journal_id}]}),
    ]


def test_the_operator_creates_a_school_and_its_admin_who_builds_the_rest(
    server: Server,
) -> None:
    # Given the operator, logged in
    op = operator_token(server)
    with server.client(op) as c:
        # When they register a school, then it is named by a fresh id
        school = created(c.post("/api/v1/schools",
                                json={"name": "Лицей №7", "timezone": "Asia/Novosibirsk"}))
        assert school == {"id": school["id"], "late": None}
        school_id = school["id"]
        # And its admin
        admin = created(c.post(f"/api/v1/schools/{school_id}/users", json={
            "username": "director", "password": PASSWORD, "full_name": "Анна Петровна Ёлкина",
            "role": "admin"}))
        assert admin == {"id": admin["id"], "late": None}
    # Then the admin logs in with that password and is who the operator said
    me = _me(server, "director")
    assert (me["id"], me["username"], me["full_name"], me["role"], me["school_id"]) == (
        admin["id"], "director", "Анна Петровна Ёлкина", "admin", school_id)

    before = log_length(server)
    with server.client(server.login("director", PASSWORD)) as c:
        # The admin registers the people of the school
        people = {}
        for username, role, name in [("t-maria", "teacher", "Мария Ивановна"),
                                     ("t-oleg", "teacher", "Олег Петрович"),
                                     ("s-vanya", "student", "Ваня Иванов"),
                                     ("s-petya", "student", "Петя Петров"),
                                     ("g-mama", "guardian", "Мама Вани"),
                                     ("a-rono", "auditor", "Инспектор")]:
            answer = created(c.post(f"/api/v1/schools/{school_id}/users", json={
                "username": username, "password": PASSWORD, "full_name": name,
                "role": role}))
            people[username] = answer["id"]
        assert len(set(people.values())) == 6

        # plans the year: its periods come back with ids, in the order given
        body = year_body(Y1, Y2)
        year = created(c.post(f"/api/v1/schools/{school_id}/years", json=body))
        assert year["late"] is None
        assert [(p["name"], p["starts_on"], p["ends_on"]) for p in year["periods"]] == [
            ("1 полугодие", "2026-09-01", "2026-12-28"), ("2 полугодие", "2027-01-09",
                                                          "2027-05-31")]
        period_ids = [p["id"] for p in year["periods"]]
        assert len(set(period_ids)) == 2
        assert year["id"] not in period_ids
        assert set(year) == {"id", "periods", "late"}

        # declares a day off on the school's calendar
        day = c.post(f"/api/v1/schools/{school_id}/calendar/days",
                     json={"date": "2026-12-01", "kind": "day_off", "reason": "карантин"})
        assert created(day) == {"late": None}
        extra = c.post(f"/api/v1/schools/{school_id}/calendar/days",
                       json={"date": "2026-12-26", "kind": "school_day", "reason": "отработка"})
        assert created(extra) == {"late": None}

        # adds subjects
        maths = created(c.post(f"/api/v1/schools/{school_id}/subjects",
                               json={"name": "Математика"}))
        russian = created(c.post(f"/api/v1/schools/{school_id}/subjects",
                                 json={"name": "Русский язык"}))
        assert maths["id"] != russian["id"]
        # and the same subject twice is a conflict
        twice = problem(c.post(f"/api/v1/schools/{school_id}/subjects",
                               json={"name": "математика"}), 409)
        assert "математика" in twice["detail"]

        # opens a class with its class teacher
        school_class = created(c.post(f"/api/v1/schools/{school_id}/classes", json={
            "name": "5А", "year_id": year["id"], "class_teacher_id": people["t-maria"]}))
        class_id = school_class["id"]
        assert school_class == {"id": class_id, "late": None}

        # enrols the students, then one leaves after 20 December
        for student in ("s-vanya", "s-petya"):
            enrolled = c.post(f"/api/v1/classes/{class_id}/enrolments",
                              json={"student_id": people[student], "from_date": "2026-09-01"})
            assert created(enrolled) == {"late": None}
        end = c.post(f"/api/v1/classes/{class_id}/enrolments/{people['s-petya']}/end",
                     json={"on_date": "2026-12-20"})
        assert created(end) == {"late": None}
        # an ended enrolment cannot end again
        problem(c.post(f"/api/v1/classes/{class_id}/enrolments/{people['s-petya']}/end",
                       json={"on_date": "2026-12-21"}), 409)

        # links a guardian to a student
        link = c.post(f"/api/v1/students/{people['s-vanya']}/guardians",
                      json={"guardian_id": people["g-mama"]})
        assert created(link) == {"late": None}

        # opens the class's journals (teaching assignments); one per class and subject
        journal = created(c.post("/api/v1/journals", json={
            "class_id": class_id, "subject_id": maths["id"], "teacher_id": people["t-maria"]}))
        other = created(c.post("/api/v1/journals", json={
            "class_id": class_id, "subject_id": russian["id"], "teacher_id": people["t-oleg"]}))
        assert journal == {"id": journal["id"], "late": None}
        assert journal["id"] != other["id"]
        problem(c.post("/api/v1/journals", json={
            "class_id": class_id, "subject_id": maths["id"], "teacher_id": people["t-oleg"]}),
            409)

        # appoints a substitute for a week
        sub = c.post(f"/api/v1/journals/{journal['id']}/substitutions", json={
            "teacher_id": people["t-oleg"], "from_date": "2026-12-07", "to_date": "2026-12-11"})
        assert created(sub) == {"late": None}

        # sets the work programme (PUT: 200)
        programme = c.put(f"/api/v1/journals/{journal['id']}/programme", json={
            "topics": [{"title": "Натуральные числа", "hours": 10},
                       {"title": "Дроби", "hours": 12}]})
        assert created(programme, 200) == {"late": None}

        # and the timetable from 1 December (PUT: 200)
        timetable = c.put(f"/api/v1/classes/{class_id}/timetable", json={
            "valid_from": "2026-12-01",
            "lessons": [{"weekday": 1, "slot": 1, "journal_id": journal["id"]},
                        {"weekday": 1, "slot": 2, "journal_id": other["id"]},
                        {"weekday": 3, "slot": 4, "journal_id": journal["id"]}]})
        assert created(timetable, 200) == {"late": None}
    # Then every acknowledged write is in the log
    assert log_length(server) > before

    # and the relations take effect: the class teacher, the guardian's child
    assert _me(server, "t-maria")["class_teacher_of"] == [class_id]
    assert _me(server, "t-oleg")["class_teacher_of"] == []
    assert _me(server, "g-mama")["children"] == [people["s-vanya"]]
    assert _me(server, "s-vanya")["full_name"] == "Ваня Иванов"


def test_a_teacher_a_student_a_guardian_or_an_auditor_creates_nothing(server: Server) -> None:
    # Given a school with its people
    s = build_school(server)
    before, before_credentials = log_length(server), _credential_count(server)
    # When anyone but its administration tries any structure write
    for role in ("teacher", "student", "guardian", "auditor"):
        with server.client(s.tokens[role]) as c:
            for method, path, body in _every_write(s):
                answer = c.request(method, path, json=body)
                # Then it is 403 (a role that may never do this)
                refused = problem(answer, 403)
                assert refused["title"] == "Not permitted", (role, path)
    # And nothing was written: no event, no stray credential
    assert log_length(server) == before
    assert _credential_count(server) == before_credentials
    # And the admin may not register schools either: that is the operator's
    with server.client(s.tokens["admin"]) as c:
        problem(c.post("/api/v1/schools", json={"name": "X", "timezone": "UTC"}), 403)
    assert log_length(server) == before


def test_the_admin_of_one_school_does_not_see_another_schools_ids(server: Server) -> None:
    # Given two schools
    a = build_school(server, "a")
    b = build_school(server, "b")
    before = log_length(server)
    with server.client(a.tokens["admin"]) as c:
        # When school A's admin writes with school B's ids, then they are not there (404)
        for method, path, body in _every_write(b)[1:]:
            answer = c.request(method, path, json=body)
            assert problem(answer, 404)["title"] == "Not found", path
        # Nor may B's people be put into A's class or journal
        problem(c.post(f"/api/v1/classes/{a.class_id}/enrolments",
                       json={"student_id": b.student_ids[0], "from_date": "2026-09-01"}), 404)
        problem(c.post(f"/api/v1/journals/{a.journal_id}/substitutions", json={
            "teacher_id": b.teacher_id, "from_date": "2026-12-01", "to_date": "2026-12-02"}),
            404)
        problem(c.post(f"/api/v1/schools/{a.id}/classes",
                       json={"name": "9В", "year_id": b.year_id}), 404)
    # And nothing was written
    assert log_length(server) == before


def test_bad_input_is_422_or_409_problem_json_naming_the_field(server: Server) -> None:
    op = operator_token(server)
    school_id = add_school(server, op)
    add_user(server, op, school_id, "admin1", "admin")
    admin = server.login("admin1", PASSWORD)
    before = log_length(server)
    with server.client(op) as c:
        # An unknown time zone
        bad = problem(c.post("/api/v1/schools",
                             json={"name": "Школа", "timezone": "Mars/Olympus"}), 422)
        assert error_fields(bad) == ["timezone"]
        # A missing name, an unknown field
        bad = problem(c.post("/api/v1/schools",
                             json={"timezone": "UTC", "colour": "red"}), 422)
        assert sorted(error_fields(bad)) == ["colour", "name"]
        # A name over 2,000 characters
        bad = problem(c.post("/api/v1/schools",
                             json={"name": "я" * 2001, "timezone": "UTC"}), 422)
        assert error_fields(bad) == ["name"]
        # Text with NUL, and text with a lone surrogate
        bad = problem(c.post("/api/v1/schools",
                             json={"name": "Школа\x00", "timezone": "UTC"}), 422)
        assert error_fields(bad) == ["name"]
        bad = problem(c.post("/api/v1/schools",
                             content=b'{"name": "\\ud800", "timezone": "UTC"}',
                             headers={"content-type": "application/json"}), 422)
        assert error_fields(bad) == ["name"]
    with server.client(admin) as c:
        # A password shorter than 10 characters, never echoed
        answer = c.post(f"/api/v1/schools/{school_id}/users", json={
            "username": "shorty", "password": "Sec-123", "full_name": "Коротыш",
            "role": "teacher"})
        bad = problem(answer, 422)
        assert error_fields(bad) == ["password"]
        assert "Sec-123" not in answer.text
        # An unknown role; an operator inside a school
        bad = problem(c.post(f"/api/v1/schools/{school_id}/users", json={
            "username": "boss", "password": PASSWORD, "full_name": "Босс",
            "role": "director"}), 422)
        assert error_fields(bad) == ["role"]
        bad = problem(c.post(f"/api/v1/schools/{school_id}/users", json={
            "username": "boss", "password": PASSWORD, "full_name": "Босс",
            "role": "operator"}), 422)
        assert error_fields(bad) == ["role"]
        # A username that is taken (platform-wide: the operator's)
        taken = problem(c.post(f"/api/v1/schools/{school_id}/users", json={
            "username": "root", "password": PASSWORD, "full_name": "Самозванец",
            "role": "teacher"}), 409)
        assert "root" in taken["detail"]
        # A 7-day week
        body = year_body(Y1, Y2)
        bad = problem(c.post(f"/api/v1/schools/{school_id}/years",
                             json={**body, "days_per_week": 7}), 422)
        assert error_fields(bad) == ["days_per_week"]
        # A period outside the year
        outside = {**body, "periods": [{"name": "1 четверть", "starts_on": "2026-08-20",
                                        "ends_on": "2026-10-25"}]}
        bad = problem(c.post(f"/api/v1/schools/{school_id}/years", json=outside), 422)
        assert error_fields(bad) == ["periods[0]"]
        assert "outside the year" in bad["detail"]
        # A date that is no date; an unknown kind of day
        bad = problem(c.post(f"/api/v1/schools/{school_id}/calendar/days", json={
            "date": "2026-02-30", "kind": "holiday", "reason": "x"}), 422)
        assert sorted(error_fields(bad)) == ["date", "kind"]
    # None of it was written (the taken username's credential included)
    assert log_length(server) == before

    s = build_school(server, "w")
    before = log_length(server)
    with server.client(s.tokens["admin"]) as c:
        # Weekday 8 and slot 11
        bad = problem(c.put(f"/api/v1/classes/{s.class_id}/timetable", json={
            "valid_from": "2026-12-01",
            "lessons": [{"weekday": 8, "slot": 11, "journal_id": s.journal_id}]}), 422)
        assert sorted(error_fields(bad)) == ["lessons[0].slot", "lessons[0].weekday"]
        # Saturday in a 5-day school is the domain's refusal, naming the lesson's field
        bad = problem(c.put(f"/api/v1/classes/{s.class_id}/timetable", json={
            "valid_from": "2026-12-01",
            "lessons": [{"weekday": 6, "slot": 1, "journal_id": s.journal_id}]}), 422)
        assert error_fields(bad) == ["lessons[0].weekday"]
        # Programme hours of zero
        bad = problem(c.put(f"/api/v1/journals/{s.journal_id}/programme",
                            json={"topics": [{"title": "Дроби", "hours": 0}]}), 422)
        assert error_fields(bad) == ["topics[0].hours"]
        # A substitution that ends before it starts
        bad = problem(c.post(f"/api/v1/journals/{s.journal_id}/substitutions", json={
            "teacher_id": s.teacher_id, "from_date": "2026-12-05", "to_date": "2026-12-01"}),
            422)
        assert error_fields(bad) == ["to_date"]
        # A student as class teacher
        bad = problem(c.post(f"/api/v1/schools/{s.id}/classes", json={
            "name": "7Г", "year_id": s.year_id, "class_teacher_id": s.student_ids[0]}), 422)
        assert error_fields(bad) == ["class_teacher_id"]
    assert log_length(server) == before


def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_body(
    server: Server,
) -> None:
    s = build_school(server)
    admin = s.tokens["admin"]
    with server.client(admin) as c:
        # Given a subject added under a key
        first = c.post(f"/api/v1/schools/{s.id}/subjects", json={"name": "Химия"},
                       headers={"Idempotency-Key": "subject-1"})
        assert created(first)["id"]
        assert "idempotent-replayed" not in first.headers
        after_first = log_length(server)
        # When the same request comes again, then the first answer, and nothing written
        again = c.post(f"/api/v1/schools/{s.id}/subjects", json={"name": "Химия"},
                       headers={"Idempotency-Key": "subject-1"})
        assert (again.status_code, again.json()) == (201, first.json())
        assert again.headers["idempotent-replayed"] == "true"
        assert log_length(server) == after_first
        # And the same key with another body is a conflict
        other = c.post(f"/api/v1/schools/{s.id}/subjects", json={"name": "Биология"},
                       headers={"Idempotency-Key": "subject-1"})
        problem(other, 409)
        assert log_length(server) == after_first

        # A year replays with its periods
        body = year_body(Y1, Y2, name="Следующий год")
        year = c.post(f"/api/v1/schools/{s.id}/years", json=body,
                      headers={"Idempotency-Key": "year-1"})
        replay = c.post(f"/api/v1/schools/{s.id}/years", json=body,
                        headers={"Idempotency-Key": "year-1"})
        assert (replay.status_code, replay.json()) == (201, created(year))
        assert replay.headers["idempotent-replayed"] == "true"

        # A user replays with the same id; another password under the key is refused
        user = {"username": "new-teacher", "password": PASSWORD, "full_name": "Новенькая",
                "role": "teacher"}
        made = created(c.post(f"/api/v1/schools/{s.id}/users", json=user,
                              headers={"Idempotency-Key": "user-1"}))
        credentials_now, log_now = _credential_count(server), log_length(server)
        replay = c.post(f"/api/v1/schools/{s.id}/users", json=user,
                        headers={"Idempotency-Key": "user-1"})
        assert (replay.status_code, replay.json()) == (201, made)
        assert replay.headers["idempotent-replayed"] == "true"
        problem(c.post(f"/api/v1/schools/{s.id}/users",
                       json={**user, "password": "another-password"},
                       headers={"Idempotency-Key": "user-1"}), 409)
        assert (_credential_count(server), log_length(server)) == (credentials_now, log_now)
    # The account keeps the first password
    assert _me(server, "new-teacher")["id"] == made["id"]

    # Keys are per user: the operator's same key is a new request
    with server.client(s.tokens["operator"]) as c:
        theirs = c.post(f"/api/v1/schools/{s.id}/subjects", json={"name": "Химия"},
                        headers={"Idempotency-Key": "subject-1"})
        # (not a replay of the admin's answer: the write is tried, and the subject exists)
        assert "Химия" in problem(theirs, 409)["detail"]


def test_anonymous_or_a_bad_token_is_401_everywhere(server: Server) -> None:
    s = build_school(server)
    before = log_length(server)
    for token in (None, "made-up"):
        with server.client(token) as c:
            for method, path, body in _every_write(s):
                answer = c.request(method, path, json=body)
                assert problem(answer, 401)["title"] == "Not authenticated", path
                assert answer.headers["www-authenticate"] == "Bearer"
    assert log_length(server) == before


def test_the_openapi_document_describes_the_structure_endpoints(server: Server) -> None:
    with server.client() as c:
        paths = c.get("/openapi.json").json()["paths"]
    assert paths["/api/v1/schools/{school_id}/years"]["post"]["responses"]["201"]
    assert "put" in paths["/api/v1/classes/{class_id}/timetable"]
    assert "put" in paths["/api/v1/journals/{journal_id}/programme"]
    assert "post" in paths["/api/v1/classes/{class_id}/enrolments/{student_id}/end"]
    user_in = paths["/api/v1/schools/{school_id}/users"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in user_in["parameters"]]


def test_nested_fields_are_named_alike_by_shape_checks_and_domain_rules(server: Server) -> None:
    """``lessons[0].weekday``: brackets for list items, dots for nested fields - the same
    for an error the request model finds and for one the domain finds."""
    s = build_school(server, "fp")
    before = log_length(server)
    bad_day = {"name": "Весна", "starts_on": "not-a-date", "ends_on": "2027-05-31"}
    outside = {"name": "Лето", "starts_on": "2027-06-01", "ends_on": "2027-06-30"}
    with server.client(s.tokens["admin"]) as c:
        # shape: the request model
        timetable = c.put(f"/api/v1/classes/{s.class_id}/timetable", json={
            "valid_from": "2026-12-01",
            "lessons": [{"weekday": 1, "slot": 1, "journal_id": s.journal_id},
                        {"weekday": 8, "slot": 1, "journal_id": s.journal_id}]})
        assert error_fields(problem(timetable, 422)) == ["lessons[1].weekday"]
        year = c.post(f"/api/v1/schools/{s.id}/years",
                      json={**year_body(Y1, Y2), "periods": [bad_day]})
        assert error_fields(problem(year, 422)) == ["periods[0].starts_on"]
        topics = c.put(f"/api/v1/journals/{s.journal_id}/programme",
                       json={"topics": [{"title": "Дроби", "hours": 0}]})
        assert error_fields(problem(topics, 422)) == ["topics[0].hours"]
        # domain: the rules
        year = c.post(f"/api/v1/schools/{s.id}/years",
                      json={**year_body(Y1, Y2), "periods": [outside]})
        assert error_fields(problem(year, 422)) == ["periods[0]"]
        topics = c.put(f"/api/v1/journals/{s.journal_id}/programme", json={
            "topics": [{"title": "Дроби", "hours": 2}, {"title": "Дроби", "hours": 3}]})
        assert error_fields(problem(topics, 422)) == ["topics[1]"]
    assert log_length(server) == before
