"""Personal accounts over HTTP: login, tokens, logout, revocation, the login rate limit."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ejournal.accounts import audit, credentials
from ejournal.application import EJournal
from ejournal.projections.base import create_read_engine
from tests.servers import OPERATOR, Server


def test_the_operator_logs_in_and_reads_who_they_are(server: Server) -> None:
    token = server.login(*OPERATOR)
    with server.client(token) as c:
        me = c.get("/api/v1/me")
    assert me.status_code == 200
    body = me.json()
    assert (body["username"], body["role"], body["school_id"]) == ("root", "operator", None)
    assert (body["children"], body["class_teacher_of"]) == ([], [])
    assert me.headers["x-content-type-options"] == "nosniff"


def test_a_wrong_password_is_401_problem_json_and_audited_without_the_password(
    server: Server,
) -> None:
    with server.client() as c:
        answer = c.post("/api/v1/auth/token",
                        data={"username": "root", "password": "not the password"})
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["status"] == 401
    engine = create_read_engine(server.database.settings)
    with engine.connect() as conn:
        rows = conn.execute(select(audit.c.kind, audit.c.username, audit.c.detail)).all()
        hashes = list(conn.scalars(select(credentials.c.password_hash)))
    engine.dispose()
    assert ("login_failed", "root", None) in [tuple(r) for r in rows]
    assert all("not the password" not in repr(r) for r in rows)
    assert all(h.startswith("$argon2id$") for h in hashes)


def test_no_token_or_a_bad_token_is_401(server: Server) -> None:
    with server.client() as c:
        assert c.get("/api/v1/me").status_code == 401
    with server.client("made-up") as c:
        answer = c.get("/api/v1/me")
    assert answer.status_code == 401
    assert answer.json()["title"] == "Not authenticated"


def test_logout_kills_the_token_and_only_that_token(server: Server) -> None:
    first = server.login(*OPERATOR)
    second = server.login(*OPERATOR)
    with server.client(first) as c:
        assert c.post("/api/v1/auth/logout").status_code == 204
        assert c.get("/api/v1/me").status_code == 401
    with server.client(second) as c:
        assert c.get("/api/v1/me").status_code == 200


def test_ten_failed_logins_lock_the_account_with_429_and_retry_after(server: Server) -> None:
    start = server.clock()
    with server.client() as c:
        for _ in range(10):
            assert c.post("/api/v1/auth/token",
                          data={"username": "root", "password": "wrong"}).status_code == 401
        limited = c.post("/api/v1/auth/token",
                         data={"username": "root", "password": OPERATOR[1]})
        # Ten minutes on, five remain; once the fifteen minutes are over, the account opens.
        server.clock.set(start + timedelta(minutes=10))
        later = c.post("/api/v1/auth/token",
                       data={"username": "root", "password": OPERATOR[1]})
        server.clock.set(start + timedelta(minutes=15, seconds=1))
        opened = c.post("/api/v1/auth/token",
                        data={"username": "root", "password": OPERATOR[1]})
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == str(15 * 60)
    assert limited.json()["status"] == 429
    assert (later.status_code, later.headers["retry-after"]) == (429, str(5 * 60))
    assert opened.status_code == 200, opened.text


def test_an_operator_ends_every_session_of_a_user(server: Server) -> None:
    app = EJournal(server.database.settings)
    operator = app.user_by_username("root")
    app.close()
    assert operator is not None
    token = server.login(*OPERATOR)
    other = server.login(*OPERATOR)
    with server.client(other) as c:
        assert c.get("/api/v1/me").status_code == 200  # a session the server now keeps
    with server.client(token) as c:
        assert c.post(f"/api/v1/users/{operator.id}/revoke-sessions").status_code == 204
        assert c.get("/api/v1/me").status_code == 401
    with server.client(other) as c:
        assert c.get("/api/v1/me").status_code == 401


def test_an_oversized_body_is_413(server: Server) -> None:
    with server.client() as c:
        answer = c.post("/api/v1/auth/token", content=b"x" * (64 * 1024 + 1),
                        headers={"content-type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"


def test_refused_accesses_are_audited_with_who_and_what_but_never_the_token(
    server: Server,
) -> None:
    # Given the operator's token and a token nobody was given
    token = server.login(*OPERATOR)
    operator = EJournal(server.database.settings).user_by_username("root")
    assert operator is not None
    made_up = "made-up-token-0123456789"
    diary = "/api/v1/students/00000000-0000-4000-8000-000000000000/diary"
    # When no token, a bad token, and a role that may never read a diary ask for one
    with server.client() as c:
        assert c.get(diary).status_code == 401
    with server.client(made_up) as c:
        assert c.get(diary).status_code == 401
    with server.client(token) as c:
        assert c.get(diary).status_code == 403
        assert c.get("/api/v1/no-such-route").status_code == 404  # not a refusal
    # Then each refusal is in the audit: kind, who (when known), method, route, status, path
    engine = create_read_engine(server.database.settings)
    with engine.connect() as conn:
        rows = conn.execute(select(audit).where(audit.c.kind.in_(
            ["unauthenticated", "access_refused"])).order_by(audit.c.id)).all()
    engine.dispose()
    template = "/api/v1/students/{student_id}/diary"
    assert [(r.kind, r.user_id, r.username, r.detail) for r in rows] == [
        ("unauthenticated", None, None, f"GET {template} 401 {diary}"),
        ("unauthenticated", None, None, f"GET {template} 401 {diary}"),
        ("access_refused", operator.id, "root", f"GET {template} 403 {diary}"),
    ]
    assert all(r.address == "127.0.0.1" for r in rows)
    # And never a token or a password
    for secret in (token, made_up, OPERATOR[1]):
        assert all(secret not in repr(tuple(r)) for r in rows)
