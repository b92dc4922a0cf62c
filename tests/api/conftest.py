"""A real HTTP server (uvicorn, on a free loopback port) over a real database."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest
import uvicorn

from ejournal.api.app import create_app
from ejournal.application import EJournal
from ejournal.cli import _bootstrap
from ejournal.projections.catalog import projector_for
from ejournal.settings import Settings
from tests.conftest import PG_URL, REQUIRE_PG, Database, _drop_schema

OPERATOR = ("root", "correct horse battery staple")


@dataclass
class Server:
    url: str
    database: Database

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def caught_up(self) -> None:
        """Waits until the server's projector has applied every event in the log now. Tests
        write their setup through an application of their own (another writer, as far as the
        server knows), which the API promises to show within 5 s, not at once."""
        app = EJournal(self.database.settings)
        try:
            projector = projector_for(app)
            assert projector.wait_for(projector.head(), timeout=10), "read models lag > 10 s"
        finally:
            app.close()
            projector.engine.dispose()
            projector.reader.dispose()

    def login(self, username: str, password: str) -> str:
        """A token for the user, once the read models hold everything written so far."""
        self.caught_up()
        with self.client() as c:
            answer = c.post("/api/v1/auth/token",
                            data={"username": username, "password": password})
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        return token


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(database: Database) -> Iterator[Server]:
    """A uvicorn server on a free loopback port over ``database``, with the bootstrap
    operator; stopped on exit."""
    _bootstrap(database.settings, *OPERATOR)
    port = _free_port()
    config = uvicorn.Config(create_app(database.settings), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    started = threading.Event()
    while not started.is_set() and thread.is_alive():
        started.wait(0.01) if not instance.started else started.set()
    assert instance.started, "the server did not start"
    try:
        yield Server(f"http://127.0.0.1:{port}", database)
    finally:
        instance.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def server(database: Database) -> Iterator[Server]:
    with serving(database) as running:
        yield running


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def module_database(request: pytest.FixtureRequest,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """One database for a whole module (set up once, e.g. a matrix of many small cells)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "ejournal.db"
        yield Database("sqlite", Settings(database_url=f"sqlite:///{path}"))
        return
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("EJOURNAL_REQUIRE_POSTGRES=1 but EJOURNAL_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL half: set EJOURNAL_TEST_POSTGRES_URL to run it")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    yield Database("postgres", Settings(database_url=PG_URL, database_schema=schema))
    _drop_schema(schema)


@pytest.fixture(scope="module")
def module_server(module_database: Database) -> Iterator[Server]:
    """One server for a whole module, over ``module_database``."""
    with serving(module_database) as running:
        yield running
