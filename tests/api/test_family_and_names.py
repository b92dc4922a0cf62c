"""Over HTTP, on a real server over SQLite and PostgreSQL: a student's guardians (listed, a link
ended, the other guardians told), period marks (listed, in the diary and the feed, their
history), names beside ids in the audits, and staff reading a student's data only for the days
their relation to the student held."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from ejournal.accounts import Accounts
from ejournal.application import EJournal
from ejournal.application.commands import (
    AddSubject,
    CorrectMark,
    CorrectPeriodMark,
    EndEnrolment,
    EnrolStudent,
    GiveMark,
    GivePeriodMark,
    HoldLesson,
    LinkGuardian,
    OpenClass,
    OpenJournal,
    RegisterUser,
)
from ejournal.projections.base import create_read_engine
from ejournal.scheduler.runner import ComplianceRunner
from tests.api.helpers import PASSWORD, School, build_school, problem
from tests.servers import Server

NOV = {"from": "2026-11-01", "to": "2026-11-30"}


def _app(server: Server) -> EJournal:
    return EJournal(server.database.settings, clock=server.clock)


def _get(server: Server, token: str, path: str, **params: Any) -> Any:
    with server.client(token) as c:
        answer = c.get(path, params=params or None)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _ids(s: School) -> tuple[UUID, UUID, UUID, UUID]:
    return UUID(s.admin_id), UUID(s.id), UUID(s.class_id), UUID(s.journal_id)


def _person(app: EJournal, s: School, username: str, full_name: str, role: str) -> UUID:
    made = app.execute(RegisterUser(UUID(s.admin_id), UUID(s.id), username=username,
                                    full_name=full_name, role=role)).id
    assert made is not None
    return made


def _password(server: Server, user_id: UUID) -> None:
    accounts = Accounts(create_read_engine(server.database.settings))
    try:
        accounts.set_password(user_id, PASSWORD, now=server.clock())
    finally:
        accounts.engine.dispose()


def test_a_link_ended_is_told_to_the_other_guardian_and_ends_the_reading(
        module_server: Server) -> None:
    s = build_school(module_server, "fm1")
    kid = UUID(s.student_ids[0])
    app = _app(module_server)
    try:
        second = _person(app, s, "fm1-second", "Отчим", "guardian")
        _password(module_server, second)
        app.execute(LinkGuardian(UUID(s.admin_id), kid, guardian_id=second))
    finally:
        app.close()
    token = module_server.login("fm1-second", PASSWORD)
    path = f"/api/v1/students/{kid}/guardians"
    listed = _get(module_server, s.tokens["student"], path)["items"]
    assert {(g["id"], g["full_name"], g["linked_by_name"]) for g in listed} == {
        (s.guardian_id, "Родитель", "Завуч"), (str(second), "Отчим", "Завуч")}
    assert _get(module_server, token, path)["items"] == listed
    with module_server.client(s.tokens["teacher"]) as c:
        assert c.get(path).status_code == 403  # staff but the administration: never
    # When the admin ends the second link
    with module_server.client(s.tokens["admin"]) as c:
        ended = c.post(f"/api/v1/students/{kid}/guardians/{second}/end")
        again = c.post(f"/api/v1/students/{kid}/guardians/{second}/end")
    assert ended.status_code == 201, ended.text
    problem(again, 404)
    # Then that guardian reads nothing more of the child, and the other one is told of both
    with module_server.client(token) as c:
        assert c.get(f"/api/v1/students/{kid}/diary").status_code == 404
        assert c.get("/api/v1/me/children").json()["items"] == []
    assert [g["id"] for g in _get(module_server, s.tokens["admin"], path)["items"]] == [
        s.guardian_id]
    told = _get(module_server, s.tokens["guardian"], "/api/v1/me/feed")["items"]
    assert [(i["kind"], i["guardian_name"], i["by_name"], i["student_name"]) for i in told] == [
        ("guardian_unlinked", "Отчим", "Завуч", "Ученик 0"),
        ("guardian_linked", "Отчим", "Завуч", "Ученик 0")]
    # and the student is not (the feed of the family's other guardians, as the contract says)
    kinds = {i["kind"] for i in _get(module_server, s.tokens["student"],
                                     "/api/v1/me/feed")["items"]}
    assert not kinds & {"guardian_linked", "guardian_unlinked"}


def test_period_marks_are_listed_shown_in_the_diary_and_the_feed_and_keep_their_history(
        module_server: Server) -> None:
    s = build_school(module_server, "fm2")
    admin, _, _, journal = _ids(s)
    kid, q1, q2 = UUID(s.student_ids[0]), UUID(s.period_ids[0]), UUID(s.period_ids[1])
    app = _app(module_server)
    try:
        given = app.execute(GivePeriodMark(UUID(s.teacher_id), journal, student_id=kid,
                                           period_id=q1, value="4")).id
        assert given is not None
        app.execute(CorrectPeriodMark(admin, journal, given, value="5",
                                      reason="пересчёт средней"))
    finally:
        app.close()
    module_server.caught_up()
    listed = _get(module_server, s.tokens["guardian"], f"/api/v1/students/{kid}/period-marks",
                  year_id=s.year_id)
    assert listed == {"items": [{
        "id": str(given), "journal_id": s.journal_id, "subject_name": "Математика",
        "period_id": str(q1), "period_name": "I четверть", "period_kind": "term",
        "value": "5"}], "next": None}
    # The diary of a week of the first quarter shows it; one of the second does not.
    october = _get(module_server, s.tokens["student"], f"/api/v1/students/{kid}/diary",
                   **{"from": "2026-10-19", "to": "2026-10-25"})
    assert [(p["period_name"], p["value"]) for p in october["period_marks"]] == [
        ("I четверть", "5")]
    december = _get(module_server, s.tokens["student"], f"/api/v1/students/{kid}/diary",
                    **{"from": "2026-12-07", "to": "2026-12-13"})
    assert december["period_marks"] == []
    feed = _get(module_server, s.tokens["guardian"], "/api/v1/me/feed")["items"]
    assert [(i["kind"], i["value"], i["period_name"], i["subject_name"], i["reason"],
             i["by_name"]) for i in feed] == [
        ("period_mark_corrected", "5", "I четверть", "Математика", "пересчёт средней", "Завуч"),
        ("period_mark_given", "4", "I четверть", "Математика", None, "Мария Ивановна")]
    history = _get(module_server, s.tokens["auditor"],
                   f"/api/v1/journals/{journal}/period-marks/{given}/history")["items"]
    assert [(h["kind"], h["value"], h["reason"], h["by_name"]) for h in history] == [
        ("given", "4", None, "Мария Ивановна"), ("corrected", "5", "пересчёт средней", "Завуч")]
    # Read through another journal, or as a mark's history, the period mark is not there.
    with module_server.client(s.tokens["auditor"]) as c:
        assert c.get(f"/api/v1/journals/{journal}/marks/{given}/history").status_code == 404
        assert c.get(f"/api/v1/journals/{journal}/period-marks/{q2}/history"
                     ).status_code == 404
    log = _get(module_server, s.tokens["guardian"], f"/api/v1/students/{kid}/access-log")
    assert [(i["viewer_name"], i["what"]) for i in log["items"]] == [
        ("Аудитор", "period_mark_history")]


def test_the_audits_name_who_what_and_whose(module_server: Server) -> None:
    s = build_school(module_server, "fm3")
    admin, school, _, journal = _ids(s)
    kid = UUID(s.student_ids[0])
    app = _app(module_server)
    try:
        lesson = app.execute(HoldLesson(UUID(s.teacher_id), journal,
                                        lesson_date=date(2026, 11, 16), slot=1,
                                        topic="Дроби")).id
        assert lesson is not None
        mark = app.execute(GiveMark(UUID(s.teacher_id), journal, lesson, student_id=kid,
                                    value="3", work="oral")).id
        assert mark is not None
        app.execute(CorrectMark(admin, journal, mark, value="4", reason="описка"))
    finally:
        app.close()
    runner = ComplianceRunner.open(module_server.database.settings, clock=module_server.clock)
    try:
        runner.run_school(school)
    finally:
        runner.close()
    module_server.caught_up()
    auditor = s.tokens["auditor"]
    late = _get(module_server, auditor, f"/api/v1/schools/{s.id}/late-entries")["items"]
    assert {(i["entry"], i["by_name"], i["class_name"], i["subject_name"], i["student_name"])
            for i in late} == {("lesson", "Мария Ивановна", "7Б", "Математика", None),
                               ("mark", "Мария Ивановна", "7Б", "Математика", "Ученик 0")}
    overdue = _get(module_server, auditor, f"/api/v1/schools/{s.id}/overdue")["items"]
    assert overdue
    assert {(i["teacher_name"], i["class_name"], i["subject_name"]) for i in overdue} == {
        ("Мария Ивановна", "7Б", "Математика")}
    timeliness = _get(module_server, auditor, f"/api/v1/schools/{s.id}/timeliness")["items"]
    assert {i["teacher_name"] for i in timeliness} == {"Мария Ивановна"}
    history = _get(module_server, s.tokens["teacher"],
                   f"/api/v1/journals/{journal}/marks/{mark}/history")["items"]
    assert [(h["kind"], h["by_name"]) for h in history] == [("given", "Мария Ивановна"),
                                                           ("corrected", "Завуч")]
    diary = _get(module_server, s.tokens["guardian"], f"/api/v1/students/{kid}/diary", **NOV)
    (lesson_out,) = [x for d in diary["days"] for x in d["lessons"]]
    assert (lesson_out["subject_name"], lesson_out["teacher_name"]) == ("Математика",
                                                                       "Мария Ивановна")
    log = _get(module_server, s.tokens["guardian"], f"/api/v1/students/{kid}/access-log")
    assert [(i["viewer_name"], i["viewer_role"], i["what"]) for i in log["items"]] == [
        ("Мария Ивановна", "teacher", "mark_history")]


def _moved(server: Server, tag: str) -> tuple[School, UUID, dict[str, str]]:
    """A student of 7Б until 13 November (two maths lessons with a "5" each, and a first
    quarter's mark), then of 7В (class teacher «Пётр Петрович», two history lessons of its
    «Историк»); the tokens of 7Б's, 7В's class teachers and of the historian."""
    s = build_school(server, tag)
    admin, school, class_b, maths_b = _ids(s)
    kid = UUID(s.student_ids[0])
    app = _app(server)
    try:
        other = app.user_by_username(f"other-{tag}")
        assert other is not None
        class_v = app.execute(OpenClass(admin, school, name="7В", year_id=UUID(s.year_id),
                                        class_teacher_id=other.id)).id
        assert class_v is not None
        history = app.execute(AddSubject(admin, school, name="История")).id
        assert history is not None
        historian = _person(app, s, f"{tag}-historian", "Историк", "teacher")
        history_v = app.execute(OpenJournal(admin, class_id=class_v, subject_id=history,
                                            teacher_id=historian)).id
        assert history_v is not None
        for day, slot in ((date(2026, 11, 10), 1), (date(2026, 11, 12), 2)):
            lesson = app.execute(HoldLesson(admin, maths_b, lesson_date=day, slot=slot,
                                            topic=f"7Б {day}")).id
            assert lesson is not None
            app.execute(GiveMark(admin, maths_b, lesson, student_id=kid, value="5",
                                 work="oral"))
        app.execute(GivePeriodMark(admin, maths_b, student_id=kid,
                                   period_id=UUID(s.period_ids[0]), value="4"))
        app.execute(EndEnrolment(admin, class_b, student_id=kid, last_day=date(2026, 11, 13)))
        app.execute(EnrolStudent(admin, class_v, student_id=kid, from_date=date(2026, 11, 16)))
        for day in (date(2026, 11, 17), date(2026, 11, 23)):
            app.execute(HoldLesson(admin, history_v, lesson_date=day, slot=3,
                                   topic=f"7В {day}"))
    finally:
        app.close()
    _password(server, historian)
    tokens = {"7Б": s.tokens["teacher"], "7В": server.login(f"other-{tag}", PASSWORD),
              "history": server.login(f"{tag}-historian", PASSWORD)}
    return s, kid, tokens


EVERY_DAY = ["7Б 2026-11-10", "7Б 2026-11-12", "7В 2026-11-17", "7В 2026-11-23"]


def test_staff_read_a_students_diary_only_for_the_days_the_student_was_in_their_class(
        module_server: Server) -> None:
    s, kid, tokens = _moved(module_server, "fm4")

    def topics(token: str, **params: str) -> list[str]:
        diary = _get(module_server, token, f"/api/v1/students/{kid}/diary", **NOV, **params)
        return [x["topic"] for d in diary["days"] for x in d["lessons"]]

    assert topics(s.tokens["guardian"]) == topics(s.tokens["admin"]) == EVERY_DAY
    # 7Б's class teacher (who teaches its maths) reads the days in 7Б; 7В's class teacher and
    # its history teacher the days in 7В - now, and "as of" a moment (one after every write)
    for moment in ({}, {"as_of": "2100-01-01T00:00:00+00:00"}):
        assert topics(tokens["7Б"], **moment) == EVERY_DAY[:2]
        assert topics(tokens["7В"], **moment) == EVERY_DAY[2:]
        assert topics(tokens["history"], **moment) == EVERY_DAY[2:]


def test_staff_read_a_students_period_marks_only_of_their_class_and_its_days(
        module_server: Server) -> None:
    s, kid, tokens = _moved(module_server, "fm5")

    def finals(token: str) -> list[str]:
        marks = _get(module_server, token, f"/api/v1/students/{kid}/period-marks")["items"]
        return [p["period_name"] for p in marks]

    assert finals(s.tokens["guardian"]) == finals(tokens["7Б"]) == ["I четверть"]
    assert finals(tokens["7В"]) == finals(tokens["history"]) == []
