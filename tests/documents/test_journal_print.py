"""The journal's paper form over HTTP, on SQLite and PostgreSQL: its text as ``pdftotext``
reads it holds every student, every lesson's date, topic and homework and every mark where it
belongs; each page's footer states the log position and the ledger head there; asked again
it is the same bytes, and a new mark changes them."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from ejournal.application.commands import GiveMark
from tests.documents.conftest import Printing
from tests.documents.pdf import first_page_png, fonts, text

pytestmark = pytest.mark.storage
FOOTER = re.compile(r"Позиция журнала событий: (\d+) · цепочка SHA-256: ([0-9a-f]{64})")


def _print(p: Printing, who: str = "teacher", period: str = "I четверть") -> bytes:
    return p.get(who, f"/api/v1/journals/{p.w.s.journal}/print",
                 period_id=str(p.w.s.periods[period]))


def _in(first: date, last: date, day: date) -> bool:
    return first <= day <= last


def test_the_paper_form_holds_every_student_lesson_and_mark(printing: Printing,
                                                          tmp_path: Path) -> None:
    pdf = _print(printing)
    found = text(pdf, tmp_path)
    w = printing.w
    lessons = [x for x in w.lessons if x.journal == w.s.journal
               and _in(date(2026, 9, 1), date(2026, 10, 25), x.day)]
    assert len(lessons) == 43  # 22 + 17 school days, four second lessons in September
    for name in w.names.values():
        assert found.count(name) == 4  # September's two left pages, October's, the marks
    for lesson in lessons:
        assert lesson.day.strftime("%d.%m.%Y") in found
        assert lesson.topic in found
        assert lesson.homework in found
    assert "Фамилия, имя обучающегося" in found
    assert "Что пройдено на уроке" in found
    assert "Домашнее задание" in found
    # Each student's row on the left pages: their cells in the order of the lessons (two
    # marks in one cell as "5/4").
    layout = text(pdf, tmp_path, layout=True)
    rows: dict[str, list[str]] = {name: [] for name in w.names.values()}
    for line in layout.splitlines():
        for name in rows:
            if re.search(rf"^\s*\d+\s+{name}(\s|$)", line) and "№" not in line:
                rows[name].append(line.split(name, 1)[1])
    for kid, name in w.names.items():
        expected = [v for x in lessons for v in x.cells.get(kid, [])]
        assert len(rows[name]) == 4
        left_pages = rows[name][:3]  # the fourth is the period's marks
        assert " ".join(left_pages).replace("/", " ").split() == expected, name
    # The period's marks: each student's period mark.
    for kid, name in w.names.items():
        final = w.period_marks[(kid, w.s.journal, w.s.periods["I четверть"])]
        assert rows[name][3].split()[-1] == final
    # A4 landscape, PDF/A-2b, the typst wheel's fonts embedded.
    assert b"<pdfaid:part>2</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>" in pdf
    assert set(re.findall(rb"/MediaBox\[([^]]*)\]", pdf)) == {b"0 0 841.8898 595.2756"}
    assert {name for name, _ in fonts(pdf, tmp_path)} <= {
        "LibertinusSerif-Regular", "LibertinusSerif-Bold", "DejaVuSansMono"}
    assert all(embedded for _, embedded in fonts(pdf, tmp_path))
    first_page_png(pdf, "journal", tmp_path)


def test_every_page_states_the_ledger_head_at_its_log_position(printing: Printing,
                                                              tmp_path: Path) -> None:
    pdf = _print(printing)
    found = text(pdf, tmp_path)
    pages = found.count("\f")
    stamps = FOOTER.findall(found.replace("\n", " "))
    assert len(stamps) == pages == 7  # 2 + 2 September, 2 October, 1 the period's marks
    assert len(set(stamps)) == 1
    for n in range(1, pages + 1):
        assert f"стр. {n} из {pages}" in found
    position, head = stamps[0]
    with printing.server.client(printing.tokens["auditor"]) as client:
        answer = client.get("/api/v1/ledger/head", params={"position": position})
        latest = client.get("/api/v1/ledger/head").json()
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"position": int(position), "sha256": head}
    assert latest["position"] == int(position)  # made from the whole log as it stood
    w = printing.w
    assert f"Школа {w.s.tag} · 7Б · Математика" in found


def test_asked_again_the_same_bytes_by_anyone(printing: Printing) -> None:
    pdf = _print(printing)
    assert _print(printing) == pdf
    assert _print(printing, "admin") == pdf
    assert _print(printing, "auditor") == pdf


def test_a_period_not_of_the_journals_year_is_422_naming_it(printing: Printing) -> None:
    with printing.server.client(printing.tokens["teacher"]) as client:
        for value in (str(printing.w.s.school), "not-a-uuid"):
            answer = client.get(f"/api/v1/journals/{printing.w.s.journal}/print",
                                params={"period_id": value})
            assert answer.status_code == 422, answer.text
            assert "period_id" in answer.text
        assert client.get(f"/api/v1/journals/{printing.w.s.journal}/print"
                          ).status_code == 422


def test_a_new_mark_changes_the_bytes_and_the_position(printing: Printing,
                                                       tmp_path: Path) -> None:
    before = _print(printing)
    w = printing.w
    lesson = next(x for x in w.lessons if x.journal == w.s.journal
                  and not x.cells.get(w.students[1]))
    app = printing.server.app()
    try:
        app.execute(GiveMark(w.s.admin, w.s.journal, lesson.id, student_id=w.students[1],
                             value="5", work="oral"))
    finally:
        app.close()
    lesson.cells[w.students[1]] = ["5"]
    printing.server.caught_up()
    after = _print(printing)
    assert after != before
    old = FOOTER.search(text(before, tmp_path).replace("\n", " "))
    new = FOOTER.search(text(after, tmp_path).replace("\n", " "))
    assert old is not None
    assert new is not None
    assert int(new.group(1)) > int(old.group(1))
    assert new.group(2) != old.group(2)
    assert _print(printing) == after
