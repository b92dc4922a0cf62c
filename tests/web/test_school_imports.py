"""«Импорт» in a browser: a roster file checked («Проверить»: its problems by row and column,
nothing written), checked again once mended (what it would create), then imported
(«Загрузить»: the accounts with their temporary passwords, shown once); the templates
download."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import expect

from tests.api.helpers import log_length
from tests.web.conftest import Visit
from tests.web.world import School

HEADER = ("Класс;ФИО ученика;Логин ученика;Дата зачисления;ФИО родителя 1;Логин родителя 1;"
          "ФИО родителя 2;Логин родителя 2")


def _file(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "roster.csv"
    path.write_bytes(("\ufeff" + "\r\n".join([HEADER, *rows]) + "\r\n").encode("utf-8"))
    return path


def test_the_admin_imports_a_roster(visit: Callable[..., Visit], school: School,
                                    tmp_path: Path) -> None:
    admin = visit()
    page = admin.login(school.usernames["admin"])
    page.get_by_role("link", name="Импорт").last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Импорт")
    with page.expect_download() as download:
        page.get_by_role("listitem").filter(has_text="Ученики и родители").get_by_role(
            "link", name="CSV").click()
    assert download.value.suggested_filename.endswith(".csv")
    # A file with a taken login: the problem by row and column, nothing written
    before = log_length(school.server)
    page.get_by_label("Что загружаем").select_option("roster")
    page.get_by_label("Файл", exact=True).set_input_files(str(_file(
        tmp_path, "9В;Кузнецов Кирилл;w-anna;;Кузнецова Ксения;kuznetsova.k;;")))
    page.get_by_role("button", name="Проверить").click()
    errors = page.get_by_role("table", name="Ошибки файла")
    expect(errors.get_by_role("row").nth(1)).to_contain_text(re.compile(r"^2Логин ученика"))
    expect(errors).to_contain_text("логин w-anna принадлежит «Иванова Анна»")
    admin.shoot("school-import-errors")
    assert log_length(school.server) == before
    # Mended: the check says what it would create, then the import creates it
    mended = _file(tmp_path, "9В;Кузнецов Кирилл;kuznetsov.k;;Кузнецова Ксения;kuznetsova.k;;")
    page.get_by_label("Файл", exact=True).set_input_files(str(mended))
    page.get_by_role("button", name="Проверить").click()
    expect(page.get_by_role("status")).to_contain_text("Ошибок нет. Строк: 1.")
    expect(page.get_by_role("status")).to_contain_text("учеников — 1")
    assert log_length(school.server) == before
    page.get_by_label("Файл", exact=True).set_input_files(str(mended))
    page.get_by_role("button", name="Загрузить").click()
    accounts = page.get_by_role("table", name="Созданные учётные записи")
    expect(accounts.get_by_role("row", name=re.compile("^Кузнецов Кирилл"))).to_contain_text(
        "kuznetsov.k")
    password = accounts.get_by_role("row", name=re.compile("^Кузнецов Кирилл")).locator(
        "code").inner_text()
    assert len(password) >= 10
    admin.shoot("school-import-done")
    # The new student signs in with it, and is asked for a password of their own first
    kid = visit()
    expect(kid.login("kuznetsov.k", password)).to_have_url(re.compile("/account/password$"))
