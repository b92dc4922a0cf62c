"""The login page of an account with a second factor (docs/ui.md: «Код подтверждения» when MFA
is on), in Chromium against a real server over SQLite and PostgreSQL: the page asks for the
code, a code signs in once, a used code is refused."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pyotp
import pytest
from playwright.sync_api import expect

from ejournal.accounts import Accounts
from ejournal.application.commands import RecordMfa, RegisterSchool, RegisterUser
from ejournal.projections.base import create_read_engine
from tests.servers import OPERATOR, Server
from tests.web.conftest import Visit

PASSWORD = "web-code-pa55word"
USERNAME = "w-code-teacher"


@pytest.fixture(scope="module")
def totp(module_server: Server) -> pyotp.TOTP:
    """A teacher who turned MFA on (the confirming code is used up by that)."""
    server = module_server
    app = server.app()
    accounts = Accounts(create_read_engine(server.database.settings))
    try:
        operator = app.user_by_username(OPERATOR[0])
        assert operator is not None
        school = app.execute(RegisterSchool(operator.id, name="Школа кодов",
                                            timezone="Europe/Moscow")).id
        assert school is not None
        teacher = app.execute(RegisterUser(operator.id, school, username=USERNAME,
                                           full_name="Учитель с кодом", role="teacher")).id
        assert teacher is not None
        accounts.set_password(teacher, PASSWORD, now=server.clock())
        enrolment = accounts.second_factor.begin(teacher, USERNAME, now=server.clock())
        chosen = pyotp.TOTP(enrolment.secret)
        assert accounts.second_factor.confirm(teacher, chosen.at(server.clock()),
                                              now=server.clock())
        app.execute(RecordMfa(teacher, on=True))
    finally:
        app.close()
        accounts.engine.dispose()
    server.caught_up()
    return chosen


def _with_code(v: Visit, code: str) -> None:
    page = v.page
    expect(page.get_by_label("Код подтверждения")).to_be_visible()
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_label("Код подтверждения").fill(code)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_load_state()


def test_the_login_page_asks_for_the_code_and_a_code_works_once(
        visit: Callable[..., Visit], module_server: Server, totp: pyotp.TOTP) -> None:
    # Given the login page, which asks for no code before it knows the account
    v = visit()
    page = v.go("/")
    expect(page.get_by_label("Код подтверждения")).to_have_count(0)
    # When the teacher gives their password alone
    page = v.login(USERNAME, PASSWORD)
    # Then the page asks for the code, and for the password again
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("alert")).to_have_text(
        "Для этой учётной записи нужен код подтверждения из приложения. Введите пароль и код.")
    expect(page.get_by_label("Логин")).to_have_value(USERNAME)
    expect(page.get_by_label("Пароль")).to_have_value("")
    v.shoot("login-code")
    # When they give it with a code of the next time step, they land on their journals
    module_server.clock.set(module_server.clock() + timedelta(seconds=30))
    code = totp.at(module_server.clock())
    _with_code(v, code)
    expect(page).to_have_url(re.compile(r"/journals$"))
    # And the same code in another browser is refused
    other = visit()
    other.login(USERNAME, PASSWORD)
    _with_code(other, code)
    expect(other.page).to_have_url(re.compile(r"/$"))
    expect(other.page.get_by_role("alert")).to_have_text(
        "Неверный или уже использованный код подтверждения. Введите пароль и код.")
