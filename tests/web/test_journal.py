"""The teacher's journey in a browser: my journals, a lesson held (topic from the work
programme), its attendance, two marks in one cell updated in place, a refused «1» that
changes nothing, a late entry said at once with its rule, a correction with its reason and
the mark's history."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import Locator, Page, expect

from ejournal.web import i18n
from tests.web.conftest import Visit
from tests.web.world import School


def _cell(page: Page, name: str, day: str, slot: int | None = None) -> Locator:
    suffix = rf"(, {slot}-й урок)?" if slot else r"(, \d+-й урок)?"
    return page.get_by_role("link", name=re.compile(rf"^Отметка: {name}, {day}{suffix}$"))


def test_a_teacher_keeps_the_journal(visit: Callable[..., Visit], school: School) -> None:
    teacher = visit()
    page = teacher.login(school.usernames["teacher"])
    # My journals
    expect(page).to_have_url(re.compile("/journals$"))
    teacher.shoot("journals")
    page.get_by_role("link", name="7А · Математика").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("7А · Математика")
    grid = page.get_by_role("table").first
    expect(grid.get_by_role("rowheader", name="Иванова Анна")).to_be_visible()
    # When the teacher holds today's lesson with a topic of the work programme
    page.get_by_label("Номер урока").fill("3")
    page.get_by_label("Тема из рабочей программы").select_option("Дроби")
    page.get_by_label("Тема урока").fill("Дроби: сравнение")
    page.get_by_label("Домашнее задание").fill("№ 5, 6")
    page.get_by_role("button", name="Провести урок").click()
    # Then the journal says so, and the lesson is a column of the grid
    expect(page.get_by_role("status")).to_contain_text("Урок проведён")
    today = i18n.column_date(school.today)
    expect(page.get_by_role("columnheader", name=re.compile(today))).not_to_have_count(0)
    teacher.shoot("journal")
    # When they take its attendance: Boris is absent, ill
    page.get_by_role("row", name=re.compile("Дроби: сравнение")).get_by_role(
        "link", name="Отметить").click()
    page.get_by_label("Отсутствовал(а): Иванов Борис").check()
    page.get_by_label("Причина: Иванов Борис").select_option("illness")
    teacher.shoot("attendance")
    page.get_by_role("button", name="Отметить посещаемость").click()
    expect(page.get_by_role("status")).to_contain_text("Посещаемость отмечена")
    expect(_cell(page, "Иванов Борис", today, 3)).to_have_text("Н")
    # When they give Anna two marks in one cell
    anna = _cell(page, "Иванова Анна", today, 3)
    anna.click()
    editor = page.locator("#editor")
    expect(editor.get_by_role("heading", level=2)).to_contain_text("Иванова Анна")
    editor.get_by_label("Отметка", exact=True).fill("5")
    editor.get_by_role("button", name="Поставить").click()
    expect(editor.get_by_role("status")).to_have_text("Записано.")
    expect(anna).to_have_text("5")
    editor.get_by_label("Отметка", exact=True).fill("4")
    editor.get_by_label("Вид работы").select_option("test")
    editor.get_by_label("Комментарий").fill("самостоятельная")
    editor.get_by_role("button", name="Поставить").click()
    expect(anna).to_have_text("5 4")
    # A «1» is refused with its rule, and changes nothing
    editor.get_by_label("Отметка", exact=True).fill("1")
    editor.get_by_role("button", name="Поставить").click()
    expect(editor.get_by_role("alert")).to_have_text(re.compile(r"Не принято: .*\(R-6\.1a\)"))
    expect(anna).to_have_text("5 4")
    teacher.shoot("cell")
    # When they correct the 4 with a reason
    four = editor.get_by_role("listitem").filter(has_text="контрольная работа")
    four.get_by_text("Исправить", exact=True).click()
    four.get_by_label("Новая отметка").fill("5")
    four.get_by_label("Причина исправления").fill("ошибка ввода")
    four.get_by_role("button", name="Исправить отметку").click()
    expect(anna).to_have_text("5 5")
    # Then its history shows the original and the correction, who and why
    corrected = editor.get_by_role("listitem").filter(has_text="контрольная работа")
    corrected.get_by_role("link", name="История").click()
    history = corrected.get_by_role("list", name="История отметки")
    expect(history.get_by_role("listitem")).to_have_count(2)
    expect(history.get_by_role("listitem").first).to_contain_text("поставлена 4")
    expect(history.get_by_role("listitem").last).to_contain_text(
        "исправлена на 5, причина: «ошибка ввода»")
    expect(history).to_contain_text("Мария Ивановна Учителева")
    teacher.shoot("history")
    # A mark in last week's lesson is accepted late, and says so with its rule
    old = i18n.column_date(school.monday - timedelta(days=7))
    _cell(page, "Петрова Вера", old).click()
    expect(editor.get_by_role("heading", level=2)).to_contain_text("Петрова Вера")
    editor.get_by_label("Отметка", exact=True).fill("4")
    editor.get_by_role("button", name="Поставить").click()
    expect(editor.get_by_role("status")).to_have_text(
        re.compile(r"^Внесено с опозданием: R-4\.6, на \d+ (день|дня|дней)$"))
    # and the cell itself carries it
    expect(_cell(page, "Петрова Вера", old)).to_have_attribute(
        "title", re.compile(r"^Внесено с опозданием: R-4\.6, на \d+"))
    # And the page read after a reload shows what was written
    page.reload()
    expect(_cell(page, "Иванова Анна", today, 3)).to_have_text("5 5")
    expect(_cell(page, "Петрова Вера", old)).to_have_text("4")


def test_the_cell_works_without_javascript(visit: Callable[..., Visit],
                                           school: School) -> None:
    teacher = visit(javascript=False)
    page = teacher.login(school.usernames["teacher"])
    page.get_by_role("link", name="7А · Русский язык").click()
    day = i18n.column_date(school.monday)
    _cell(page, "Петрова Вера", day).click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("Петрова Вера")
    page.get_by_label("Отметка", exact=True).fill("3")
    page.get_by_role("button", name="Поставить").click()
    expect(page.get_by_role("status")).to_contain_text(re.compile("Записано|опозданием"))
    page.get_by_role("link", name="← К журналу").click()
    expect(_cell(page, "Петрова Вера", day)).to_have_text("3")


def test_a_teacher_gives_a_period_mark_and_corrects_it(visit: Callable[..., Visit],
                                                       school: School) -> None:
    teacher = visit()
    page = teacher.login(school.usernames["teacher"])
    page.get_by_role("link", name="7А · Русский язык").click()
    final = page.get_by_role("link", name="Итоговая отметка: Иванов Борис")
    expect(final).to_have_text("")
    # When the teacher gives Boris his period mark
    final.click()
    editor = page.locator("#editor")
    expect(editor.get_by_role("heading", level=2)).to_have_text(
        "Итоговая отметка: Иванов Борис, Полугодие")
    editor.get_by_label("Итоговая отметка", exact=True).fill("1")
    editor.get_by_role("button", name="Выставить").click()
    expect(editor.get_by_role("alert")).to_have_text(re.compile(r"Не принято: .*\(R-6\.1a\)"))
    expect(final).to_have_text("")
    editor.get_by_label("Итоговая отметка", exact=True).fill("4")
    editor.get_by_role("button", name="Выставить").click()
    expect(editor.get_by_role("status")).to_have_text("Записано.")
    expect(final).to_have_text("4")
    # A second one is a correction, with its reason
    editor.get_by_label("Новая итоговая отметка").fill("5")
    editor.get_by_label("Причина исправления").fill("пересдача")
    editor.get_by_role("button", name="Исправить итоговую отметку").click()
    expect(final).to_have_text("5")
    editor.get_by_role("link", name="История").click()
    history = editor.get_by_role("list", name="История отметки")
    expect(history.get_by_role("listitem")).to_have_count(2)
    expect(history.get_by_role("listitem").first).to_contain_text("поставлена 4")
    expect(history.get_by_role("listitem").last).to_contain_text(
        "исправлена на 5, причина: «пересдача»")
    teacher.shoot("period-mark")
    # And the grid read again shows it
    page.reload()
    expect(page.get_by_role("link", name="Итоговая отметка: Иванов Борис")).to_have_text("5")



def test_a_refused_write_is_said_in_the_editor(visit: Callable[..., Visit],
                                               school: School) -> None:
    """An auditor reads a journal but never writes in it: the refusal (403) is said in the
    cell's editor, and the cell stays."""
    v = visit()
    page = v.login(school.usernames["auditor"])
    page.goto(f"{v.origin}/journals/{school.journals['Математика']}")
    boris = _cell(page, "Иванов Борис", i18n.column_date(school.monday))
    expect(boris).to_have_text("2")
    boris.click()
    editor = page.locator("#editor")
    editor.get_by_label("Отметка", exact=True).fill("5")
    editor.get_by_role("button", name="Поставить").click()
    expect(editor.get_by_role("alert")).to_have_text(
        "Не принято: Эта страница не для вашей роли.")
    expect(boris).to_have_text("2")


def test_a_lesson_says_how_long_its_homework_takes(visit: Callable[..., Visit],
                                                   school: School) -> None:
    """«Время на выполнение задания, мин» (0..300, R-3.4g) reaches the homework-load report;
    301 is refused naming the field, and no lesson is held."""
    teacher = visit()
    page = teacher.login(school.usernames["teacher"])
    page.get_by_role("link", name="7А · Русский язык").click()
    columns = page.get_by_role("table").first.get_by_role("columnheader")
    before = columns.count()
    page.get_by_label("Номер урока").fill("6")
    page.get_by_label("Тема урока").fill("Деепричастие")
    page.get_by_label("Домашнее задание").fill("Упражнение 12")
    minutes = page.get_by_label("Время на выполнение задания, мин")
    minutes.evaluate("field => field.removeAttribute('max')")  # the server's check, not the form's
    minutes.fill("301")
    page.get_by_role("button", name="Провести урок").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Не принято: «Время на выполнение задания» — целое число минут от 0 до 300 (R-3.4g)")
    expect(page.get_by_role("table").first.get_by_role("columnheader")).to_have_count(before)
    page.get_by_label("Номер урока").fill("6")
    page.get_by_label("Тема урока").fill("Деепричастие")
    page.get_by_label("Домашнее задание").fill("Упражнение 12")
    page.get_by_label("Время на выполнение задания, мин").fill("25")
    page.get_by_role("button", name="Провести урок").click()
    expect(page.get_by_role("status")).to_contain_text("Урок проведён")
    day = school.today.isoformat()
    page.goto(f"{teacher.origin}/reports/homework?class={school.class_id}&from={day}&to={day}")
    expect(page.get_by_role("table", name="Домашние задания по дням")).to_contain_text(
        "Русский язык: Упражнение 12 — 25 минут")
