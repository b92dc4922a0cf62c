"""One leader among the processes that serve one database (``ejournal serve --workers N``): it
alone runs the projector, the ledger's follower, the compliance scheduler and the mail
sender; every process answers requests.

The leader holds a lease the operating system or the database ends with the process: on
SQLite an exclusive ``flock`` on a file beside the database, on PostgreSQL a session advisory
lock on a connection of its own. The others try again every ``RETRY`` seconds, so a leader
that dies is replaced within that bound (and its worker is restarted by uvicorn's
supervisor). A PostgreSQL leader whose lease connection fails cannot know whether another
process took over: it stops its process (``on_lost``), which the supervisor replaces.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Protocol

import psycopg

from ejournal.settings import Settings

log = logging.getLogger("ejournal.leadership")

#: Seconds between a follower's attempts at the lease, and between a leader's checks of it.
RETRY = 2.0


class Lease(Protocol):
    def acquire(self) -> bool: ...

    def held(self) -> bool: ...

    def release(self) -> None: ...


class FileLease:
    """SQLite: an exclusive, non-blocking ``flock`` on ``PATH.leader``, ended by the kernel with
    the process that holds it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        if self._file is not None:
            return True
        handle = self.path.open("a+b")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def held(self) -> bool:
        return self._file is not None

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the descriptor ends the lock
            self._file = None


class AdvisoryLease:
    """PostgreSQL: ``pg_try_advisory_lock`` on a connection kept for it, keyed by the schema
    (each schema is one school platform's database)."""

    def __init__(self, conninfo: str, schema: str) -> None:
        self.conninfo = conninfo
        self.key = zlib.crc32(f"ejournal leader {schema}".encode())
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None

    def acquire(self) -> bool:
        if self._conn is not None:
            return self.held()
        conn = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5)
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        if row is None or not row[0]:
            conn.close()
            return False
        self._conn = conn
        return True

    def held(self) -> bool:
        if self._conn is None:
            return False
        try:
            self._conn.execute("SELECT 1")
        except psycopg.Error:
            return False
        return True

    def release(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def announce() -> None:
    """The leadership's changes on the process's standard error, whatever else is logged."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def lease_for(settings: Settings) -> Lease:
    url = settings.database_url
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if scheme == "sqlite":
        path = url.split("///", 1)[1] if "///" in url else "ejournal.db"
        return FileLease(Path(f"{path}.leader"))
    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    return AdvisoryLease(conninfo, settings.database_schema)


class Leadership:
    """Runs ``duties`` once this process holds ``lease``; ``on_lost`` if it loses it."""

    def __init__(self, lease: Lease, duties: Callable[[], None], stop: threading.Event,
                 on_lost: Callable[[], None] | None = None) -> None:
        self.lease = lease
        self.duties = duties
        self.stop = stop
        self.on_lost = on_lost or _end_process
        self.leading = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ejournal-leadership",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)
        self.lease.release()

    def _run(self) -> None:
        while not self.stop.is_set() and not self._try():
            self.stop.wait(RETRY)
        if self.stop.is_set():
            return
        log.info("process %d leads: the projector, the ledger, the scheduler and the mail",
                 os.getpid())
        self.leading.set()
        self.duties()
        while not self.stop.wait(RETRY):
            if not self.lease.held():
                log.error("process %d lost the lease of leadership; it stops", os.getpid())
                self.on_lost()
                return

    def _try(self) -> bool:
        try:
            return self.lease.acquire()
        except (OSError, psycopg.Error) as exc:
            log.warning("the lease of leadership is unavailable: %s", type(exc).__name__)
            return False


def _end_process() -> None:
    import signal

    os.kill(os.getpid(), signal.SIGTERM)
