"""The benchmark's baseline endpoint exists only when the benchmark asks for it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ejournal.api.bench import ENV, PATH, TABLE
from ejournal.projections.base import create_read_engine
from tests.conftest import Database
from tests.servers import Server, serving


def test_the_baseline_endpoint_is_absent_in_normal_serving(server: Server) -> None:
    with server.client() as c:
        answer = c.post(PATH, json={"payload": "x"})
        document = c.get("/openapi.json").json()
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert not any(path.startswith("/bench") for path in document["paths"])


def test_with_the_variable_set_it_inserts_one_row_per_request(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "1")
    with serving(database) as running, running.client() as c:
        answers = [c.post(PATH, json={"payload": f"row {n}"}) for n in range(3)]
        document = c.get("/openapi.json").json()
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert PATH not in document["paths"]  # never documented
    engine = create_read_engine(database.settings)
    try:
        with engine.connect() as conn:
            rows = list(conn.scalars(text(f"SELECT payload FROM {TABLE} ORDER BY id")))  # noqa: S608
    finally:
        engine.dispose()
    assert rows == ["row 0", "row 1", "row 2"]
