"""The family's week diary in a browser: this week's lessons, marks and homework, an older
week by its link, a guardian's switch between children, and the access rule (another
child's address is «не найдено», and nothing is logged as read)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import func, select

from ejournal.accounts import Accounts
from ejournal.api.access_log import access_log
from ejournal.projections.base import create_read_engine
from ejournal.web import i18n
from tests.servers import Server
from tests.web.conftest import Visit
from tests.web.world import School


def _access_rows(server: Server) -> int:
    accounts = Accounts(create_read_engine(server.database.settings))
    try:
        with accounts.engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(access_log)) or 0)
    finally:
        accounts.engine.dispose()


def test_a_guardian_reads_this_week_and_an_older_week(
        visit: Callable[..., Visit], school: School) -> None:
    # Given a guardian of Anna and Boris
    guardian = visit()
    # When they log in
    page = guardian.login(school.usernames["guardian"])
    # Then they land on this week's diary of their first child (by name)
    expect(page).to_have_url(re.compile(r"/diary$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Дневник: Иванов Борис")
    page.get_by_role("link", name="Иванова Анна").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Дневник: Иванова Анна")
    monday = page.get_by_role("region", name=i18n.weekday_date(school.monday), exact=False)
    maths = monday.get_by_role("listitem").filter(has_text="Математика").first
    expect(maths).to_contain_text("Сложение дробей")
    expect(maths).to_contain_text("№ 101, 102")
    expect(maths.get_by_role("list", name="Отметки")).to_have_text(
        re.compile(r"5\s*контрольная работа\s*4\s*устный ответ"))
    russian = monday.get_by_role("listitem").filter(has_text="Русский язык").first
    expect(russian).to_contain_text("Упражнение 45")
    expect(russian.get_by_role("list", name="Отметки")).to_have_text("Н")
    expect(page.get_by_text(i18n.week_span(school.monday, school.monday
                                           + timedelta(days=6)))).to_be_visible()
    guardian.shoot("diary")
    # When they follow the previous week's link
    page.get_by_role("link", name="← Предыдущая неделя").click()
    # Then the older week shows its lesson, mark and homework; its address is bookmarkable
    older = school.monday - timedelta(days=7)
    expect(page).to_have_url(re.compile(rf"week={older.isoformat()}"))
    day = page.get_by_role("region", name=i18n.weekday_date(older), exact=False)
    expect(day).to_contain_text("Обыкновенные дроби")
    expect(day).to_contain_text("№ 77")
    expect(day.get_by_role("list", name="Отметки")).to_have_text(
        re.compile(r"3\s*домашняя работа"))
    expect(page.get_by_text("Сложение дробей")).to_have_count(0)
    # And Boris's week holds his marks, not Anna's
    page.get_by_role("link", name="Иванов Борис").click()
    expect(page.get_by_role("list", name="Отметки").first).to_have_text(
        re.compile(r"2\s*устный ответ"))


def test_a_student_reads_their_own_diary(visit: Callable[..., Visit], school: School) -> None:
    student = visit()
    page = student.login(school.usernames["vera"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Дневник: Петрова Вера")
    expect(page.get_by_role("navigation", name="Дети")).to_have_count(0)
    expect(page.get_by_role("list", name="Отметки").first).to_have_text(
        re.compile(r"5\s*устный ответ"))


def test_another_childs_address_is_not_found_and_not_logged(
        visit: Callable[..., Visit], school: School, module_server: Server) -> None:
    # Given a guardian, and the address of a child who is not theirs
    guardian = visit()
    guardian.login(school.usernames["guardian"])
    before = _access_rows(module_server)
    # When they open it
    answer = guardian.page.goto(f"{guardian.origin}/diary?student={school.ids['vera']}")
    # Then it is «не найдено» (404), shows nothing of hers, and nothing is logged as read
    assert answer is not None
    assert answer.status == 404
    expect(guardian.page.get_by_role("heading", level=1)).to_have_text("Не найдено")
    expect(guardian.page.get_by_text("Петрова Вера")).to_have_count(0)
    assert _access_rows(module_server) == before
    guardian.shoot("not-found")
    # And so is a student's address for another student
    student = visit()
    student.login(school.usernames["vera"])
    answer = student.page.goto(f"{student.origin}/diary?student={school.ids['anna']}")
    assert answer is not None
    assert answer.status == 404
    assert _access_rows(module_server) == before
