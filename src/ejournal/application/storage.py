"""From a database URL to the ``eventsourcing`` persistence environment.

``sqlite:///path`` selects ``eventsourcing.sqlite`` (a file in WAL mode, with a busy timeout, so
several processes may share it); ``postgresql+psycopg://...`` selects ``eventsourcing.postgres``.
See docs/storage.md for why the library's own recorders and not ``eventsourcing-sqlalchemy``.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
import sqlalchemy.exc
from eventsourcing import persistence
from eventsourcing.application import Application
from eventsourcing.sqlite import SQLiteConnectionPool
from sqlalchemy import Engine, event

from ejournal.application.recorders import TOPICS
from ejournal.settings import Settings


class UnsupportedDatabase(ValueError):
    pass


def persistence_env(settings: Settings) -> dict[str, str]:
    url = settings.database_url
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme == "sqlite":
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if not path or path == ":memory:":
            raise UnsupportedDatabase("EJOURNAL_DATABASE_URL: sqlite needs a file path, "
                                      "e.g. sqlite:///./ejournal.db")
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": str(settings.lock_timeout),
            "CREATE_TABLE": "y",
            "APPLICATION_RECORDER_TOPIC": TOPICS["eventsourcing.sqlite"],
        }
    if scheme in ("postgresql", "postgres"):
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_SCHEMA": settings.database_schema,
            "POSTGRES_LOCK_TIMEOUT": str(settings.lock_timeout),
            # Two connections kept open, up to 15 when busy: several processes (API workers,
            # the projector, the scheduler) share one server's max_connections (100 by
            # default), and a pool keeps its size open even when idle.
            "POSTGRES_POOL_SIZE": "2",
            "POSTGRES_MAX_OVERFLOW": "13",
            "POSTGRES_PRE_PING": "n",
            # Seconds to wait for a pooled connection. eventsourcing tries a call 10 times;
            # with its default (30 s) a request would hang for minutes while PostgreSQL is down.
            # With 1 s it fails after ~12 s with 503; a busy pool hands one back in ms.
            "POSTGRES_CONNECT_TIMEOUT": "1",
            "CREATE_TABLE": "y",
            "APPLICATION_RECORDER_TOPIC": TOPICS["eventsourcing.postgres"],
        }
    raise UnsupportedDatabase(
        f"EJOURNAL_DATABASE_URL: unsupported scheme {parts.scheme!r}; "
        "use sqlite:///FILE or postgresql+psycopg://USER@HOST:PORT/DB"
    )


def describe(settings: Settings) -> str:
    """The URL without its password, for logs."""
    parts = urlsplit(settings.database_url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return settings.database_url


# --- when the database cannot be used ------------------------------------------------------

log = logging.getLogger("ejournal.storage")


@dataclass(frozen=True)
class StorageFailure:
    """The database cannot take this request now: not a bug, not the client's fault.

    ``status`` is what HTTP answers (503, or 507 when the disk is full); ``detail`` says what
    an operator must look at, without connection strings or SQL."""

    status: int
    detail: str


_SQLITE_FULL, _SQLITE_READONLY = 13, 8
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


def storage_failure(exc: BaseException) -> StorageFailure | None:
    """Whether ``exc`` (or what caused it) says the database is unavailable, read-only, busy
    beyond the lock timeout or out of space - the errors a retry later can cure. Anything else
    (a bug, bad SQL, a constraint) is ``None``."""
    current: BaseException | None = exc
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found = _classify(current)
        if found is not None:
            return found
        orig = getattr(current, "orig", None)  # SQLAlchemy's wrapper of the driver's error
        current = current.__cause__ or (orig if isinstance(orig, BaseException) else None)
    if isinstance(exc, persistence.OperationalError | persistence.InterfaceError):
        return StorageFailure(503, "the database is unavailable")
    return None


def _classify(exc: BaseException) -> StorageFailure | None:
    if isinstance(exc, sqlite3.Error):
        code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
        if code == _SQLITE_FULL:
            return StorageFailure(507, "the database's disk is full")
        if code == _SQLITE_READONLY:
            return StorageFailure(503, "the database is read-only")
        if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
            return StorageFailure(503, "the database is busy")
        if isinstance(exc, sqlite3.OperationalError):
            return StorageFailure(503, "the database is unavailable")
        return None
    if isinstance(exc, psycopg.errors.DiskFull):
        return StorageFailure(507, "the database's disk is full")
    if isinstance(exc, psycopg.errors.ReadOnlySqlTransaction):
        return StorageFailure(503, "the database is read-only")
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return StorageFailure(503, "the database is unavailable")
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
        return StorageFailure(503, "the database is unavailable")
    return None


def keep_running(step: Callable[[threading.Event], None], stop: threading.Event, *,
                 what: str, first_wait: float = 0.5, max_wait: float = 5.0) -> None:
    """Runs ``step(stop)`` (a loop that returns when ``stop`` is set) until ``stop``; when it
    fails because the database is unavailable (``storage_failure``), logs one line, waits -
    doubling from ``first_wait`` up to ``max_wait`` seconds - and runs it again, so a
    background worker (the projector) resumes by itself once the database is back. Any other
    error ends it."""
    wait = first_wait
    while not stop.is_set():
        try:
            step(stop)
            return
        except Exception as exc:
            failure = storage_failure(exc)
            if failure is None:
                raise
            log.warning("%s paused: %s (%s); retrying in %.1f s", what, failure.detail,
                        str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__,
                        wait)
            stop.wait(wait)
            wait = min(max_wait, wait * 2)


# --- SQLite connections that went read-only ------------------------------------------------
#
# SQLite opens a connection read-only when its file cannot be opened for writing (read-only,
# immutable, a read-only mount) - and that connection stays read-only after the file is
# writable again. Connections opened during such a spell are therefore not kept for ever.


def recycle_sqlite_connections(app: Application[Any], max_age: float = 10.0) -> None:
    """The event store's SQLite connections are closed once ``max_age`` seconds old (when
    idle) and opened afresh; a no-op on PostgreSQL."""
    pool = getattr(getattr(app.recorder, "datastore", None), "pool", None)
    if isinstance(pool, SQLiteConnectionPool):
        pool.max_age = max_age  # read by every connection the pool opens from now on


def drop_read_only_connections(engine: Engine) -> None:
    """An SQLAlchemy engine on SQLite drops a connection that refused a write as read-only
    (SQLAlchemy invalidates it), so the next one is opened read-write if the file allows."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "handle_error")
    def _read_only(context: sqlalchemy.engine.ExceptionContext) -> None:
        error = context.original_exception
        code = (getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF
        if isinstance(error, sqlite3.Error) and code == _SQLITE_READONLY:
            context.is_disconnect = True
