"""``ejournal serve`` makes the bootstrap operator (``EJOURNAL_BOOTSTRAP_*``) only while no
account exists (api-v1.md, "Accounts"), and says "created" only when it made one."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.builders import build_school
from tests.conftest import Database
from tests.servers import Serve

pytestmark = pytest.mark.slow  # ejournal serve, a process of its own

ROOT = ("root", "correct horse battery staple")


def _login(url: str) -> int:
    return httpx.post(f"{url}/api/v1/auth/token",
                      data={"username": ROOT[0], "password": ROOT[1]}, timeout=30).status_code


def _serve_once(database: Database, log: Path) -> str:
    server = Serve(database.settings, log, "--no-scheduler")
    server.start()
    try:
        assert _login(server.url) in (200, 401)
        return str(_login(server.url))
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _bootstrap_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EJOURNAL_BOOTSTRAP_USERNAME", ROOT[0])
    monkeypatch.setenv("EJOURNAL_BOOTSTRAP_PASSWORD", ROOT[1])


def test_serve_makes_the_operator_once_on_an_empty_database(database: Database,
                                                            tmp_path: Path) -> None:
    first, second = tmp_path / "first.log", tmp_path / "second.log"
    assert _serve_once(database, first) == "200"
    assert _serve_once(database, second) == "200"
    assert "operator root created" in first.read_text()
    assert "created" not in second.read_text()
    assert "accounts exist: no bootstrap operator made" in second.read_text()


def test_serve_makes_no_operator_where_accounts_exist(database: Database,
                                                     tmp_path: Path) -> None:
    app = database.app()
    try:
        build_school(app, students=1)
    finally:
        app.close()
    log = tmp_path / "serve.log"
    assert _serve_once(database, log) == "401"
    assert "created" not in log.read_text()
    assert "accounts exist: no bootstrap operator made" in log.read_text()
