"""The administration's and the operator's pages in a browser: the school's structure (years
and periods, classes, subjects, staff), a class (students with their guardians, journals,
the timetable in force on a day) and the platform's schools; another school's class is «Не
найдено»."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from uuid import UUID

import pytest
from playwright.sync_api import expect

from ejournal.application.commands import SetTimetable
from tests.servers import OPERATOR
from tests.web.conftest import Visit
from tests.web.world import School


@pytest.fixture(scope="module")
def timetabled(school: School) -> School:
    """The school, with 7А's timetable from tomorrow: maths first on Mondays, Russian second
    on Tuesdays."""
    assert school.class_id is not None
    app = school.server.app()
    try:
        app.execute(SetTimetable(school.ids["admin"], school.class_id,
                                 valid_from=school.today + timedelta(days=1),
                                 lessons=[(1, 1, school.journals["Математика"]),
                                          (2, 2, school.journals["Русский язык"])]))
    finally:
        app.close()
    school.server.caught_up()
    return school


def test_the_admin_reads_the_school_and_a_class(visit: Callable[..., Visit],
                                                timetabled: School) -> None:
    admin = visit()
    page = admin.login(timetabled.usernames["admin"])
    expect(page).to_have_url(re.compile("/school$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Школа: Школа № 1")
    periods = page.get_by_role("table", name="Периоды: Учебный год")
    expect(periods.get_by_role("row", name=re.compile("^Полугодие"))).to_contain_text(
        "учебный период")
    expect(page.get_by_role("table", name="Классы").get_by_role("row", name=re.compile("^7А"))
           ).to_contain_text("Мария Ивановна Учителева")
    expect(page.get_by_role("region", name="Предметы")).to_contain_text("Русский язык")
    staff = page.get_by_role("table", name="Сотрудники")
    expect(staff.get_by_role("row", name=re.compile("^Олег Контролёров"))).to_contain_text(
        "проверяющий")
    expect(page.get_by_role("region", name="Сотрудники")).to_contain_text("Ученик: 3")
    admin.shoot("school")
    # A class: its students with their guardians, its journals
    page.get_by_role("link", name="7А", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Класс 7А")
    students = page.get_by_role("table", name="Ученики")
    expect(students.get_by_role("row", name=re.compile("^Иванова Анна"))).to_contain_text(
        "Иванова Ольга")
    expect(students.get_by_role("row", name=re.compile("^Петрова Вера"))).to_contain_text(
        "Петров Пётр")
    journals = page.get_by_role("table", name="Журналы класса")
    expect(journals.get_by_role("row", name=re.compile("^Математика"))).to_contain_text(
        "2 темы")
    expect(page.get_by_text("Расписание класса на эту дату не задано.")).to_be_visible()
    # The timetable in force from tomorrow, by its address
    tomorrow = (timetabled.today + timedelta(days=1)).isoformat()
    page.goto(f"{admin.origin}/school/classes/{timetabled.class_id}?on={tomorrow}")
    timetable = page.get_by_role("table", name="Расписание")
    expect(timetable.get_by_role("row", name=re.compile("^1 "))).to_contain_text(
        "Математика (Мария Ивановна Учителева)")
    expect(timetable.get_by_role("row", name=re.compile("^2 "))).to_contain_text("Русский язык")
    admin.shoot("school-class")
    # A journal of the class opens from there
    page.get_by_role("table", name="Журналы класса").get_by_role(
        "link", name="Математика").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("7А · Математика")


def test_another_schools_class_is_not_found(visit: Callable[..., Visit],
                                            timetabled: School) -> None:
    admin = visit()
    admin.login(timetabled.usernames["admin"])
    page = admin.go(f"/school/classes/{UUID(int=5)}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Не найдено")
    teacher = visit()
    teacher.login(timetabled.usernames["teacher"])
    page = teacher.go("/school")
    expect(page.get_by_role("heading", level=1)).to_have_text("Нет доступа")


def test_the_operator_lists_the_schools(visit: Callable[..., Visit],
                                        timetabled: School) -> None:
    operator = visit()
    page = operator.login(*OPERATOR)
    expect(page).to_have_url(re.compile("/schools$"))
    row = page.get_by_role("table", name="Школы").get_by_role("row",
                                                              name=re.compile("^Школа № 1"))
    expect(row).to_contain_text("Europe/Moscow")
    expect(row).to_contain_text("Елена Сергеевна Завучева")
    expect(row).to_contain_text("ученик: 3")
    operator.shoot("schools")


@pytest.mark.parametrize(("who", "guide", "figures"), [("admin", "Администрации школы", 4),
                                                       ("operator", "Оператору", 0)])
def test_the_guides_show_the_pages_as_they_are(visit: Callable[..., Visit],
                                               timetabled: School, who: str, guide: str,
                                               figures: int) -> None:
    v = visit()
    if who == "operator":
        v.login(*OPERATOR)
    else:
        v.login(timetabled.usernames[who])
    v.page.get_by_role("link", name="Справка").click()
    section = v.page.get_by_role("region", name=guide)
    expect(section).to_contain_text(re.compile("«Школа»|«Школы»"))
    expect(section).not_to_contain_text("в разработке")
    images = section.locator("figure img")
    expect(images).to_have_count(figures)
    for n in range(figures):
        images.nth(n).scroll_into_view_if_needed()
        expect(images.nth(n)).to_have_js_property("complete", True)
        assert images.nth(n).evaluate("img => img.naturalWidth") > 300
