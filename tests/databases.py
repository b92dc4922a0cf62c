"""A fresh, empty database for a test: a file for SQLite, a new schema of the PostgreSQL
server named by ``EJOURNAL_TEST_POSTGRES_URL`` (dropped afterwards); and the clock tests run
on, so that nothing they expect depends on the day they run.

Without ``EJOURNAL_TEST_POSTGRES_URL`` the PostgreSQL half is skipped, visibly; with
``EJOURNAL_REQUIRE_POSTGRES=1`` (CI) an unreachable server fails the run instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ejournal.application import EJournal
from ejournal.settings import Settings

PG_URL = os.environ.get("EJOURNAL_TEST_POSTGRES_URL")
REQUIRE_PG = os.environ.get("EJOURNAL_REQUIRE_POSTGRES") == "1"
KINDS = ("sqlite", "postgres")

#: Where every test's clock starts unless it sets its own: Wednesday 25 November 2026, 09:00
#: UTC (noon in Moscow), a school day of the 2026/27 year the tests' schools plan.
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


class Clock:
    """A settable clock for the application layer and the server (the domain never reads
    one)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now


@dataclass
class Database:
    """A fresh, empty database: a file for SQLite, a new schema for PostgreSQL."""

    kind: str
    settings: Settings

    def app(self, clock: Clock | None = None) -> EJournal:
        return EJournal(self.settings, clock=clock)


def drop_schema(schema: str) -> None:
    import psycopg
    from psycopg import sql

    assert PG_URL is not None
    conninfo = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@contextmanager
def fresh_database(kind: str, directory: Path) -> Iterator[Database]:
    """A new database of ``kind`` (its SQLite file in ``directory``), removed on exit."""
    if kind == "sqlite":
        yield Database("sqlite", Settings(database_url=f"sqlite:///{directory / 'ejournal.db'}"))
        return
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("EJOURNAL_REQUIRE_POSTGRES=1 but EJOURNAL_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL half: set EJOURNAL_TEST_POSTGRES_URL to run it")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    try:
        yield Database("postgres", Settings(database_url=PG_URL, database_schema=schema))
    finally:
        drop_schema(schema)
