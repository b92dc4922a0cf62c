"""Closed periods in a browser, on SQLite and PostgreSQL (R-3.4b): the admin closes the
period on «Школа», the teacher's grid says «Период закрыт» and a mark is refused in the
cell's editor with the rule, nothing written; the admin reopens it with a reason, and the
mark is taken; the lesson's history and the late-entry audit show both."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import expect

from ejournal.web import i18n
from tests.web.conftest import Visit
from tests.web.world import School


def test_the_admin_closes_and_reopens_a_period_and_the_grid_refuses_meanwhile(
    visit: Callable[..., Visit], school: School,
) -> None:
    admin = visit()
    page = admin.login(school.usernames["admin"])
    page = admin.go("/school#years")
    periods = page.get_by_role("table", name=re.compile("^Периоды: "))
    periods.get_by_role("button", name="Закрыть период: Полугодие").click()
    expect(page.get_by_role("status")).to_have_text(
        "Период закрыт: записи на его даты не принимаются.")
    expect(periods.get_by_text("Период закрыт")).to_be_visible()
    admin.shoot("school-closed-period")
    # The teacher's grid says so, and a mark is refused with the rule
    teacher = visit()
    page = teacher.login(school.usernames["teacher"])
    page = teacher.go(f"/journals/{school.journals['Математика']}")
    expect(page.get_by_text(re.compile(r"^Период закрыт \(R-3\.4b\)"))).to_be_visible()
    vera = page.get_by_role("link", name=re.compile(
        rf"^Отметка: Петрова Вера, {i18n.column_date(school.monday)}(, \d+-й урок)?$"))
    expect(vera).to_have_text("5")
    vera.click()
    editor = page.locator("#editor")
    editor.get_by_label("Отметка", exact=True).fill("4")
    editor.get_by_role("button", name="Поставить").click()
    expect(editor.get_by_role("alert")).to_have_text(re.compile(
        r"^Не принято: Период закрыт: .* \(R-3\.4b\)$"))
    expect(vera).to_have_text("5")
    teacher.shoot("journal-closed-period")
    # The admin reopens it with a reason; the mark is taken
    page = admin.go("/school#years")
    page.get_by_label("Причина открытия: Полугодие").fill("приказ № 12: пересдача")
    page.get_by_role("button", name="Открыть период").click()
    expect(page.get_by_role("status")).to_have_text("Период открыт снова.")
    page = teacher.go(f"/journals/{school.journals['Математика']}")
    expect(page.get_by_text(re.compile(r"^Период закрыт"))).to_have_count(0)
    vera.click()
    editor.get_by_label("Отметка", exact=True).fill("4")
    editor.get_by_role("button", name="Поставить").click()
    expect(vera).to_have_text(re.compile("5.*4"))
    # The lesson's history shows the closing and the reopening among its entries
    page = teacher.go(f"/journals/{school.journals['Математика']}/lessons/"
                      f"{school.lessons['this_maths']}/history")
    history = page.get_by_role("list", name="История урока")
    expect(history.get_by_role("listitem").filter(has_text="период закрыт")).to_have_text(
        re.compile(r"Елена Сергеевна Завучева: период закрыт «Полугодие» \(R-3\.4b\)$"))
    expect(history.get_by_role("listitem").filter(has_text="открыт снова")).to_have_text(
        re.compile(r"период открыт снова «Полугодие» \(R-3\.4b\): приказ № 12: пересдача$"))
    # And the late-entry audit lists both
    page = admin.go("/audit?report=late")
    closures = page.get_by_role("table", name="Закрытие периодов")
    expect(closures.get_by_role("row")).to_have_count(3)
    expect(closures).to_contain_text("приказ № 12: пересдача")
