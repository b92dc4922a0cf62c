"""The four reports as XLSX (``?format=xlsx``) read back with python-calamine equal their JSON
answers, on a real server over SQLite and PostgreSQL (the school of
``tests/report_school.py``)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ejournal.sheets.tables import read_xlsx
from tests.report_school import Known, known_school
from tests.servers import Server

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SPAN = {"from": "2026-11-16", "to": "2026-11-28"}


@pytest.fixture(scope="module")
def known(module_server: Server) -> Known:
    return known_school(module_server, tag="rx")


def _both(server: Server, known: Known, path: str, **params: str
          ) -> tuple[Any, dict[str, list[list[Any]]]]:
    with server.client(known.tokens["admin"]) as c:
        body = c.get(path, params=params).json()
        answer = c.get(path, params={**params, "format": "xlsx"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX
    return body, read_xlsx(answer.content)


def _blank(value: Any) -> Any:
    return "" if value is None else value


def test_programme_completion_and_homework_load(module_server: Server, known: Known) -> None:
    body, book = _both(module_server, known,
                       f"/api/v1/journals/{known.s.journal}/programme-completion")
    rows = book["Выполнение программы"]
    assert rows[1:1 + len(body["topics"])] == [
        [t["title"], t["planned_hours"], t["held_lessons"]] for t in body["topics"]]
    assert rows[-1][:2] == ["Выполнение, %", pytest.approx(body["percent"])]
    body, book = _both(module_server, known,
                       f"/api/v1/classes/{known.s.school_class}/homework-load", **SPAN)
    assert book["Домашние задания"][1:] == [
        [date.fromisoformat(d["date"]), i["subject_name"], i["homework"], _blank(i["minutes"])]
        for d in body["days"] for i in d["items"]]
    assert [r[:3] for r in book["По дням"][1:]] == [
        [date.fromisoformat(d["date"]), d["minutes"], _blank(d["limit_minutes"])]
        for d in body["days"]]


def test_attendance_and_performance(module_server: Server, known: Known) -> None:
    body, book = _both(module_server, known,
                       f"/api/v1/classes/{known.s.school_class}/attendance", **SPAN)
    assert book["Посещаемость"][1:] == [
        [n, s["full_name"], s["lessons"], s["absent"], s["by_reason"]["illness"],
         s["by_reason"]["excused"], s["by_reason"]["unexcused"], s["by_reason"]["unknown"]]
        for n, s in enumerate(body["students"], start=1)]
    body, book = _both(module_server, known,
                       f"/api/v1/classes/{known.s.school_class}/performance",
                       period_id=str(known.s.periods["II четверть"]))
    sheet = book["Успеваемость"]
    subjects = [x["journal_id"] for x in body["subjects"]]
    for n, s in enumerate(body["students"], start=1):
        found = {r["journal_id"]: r for r in s["subjects"]}
        expected: list[Any] = [n, s["full_name"]]
        for j in subjects:
            r = found.get(j, {})
            expected += [_blank(r.get("average")), _blank(r.get("period_mark"))]
        assert sheet[n] == [pytest.approx(v) if isinstance(v, float) else v
                            for v in expected]
    assert sheet[-1][1] == "Средний балл класса"
