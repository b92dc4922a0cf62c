"""The табель and the сводная ведомость over HTTP, on SQLite and PostgreSQL: every subject's
period marks where they belong, absences per period, the same bytes when asked again; who may
print them, and staff prints in the student's access log."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from tests.documents.conftest import Printing
from tests.documents.pdf import first_page_png, text

pytestmark = pytest.mark.storage
TERMS = ("I четверть", "II четверть", "III четверть", "IV четверть")


def test_the_report_card_holds_each_subjects_period_marks_and_absences(
        printing: Printing, tmp_path: Path) -> None:
    w = printing.w
    kid = w.students[2]
    pdf = printing.get("guardian" if kid == w.students[0] else "admin",
                       f"/api/v1/students/{kid}/report-card", year_id=str(w.s.year))
    found = text(pdf, tmp_path, layout=True)
    assert "Табель успеваемости" in found
    assert w.names[kid] in found
    assert "7Б" in found
    for term in TERMS:
        assert term in found
    rows = {line.split()[1]: line for line in found.splitlines()
            if re.match(r"^\s*\d+\s+(Математика|Русский)", line)}
    first = w.s.periods["I четверть"]
    maths = rows["Математика"].split("Математика", 1)[1].split()
    assert maths == [w.period_marks[(kid, w.s.journal, first)],
                     w.period_marks[(kid, w.s.journal, w.s.periods["II четверть"])]]
    russian = rows["Русский"].split("язык", 1)[1].split()
    assert russian == [w.period_marks[(kid, w.russian, first)]]
    absent = next(line for line in found.splitlines() if "Пропущено уроков" in line)
    in_first = sum(1 for x in w.lessons if date(2026, 9, 1) <= x.day <= date(2026, 10, 25)
                   and x.cells.get(kid) == ["н"])
    in_second = sum(1 for x in w.lessons if date(2026, 11, 5) <= x.day
                    and x.cells.get(kid) == ["н"])
    assert absent.split("уроков", 1)[1].split()[:2] == [str(in_first), str(in_second)]
    assert printing.get("admin", f"/api/v1/students/{kid}/report-card",
                        year_id=str(w.s.year)) == pdf
    first_page_png(pdf, "report-card", tmp_path)


def test_the_family_prints_the_childs_report_card_and_another_child_is_404(
        printing: Printing) -> None:
    w = printing.w
    path = f"/api/v1/students/{w.students[0]}/report-card"
    own = printing.get("student0", path, year_id=str(w.s.year))
    assert printing.get("guardian", path, year_id=str(w.s.year)) == own
    with printing.server.client(printing.tokens["student1"]) as client:
        assert client.get(path, params={"year_id": str(w.s.year)}).status_code == 404
        answer = client.get(f"/api/v1/students/{w.students[1]}/report-card",
                            params={"year_id": str(w.s.school)})
        assert answer.status_code == 422
        assert "year_id" in answer.text


def test_the_summary_sheet_holds_every_student_subject_and_period_mark(
        printing: Printing, tmp_path: Path) -> None:
    w = printing.w
    path = f"/api/v1/classes/{w.s.school_class}/summary-sheet"
    pdf = printing.get("teacher", path, year_id=str(w.s.year))  # the class teacher
    found = text(pdf, tmp_path, layout=True)
    assert "Сводная ведомость" in found
    for term in TERMS:
        assert term in found
    pages = found.split("\f")
    first, second = w.s.periods["I четверть"], w.s.periods["II четверть"]
    for kid, name in w.names.items():
        row = next(line for line in pages[0].splitlines() if name in line)
        absent = sum(1 for x in w.lessons if x.day <= date(2026, 10, 25)
                     and x.cells.get(kid) == ["н"])
        cells = row.split(name, 1)[1].split()
        assert cells[:3] == [w.period_marks[(kid, w.s.journal, first)],
                             w.period_marks[(kid, w.russian, first)], str(absent)]
        row = next(line for line in pages[1].splitlines() if name in line)
        expected = w.period_marks.get((kid, w.s.journal, second))
        assert row.split(name, 1)[1].split()[0] == (expected or str(sum(
            1 for x in w.lessons if x.day >= date(2026, 11, 5) and x.cells.get(kid) == ["н"])))
    assert printing.get("admin", path, year_id=str(w.s.year)) == pdf
    assert printing.get("auditor", path, year_id=str(w.s.year)) == pdf
    first_page_png(pdf, "summary-sheet", tmp_path)


def test_only_the_class_teacher_of_the_staff_prints_the_summary_sheet(
        printing: Printing) -> None:
    w = printing.w
    path = f"/api/v1/classes/{w.s.school_class}/summary-sheet"
    params = {"year_id": str(w.s.year)}
    for who, status in (("other", 404), ("student0", 403), ("guardian", 403)):
        with printing.server.client(printing.tokens[who]) as client:
            assert client.get(path, params=params).status_code == status, who


def test_staff_prints_are_in_the_students_access_log(printing: Printing) -> None:
    w = printing.w
    kid = w.students[0]
    printing.get("other", f"/api/v1/journals/{w.russian}/print",
                 period_id=str(w.s.periods["I четверть"]))
    printing.get("auditor", f"/api/v1/students/{kid}/report-card", year_id=str(w.s.year))
    printing.get("admin", f"/api/v1/classes/{w.s.school_class}/summary-sheet",
                 year_id=str(w.s.year))
    printing.get("guardian", f"/api/v1/students/{kid}/report-card", year_id=str(w.s.year))
    with printing.server.client(printing.tokens["guardian"]) as client:
        items = client.get(f"/api/v1/students/{kid}/access-log").json()["items"]
    seen = {(x["viewer_name"], x["what"]) for x in items}
    assert ("Пётр Петрович", "journal_print") in seen
    assert ("Аудитор", "report_card") in seen
    assert ("Завуч", "summary_sheet") in seen
    assert not any(x["viewer_role"] == "guardian" for x in items)
