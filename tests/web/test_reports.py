"""The reports' pages in a browser, over the school whose figures are worked out by hand
(``tests/report_school.py``): a class teacher finds them under «Отчёты», reads the programme's
completion, the homework load with the days over the СанПиН limit marked, attendance and the
сводная ведомость with its charts drawn as SVG by the server (the same with JavaScript off);
a guardian may not open them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.api.helpers import PASSWORD
from tests.report_school import Known, known_school
from tests.servers import Server
from tests.web.conftest import Visit

SPAN = "from=2026-11-16&to=2026-11-24"


@pytest.fixture(scope="module")
def known(module_server: Server) -> Known:
    return known_school(module_server, tag="wrep")


def test_a_class_teacher_reads_the_reports_of_their_class(visit: Callable[..., Visit],
                                                           known: Known) -> None:
    teacher = visit()
    page = teacher.login(known.s.usernames["teacher"], PASSWORD)
    page.get_by_role("link", name="Отчёты").click()
    expect(page.get_by_role("heading", name="Отчёты")).to_be_visible()
    row = page.get_by_role("row", name="7Б")
    expect(row).to_contain_text("Посещаемость")
    teacher.shoot("reports")

    # The programme: «Дроби» 4 of 3 hours, «Проценты» 1 of 2 → 80 % of the plan.
    row.get_by_role("link", name="Математика").click()
    expect(page.get_by_role("heading", name="Выполнение программы: 7Б, Математика")
           ).to_be_visible()
    expect(page.get_by_text("Выполнено 80,0 %")).to_be_visible()
    expect(page.get_by_role("row", name="2 Проценты 2 1 1", exact=True)).to_be_visible()
    expect(page.get_by_role("row", name="1 Дроби 3 4 0", exact=True)).to_be_visible()
    teacher.shoot("report-programme")

    # The homework load: the 18th (170 minutes) and the 23rd (160) are over the 150 allowed.
    page = teacher.go(f"/reports/homework?class={known.s.school_class}&{SPAN}")
    expect(page.get_by_text("не более 150 минут в день")).to_be_visible()
    expect(page.get_by_text("Дней сверх нормы: 2.")).to_be_visible()
    expect(page.get_by_role("row", name="ср, 18.11")).to_contain_text(
        "сверх нормы на 20 минут")
    expect(page.get_by_role("row", name="пн, 23.11")).to_contain_text(
        "сверх нормы на 10 минут")
    expect(page.get_by_role("row", name="вт, 17.11")).to_contain_text("время не указано")
    teacher.shoot("report-homework")

    # Attendance: per student, and the week's share present as a chart.
    page = teacher.go(f"/reports/attendance?class={known.s.school_class}&{SPAN}")
    expect(page.get_by_role("row", name="Ученик 1 9 2 0 0 1 1", exact=True)).to_be_visible()
    expect(page.get_by_role("row", name="Ученик 2 5 0 0 0 0 0", exact=True)).to_be_visible()
    chart = page.get_by_role("img", name="Посещаемость 7Б по неделям, % присутствовавших")
    expect(chart).to_be_visible()
    # 17 student-lessons with 3 absent in the week of the 16th, 6 with 1 in the next
    assert page.locator("svg.chart desc").text_content() == "16.11: 82,4 %; 23.11: 83,3 %"
    teacher.shoot("report-attendance")

    # Performance: the сводная ведомость, the class's averages and the dynamics.
    page = teacher.go(f"/reports/performance?class={known.s.school_class}")
    expect(page.get_by_role("link", name="II четверть", exact=True)).to_have_attribute(
        "aria-current", "page")  # the period of today, 25 November
    expect(page.get_by_role("row", name="Ученик 0 4,50 4,50 4 3,00 3,00", exact=True)
           ).to_be_visible()
    expect(page.get_by_role("row", name="Средний балл класса 3,67 3,75", exact=True)
           ).to_be_visible()
    expect(page.get_by_role("img", name="Средний балл 7Б по неделям")).to_be_visible()
    page.locator("summary", has_text="Ученик 1").click()
    expect(page.get_by_role("img", name="Ученик 1: средний балл с начала периода")
           ).to_be_visible()
    teacher.shoot("report-performance")


def test_the_reports_read_without_javascript_and_are_not_for_families(
        visit: Callable[..., Visit], known: Known) -> None:
    plain = visit(javascript=False)
    page = plain.login(known.s.usernames["auditor"], PASSWORD)
    page = plain.go(f"/reports/performance?class={known.s.school_class}")
    assert page.locator("svg.chart").count() == 1 + 3  # the class's and each student's
    assert page.locator("script").count() == 2  # the page's own two, none in a chart
    guardian = visit()
    guardian.login(known.s.usernames["guardian"], PASSWORD)
    expect(guardian.go("/reports").get_by_role("heading", name="Нет доступа")).to_be_visible()
