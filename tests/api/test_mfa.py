"""A second factor over HTTP (R-4.8, R-7.3), on a real server over SQLite and PostgreSQL: TOTP
(RFC 6238) set up and confirmed, login with a code, a used code refused, recovery codes that
work once, and a school that requires MFA of its staff."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pyotp

from tests.api.helpers import (
    PASSWORD,
    add_school,
    add_user,
    error_fields,
    operator_token,
    problem,
)
from tests.servers import Server

STEP = timedelta(seconds=30)


def _login(server: Server, username: str, otp: str | None = None) -> httpx.Response:
    form = {"username": username, "password": PASSWORD}
    if otp is not None:
        form["otp"] = otp
    with server.client() as c:
        return c.post("/api/v1/auth/token", data=form)


def _token(server: Server, username: str, otp: str | None = None) -> str:
    answer = _login(server, username, otp)
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def _school(server: Server, tag: str) -> tuple[str, str]:
    """A school with its admin and a teacher: (the school's id, the admin's token)."""
    operator = operator_token(server)
    school = add_school(server, operator, name=f"Школа {tag}")
    add_user(server, operator, school, f"{tag}-admin", "admin")
    add_user(server, operator, school, f"{tag}-teacher", "teacher")
    add_user(server, operator, school, f"{tag}-parent", "guardian")
    return school, _token(server, f"{tag}-admin")


def _turn_on(server: Server, token: str) -> tuple[pyotp.TOTP, list[str]]:
    with server.client(token) as c:
        begun = c.post("/api/v1/me/mfa")
        assert begun.status_code == 200, begun.text
        secret = begun.json()["secret"]
        assert begun.json()["otpauth_uri"].startswith("otpauth://totp/ejournal:")
        totp = pyotp.TOTP(secret)
        confirmed = c.post("/api/v1/me/mfa/confirm", json={"code": totp.at(server.clock())})
    assert confirmed.status_code == 200, confirmed.text
    codes: list[str] = confirmed.json()["recovery_codes"]
    assert len(set(codes)) == 10
    return totp, codes


def test_login_asks_for_a_code_and_a_code_works_once(server: Server) -> None:
    # Given a teacher who turned MFA on (the confirming code is used up by that)
    _, _ = _school(server, "mf")
    token = _token(server, "mf-teacher")
    totp, _ = _turn_on(server, token)
    with server.client(token) as c:
        assert c.get("/api/v1/me").json()["mfa_enabled"] is True
    confirming = totp.at(server.clock())
    # When they log in with the password alone, or with the confirming code
    alone = problem(_login(server, "mf-teacher"), 401)
    replayed = problem(_login(server, "mf-teacher", confirming), 401)
    # Then both are refused: a code is asked for; a used code is not taken again
    assert alone["type"].endswith("mfa-required")
    assert replayed["type"].endswith("mfa-required")
    # A code of the next time step signs in, once
    server.clock.set(server.clock() + STEP)
    fresh = totp.at(server.clock())
    assert _login(server, "mf-teacher", fresh).status_code == 200
    assert problem(_login(server, "mf-teacher", fresh), 401)["type"].endswith("mfa-required")
    # and a wrong password with a right code is a wrong password
    server.clock.set(server.clock() + STEP)
    with server.client() as c:
        wrong = c.post("/api/v1/auth/token", data={
            "username": "mf-teacher", "password": "not-the-password",
            "otp": totp.at(server.clock())})
    assert problem(wrong, 401)["type"] == "about:blank"


def test_a_recovery_code_works_once_and_turning_mfa_off_takes_a_code(server: Server) -> None:
    _school(server, "rc")
    totp, codes = _turn_on(server, _token(server, "rc-teacher"))
    # A recovery code signs in once (typed in capitals, with spaces, all the same)
    token = _token(server, "rc-teacher", codes[0].upper().replace("-", " "))
    assert problem(_login(server, "rc-teacher", codes[0]), 401)["type"].endswith(
        "mfa-required")
    assert _login(server, "rc-teacher", codes[1]).status_code == 200
    # Turning MFA off needs a code: a wrong one is 422 naming it
    with server.client(token) as c:
        assert error_fields(problem(c.post("/api/v1/me/mfa/disable", json={"code": "000000"}),
                                    422)) == ["code"]
        server.clock.set(server.clock() + STEP)
        assert c.post("/api/v1/me/mfa/disable",
                      json={"code": totp.at(server.clock())}).status_code == 204
        assert c.get("/api/v1/me").json()["mfa_enabled"] is False
    # Then the password alone signs in again, and the old codes are gone
    assert _login(server, "rc-teacher").status_code == 200
    assert _login(server, "rc-teacher", codes[2]).status_code == 200  # the code is ignored


def test_a_wrong_confirming_code_leaves_mfa_off(server: Server) -> None:
    _school(server, "wc")
    token = _token(server, "wc-teacher")
    with server.client(token) as c:
        assert problem(c.post("/api/v1/me/mfa/confirm", json={"code": "123456"}), 409)
        secret = c.post("/api/v1/me/mfa").json()["secret"]
        wrong = pyotp.TOTP(secret).at(server.clock() + 10 * STEP)
        assert error_fields(problem(c.post("/api/v1/me/mfa/confirm", json={"code": wrong}),
                                    422)) == ["code"]
        assert c.get("/api/v1/me").json()["mfa_enabled"] is False
    assert _login(server, "wc-teacher").status_code == 200


def test_a_school_that_requires_mfa_lets_its_staff_do_nothing_else_until_they_set_it_up(
    server: Server,
) -> None:
    # Given a school whose admin requires MFA of its staff
    school, admin = _school(server, "rq")
    teacher, parent = _token(server, "rq-teacher"), _token(server, "rq-parent")
    with server.client(admin) as c:
        answer = c.put(f"/api/v1/schools/{school}/settings", json={"staff_mfa_required": True})
    assert (answer.status_code, answer.json()) == (200, {"staff_mfa_required": True})
    # Then a teacher without MFA may read /me but nothing else; a guardian is not staff
    with server.client(teacher) as c:
        assert c.get("/api/v1/me").status_code == 200
        refused = problem(c.get("/api/v1/me/journals"), 403)
        assert refused["type"].endswith("mfa-setup-required")
    with server.client(parent) as c:
        assert c.get("/api/v1/me/children").status_code == 200
    # Once the teacher has set MFA up, their session works again
    _turn_on(server, teacher)
    with server.client(teacher) as c:
        assert c.get("/api/v1/me/journals").status_code == 200
    # Another role may not change the school's settings
    with server.client(teacher) as c:
        assert problem(c.put(f"/api/v1/schools/{school}/settings",
                             json={"staff_mfa_required": False}), 403)
