"""The reports over HTTP, on a real server over SQLite and PostgreSQL, against figures worked
out by hand for a small school: class 7Б (grade 7, limit 150 minutes a day), its maths journal
(programme «Дроби» 3 hours, «Проценты» 2) and its Russian journal, two weeks of November 2026
with known lessons, homework minutes, absences and marks (``tests/report_school.py``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from tests.api.helpers import error_fields, log_length, problem
from tests.report_school import Known, known_school
from tests.servers import Server


@pytest.fixture(scope="module")
def known(module_server: Server) -> Known:
    return known_school(module_server)


def _get(server: Server, token: str, path: str, **params: Any) -> Any:
    with server.client(token) as client:
        answer = client.get(path, params=params or None)
    assert answer.status_code == 200, answer.text
    return answer.json()


# --- programme completion (R-3.4g) ---


def test_programme_completion_counts_the_lessons_held_on_each_topic(
        module_server: Server, known: Known) -> None:
    # Given «Дроби» planned 3 hours and held 4 times, «Проценты» planned 2 and held once, and
    # a lesson on no topic of the programme
    body = _get(module_server, known.tokens["teacher"],
                f"/api/v1/journals/{known.s.journal}/programme-completion")
    # Then the percentage is of the planned hours delivered, each topic up to its plan:
    # (min(4, 3) + min(1, 2)) / 5 = 80 %
    assert body == {"topics": [{"title": "Дроби", "planned_hours": 3, "held_lessons": 4},
                               {"title": "Проценты", "planned_hours": 2, "held_lessons": 1}],
                    "planned_total": 5, "held_total": 5, "other_lessons": 1, "percent": 80.0}
    # A journal without a programme has nothing to be complete against.
    russian = _get(module_server, known.tokens["admin"],
                   f"/api/v1/journals/{known.russian}/programme-completion")
    assert russian == {"topics": [], "planned_total": 0, "held_total": 0, "other_lessons": 3,
                       "percent": None}


# --- homework load (R-3.4g) ---


def test_homework_load_adds_each_days_minutes_against_the_limit_for_grade_7(
        module_server: Server, known: Known) -> None:
    body = _get(module_server, known.tokens["admin"],
                f"/api/v1/classes/{known.s.school_class}/homework-load",
                **{"from": "2026-11-16", "to": "2026-11-24"})
    m, r = str(known.s.journal), str(known.russian)
    assert body == {"days": [
        {"date": "2026-11-16", "items": [
            {"journal_id": m, "subject_name": "Математика", "homework": "№ 1", "minutes": 30},
            {"journal_id": r, "subject_name": "Русский язык", "homework": "упр. 5",
             "minutes": 40}],
         "minutes": 70, "limit_minutes": 150, "over_limit": False, "unmeasured": 0},
        {"date": "2026-11-17", "items": [
            {"journal_id": m, "subject_name": "Математика", "homework": "№ 2",
             "minutes": None}],
         "minutes": 0, "limit_minutes": 150, "over_limit": False, "unmeasured": 1},
        {"date": "2026-11-18", "items": [
            {"journal_id": m, "subject_name": "Математика", "homework": "№ 3", "minutes": 90},
            {"journal_id": r, "subject_name": "Русский язык", "homework": "упр. 6",
             "minutes": 80}],
         "minutes": 170, "limit_minutes": 150, "over_limit": True, "unmeasured": 0},
        {"date": "2026-11-23", "items": [
            {"journal_id": m, "subject_name": "Математика", "homework": "№ 4", "minutes": 60},
            {"journal_id": r, "subject_name": "Русский язык", "homework": "упр. 7",
             "minutes": 100}],
         "minutes": 160, "limit_minutes": 150, "over_limit": True, "unmeasured": 0}]}
    # The dates asked bound the days; a teacher of one of the class's journals reads it too.
    one = _get(module_server, known.tokens["other"],
               f"/api/v1/classes/{known.s.school_class}/homework-load",
               **{"from": "2026-11-18", "to": "2026-11-18"})
    assert [(x["date"], x["minutes"]) for x in one["days"]] == [("2026-11-18", 170)]


def test_homework_minutes_are_checked_and_a_refusal_writes_nothing(
        module_server: Server, known: Known) -> None:
    before = log_length(module_server)
    path = f"/api/v1/journals/{known.s.journal}/lessons"
    with module_server.client(known.tokens["teacher"]) as client:
        for body, field in (
                ({"homework": "№ 9", "homework_minutes": 301}, "homework_minutes"),
                ({"homework": "№ 9", "homework_minutes": -1}, "homework_minutes"),
                ({"homework": "№ 9", "homework_minutes": "много"}, "homework_minutes"),
                ({"homework_minutes": 20}, "homework_minutes")):
            answer = client.post(path, json={"date": "2026-11-25", "slot": 5, "topic": "Дроби",
                                             **body})
            assert error_fields(problem(answer, 422)) == [field], answer.text
    assert log_length(module_server) == before


# --- attendance (R-3.4g) ---


def test_attendance_counts_each_students_lessons_and_absences_by_reason(
        module_server: Server, known: Known) -> None:
    # 9 lessons from 16 to 24 November: 2 on the 16th, 1 on the 17th, 2 on the 18th, 1 on the
    # 19th, 2 on the 23rd and 1 on the 24th; Ученик 2 left after the 18th (5 of them).
    body = _get(module_server, known.tokens["teacher"],
                f"/api/v1/classes/{known.s.school_class}/attendance",
                **{"from": "2026-11-16", "to": "2026-11-24"})

    def reasons(illness: int = 0, excused: int = 0, unexcused: int = 0, unknown: int = 0
                ) -> dict[str, int]:
        return {"illness": illness, "excused": excused, "unexcused": unexcused,
                "unknown": unknown}

    assert body["students"] == [
        # ill at maths and Russian on the 16th; the excused absence of the 23rd cancelled
        {"id": str(known.a), "full_name": "Ученик 0", "lessons": 9, "absent": 2,
         "by_reason": reasons(illness=2)},
        {"id": str(known.b), "full_name": "Ученик 1", "lessons": 9, "absent": 2,
         "by_reason": reasons(unexcused=1, unknown=1)},
        {"id": str(known.c), "full_name": "Ученик 2", "lessons": 5, "absent": 0,
         "by_reason": reasons()}]
    assert body["weeks"] == [
        {"week_of": "2026-11-16", "student_lessons": 6 + 6 + 5, "absent": 3},
        {"week_of": "2026-11-23", "student_lessons": 3 + 3, "absent": 1}]
    # A student left out of the dates asked is not listed.
    later = _get(module_server, known.tokens["admin"],
                 f"/api/v1/classes/{known.s.school_class}/attendance",
                 **{"from": "2026-11-23", "to": "2026-11-24"})
    assert [(s["full_name"], s["lessons"], s["absent"]) for s in later["students"]] == [
        ("Ученик 0", 3, 0), ("Ученик 1", 3, 1)]


# --- performance (R-3.4g) ---


def _subject(journal: UUID, name: str, average: float | None, pm: str | None = None,
             weighted: float | None = None) -> dict[str, Any]:
    return {"journal_id": str(journal), "subject_name": name, "average": average,
            "weighted_average": average if weighted is None else weighted, "period_mark": pm}


def test_performance_gives_the_summary_sheet_as_data(module_server: Server,
                                                     known: Known) -> None:
    quarter = known.s.periods["II четверть"]
    body = _get(module_server, known.tokens["auditor"],
                f"/api/v1/classes/{known.s.school_class}/performance",
                period_id=str(quarter))
    m, r = known.s.journal, known.russian
    rows = {s["full_name"]: s for s in body["students"]}
    assert list(rows) == ["Ученик 0", "Ученик 1", "Ученик 2"]
    # Ученик 0: maths 5 and 4 (the 5 corrected), Russian 3; Ученик 1: maths 4 and 3 (the 2
    # cancelled), Russian 5 and 4; Ученик 2: maths 3. Every kind of work weighs 1 by default.
    assert [rows[n]["subjects"] for n in rows] == [
        [_subject(m, "Математика", 4.5, "4"), _subject(r, "Русский язык", 3.0)],
        [_subject(m, "Математика", 3.5, "3"), _subject(r, "Русский язык", 4.5)],
        [_subject(m, "Математика", 3.0), _subject(r, "Русский язык", None)]]
    # The class's average per subject is the mean of its students' averages.
    assert body["subjects"] == [
        {"journal_id": str(m), "subject_name": "Математика", "average": 3.67},  # 11/3
        {"journal_id": str(r), "subject_name": "Русский язык", "average": 3.75}]
    # Each week of the quarter (from 5 November: Monday the 2nd) up to today's (25 November),
    # the week's average over every subject and the average so far.
    weeks = [w["week_of"] for w in rows["Ученик 0"]["weeks"]]
    assert weeks == ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]
    dynamics = {n: [(w["average"], w["running_average"]) for w in rows[n]["weeks"][1:4]]
                for n in rows}
    assert dynamics == {"Ученик 0": [(None, None), (4.0, 4.0), (None, 4.0)],  # (5+4+3)/3
                        "Ученик 1": [(None, None), (4.0, 4.0), (None, 4.0)],  # (4+3+5+4)/4
                        "Ученик 2": [(None, None), (3.0, 3.0), (None, 3.0)]}
    # The class's week: all 8 marks of the 16th to the 20th, (12 + 16 + 3) / 8
    assert [(w["average"], w["running_average"]) for w in body["weeks"][1:4]] == [
        (None, None), (3.88, 3.88), (None, 3.88)]
    # A period of another year is unknown to this class.
    with module_server.client(known.tokens["admin"]) as client:
        answer = client.get(f"/api/v1/classes/{known.s.school_class}/performance",
                            params={"period_id": str(known.s.year)})
    problem(answer, 404)


def test_weighted_averages_weigh_each_kind_of_work(module_server: Server,
                                                   known: Known) -> None:
    """The weighted mean by kind of work with the school's weights in force: a test weighing
    3 and homework 2 against 1 for the rest (and back to 1 each, for the other tests)."""
    path = f"/api/v1/schools/{known.s.school}/work-weights"
    with module_server.client(known.tokens["admin"]) as client:
        assert client.put(path, json={"test": 3, "homework": 2}).status_code == 200
        try:
            module_server.caught_up()
            body = _get(module_server, known.tokens["admin"],
                        f"/api/v1/classes/{known.s.school_class}/performance",
                        period_id=str(known.s.periods["II четверть"]))
        finally:
            assert client.put(path, json={}).status_code == 200
    maths = {s["full_name"]: (s["subjects"][0]["average"], s["subjects"][0]["weighted_average"])
             for s in body["students"]}
    # Ученик 0: test 5 ×3, oral 4 → 19/4; Ученик 1: oral 4, homework 3 ×2 → 10/3
    assert maths == {"Ученик 0": (4.5, 4.75), "Ученик 1": (3.5, 3.33), "Ученик 2": (3.0, 3.0)}


def test_staff_reads_of_attendance_and_performance_are_logged_per_student(
        module_server: Server, known: Known) -> None:
    path = f"/api/v1/classes/{known.s.school_class}"
    for what, params in (("attendance", {}),
                         ("performance", {"period_id": str(known.s.periods["II четверть"])})):
        _get(module_server, known.tokens["other"], f"{path}/{what}", **params)
        log = _get(module_server, known.tokens["guardian"],
                   f"/api/v1/students/{known.a}/access-log")["items"]
        assert (log[-1]["viewer_id"], log[-1]["what"]) == (str(known.s.other_teacher), what)
