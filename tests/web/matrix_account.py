"""The web role matrix's rows for the holder's own account (a section of their own, which
``test_role_matrix`` adds to its ``MATRIX``): every signed-in principal changes their own
password and sets up and turns off their own second factor; each success is put back
afterwards (the password, the factor, the principal's session), so that later cells find the
principal as they were."""

from __future__ import annotations

from collections.abc import Callable

import pyotp

from ejournal.application import messages
from ejournal.application.commands import RecordMfa
from tests.api.test_role_matrix import PASSWORD, World, statuses
from tests.servers import OPERATOR
from tests.web.test_role_matrix import Cell, Req, Row

#                    anon  op   adm  aud  tch  una  ct   stu  gua  xadm xaud xtch
OWN = statuses("     303  ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok")


def _password_of(principal: str) -> str:
    return OPERATOR[1] if principal == "operator" else PASSWORD


def _change(world: World, principal: str, _: str) -> Req:
    new = f"Matrix-new-pa55-{world.n()}"
    data = {"current_password": _password_of(principal), "new_password": new,
            "repeated": new}
    if principal == "anonymous":
        return Req("/account/password", data=data, token="")
    fresh = world.server.login(world.usernames[principal], _password_of(principal))
    return Req("/account/password", data=data, token=fresh)


def _changed(cell: Cell) -> None:
    """The page says so; the old password is put back and the principal signs in again (a
    change ends their other sessions)."""
    w, who = cell.world, cell.principal
    assert "Пароль изменён." in cell.answer.text
    w.accounts.set_password(w.ids[who], _password_of(who), now=w.server.clock())
    w.tokens[who] = w.server.login(w.usernames[who], _password_of(who))


def _begin_factor(world: World, principal: str) -> list[str]:
    """A second factor confirmed for the principal (its recovery codes)."""
    user = world.ids[principal]
    enrolment = world.accounts.second_factor.begin(user, world.usernames[principal],
                                                   now=world.server.clock())
    codes = world.accounts.second_factor.confirm(
        user, pyotp.TOTP(enrolment.secret).at(world.server.clock()), now=world.server.clock())
    assert codes is not None
    return codes


def _confirm(world: World, principal: str, _: str) -> Req:
    if principal == "anonymous":
        return Req("/account/mfa/confirm", data={"code": "123456"}, token="")
    enrolment = world.accounts.second_factor.begin(
        world.ids[principal], world.usernames[principal], now=world.server.clock())
    code = pyotp.TOTP(enrolment.secret).at(world.server.clock())
    return Req("/account/mfa/confirm", data={"code": code})


def _confirmed(cell: Cell) -> None:
    w, user = cell.world, cell.world.ids[cell.principal]
    assert cell.answer.text.count('<li><code class="secret">') == 10
    w.accounts.second_factor.remove(user)
    w.app.execute(RecordMfa(user, on=False))


def _disable(world: World, principal: str, _: str) -> Req:
    if principal == "anonymous":
        return Req("/account/mfa/disable", data={"code": "123456"}, token="")
    codes = _begin_factor(world, principal)
    world.app.execute(RecordMfa(world.ids[principal], on=True))
    return Req("/account/mfa/disable", data={"code": codes[0]})


def _says(*words: str) -> Callable[[Cell], None]:
    def check(cell: Cell) -> None:
        if cell.principal == "anonymous":  # sent to the login page
            assert cell.answer.headers["location"].startswith("/?next=")
            return
        for word in words:
            assert word in cell.answer.text, word
    return check


def _notify(world: World, principal: str, _: str) -> Req:
    """Settings that exist (an address, instant mail), then a new address and the digest."""
    n = world.n()
    data = {"email": f"matrix-{n}@example.org", "choice": "daily"}
    if principal == "anonymous":
        return Req("/account/notifications", data=data, token="")
    user = world.ids[principal]
    world.app.execute(messages.SetContact(user, f"before-{n}@example.org"))
    world.app.execute(messages.ChooseNotifications(user, "instant"))
    return Req("/account/notifications", data=data)


ACCOUNT_ROWS: list[Row] = [
    Row("GET", "/account/password", {"own": OWN}, lambda w, p, t: Req("/account/password"),
        _says("Смена пароля", "Новый пароль ещё раз")),
    Row("POST", "/account/password", {"own": OWN}, _change, _changed,
        ("User.PasswordChanged",)),
    Row("GET", "/account/mfa", {"own": OWN}, lambda w, p, t: Req("/account/mfa"),
        _says("Двухфакторная защита не включена.")),
    Row("POST", "/account/mfa", {"own": OWN}, lambda w, p, t: Req("/account/mfa", data={}),
        _says("Ключ:", "<svg", "Код подтверждения")),
    Row("POST", "/account/mfa/confirm", {"own": OWN}, _confirm, _confirmed,
        ("User.MfaEnabled",)),
    Row("POST", "/account/mfa/disable", {"own": OWN}, _disable,
        _says("Двухфакторная защита отключена."), ("User.MfaDisabled",)),
    Row("GET", "/account/notifications", {"own": OWN},
        lambda w, p, t: Req("/account/notifications"),
        _says("Уведомления по почте", "Адрес электронной почты")),
    Row("POST", "/account/notifications", {"own": OWN}, _notify,
        _says("Сохранено.", "@example.org", 'value="daily" checked'),
        ("NotificationSettings.ContactSet", "NotificationSettings.EmailChoiceSet")),
]
