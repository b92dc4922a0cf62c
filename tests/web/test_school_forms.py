"""The administration writes the school's structure in a browser (the API's commands behind
each form): a subject, a year with its periods, an account with its temporary password shown
once, a class; on the class's page a student enrolled, a guardian linked, a journal opened, a
substitute appointed and the timetable set; a student's enrolment ended. A refused form says
why in Russian, naming the field, keeps what was typed and writes nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import Locator, Page, expect

from ejournal.application.commands import EnrolStudent, RegisterUser
from ejournal.web.i18n import long_date
from tests.api.helpers import log_length
from tests.web.conftest import Visit
from tests.web.world import PASSWORD, School


def _open(page: Page, title: str) -> Locator:
    """The form «title», its «details» opened when closed."""
    form = page.get_by_role("form", name=title)
    if not form.is_visible():
        page.locator("summary").filter(has_text=re.compile(f"^{title}$")).click()
    return form


def test_the_admin_writes_the_school(visit: Callable[..., Visit], school: School) -> None:
    admin = visit()
    page = admin.login(school.usernames["admin"])
    server = school.server
    # A subject; the same name again is refused naming the field, and nothing is written
    form = _open(page, "Добавить предмет")
    form.get_by_label("Название предмета").fill("Физика")
    form.get_by_role("button", name="Добавить предмет").click()
    expect(page.get_by_role("status")).to_have_text("Предмет добавлен.")
    expect(page.get_by_role("region", name="Предметы")).to_contain_text("Физика")
    before = log_length(server)
    form = _open(page, "Добавить предмет")
    form.get_by_label("Название предмета").fill("Физика")
    form.get_by_role("button", name="Добавить предмет").click()
    expect(form.get_by_role("alert")).to_have_text(
        "Не записано: «Название»: такой предмет в школе уже есть")
    expect(form.get_by_label("Название предмета")).to_have_attribute("aria-invalid", "true")
    assert log_length(server) == before
    # A year whose term ends before it starts is refused, the form kept as typed
    first = school.today + timedelta(days=200)
    form = _open(page, "Новый учебный год")
    form.get_by_label("Название года").fill("Следующий год")
    form.get_by_label("Начало", exact=True).fill(first.isoformat())
    form.get_by_label("Окончание", exact=True).fill((first + timedelta(days=270)).isoformat())
    form.get_by_label("Период 1: название").fill("1 полугодие")
    form.get_by_label("Период 1: с").fill((first + timedelta(days=120)).isoformat())
    form.get_by_label("Период 1: по").fill(first.isoformat())
    form.get_by_role("button", name="Записать учебный год").click()
    expect(form.get_by_role("alert")).to_have_text(
        "Не записано: «Период 1»: период кончается раньше, чем начинается")
    expect(form.get_by_label("Название года")).to_have_value("Следующий год")
    admin.shoot("school-year-refused")
    assert log_length(server) == before
    form.get_by_label("Период 1: с").fill(first.isoformat())
    form.get_by_label("Период 1: по").fill((first + timedelta(days=120)).isoformat())
    form.get_by_label("Период 2: название").fill("Год")
    form.get_by_label("Период 2: вид").select_option("year")
    form.get_by_label("Период 2: с").fill(first.isoformat())
    form.get_by_label("Период 2: по").fill((first + timedelta(days=270)).isoformat())
    form.get_by_label("Каникулы 1: название").fill("Зимние")
    form.get_by_label("Каникулы 1: с").fill((first + timedelta(days=121)).isoformat())
    form.get_by_label("Каникулы 1: по").fill((first + timedelta(days=130)).isoformat())
    form.get_by_role("button", name="Записать учебный год").click()
    expect(page.get_by_role("status")).to_have_text("Учебный год записан.")
    periods = page.get_by_role("table", name="Периоды: Следующий год")
    expect(periods.get_by_role("row", name=re.compile("^1 полугодие"))).to_contain_text(
        "учебный период")
    expect(periods.get_by_role("row", name=re.compile("^Зимние"))).to_contain_text("каникулы")
    # An account: its temporary password is shown once
    form = _open(page, "Новая учётная запись")
    form.get_by_label("ФИО").fill("Пётр Петрович Физиков")
    form.get_by_label("Логин").fill("w-physics")
    form.get_by_label("Роль").select_option("teacher")
    form.get_by_role("button", name="Создать учётную запись").click()
    made = page.get_by_role("region", name="Учётная запись создана")
    expect(made).to_contain_text("w-physics")
    password = made.locator("code").inner_text()
    assert re.fullmatch(r"[A-Za-z2-9]{14}", password)
    expect(page.get_by_role("table", name="Сотрудники").get_by_role(
        "row", name=re.compile("^Пётр Петрович Физиков"))).to_contain_text("w-physics")
    admin.shoot("school-account")
    page.goto(admin.origin + "/school")
    expect(page.locator("body")).not_to_contain_text(password)
    form = _open(page, "Новая учётная запись")
    form.get_by_label("ФИО").fill("Новиков Никита")
    form.get_by_label("Логин").fill("w-nikita")
    form.get_by_label("Роль").select_option("student")
    form.get_by_role("button", name="Создать учётную запись").click()
    expect(page.get_by_role("region", name="Учётная запись создана")).to_contain_text("w-nikita")
    # A class, with its class teacher
    form = _open(page, "Открыть класс")
    form.get_by_label("Название класса").fill("8Б")
    form.get_by_label("Параллель").fill("8")
    form.get_by_label("Учебный год").select_option(label="Учебный год")
    form.get_by_label("Классный руководитель").select_option(label="Пётр Петрович Физиков")
    form.get_by_role("button", name="Открыть класс").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Класс 8Б")
    expect(page.get_by_role("status")).to_have_text("Класс открыт.")
    expect(page.get_by_text("Классный руководитель: Пётр Петрович Физиков")).to_be_visible()
    # A student enrolled, and a guardian linked
    form = _open(page, "Зачислить ученика")
    form.get_by_label("Ученик").select_option(label="Новиков Никита")
    form.get_by_role("button", name="Зачислить").click()
    expect(page.get_by_role("status")).to_have_text("Ученик зачислен.")
    form = _open(page, "Привязать родителя")
    form.get_by_label("Ученик").select_option(label="Новиков Никита")
    form.get_by_label("Родитель").select_option(label="Петров Пётр")
    form.get_by_role("button", name="Привязать").click()
    expect(page.get_by_role("status")).to_have_text("Родитель привязан к ученику.")
    expect(page.get_by_role("table", name="Ученики").get_by_role(
        "row", name=re.compile("^Новиков Никита"))).to_contain_text("Петров Пётр")
    # A journal, and a substitute (refused when it ends before it starts)
    form = _open(page, "Открыть журнал")
    form.get_by_label("Предмет").select_option(label="Физика")
    form.get_by_label("Учитель").select_option(label="Пётр Петрович Физиков")
    form.get_by_role("button", name="Открыть журнал").click()
    expect(page.get_by_role("status")).to_have_text("Журнал открыт.")
    journals = page.get_by_role("table", name="Журналы класса")
    expect(journals.get_by_role("row", name=re.compile("^Физика"))).to_contain_text(
        "Пётр Петрович Физиков")
    before = log_length(server)
    form = _open(page, "Назначить замену")
    form.get_by_label("Журнал").select_option(label="Физика")
    form.get_by_label("Замещающий учитель").select_option(label="Мария Ивановна Учителева")
    form.get_by_label("С", exact=True).fill((school.today + timedelta(days=3)).isoformat())
    form.get_by_label("По", exact=True).fill(school.today.isoformat())
    form.get_by_role("button", name="Назначить замену").click()
    expect(form.get_by_role("alert")).to_have_text(
        "Не записано: «По»: замена кончается не раньше, чем начинается")
    assert log_length(server) == before
    form.get_by_label("По", exact=True).fill((school.today + timedelta(days=5)).isoformat())
    form.get_by_role("button", name="Назначить замену").click()
    expect(page.get_by_role("status")).to_have_text("Замена назначена.")
    expect(journals.get_by_role("row", name=re.compile("^Физика"))).to_contain_text(
        "Мария Ивановна Учителева")
    # The timetable: physics first on Mondays, from today
    form = _open(page, "Задать расписание")
    form.get_by_label("пн, 1-й урок").select_option(label="Физика")
    form.get_by_label("ср, 2-й урок").select_option(label="Физика")
    form.get_by_role("button", name="Записать расписание").click()
    expect(page.get_by_role("status")).to_have_text("Расписание записано.")
    timetable = page.get_by_role("table", name="Расписание", exact=True)
    expect(timetable.get_by_role("row", name=re.compile("^1 "))).to_contain_text(
        "Физика (Пётр Петрович Физиков)")
    _open(page, "Задать расписание")
    admin.shoot("school-class-forms")


def test_the_admin_ends_an_enrolment(visit: Callable[..., Visit], school: School) -> None:
    """A student leaving the class: their last day, after which the class no longer lists
    them; a last day before their enrolment is refused naming the field."""
    server = school.server
    joined = school.today - timedelta(days=30)
    assert school.class_id is not None
    app = server.app()
    try:
        kid = app.execute(RegisterUser(school.ids["admin"], school.school_id,
                                       username="w-leaving", full_name="Сидоров Семён",
                                       role="student")).id
        assert kid is not None
        app.execute(EnrolStudent(school.ids["admin"], school.class_id, student_id=kid,
                                 from_date=joined))
    finally:
        app.close()
    server.caught_up()
    admin = visit()
    page = admin.login(school.usernames["admin"])
    admin.go(f"/school/classes/{school.class_id}")
    students = page.get_by_role("table", name="Ученики")
    expect(students.get_by_role("row", name=re.compile("^Сидоров Семён"))).to_be_visible()
    # A last day before the student joined is refused, naming the field; nothing is written
    before = log_length(server)
    form = _open(page, "Выбытие из класса")
    form.get_by_label("Ученик").select_option(label="Сидоров Семён")
    form.get_by_label("Последний день").fill((joined - timedelta(days=1)).isoformat())
    form.get_by_role("button", name="Записать выбытие").click()
    expect(form.get_by_role("alert")).to_have_text(
        "Не записано: «Последний день»: раньше дня зачисления в класс")
    expect(form.get_by_label("Последний день")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("Ученик")).to_have_value(str(kid))
    assert log_length(server) == before
    # and so is the same form's post without the session's CSRF token
    forged = page.request.post(
        f"{admin.origin}/school/classes/{school.class_id}/enrolments/end",
        form={"student_id": str(kid), "on_date": school.today.isoformat()}, max_redirects=0)
    assert forged.status == 403
    assert "Запрос отклонён" in forged.text()
    assert log_length(server) == before
    # When the last day is today
    form.get_by_label("Последний день").fill(school.today.isoformat())
    form.get_by_role("button", name="Записать выбытие").click()
    # Then the class lists the student until today, and not from tomorrow
    expect(page.get_by_role("status")).to_have_text("Ученик выбыл из класса.")
    row = students.get_by_role("row", name=re.compile("^Сидоров Семён"))
    expect(row).to_contain_text(f"{long_date(joined)} по {long_date(school.today)}")
    assert log_length(server) == before + 1
    expect(_open(page, "Выбытие из класса").get_by_label("Ученик").locator(
        "option", has_text="Сидоров Семён")).to_have_count(0)
    tomorrow = school.today + timedelta(days=1)
    admin.go(f"/school/classes/{school.class_id}?on={tomorrow.isoformat()}")
    expect(page.get_by_role("table", name="Ученики")).not_to_contain_text("Сидоров Семён")
    expect(page.get_by_role("table", name="Ученики")).to_contain_text("Иванова Анна")
    token = server.login(school.usernames["admin"], PASSWORD)
    with server.client(token) as c:
        listed = c.get(f"/api/v1/classes/{school.class_id}/students",
                       params={"on": tomorrow.isoformat()})
        assert listed.status_code == 200, listed.text
        assert str(kid) not in {s["id"] for s in listed.json()["items"]}
        was = c.get(f"/api/v1/classes/{school.class_id}/students",
                    params={"on": school.today.isoformat()})
        assert str(kid) in {s["id"] for s in was.json()["items"]}
