"""Real HTTP servers for the tests, started one way each: uvicorn in a thread of the test
process (``running``, ``serving``), or ``ejournal serve`` as a process of its own that a test
may kill and start again (``Serve``). Either reads the test's clock, never the real one.

Waiting is on conditions (a server started, answering /healthz), polled with short pauses and
bounded by deadlines; never a bare sleep."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from ejournal.application import EJournal
from ejournal.cli import _bootstrap
from ejournal.projections.catalog import projector_for
from ejournal.settings import Settings
from ejournal.site import create_app
from tests.databases import NOW, Clock, Database

#: The operator ``serving`` creates.
OPERATOR = ("root", "correct horse battery staple")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until(condition: Callable[[], bool], timeout: float, what: str,
               pause: float = 0.02) -> None:
    """Polls ``condition`` until it holds; fails the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    resting = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        resting.wait(pause)


@contextmanager
def running(app: Any, log_level: str = "warning") -> Iterator[str]:
    """uvicorn serving the ASGI ``app`` in a thread, on a free loopback port: its URL once it
    has started (its lifespan run); stopped on exit."""
    port = free_port()
    instance = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                             log_level=log_level, lifespan="on",
                                             proxy_headers=False))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    wait_until(lambda: instance.started or not thread.is_alive(), 60, "uvicorn to start")
    assert instance.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=30)


@dataclass
class Server:
    """A server over ``database`` whose clock is ``clock`` (a test may move it)."""

    url: str
    database: Database
    clock: Clock

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def app(self) -> EJournal:
        """An application of the test's own over the server's database, on its clock."""
        return self.database.app(self.clock)

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


@contextmanager
def serving(database: Database, clock: Clock | None = None) -> Iterator[Server]:
    """The API over ``database`` in this process, with the bootstrap operator, on ``clock``
    (a new one at ``NOW`` if None)."""
    chosen = clock or Clock(NOW)
    _bootstrap(database.settings, *OPERATOR, now=chosen())
    with running(create_app(database.settings, clock=chosen)) as url:
        yield Server(url, database, chosen)


# --- `ejournal serve`, a process of its own -------------------------------------------------


def serve_env(settings: Settings) -> dict[str, str]:
    return {**os.environ, "EJOURNAL_DATABASE_URL": settings.database_url,
            "EJOURNAL_DATABASE_SCHEMA": settings.database_schema,
            "EJOURNAL_LOCK_TIMEOUT": str(settings.lock_timeout),
            "EJOURNAL_SHARDS": settings.shards}


class Serve:
    """``ejournal serve --now NOW`` as a process of its own (with its embedded projector), on
    a fixed loopback port so that clients find it again after a restart. Its output goes to
    ``log``."""

    def __init__(self, settings: Settings, log: Path, *args: str,
                 now: datetime = NOW) -> None:
        self.settings = settings
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.args = ("--now", now.isoformat(), *args)
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 60) -> None:
        assert self.proc is None or self.proc.poll() is not None
        with self.log.open("ab") as out:
            # A session of its own: a kill reaches every process of the server (``--workers``).
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ejournal.cli", "serve", "--port", str(self.port),
                 *self.args], env=serve_env(self.settings), stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True)
        self.starts += 1
        wait_until(self._healthy, timeout, f"ejournal serve on {self.url}\n{self.tail()}")

    def _healthy(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"ejournal serve exited with {self.proc.returncode}:\n"
                                 f"{self.tail()}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def kill(self) -> None:
        """SIGKILL to every process of the server (its workers too), as a crash of the
        machine would: no shutdown, no flush, no goodbye."""
        assert self.proc is not None
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        wait_until(self._group_gone, 30, f"every process of ejournal serve on {self.url} gone")

    def _group_gone(self) -> bool:
        assert self.proc is not None
        return not running_in({self.proc.pid})

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int | None:
        """``sig``, then SIGKILL if it lingers; its exit code."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode if self.proc is not None else None

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def serving_process(settings: Settings, log: Path, *args: str,
                    now: datetime = NOW) -> Iterator[Serve]:
    server = Serve(settings, log, *args, now=now)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def running_in(sessions: set[int]) -> bool:
    """Whether a process of these sessions still runs (a zombie waiting for its new parent
    to reap it does not)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as f:
                fields = f.read().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[3]) in sessions and fields[0] != "Z":  # session, state
            return True
    return False
