"""The audit of refused requests keeps the route's template and at most 200 characters of the
path as sent (docs/api-v1.md, "Accounts"): whatever a client sends, a row stays small."""

from __future__ import annotations

from sqlalchemy import func, select

from ejournal.accounts import audit
from ejournal.api.access import AUDITED_PATH
from ejournal.projections.base import create_read_engine
from tests.servers import OPERATOR, Server

DIARY = "/api/v1/students/{student_id}/diary"
REQUESTS = 40
#: 15,000 characters of path per request: Cyrillic first (its 200 kept), then ASCII (none kept)
FILLER = "ж" * 1_000 + "x" * 14_000


def test_refused_requests_with_huge_paths_are_audited_in_bounded_rows(server: Server) -> None:
    token = server.login(*OPERATOR)
    # Given anonymous requests, and an operator's (a role that never reads a diary), each
    # with a 15,000-character path through a route
    sent = []
    with server.client() as anonymous, server.client(token) as operator:
        for n in range(REQUESTS):
            path = f"/api/v1/students/{n:04d}{FILLER}/diary"
            sent.append(path)
            who = operator if n % 2 else anonymous
            assert who.get(path).status_code == (403 if n % 2 else 401)
    # Then each is one row: the method, the template, the status and the path's first 200
    # characters as the server decoded it
    engine = create_read_engine(server.database.settings)
    with engine.connect() as conn:
        rows = conn.execute(select(audit.c.kind, audit.c.detail).where(
            audit.c.kind.in_(["unauthenticated", "access_refused"])).order_by(audit.c.id)).all()
        stored = conn.scalar(select(func.sum(func.length(audit.c.detail))))
    engine.dispose()
    assert [(r.kind, r.detail) for r in rows] == [
        ("access_refused" if n % 2 else "unauthenticated",
         f"GET {DIARY} {403 if n % 2 else 401} {path[:AUDITED_PATH]}")
        for n, path in enumerate(sent)]
    # And what the audit stores for them is bounded by the template and 200 characters each
    bound = len(f"GET {DIARY} 401 ") + AUDITED_PATH
    assert max(len(r.detail) for r in rows) <= bound
    assert stored is not None
    assert stored <= REQUESTS * bound  # 600,000 characters were sent
    assert all("x" not in r.detail for r in rows)
