"""The holder's account in a browser: an account the administration opened logs in with its
temporary password and lands on «Смена пароля» (every other page sends it there) until it
chooses its own; a second factor is set up from its QR code's key, its ten recovery codes
shown once, and turned off with one of them."""

from __future__ import annotations

import re
from collections.abc import Callable

import pyotp
from playwright.sync_api import expect

from tests.api.helpers import log_length
from tests.web.conftest import Visit
from tests.web.world import School

NEW_PASSWORD = "Sinij-traktor-2026"


def test_a_temporary_password_is_changed_first(visit: Callable[..., Visit],
                                               school: School) -> None:
    # Given an account the admin opened, with its temporary password
    admin = visit()
    page = admin.login(school.usernames["admin"])
    page.locator("summary").filter(has_text=re.compile("^Новая учётная запись$")).click()
    form = page.get_by_role("form", name="Новая учётная запись")
    form.get_by_label("ФИО").fill("Новикова Нина Петровна")
    form.get_by_label("Логин").fill("w-nina")
    form.get_by_role("button", name="Создать учётную запись").click()
    temporary = page.get_by_role("region", name="Учётная запись создана").locator(
        "code").inner_text()
    # When its holder logs in, they land on «Смена пароля», and other pages send them there
    nina = visit()
    page = nina.login("w-nina", temporary)
    expect(page).to_have_url(re.compile("/account/password$"))
    expect(page.get_by_role("status")).to_contain_text("Вы вошли с временным паролем")
    nina.shoot("account-password")
    page.goto(nina.origin + "/journals")
    expect(page).to_have_url(re.compile("/account/password$"))
    # A wrong temporary password or a repeat that differs is refused, and nothing written
    before = log_length(school.server)
    page.get_by_label("Временный пароль").fill("not-the-one-given")
    page.get_by_label("Новый пароль", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Новый пароль ещё раз").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Сменить пароль").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Не принято: «Текущий пароль»: это не текущий пароль учётной записи")
    page.get_by_label("Временный пароль").fill(temporary)
    page.get_by_label("Новый пароль", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Новый пароль ещё раз").fill(NEW_PASSWORD + "!")
    page.get_by_role("button", name="Сменить пароль").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Не принято: «Новый пароль ещё раз»: пароли не совпадают")
    assert log_length(school.server) == before
    # When they choose their own, the journal opens
    page.get_by_label("Временный пароль").fill(temporary)
    page.get_by_label("Новый пароль", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Новый пароль ещё раз").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Сменить пароль").click()
    expect(page.get_by_role("status")).to_have_text(
        "Пароль изменён. Другие ваши сеансы завершены.")
    page.get_by_role("link", name="Продолжить работу").click()
    expect(page).to_have_url(re.compile("/journals$"))
    # And the new password is the one that signs in
    again = visit()
    expect(again.login("w-nina", NEW_PASSWORD)).to_have_url(re.compile("/journals$"))


def test_a_second_factor_is_set_up_and_turned_off(visit: Callable[..., Visit],
                                                  school: School) -> None:
    server = school.server
    v = visit()
    page = v.login(school.usernames["auditor"])
    page.get_by_role("link", name=re.compile("Олег Контролёров")).click()
    page.get_by_role("link", name="Двухфакторная защита").click()
    expect(page.get_by_role("status")).to_have_text("Двухфакторная защита не включена.")
    page.get_by_role("button", name="Настроить двухфакторную защиту").click()
    expect(page.locator("figure.qr svg")).to_be_visible()
    secret = page.locator("figure.qr code").inner_text()
    v.shoot("account-mfa")
    page.get_by_label("Код подтверждения").fill("000000")
    page.get_by_role("button", name="Включить защиту").click()
    expect(page.get_by_role("alert")).to_contain_text("«Код подтверждения»")
    # A wrong code is refused; setting up again gives a new key
    page.get_by_role("button", name="Настроить двухфакторную защиту").click()
    secret = page.locator("figure.qr code").inner_text()
    page.get_by_label("Код подтверждения").fill(pyotp.TOTP(secret).at(server.clock()))
    page.get_by_role("button", name="Включить защиту").click()
    codes = page.get_by_role("list", name="Резервные коды").get_by_role("listitem")
    expect(codes).to_have_count(10)
    recovery = codes.first.inner_text()
    v.shoot("account-mfa-codes")
    # Login asks for the code now
    other = visit()
    other.login(school.usernames["auditor"])
    expect(other.page.get_by_label("Код подтверждения")).to_be_visible()
    # A recovery code turns it off
    page.goto(v.origin + "/account/mfa")
    page.get_by_label("Код подтверждения или резервный код").fill(recovery)
    page.get_by_role("button", name="Отключить защиту").click()
    expect(page.get_by_role("status")).to_have_text("Двухфакторная защита отключена.")
    third = visit()
    expect(third.login(school.usernames["auditor"])).to_have_url(re.compile("/audit"))


def test_a_guardian_chooses_how_mail_tells_them(visit: Callable[..., Visit],
                                                school: School) -> None:
    v = visit()
    page = v.login(school.usernames["other_guardian"])
    page.get_by_role("link", name=re.compile("Петров Пётр")).click()
    page.get_by_role("link", name="Уведомления").click()
    expect(page).to_have_url(re.compile("/account/notifications$"))
    form = page.get_by_role("form", name="Уведомления по почте")
    expect(form.get_by_label("Сразу, письмом на каждое событие")).to_be_checked()
    # An address that is not one is refused, naming the field, and nothing is written
    before = log_length(school.server)
    form.get_by_label("Адрес электронной почты").fill("petrov@localhost")  # the browser lets it by
    form.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Не сохранено: «Адрес электронной почты»: это не адрес электронной почты")
    assert log_length(school.server) == before
    # An address and the daily digest are kept
    form = page.get_by_role("form", name="Уведомления по почте")
    form.get_by_label("Адрес электронной почты").fill("petrov@example.org")
    form.get_by_label("Раз в день, одним письмом-сводкой (в 18:00)").check()
    form.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_role("status")).to_have_text("Сохранено.")
    assert log_length(school.server) == before + 3  # settings opened, address, choice
    page.reload()
    form = page.get_by_role("form", name="Уведомления по почте")
    expect(form.get_by_label("Адрес электронной почты")).to_have_value("petrov@example.org")
    expect(form.get_by_label("Раз в день, одним письмом-сводкой (в 18:00)")).to_be_checked()
    v.shoot("account-notifications")
