"""What a school does with its accounts over HTTP (R-4.8, R-7.3), on a real server over SQLite
and PostgreSQL: a holder changes their password and ends sessions; the administration resets a
password (a change is forced) and disables and enables an account."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest

from tests.api.helpers import (
    PASSWORD,
    add_school,
    add_user,
    build_school,
    error_fields,
    log_length,
    operator_token,
    problem,
)
from tests.databases import Database
from tests.servers import Server

NEW_PASSWORD = "a-brand-new-passphrase"


def _login(server: Server, username: str, password: str, **headers: str) -> httpx.Response:
    with server.client() as c:
        return c.post("/api/v1/auth/token", data={"username": username, "password": password},
                      headers=headers)


def _token(server: Server, username: str, password: str = PASSWORD, **headers: str) -> str:
    answer = _login(server, username, password, **headers)
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def _get(server: Server, token: str, path: str) -> httpx.Response:
    with server.client(token) as c:
        return c.get(path)


def _post(server: Server, token: str, path: str, body: Any = None) -> httpx.Response:
    with server.client(token) as c:
        return c.post(path, json=body)


def _school(server: Server, tag: str) -> tuple[str, str, str]:
    """A school with its admin and a teacher: (admin's token, the teacher's id, username)."""
    operator = operator_token(server)
    school = add_school(server, operator, name=f"Школа {tag}")
    add_user(server, operator, school, f"{tag}-admin", "admin")
    teacher = add_user(server, operator, school, f"{tag}-teacher", "teacher")
    return _token(server, f"{tag}-admin"), teacher, f"{tag}-teacher"


def _events(server: Server, user_id: str) -> list[str]:
    """The account's history, as event class names."""
    app = server.app()
    try:
        return [type(e).__qualname__ for e in app.events.get(UUID(user_id))]
    finally:
        app.close()


def test_a_changed_password_ends_the_holders_other_sessions(server: Server) -> None:
    # Given a teacher signed in twice
    _, teacher, username = _school(server, "pc")
    here, elsewhere = _token(server, username), _token(server, username)
    # When they change their password from one session
    answer = _post(server, here, "/api/v1/me/password",
                   {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    # Then that session lives on, the other is dead, and only the new password signs in
    assert answer.status_code == 204, answer.text
    assert _get(server, here, "/api/v1/me").status_code == 200
    assert _get(server, elsewhere, "/api/v1/me").status_code == 401
    assert _login(server, username, PASSWORD).status_code == 401
    assert _login(server, username, NEW_PASSWORD).status_code == 200
    # and the change is in the account's history, without the secret
    assert _events(server, teacher)[-1] == "User.PasswordChanged"


def test_a_wrong_current_password_is_422_naming_it_and_changes_nothing(server: Server) -> None:
    _, _, username = _school(server, "pw")
    token = _token(server, username)
    answer = _post(server, token, "/api/v1/me/password",
                   {"current_password": "not-the-password", "new_password": NEW_PASSWORD})
    assert error_fields(problem(answer, 422)) == ["current_password"]
    assert _login(server, username, PASSWORD).status_code == 200


def test_a_reset_forces_a_change_before_anything_else(server: Server) -> None:
    # Given a teacher with a live session
    admin, teacher, username = _school(server, "rs")
    before = _token(server, username)
    # When the admin resets their password
    answer = _post(server, admin, f"/api/v1/users/{teacher}/password-reset")
    assert answer.status_code == 200, answer.text
    temporary = answer.json()["temporary_password"]
    assert len(temporary) >= 10
    # Then the old session is dead and the old password no longer signs in
    assert _get(server, before, "/api/v1/me").status_code == 401
    assert _login(server, username, PASSWORD).status_code == 401
    # and with the temporary password only /me and the change itself answer
    token = _token(server, username, temporary)
    me = _get(server, token, "/api/v1/me")
    assert me.json()["must_change_password"] is True
    refused = problem(_get(server, token, "/api/v1/me/journals"), 403)
    assert refused["type"].endswith("password-change-required")
    assert problem(_get(server, token, "/api/v1/me/sessions"), 403)["type"].endswith(
        "password-change-required")
    changed = _post(server, token, "/api/v1/me/password",
                    {"current_password": temporary, "new_password": NEW_PASSWORD})
    assert changed.status_code == 204, changed.text
    # Once changed, everything the role may do answers again
    assert _get(server, token, "/api/v1/me").json()["must_change_password"] is False
    assert _get(server, token, "/api/v1/me/journals").status_code == 200
    assert _events(server, teacher)[-2:] == ["User.PasswordReset", "User.PasswordChanged"]


def test_a_disabled_accounts_live_token_is_refused_and_login_answers_as_a_wrong_password(
    server: Server,
) -> None:
    # Given a teacher with a live session
    admin, teacher, username = _school(server, "ds")
    token = _token(server, username)
    assert _get(server, token, "/api/v1/me").status_code == 200
    # When the admin disables the account
    answer = _post(server, admin, f"/api/v1/users/{teacher}/disable", {"reason": "уволился"})
    assert answer.status_code == 204, answer.text
    # Then its token is refused on its next request
    assert problem(_get(server, token, "/api/v1/me"), 401)
    # and its right password answers exactly as a wrong one
    right, wrong = _login(server, username, PASSWORD), _login(server, username, "wrong-one")
    assert (right.status_code, right.json()["detail"]) == (401, wrong.json()["detail"])
    # and the school's list says so
    school = _get(server, admin, "/api/v1/me").json()["school_id"]
    users = _get(server, admin, f"/api/v1/schools/{school}/users?role=teacher").json()
    assert [(u["username"], u["disabled"]) for u in users["items"]] == [(username, True)]
    # Disabled twice is a conflict; enabled, the account signs in again
    assert problem(_post(server, admin, f"/api/v1/users/{teacher}/disable",
                         {"reason": "ещё раз"}), 409)
    assert _post(server, admin, f"/api/v1/users/{teacher}/enable").status_code == 204
    assert _login(server, username, PASSWORD).status_code == 200
    assert _events(server, teacher)[-2:] == ["User.Disabled", "User.Enabled"]


def test_another_schools_admin_finds_no_such_user(server: Server) -> None:
    _, teacher, username = _school(server, "xa")
    stranger, _, _ = _school(server, "xb")
    for path, body in ((f"/api/v1/users/{teacher}/disable", {"reason": "чужой"}),
                       (f"/api/v1/users/{teacher}/enable", None),
                       (f"/api/v1/users/{teacher}/password-reset", None)):
        problem(_post(server, stranger, path, body), 404)
    assert _login(server, username, PASSWORD).status_code == 200


def test_a_holder_lists_their_sessions_and_ends_one(server: Server) -> None:
    # Given a teacher signed in from two browsers
    _, _, username = _school(server, "ss")
    first = _token(server, username, **{"User-Agent": "Browser One"})
    signed_in = server.clock()
    server.clock.set(signed_in + timedelta(minutes=5))
    second = _token(server, username, **{"User-Agent": "Browser Two"})
    # When they list their sessions from the second
    listed = _get(server, second, "/api/v1/me/sessions")
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    # Then both are there, oldest first, the second marked current
    assert [(s["user_agent"], s["current"], s["address"]) for s in items] == [
        ("Browser One", False, "127.0.0.1"), ("Browser Two", True, "127.0.0.1")]
    assert [datetime.fromisoformat(s["created_at"]) for s in items] == [
        signed_in, signed_in + timedelta(minutes=5)]
    assert listed.json()["next"] is None
    # When they end the first
    assert _post(server, second,
                 f"/api/v1/me/sessions/{items[0]['id']}/revoke").status_code == 204
    # Then it is dead, the second lives, and it cannot be ended twice
    assert _get(server, first, "/api/v1/me").status_code == 401
    assert [s["user_agent"] for s in _get(server, second, "/api/v1/me/sessions").json()[
        "items"]] == ["Browser Two"]
    problem(_post(server, second, f"/api/v1/me/sessions/{items[0]['id']}/revoke"), 404)


def test_nobody_ends_anothers_session(server: Server) -> None:
    admin, _, username = _school(server, "so")
    _token(server, username)
    theirs = _get(server, _token(server, username), "/api/v1/me/sessions").json()["items"]
    problem(_post(server, admin, f"/api/v1/me/sessions/{theirs[0]['id']}/revoke"), 404)
    assert len(_get(server, _token(server, username), "/api/v1/me/sessions").json()[
        "items"]) == 3



WEAK = [("short-pw9", "at least 10 characters"), ("qwertyuiop", "10,000 commonest"),
        ("1Q2W3E4R5T", "10,000 commonest"), ("my-{username}-secret", "the username")]


def test_a_weak_password_is_422_naming_the_field_and_the_reason_and_writes_nothing(
    server: Server,
) -> None:
    admin, _, username = _school(server, "wk")
    school = _get(server, admin, "/api/v1/me").json()["school_id"]
    token = _token(server, username)
    for weak, reason in WEAK:
        before = log_length(server)
        # A new account's password
        chosen = weak.format(username="wk-new")
        answer = _post(server, admin, f"/api/v1/schools/{school}/users", {
            "username": "wk-new", "password": chosen, "full_name": "Новый",
            "role": "teacher"})
        body = problem(answer, 422)
        assert (error_fields(body), body["rule"]) == (["password"], "R-7.3"), body
        assert reason in body["errors"][0]["message"]
        assert chosen not in answer.text
        # A holder's new password
        chosen = weak.format(username=username)
        answer = _post(server, token, "/api/v1/me/password",
                       {"current_password": PASSWORD, "new_password": chosen})
        body = problem(answer, 422)
        assert error_fields(body) == ["new_password"]
        assert reason in body["errors"][0]["message"]
        assert log_length(server) == before
    assert _login(server, username, PASSWORD).status_code == 200
    assert _login(server, "wk-new", "qwertyuiop").status_code == 401


def test_the_first_operator_is_refused_a_weak_password(database: Database) -> None:
    from ejournal.cli import _bootstrap

    for weak, reason in WEAK:
        with pytest.raises(ValueError, match=reason):
            _bootstrap(database.settings, "first-root", weak.format(username="first-root"))
    assert _bootstrap(database.settings, "first-root", "a long and rare one") == (
        "operator first-root created")


def test_a_leavers_entries_stay_when_their_account_is_disabled(server: Server) -> None:
    # Given a teacher who held a lesson in their journal
    s = build_school(server, "lv", students=1)
    with server.client(s.tokens["teacher"]) as c:
        held = c.post(f"/api/v1/journals/{s.journal_id}/lessons",
                      json={"date": "2026-11-25", "slot": 1, "topic": "Дроби"})
    assert held.status_code == 201, held.text
    # When the admin disables the teacher's account
    assert _post(server, s.tokens["admin"], f"/api/v1/users/{s.teacher_id}/disable",
                 {"reason": "уволилась"}).status_code == 204
    # Then the teacher's session is refused, and their lesson is in the journal as it was
    assert _get(server, s.tokens["teacher"], "/api/v1/me").status_code == 401
    with server.client(s.tokens["admin"]) as c:
        grid = c.get(f"/api/v1/journals/{s.journal_id}/grid",
                     params={"from": "2026-11-25", "to": "2026-11-25"},
                     headers={"X-Log-Position": str(log_length(server))})
    assert grid.status_code == 200, grid.text
    assert [(x["id"], x["topic"]) for x in grid.json()["lessons"]] == [
        (held.json()["id"], "Дроби")]
