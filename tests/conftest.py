"""Shared fixtures: every test that touches storage runs on a real SQLite file and on a real
PostgreSQL server (``database``: a fresh one per test; ``module_database``: one per module),
with the application and the HTTP server on the test's clock (``tests/databases.py``,
``tests/servers.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ejournal.application import EJournal
from tests.databases import KINDS, NOW, Clock, Database, fresh_database
from tests.servers import Server, serving

__all__ = ["NOW", "Clock", "Database"]


@pytest.fixture(params=KINDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with fresh_database(request.param, tmp_path) as fresh:
        yield fresh


@pytest.fixture(scope="module", params=KINDS)
def module_database(request: pytest.FixtureRequest,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """One database for a whole module (set up once, e.g. a matrix of many small cells)."""
    with fresh_database(request.param, tmp_path_factory.mktemp("db")) as fresh:
        yield fresh


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def app(database: Database, clock: Clock) -> Iterator[EJournal]:
    application = database.app(clock)
    yield application
    application.close()


@pytest.fixture
def server(database: Database) -> Iterator[Server]:
    """The API in this process over ``database``, its clock at ``NOW``."""
    with serving(database) as running:
        yield running


@pytest.fixture(scope="module")
def module_server(module_database: Database) -> Iterator[Server]:
    """One server for a whole module, over ``module_database``."""
    with serving(module_database) as running:
        yield running
