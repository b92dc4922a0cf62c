"""The family's other pages in a browser: marks by subject with averages, what is new (a
correction old → new with its reason), and who of the staff read the child's data - a
teacher's read of the grid through the pages lands in the access log as an API read does."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from playwright.sync_api import expect
from sqlalchemy import select

from ejournal.accounts import Accounts
from ejournal.api.access_log import access_log
from ejournal.application.commands import CorrectMark
from ejournal.projections.base import create_read_engine
from ejournal.web.session import SESSION_COOKIE
from tests.servers import Server
from tests.web.conftest import Visit
from tests.web.world import PASSWORD, School


def _reads_of(server: Server, student: object) -> list[tuple[object, str]]:
    accounts = Accounts(create_read_engine(server.database.settings))
    try:
        with accounts.engine.connect() as conn:
            return [(r.viewer_id, r.what) for r in conn.execute(
                select(access_log).where(access_log.c.student_id == student))]
    finally:
        accounts.engine.dispose()


def test_marks_by_subject_with_averages(visit: Callable[..., Visit], school: School) -> None:
    guardian = visit()
    guardian.login(school.usernames["guardian"])
    page = guardian.go(f"/marks?student={school.ids['anna']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Отметки: Иванова Анна")
    maths = page.get_by_role("row", name=re.compile("^Математика"))
    # 5, 4 this week and 3 last week: 4,00, three marks
    expect(maths.get_by_role("list")).to_have_text(re.compile(r"3\s*5\s*4"))
    expect(maths).to_contain_text("3 отметки")
    expect(maths.get_by_role("cell").nth(1)).to_have_text("4,00")
    russian = page.get_by_role("row", name=re.compile("^Русский язык"))
    expect(russian).to_contain_text("Отметок нет")
    expect(russian.get_by_role("cell").nth(2)).to_have_text("1")
    guardian.shoot("marks")


def test_the_feed_shows_a_correction_old_to_new(visit: Callable[..., Visit], school: School,
                                                module_server: Server) -> None:
    app = module_server.app()
    try:
        lesson = app.repository.get(school.lessons["this_maths"])
        mark = next(m for m in lesson.current_marks(school.ids["anna"]) if m.value == "4")
        app.execute(CorrectMark(school.ids["teacher"], school.journals["Математика"], mark.id,
                                value="5", reason="пересмотрено"))
    finally:
        app.close()
    module_server.caught_up()
    guardian = visit()
    guardian.login(school.usernames["guardian"])
    page = guardian.go("/feed")
    newest = page.get_by_role("list", name="События").get_by_role("listitem").first
    expect(newest).to_contain_text("Иванова Анна")
    expect(newest).to_contain_text(
        re.compile(r"Математика[\s\S]*отметка исправлена: 4 → 5, причина: «пересмотрено»"))
    expect(page.get_by_text(re.compile("отсутствие «Н» по болезни"))).to_be_visible()
    guardian.shoot("feed")


def test_staff_reads_through_the_pages_are_in_the_access_log(
        visit: Callable[..., Visit], school: School, module_server: Server) -> None:
    teacher_id, anna = school.ids["teacher"], school.ids["anna"]
    before = _reads_of(module_server, anna)
    # When the teacher opens the journal's page (over plain HTTP with their session)
    token = module_server.login(school.usernames["teacher"], PASSWORD)
    with httpx.Client(base_url=module_server.url, cookies={SESSION_COOKIE: token},
                      timeout=30) as client:
        assert client.get(f"/journals/{school.journals['Математика']}").status_code == 200
    # Then the grid and summary reads of Anna's data are logged, as the API logs them
    assert sorted(_reads_of(module_server, anna)) == sorted(
        [*before, (teacher_id, "grid"), (teacher_id, "summary")])
    # And her guardian sees who read what
    guardian = visit()
    guardian.login(school.usernames["guardian"])
    page = guardian.go(f"/access-log?student={anna}")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Кто просматривал данные ребёнка: Иванова Анна")
    rows = page.get_by_role("row").filter(has_text="Мария Ивановна Учителева")
    expect(rows.filter(has_text="классный журнал")).to_have_count(1)
    expect(rows.filter(has_text="итоги периода")).to_have_count(1)
    expect(rows.first).to_contain_text("учитель")
    guardian.shoot("access-log")
    # A guardian's read is never logged
    assert len(_reads_of(module_server, anna)) == len(before) + 2
