"""A substitute keeps the journal in a browser on the days they substitute on (R-4.4): «Мои
журналы» lists it with the dates, its grid shows those days' lessons only (no period
summary), a cell of those days takes a mark, a lesson is held; every other page of the
journal - a cell of another day, the period mark, a mark's history, a journal they do not
substitute in - is «Не найдено», logs nothing as read and writes nothing. Their grid read
is in the access log."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from uuid import UUID

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from ejournal.accounts import Accounts
from ejournal.api.access_log import access_log
from ejournal.application.commands import AppointSubstitute, RegisterUser
from ejournal.projections.base import create_read_engine
from ejournal.web import i18n
from ejournal.web.session import SESSION_COOKIE
from tests.api.helpers import log_length
from tests.web.conftest import Visit
from tests.web.world import PASSWORD, School


@pytest.fixture(scope="module")
def substituted(school: School) -> School:
    """``w-sub``, a teacher substituting in maths from this Monday to today."""
    assert school.school_id is not None
    app = school.server.app()
    accounts = Accounts(create_read_engine(school.server.database.settings))
    try:
        made = app.execute(RegisterUser(school.ids["admin"], school.school_id,
                                        username="w-sub", full_name="Сергей Заменов",
                                        role="teacher")).id
        assert made is not None
        app.execute(AppointSubstitute(school.ids["admin"], school.journals["Математика"],
                                      teacher_id=made, from_date=school.monday,
                                      to_date=school.today))
        accounts.set_password(made, PASSWORD, now=school.server.clock())
    finally:
        app.close()
        accounts.engine.dispose()
    school.ids["sub"], school.usernames["sub"] = made, "w-sub"
    school.server.caught_up()
    return school


def test_a_substitute_keeps_the_journal_on_their_days(visit: Callable[..., Visit],
                                                      substituted: School) -> None:
    s = substituted
    sub = visit()
    page = sub.login(s.usernames["sub"])
    expect(page).to_have_url(re.compile("/journals$"))
    card = page.get_by_role("listitem").filter(has_text="7А · Математика")
    expect(card).to_contain_text(f"Замена: {i18n.long_date(s.monday)}")
    expect(page.get_by_role("link", name="7А · Русский язык")).to_have_count(0)
    card.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("7А · Математика")
    expect(page.get_by_text("Вы замещаете учителя")).to_be_visible()
    grid = page.get_by_role("table").first
    monday, older = i18n.column_date(s.monday), i18n.column_date(s.monday - timedelta(days=7))
    expect(grid.get_by_role("columnheader", name=re.compile(monday))).to_have_count(1)
    expect(grid.get_by_role("columnheader", name=re.compile(older))).to_have_count(0)
    expect(grid.get_by_role("columnheader", name="Итог")).to_have_count(0)
    # A mark in a cell of their days
    cell = page.get_by_role("link", name=re.compile(f"^Отметка: Петрова Вера, {monday}"))
    expect(cell).to_have_text("5")
    cell.click()
    editor = page.locator("#editor")
    editor.get_by_label("Отметка", exact=True).fill("4")
    editor.get_by_role("button", name="Поставить").click()
    expect(editor.get_by_role("status")).to_have_text(re.compile("Записано|опозданием"))
    expect(cell).to_have_text("5 4")
    expect(editor.get_by_role("link", name="История")).to_have_count(0)
    sub.shoot("journal-substitute")
    # A lesson held today
    page.get_by_label("Номер урока").fill("8")
    page.get_by_label("Тема урока").fill("Повторение")
    page.get_by_role("button", name="Провести урок").click()
    expect(page.get_by_role("status")).to_contain_text("Урок проведён")


def _rows(s: School, since: int) -> list[tuple[UUID, str]]:
    engine = create_read_engine(s.server.database.settings)
    try:
        with engine.connect() as conn:
            return [(r.student_id, r.what) for r in conn.execute(
                select(access_log).where(access_log.c.id > since,
                                         access_log.c.viewer_id == s.ids["sub"]))]
    finally:
        engine.dispose()


def _last(s: School) -> int:
    engine = create_read_engine(s.server.database.settings)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.max(access_log.c.id))) or 0)
    finally:
        engine.dispose()


def test_a_substitute_sees_nothing_else_of_the_journal(substituted: School) -> None:
    s = substituted
    token = s.server.login(s.usernames["sub"], PASSWORD)
    maths, russian = s.journals["Математика"], s.journals["Русский язык"]
    kid = s.ids["vera"]
    refused = [f"/journals/{maths}/cells/{s.lessons['old_maths']}/{kid}",
               f"/journals/{maths}/lessons/{s.lessons['old_maths']}",
               f"/journals/{maths}/students/{kid}/period-mark",
               f"/journals/{russian}",
               f"/journals/{russian}/cells/{s.lessons['this_russian']}/{kid}"]
    with httpx.Client(base_url=s.server.url, cookies={SESSION_COOKIE: token},
                      timeout=30) as client:
        since, head = _last(s), log_length(s.server)
        for path in refused:
            answer = client.get(path)
            assert answer.status_code == 404, path
            assert "Не найдено" in answer.text
        assert _rows(s, since) == []
        answer = client.get(f"/journals/{maths}")
        assert answer.status_code == 200
        assert "Иванова Анна" in answer.text
        assert log_length(s.server) == head
    read = _rows(s, since)
    assert {what for _, what in read} == {"grid"}
    assert {student for student, _ in read} == {s.ids["anna"], s.ids["boris"], s.ids["vera"]}
