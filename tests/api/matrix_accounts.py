"""The role matrix's rows for what a school does with accounts (a section of their own, which
``test_role_matrix`` adds to its ``MATRIX``): a holder's password and sessions, and the
administration's reset, disable and enable of the world's ``victim`` (who is left as found:
password ``PASSWORD``, enabled, no change pending)."""

from __future__ import annotations

import hashlib
from typing import Any

import pyotp
from sqlalchemy import select

from ejournal.accounts import session_info
from ejournal.application.commands import (
    DisableUser,
    EnableUser,
    RecordMfa,
    RecordPasswordChange,
)
from tests.api.test_role_matrix import (
    ANYONE,
    PASSWORD,
    REVOKE,
    Cell,
    Req,
    Row,
    World,
    statuses,
)
from tests.servers import OPERATOR

#                    anon  op   adm  aud  tch  una  ct   stu  gua  xadm xaud xtch
SELF = "             401  ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok"
ADMINISTERS = "      401  ok   ok   403  403  403  403  403  403  404  403  403"
SCHOOL_ADMIN = statuses("401  403  ok   403  403  403  403  403  403  404  403  403")
NOBODY = statuses("    401  404  404  404  404  404  404  404  404  404  404  404", 204)


def _password(principal: str) -> str:
    return OPERATOR[1] if principal == "operator" else PASSWORD


def _session_id(world: World, token: str) -> str:
    digest = hashlib.sha256(token.encode()).hexdigest()
    with world.accounts.engine.connect() as conn:
        return str(conn.scalar(select(session_info.c.id)
                               .where(session_info.c.token_hash == digest)))


def _victim_signs_in(world: World) -> bool:
    with world.server.client() as c:
        return c.post("/api/v1/auth/token", data={"username": "m-victim",
                                                  "password": PASSWORD}).status_code == 200


def _victim_as_found(world: World) -> None:
    """The victim's password ``PASSWORD`` with no change pending, and the account enabled."""
    victim = world.app.user(world.victim)
    assert victim is not None
    if victim.disabled:
        world.app.execute(EnableUser(world.admin, world.victim))
    if victim.must_change_password:
        world.accounts.set_password(world.victim, PASSWORD, now=world.server.clock())
        world.app.execute(RecordPasswordChange(world.victim))


# --- the holder's own ---


def _change_arrange(world: World, principal: str, _: str) -> Req:
    if principal == "anonymous":
        return Req("/api/v1/me/password", json={"current_password": PASSWORD,
                                                "new_password": PASSWORD})
    other = world.server.login(world.usernames[principal], _password(principal))
    # The same password again: the principal's other cells still sign in with it.
    return Req("/api/v1/me/password", json={"current_password": _password(principal),
                                            "new_password": _password(principal)},
               note={"other": other})


def _change_verify(cell: Cell) -> None:
    other = cell.world.call(cell.principal, "GET", "/api/v1/me", token=cell.req.note["other"])
    assert other.status_code == 401
    assert cell.world.call(cell.principal, "GET", "/api/v1/me").status_code == 200


def _sessions_verify(cell: Cell) -> None:
    items = cell.body["items"]
    mine = _session_id(cell.world, cell.world.tokens[cell.principal])
    assert [s["id"] for s in items if s["current"]] == [mine]
    assert all(s["address"] == "127.0.0.1" for s in items)


def _revoke_own_arrange(world: World, principal: str, target: str) -> Req:
    if target == "another's":
        token = world.server.login("m-victim", PASSWORD)
    elif principal == "anonymous":
        token = world.server.login(world.usernames["teacher"], PASSWORD)
    else:
        token = world.server.login(world.usernames[principal], _password(principal))
    return Req(f"/api/v1/me/sessions/{_session_id(world, token)}/revoke",
               note={"session": token})


def _revoked_verify(cell: Cell) -> None:
    ended = cell.world.call(cell.principal, "GET", "/api/v1/me", token=cell.req.note["session"])
    assert ended.status_code == (401 if cell.answer.is_success else 200)


# --- the administration's ---


def _reset_arrange(world: World, _: str, __: str) -> Req:
    world.server.login("m-victim", PASSWORD)
    return Req(f"/api/v1/users/{world.victim}/password-reset")


def _reset_verify(cell: Cell) -> None:
    w = cell.world
    assert w.live_tokens(w.victim) == 0
    with w.server.client() as c:
        signed = c.post("/api/v1/auth/token", data={
            "username": "m-victim", "password": cell.body["temporary_password"]})
    assert signed.status_code == 200
    me = w.call("victim", "GET", "/api/v1/me", token=signed.json()["access_token"])
    assert me.json()["must_change_password"] is True
    _victim_as_found(w)
    assert _victim_signs_in(w)


def _reset_unchanged(cell: Cell) -> None:
    assert cell.world.live_tokens(cell.world.victim) >= 1
    assert _victim_signs_in(cell.world)


def _disable_arrange(world: World, _: str, __: str) -> Req:
    world.server.login("m-victim", PASSWORD)
    return Req(f"/api/v1/users/{world.victim}/disable", json={"reason": "выбыл"})


def _disable_verify(cell: Cell) -> None:
    w = cell.world
    assert w.live_tokens(w.victim) == 0
    assert not _victim_signs_in(w)
    _victim_as_found(w)
    assert _victim_signs_in(w)


def _enable_arrange(world: World, _: str, __: str) -> Req:
    world.app.execute(DisableUser(world.admin, world.victim, reason="выбыл"))
    return Req(f"/api/v1/users/{world.victim}/enable")


def _enable_verify(cell: Cell) -> None:
    assert _victim_signs_in(cell.world)


def _enable_unchanged(cell: Cell) -> None:
    assert not _victim_signs_in(cell.world)
    _victim_as_found(cell.world)


# --- a second factor ---


def _mfa_off(world: World, principal: str) -> None:
    """The principal's MFA off again: their other cells sign in with the password alone."""
    user_id = world.ids[principal]
    person = world.app.user(user_id)
    assert person is not None
    if person.mfa_enabled:
        world.app.execute(RecordMfa(user_id, on=False))
    world.accounts.second_factor.remove(user_id)


def _begin_verify(cell: Cell) -> None:
    assert cell.body["otpauth_uri"].startswith("otpauth://totp/ejournal:")
    assert pyotp.TOTP(cell.body["secret"]).now().isdigit()
    _mfa_off(cell.world, cell.principal)


def _begun(world: World, principal: str) -> pyotp.TOTP:
    enrolment = world.accounts.second_factor.begin(world.ids[principal],
                                                   world.usernames[principal],
                                                   now=world.server.clock())
    return pyotp.TOTP(enrolment.secret)


def _confirm_arrange(world: World, principal: str, _: str) -> Req:
    totp = _begun(world, principal) if principal != "anonymous" else pyotp.TOTP("A" * 32)
    return Req("/api/v1/me/mfa/confirm", json={"code": totp.at(world.server.clock())})


def _confirm_verify(cell: Cell) -> None:
    codes: list[Any] = cell.body["recovery_codes"]
    assert len(set(codes)) == 10
    person = cell.world.app.user(cell.world.ids[cell.principal])
    assert person is not None
    assert person.mfa_enabled
    _mfa_off(cell.world, cell.principal)


def _turn_off_arrange(world: World, principal: str, _: str) -> Req:
    if principal == "anonymous":
        return Req("/api/v1/me/mfa/disable", json={"code": "abcde-fghij"})
    user_id, now = world.ids[principal], world.server.clock()
    codes = world.accounts.second_factor.confirm(user_id, _begun(world, principal).at(now),
                                                 now=now)
    assert codes is not None
    world.app.execute(RecordMfa(user_id, on=True))
    return Req("/api/v1/me/mfa/disable", json={"code": codes[0]})


def _turn_off_verify(cell: Cell) -> None:
    person = cell.world.app.user(cell.world.ids[cell.principal])
    assert person is not None
    assert not person.mfa_enabled
    assert not cell.world.accounts.second_factor.active(person.id)


def _settings_arrange(world: World, _: str, __: str) -> Req:
    # false: the other cells' staff go on without MFA (tests/api/test_mfa.py requires it)
    return Req(f"/api/v1/schools/{world.school}/settings", json={"staff_mfa_required": False})


def _settings_verify(cell: Cell) -> None:
    assert cell.body == {"staff_mfa_required": False}
    assert cell.world.app.repository.get(cell.world.school).staff_mfa_required is False


ACCOUNT_ROWS: list[Row] = [
    Row("POST", "/api/v1/me/password", {"own": statuses(SELF, 204)}, _change_arrange,
        ("User.PasswordChanged",), _change_verify),
    Row("GET", "/api/v1/me/sessions", {"own": ANYONE},
        lambda world, principal, target: Req("/api/v1/me/sessions"), verify=_sessions_verify),
    Row("POST", "/api/v1/me/sessions/{session_id}/revoke",
        {"own": statuses(SELF, 204),
         "another's": NOBODY}, _revoke_own_arrange, verify=_revoked_verify,
        unchanged=_revoked_verify),
    Row("POST", "/api/v1/users/{user_id}/password-reset", {"a user of the school": statuses(
        ADMINISTERS)}, _reset_arrange, ("User.PasswordReset",), _reset_verify,
        unchanged=_reset_unchanged),
    Row("POST", "/api/v1/users/{user_id}/disable", {"a user of the school": REVOKE},
        _disable_arrange, ("User.Disabled",), _disable_verify, unchanged=_reset_unchanged),
    Row("POST", "/api/v1/users/{user_id}/enable", {"a user of the school": REVOKE},
        _enable_arrange, ("User.Enabled",), _enable_verify, unchanged=_enable_unchanged),
    Row("POST", "/api/v1/me/mfa", {"own": ANYONE},
        lambda world, principal, target: Req("/api/v1/me/mfa"), verify=_begin_verify),
    Row("POST", "/api/v1/me/mfa/confirm", {"own": ANYONE}, _confirm_arrange,
        ("User.MfaEnabled",), _confirm_verify),
    Row("POST", "/api/v1/me/mfa/disable", {"own": statuses(SELF, 204)}, _turn_off_arrange,
        ("User.MfaDisabled",), _turn_off_verify),
    Row("PUT", "/api/v1/schools/{school_id}/settings", {"school": SCHOOL_ADMIN},
        _settings_arrange, ("School.StaffMfaRequirementSet",), _settings_verify),
]
