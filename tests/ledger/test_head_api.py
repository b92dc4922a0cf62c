"""``GET /api/v1/ledger/head`` on a real server: the head as of the log's head or of a given
position, as an auditor recomputes it; the server's follower keeps the chain as the log
grows. (Who may ask: the role matrix.)"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ejournal.ledger.chain import ledger_chain
from ejournal.projections.base import create_read_engine
from tests.api.helpers import error_fields, log_length, operator_token, problem
from tests.ledger import reference
from tests.servers import Server, wait_until

pytestmark = pytest.mark.storage


def _kept(server: Server) -> int:
    engine = create_read_engine(server.database.settings)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(ledger_chain)) or 0)
    finally:
        engine.dispose()


def test_the_head_is_the_chain_over_the_log_as_of_a_position(server: Server) -> None:
    token = operator_token(server)
    with server.client(token) as c:
        for n in range(3):
            assert c.post("/api/v1/schools", json={"name": f"Школа {n}",
                                                   "timezone": "Europe/Moscow"}).is_success
        head = log_length(server)
        settings = server.database.settings
        assert c.get("/api/v1/ledger/head").json() == {
            "position": head, "sha256": reference.head_at(settings, head)}
        for position in (0, 1, head - 1):
            assert c.get("/api/v1/ledger/head", params={"position": position}).json() == {
                "position": position, "sha256": reference.head_at(settings, position)}
        # The server's follower has kept a head for every event meanwhile.
        wait_until(lambda: _kept(server) == head, 10, "the ledger's follower")
        beyond = problem(c.get("/api/v1/ledger/head", params={"position": head + 1}), 422)
        assert error_fields(beyond) == ["position"]
        assert f"its head is {head}" in beyond["detail"]
        assert error_fields(problem(c.get("/api/v1/ledger/head", params={"position": -1}),
                                    422)) == ["position"]
