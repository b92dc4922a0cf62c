"""The service under load, as real processes: ``ejournal serve`` (SQLite: one process with
its projector and scheduler), or several ``ejournal serve --no-projector --no-scheduler``
workers beside one ``ejournal project`` and one ``ejournal scheduler`` (PostgreSQL), or one
``ejournal serve --workers N`` (its projector and scheduler elected among its workers). Each
process runs in a session of its own, so that a crash (``Service.crash``) kills every process
under it too."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from tests.servers import running_in

from ejournal.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def rss_kib(pid: int) -> int | None:
    """The resident set size of a process, from /proc (KiB); None once it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


@dataclass
class Process:
    name: str
    command: list[str]
    log: Path
    url: str | None = None
    proc: subprocess.Popen[bytes] | None = None
    #: Settings of this process's own (a shard's projector: its database, no shards).
    env: dict[str, str] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Service:
    """The processes of one deployment; ``urls`` are the API workers clients spread over."""

    settings: Settings
    logs: Path
    processes: list[Process] = field(default_factory=list)
    crashes: int = 0

    @property
    def urls(self) -> list[str]:
        return [p.url for p in self.processes if p.url]

    def env(self) -> dict[str, str]:
        return {**os.environ, "EJOURNAL_DATABASE_URL": self.settings.database_url,
                "EJOURNAL_DATABASE_SCHEMA": self.settings.database_schema,
                "EJOURNAL_SHARDS": self.settings.shards}

    def add(self, name: str, *args: str, serve: bool = False,
            env: dict[str, str] | None = None) -> Process:
        command = [sys.executable, "-m", "ejournal.cli", *args]
        url = None
        if serve:
            port = free_port()
            command += ["--port", str(port)]
            url = f"http://127.0.0.1:{port}"
        process = Process(name, command, self.logs / f"{name}.log", url, env=env or {})
        self.processes.append(process)
        return process

    def start(self, timeout: float = 120) -> None:
        for process in self.processes:
            with process.log.open("ab") as out:
                process.proc = subprocess.Popen(  # noqa: S603 - our own command
                    process.command, env={**self.env(), **process.env}, stdout=out,
                    stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        for process in self.processes:
            if process.url is None:
                continue
            while True:
                assert process.proc is not None
                if process.proc.poll() is not None:
                    raise SystemExit(f"{process.name} exited:\n{process.tail()}")
                try:
                    if httpx.get(f"{process.url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"{process.name} did not answer:\n{process.tail()}")
                time.sleep(0.1)  # polling a starting process, not synchronising work

    def crash(self, timeout: float = 60) -> None:
        """SIGKILL to every process of the service at once (the workers under a server too),
        as a crash of the machine would; then every one started again on its port."""
        for process in self.processes:
            if process.proc is not None and process.proc.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(process.proc.pid, signal.SIGKILL)
        sessions = set()
        for process in self.processes:
            if process.proc is not None:
                process.proc.wait(timeout=30)
                sessions.add(process.proc.pid)
        deadline = time.monotonic() + timeout
        while running_in(sessions):
            if time.monotonic() > deadline:
                raise SystemExit(f"processes of sessions {sorted(sessions)} outlived SIGKILL")
            time.sleep(0.05)  # polling the kernel's process table, not synchronising work
        self.crashes += 1
        self.start()

    def alive(self) -> list[str]:
        """Names of processes that died (they must not)."""
        return [p.name for p in self.processes if p.proc is None or p.proc.poll() is not None]

    def rss(self) -> dict[str, int | None]:
        return {p.name: rss_kib(p.pid) for p in self.processes}

    def stop(self) -> None:
        for process in self.processes:
            if process.proc is not None and process.proc.poll() is None:
                process.proc.terminate()
        for process in self.processes:
            if process.proc is not None:
                try:
                    process.proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.proc.kill()
                    process.proc.wait(timeout=30)




def workers_service(settings: Settings, logs: Path, workers: int) -> Service:
    """One ``ejournal serve --workers N``: its projector and scheduler in its duties' process."""
    service = Service(settings, logs)
    service.add("serve", "serve", "--workers", str(workers), serve=True)
    return service


def sqlite_service(settings: Settings, logs: Path) -> Service:
    """As a small school runs it: one ``ejournal serve`` with its projector and scheduler (in
    the duties' process it starts)."""
    service = Service(settings, logs)
    service.add("serve", "serve", serve=True)
    return service


def postgres_service(settings: Settings, logs: Path, workers: int,
                     shard: Settings | None = None) -> Service:
    """API workers without background work, one projector, one scheduler; with ``shard``
    (the school's, named in ``settings.shards``) the projector and the scheduler are the
    shard's."""
    service = Service(settings, logs)
    for n in range(workers):
        service.add(f"serve-{n + 1}", "serve", "--no-projector", "--no-scheduler", serve=True)
    own = None if shard is None else {"EJOURNAL_DATABASE_URL": shard.database_url,
                                      "EJOURNAL_SHARDS": ""}
    service.add("project", "project", env=own)
    service.add("scheduler", "scheduler", env=own)
    return service
