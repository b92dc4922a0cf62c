"""Every lock between processes: schema changes (the event store's and the read models'), and
one compliance check of a school at a time.

On PostgreSQL they are session advisory locks; on SQLite, whose database lives on one machine,
an exclusive ``flock`` on a file beside the database.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import UUID

import psycopg
from psycopg import sql
from sqlalchemy import Connection, Engine, text

from ejournal.settings import Settings

#: The advisory lock every process takes while it creates tables (of the event store or of
#: the read models): PostgreSQL refuses concurrent DDL on the same objects ("tuple concurrently
#: updated").
DDL_LOCK = "SELECT pg_advisory_lock(hashtext('ejournal-ddl'))"
DDL_UNLOCK = "SELECT pg_advisory_unlock(hashtext('ejournal-ddl'))"


@contextmanager
def file_lock(path: str | Path, *, wait: bool = True) -> Iterator[bool]:
    """Yields True while this process holds an exclusive lock on the file (made if missing);
    False, at once, when another holds it and ``wait`` is false."""
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def event_store_ddl_lock(env: dict[str, str]) -> Iterator[None]:
    """Held while the event store's tables are created (``env``: eventsourcing's persistence
    settings). SQLite: switching a fresh file to WAL and creating the tables take an exclusive
    lock that SQLite may refuse at once to a second process starting at the same moment.
    PostgreSQL: the DDL lock, with the schema made first."""
    if env["PERSISTENCE_MODULE"] != "eventsourcing.postgres":
        with file_lock(env["SQLITE_DBNAME"] + ".ddl-lock"):
            yield
        return
    schema = env.get("POSTGRES_SCHEMA", "public")
    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"], password=env["POSTGRES_PASSWORD"] or None, autocommit=True,
    ) as conn:
        conn.execute(DDL_LOCK)
        try:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            yield
        finally:
            conn.execute(DDL_UNLOCK)


@contextmanager
def ddl_lock(engine: Engine) -> Iterator[Connection]:
    """A connection holding the DDL lock (a no-op on SQLite, whose writes are serialised)."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(DDL_LOCK)
            try:
                yield conn
            finally:
                conn.exec_driver_sql(DDL_UNLOCK)
                conn.commit()
        else:
            yield conn


class SchoolLocks:
    """One lock per school, so that of several scheduler processes only one checks a school at
    a time: an advisory lock keyed by the database schema and the school, or on SQLite a file
    per school in ``<database>.compliance-locks/``."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        digest = hashlib.sha256(f"ejournal-compliance/{settings.database_schema}".encode())
        self._space = int.from_bytes(digest.digest()[:4], "big", signed=True)
        url = settings.database_url
        self._directory = (Path(url.split(":///", 1)[1] + ".compliance-locks")
                           if not self.postgres else Path())

    @contextmanager
    def hold(self, school_id: UUID, *, wait: bool) -> Iterator[bool]:
        """Yields True while this process holds the school's lock; False (at once) when another
        holds it and ``wait`` is false."""
        if not self.postgres:
            self._directory.mkdir(exist_ok=True)
            with file_lock(self._directory / str(school_id), wait=wait) as held:
                yield held
            return
        key = {"a": self._space, "b": int.from_bytes(school_id.bytes[:4], "big", signed=True)}
        with self.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            if wait:
                conn.execute(text("SELECT pg_advisory_lock(:a, :b)"), key)
                held = True
            else:
                held = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:a, :b)"), key))
            try:
                yield held
            finally:
                if held:
                    conn.execute(text("SELECT pg_advisory_unlock(:a, :b)"), key)
