"""A journal's period exported (XLSX read back with python-calamine, CSV as text) equals the
grid and the summary the API answers for it, on a real server over SQLite and PostgreSQL
(the hand-worked school of ``tests/report_school.py``: marks, «Н», a student who left)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest

from ejournal.sheets.tables import read_xlsx
from tests.api.helpers import problem
from tests.report_school import Known, known_school
from tests.servers import Server

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def known(module_server: Server) -> Known:
    return known_school(module_server, tag="exp")


def _get(server: Server, token: str, path: str, **params: Any) -> Any:
    with server.client(token) as client:
        return client.get(path, params=params)


def _grid_and_summary(server: Server, known: Known) -> tuple[dict[str, Any], dict[str, Any]]:
    token, journal = known.tokens["teacher"], known.s.journal
    quarter = str(known.s.periods["II четверть"])
    grid = _get(server, token, f"/api/v1/journals/{journal}/grid",
                **{"from": "2026-11-05", "to": "2026-12-28"}).json()
    summary = _get(server, token, f"/api/v1/journals/{journal}/summary",
                   period_id=quarter).json()
    return grid, summary


def test_the_xlsx_read_back_equals_the_grid_and_the_summary(
        module_server: Server, known: Known) -> None:
    grid, summary = _grid_and_summary(module_server, known)
    answer = _get(module_server, known.tokens["teacher"],
                  f"/api/v1/journals/{known.s.journal}/export",
                  period_id=str(known.s.periods["II четверть"]), format="xlsx")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX
    assert answer.headers["content-disposition"].startswith("attachment;")
    book = read_xlsx(answer.content)
    assert list(book) == ["Журнал", "Итоги"]

    sheet = book["Журнал"]
    # the header: №, the name, then each lesson's date as a date (not text)
    assert sheet[0][:2] == ["№", "Фамилия, имя обучающегося"]
    assert sheet[0][2:] == [date.fromisoformat(x["date"]) for x in grid["lessons"]]
    assert all(isinstance(d, date) for d in sheet[0][2:])
    expected = [[n, s["full_name"], *(" ".join(s["cells"].get(x["id"], [])) for x in
                                      grid["lessons"])]
                for n, s in enumerate(grid["students"], start=1)]
    assert sheet[1:] == expected
    # marks are text, and «Н» is there as the journal shows it
    raw = [c for row in sheet[1:] for c in row[2:] if c != ""]
    assert raw
    assert all(isinstance(c, str) for c in raw)
    cells = [str(c) for c in raw]
    assert "Н" in cells
    assert "5" in " ".join(cells)

    totals = book["Итоги"]
    assert totals[0] == ["№", "Фамилия, имя обучающегося", "Отметки", "Средний балл",
                         "Средний взвешенный балл", "Пропуски", "Итоговая отметка"]
    rows = totals[1:1 + len(summary["students"])]
    assert rows == [[n, s["full_name"], " ".join(s["marks"]),
                     "" if s["average"] is None else pytest.approx(s["average"]),
                     "" if s["weighted_average"] is None
                     else pytest.approx(s["weighted_average"]),
                     s["absences"], s["period_mark"] or ""]
                    for n, s in enumerate(summary["students"], start=1)]
    tail = {r[1]: r[3] for r in totals[1 + len(summary["students"]):] if len(r) > 3 and r[1]}
    assert tail == {"Качество знаний, %": summary["quality_percent"] or "",
                    "Успеваемость, %": summary["success_percent"] or ""}
    # asked again with nothing new, the same bytes
    again = _get(module_server, known.tokens["admin"],
                 f"/api/v1/journals/{known.s.journal}/export",
                 period_id=str(known.s.periods["II четверть"]))
    assert again.content == answer.content


def test_the_csv_is_the_first_sheet_in_utf8_with_bom_and_semicolons(
        module_server: Server, known: Known) -> None:
    grid, _ = _grid_and_summary(module_server, known)
    answer = _get(module_server, known.tokens["auditor"],
                  f"/api/v1/journals/{known.s.journal}/export",
                  period_id=str(known.s.periods["II четверть"]), format="csv")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["№", "Фамилия, имя обучающегося",
                       *(date.fromisoformat(x["date"]).strftime("%d.%m.%Y")
                         for x in grid["lessons"])]
    assert rows[1:] == [[str(n), s["full_name"],
                         *(" ".join(s["cells"].get(x["id"], [])) for x in grid["lessons"])]
                        for n, s in enumerate(grid["students"], start=1)]


def test_a_bad_format_or_period_is_refused_naming_it(module_server: Server,
                                                     known: Known) -> None:
    path = f"/api/v1/journals/{known.s.journal}/export"
    token = known.tokens["teacher"]
    quarter = str(known.s.periods["II четверть"])
    bad = problem(_get(module_server, token, path, period_id=quarter, format="pdf"), 422)
    assert "format" in str(bad["errors"])
    problem(_get(module_server, token, path), 422)  # no period
    problem(_get(module_server, token, path,
                 period_id="00000000-0000-0000-0000-000000000001"), 404)
    # a guardian reads no journal
    problem(_get(module_server, known.tokens["guardian"], path, period_id=quarter), 403)
