"""A real HTTP server (uvicorn, on a free loopback port) over a real database."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn

from ejournal.api.app import create_app
from ejournal.cli import _bootstrap
from tests.conftest import Database

OPERATOR = ("root", "correct horse battery staple")


@dataclass
class Server:
    url: str
    database: Database

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def login(self, username: str, password: str) -> str:
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


@pytest.fixture
def server(database: Database) -> Iterator[Server]:
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
    yield Server(f"http://127.0.0.1:{port}", database)
    instance.should_exit = True
    thread.join(timeout=30)
