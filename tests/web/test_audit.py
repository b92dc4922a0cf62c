"""The auditor's journey in a browser: late entries filtered by teacher, one's history opened
(and the read in the child's access log); the entries the scheduler found missing and the
timeliness per teacher, filtered; and a filter naming another school's teacher is «Не
найдено»."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from uuid import UUID

import pytest
from playwright.sync_api import expect

from ejournal.application.commands import (
    AddSubject,
    EnrolStudent,
    GivePeriodMark,
    HoldLesson,
    OpenClass,
    OpenJournal,
    PlanYear,
    RegisterUser,
)
from ejournal.scheduler.runner import ComplianceRunner
from ejournal.web import i18n
from tests.web.conftest import Visit
from tests.web.world import School


@pytest.fixture(scope="module")
def audited(school: School) -> School:
    """The school, with a second teacher whose lesson of last week was entered late, and the
    scheduler's check as of now."""
    assert school.school_id is not None
    assert school.class_id is not None
    app = school.server.app()
    try:
        admin = school.ids["admin"]
        second = app.execute(RegisterUser(admin, school.school_id, username="w-second",
                                          full_name="Сергей Петрович Второв",
                                          role="teacher")).id
        assert second is not None
        school.ids["second"] = second
        history = app.execute(AddSubject(admin, school.school_id, name="История")).id
        assert history is not None
        journal = app.execute(OpenJournal(admin, class_id=school.class_id, subject_id=history,
                                          teacher_id=second)).id
        assert journal is not None
        school.journals["История"] = journal
        app.execute(HoldLesson(second, journal, lesson_date=school.monday - timedelta(days=7),
                               slot=3, topic="Древний Рим"))
        # Last year's 6А, whose history mark for Anna came after its year had ended
        first, last = school.today - timedelta(days=500), school.today - timedelta(days=200)
        year = app.execute(PlanYear(admin, school.school_id, name="Прошлый год",
                                    starts_on=first, ends_on=last, days_per_week=5,
                                    periods=[("Прошлый год", first, last)], holidays=[]))
        assert year.id is not None
        period = next(iter(app.repository.get(year.id).periods))
        old_class = app.execute(OpenClass(admin, school.school_id, name="6А", year_id=year.id)).id
        assert old_class is not None
        app.execute(EnrolStudent(admin, old_class, student_id=school.ids["anna"],
                                 from_date=first))
        old_journal = app.execute(OpenJournal(admin, class_id=old_class, subject_id=history,
                                              teacher_id=second)).id
        assert old_journal is not None
        app.execute(GivePeriodMark(second, old_journal, student_id=school.ids["anna"],
                                   period_id=period, value="5"))
    finally:
        app.close()
    runner = ComplianceRunner.open(school.server.database.settings, clock=school.server.clock)
    try:
        runner.run_school(school.school_id)
    finally:
        runner.close()
    school.server.caught_up()
    return school


def test_an_auditor_filters_late_entries_and_opens_a_history(
        visit: Callable[..., Visit], audited: School) -> None:
    auditor = visit()
    page = auditor.login(audited.usernames["auditor"])
    # The auditor lands on the late entries of the school year
    expect(page).to_have_url(re.compile("/audit$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Проверка: поздние записи")
    late = page.get_by_role("table", name="Поздние записи")
    expect(late.get_by_role("row").filter(has_text="Сергей Петрович Второв")).to_have_count(1)
    expect(late.get_by_role("row").filter(has_text="Мария Ивановна Учителева")
           ).not_to_have_count(0)
    # When they filter by one teacher
    page.get_by_label("Учитель").select_option(label="Мария Ивановна Учителева")
    page.get_by_role("button", name="Показать").click()
    expect(page).to_have_url(re.compile(rf"teacher={audited.ids['teacher']}"))
    late = page.get_by_role("table", name="Поздние записи")
    expect(late.get_by_role("row").filter(has_text="Сергей Петрович Второв")).to_have_count(0)
    # Then Anna's homework mark of last week is there, late by its rule
    older = i18n.short_day(audited.monday - timedelta(days=7))
    row = late.get_by_role("row").filter(has_text="отметка: Иванова Анна").filter(
        has_text=older).filter(has_text=re.compile(r"R-4\.6, на \d+ (день|дня|дней)"))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("7А · Математика")
    auditor.shoot("audit-late")
    # When they open its history
    row.get_by_role("link", name="История").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("История отметки")
    history = page.get_by_role("list", name="История отметки")
    expect(history.get_by_role("listitem")).to_have_count(1)
    expect(history).to_contain_text("Мария Ивановна Учителева: поставлена 3")
    # And the lesson entered late, by its rule, with its own history
    page.go_back()
    page.get_by_label("Правило").select_option("R-4.5")
    page.get_by_role("button", name="Показать").click()
    late = page.get_by_role("table", name="Поздние записи")
    rows = late.get_by_role("row").filter(has=page.get_by_role("link", name="История"))
    expect(rows.filter(has_text="R-4.6")).to_have_count(0)
    lesson = rows.filter(has_text="7А · Математика").filter(has_text=older)
    expect(lesson).to_contain_text(re.compile(r"урок.*Мария Ивановна Учителева.*R-4\.5", re.S))
    lesson.get_by_role("link", name="История").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("История урока")
    expect(page.get_by_role("list", name="История урока")).to_contain_text(
        re.compile(r"урок — внесено с опозданием: R-4\.5, на \d+"))
    auditor.shoot("lesson-history")
    # Last year's period mark, entered after its year, with its history
    page.goto(f"{auditor.origin}/audit?rule=R-6.2&from="
              f"{(audited.today - timedelta(days=600)).isoformat()}")
    late = page.get_by_role("table", name="Поздние записи")
    final = late.get_by_role("row").filter(has_text="итоговая отметка: Иванова Анна")
    expect(final).to_contain_text("6А · История")
    expect(final).to_contain_text(re.compile(r"R-6\.2, на \d+ (день|дня|дней)"))
    final.get_by_role("link", name="История").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("История итоговой отметки")
    expect(page.get_by_role("list", name="История отметки")).to_contain_text(
        "Сергей Петрович Второв: поставлена 5")
    # The guardian sees the auditor's read of Anna's mark in the access log
    guardian = visit()
    guardian.login(audited.usernames["guardian"])
    log = guardian.go(f"/access-log?student={audited.ids['anna']}")
    expect(log.get_by_role("row").filter(has_text="Олег Контролёров").filter(
        has_text="историю отметки")).to_have_count(1)


def test_overdue_and_timeliness_with_filters(visit: Callable[..., Visit],
                                             audited: School) -> None:
    admin = visit()
    page = admin.login(audited.usernames["admin"])
    page.goto(admin.origin + "/audit")
    page.get_by_role("link", name="Своевременность по учителям").click()
    table = page.get_by_role("table", name="Своевременность по учителям")
    second = table.get_by_role("row").filter(has_text="Сергей Петрович Второв")
    expect(second.filter(has_text="R-4.5")).to_have_count(1)
    expect(second.filter(has_text="R-4.5").get_by_role("cell").nth(2)).to_have_text("1")
    admin.shoot("audit-timeliness")
    # Its link lists that teacher's late entries of that rule
    second.filter(has_text="R-4.5").get_by_role("link", name="Поздние записи").click()
    late = page.get_by_role("table", name="Поздние записи")
    expect(late.get_by_role("row").filter(has_text="История")).to_have_count(1)
    expect(late).to_contain_text("7А · История")
    # The findings of the scheduler: the lesson of last week without attendance
    page.goto(admin.origin + "/audit?report=overdue")
    expect(page.get_by_role("heading", level=1)).to_have_text("Проверка: пропущенные записи")
    found = page.get_by_role("table", name="Пропущенные записи").get_by_role("row").filter(
        has_text="7А · История")
    expect(found.filter(has_text="R-4.6")).to_have_count(1)
    expect(found.filter(has_text="R-4.6")).to_contain_text("Сергей Петрович Второв")
    expect(found.filter(has_text="R-4.6")).to_contain_text("не внесено")
    # Filtered by another subject, it is gone
    page.get_by_label("Предмет").select_option(label="Русский язык")
    page.get_by_role("button", name="Показать").click()
    expect(page).to_have_url(re.compile("subject="))
    expect(page.get_by_text("7А · История")).to_have_count(0)
    admin.shoot("audit-overdue")


def test_a_filter_of_another_school_is_not_found(visit: Callable[..., Visit],
                                                 audited: School) -> None:
    auditor = visit()
    auditor.login(audited.usernames["auditor"])
    page = auditor.go(f"/audit?teacher={UUID(int=7)}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Не найдено")


def test_the_auditors_guide_shows_the_pages_as_they_are(visit: Callable[..., Visit],
                                                        audited: School) -> None:
    auditor = visit()
    auditor.login(audited.usernames["auditor"])
    auditor.page.get_by_role("link", name="Справка").click()
    guide = auditor.page.get_by_role("region", name="Проверяющему")
    expect(guide).to_contain_text("«Поздние записи»")
    expect(guide).not_to_contain_text("в разработке")
    figure = guide.locator("figure img")
    expect(figure).to_have_count(1)
    figure.scroll_into_view_if_needed()
    expect(figure).to_have_js_property("complete", True)
    assert figure.evaluate("img => img.naturalWidth") > 300
