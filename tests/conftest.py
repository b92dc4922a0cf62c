"""Shared fixtures: every test that touches storage runs on a real SQLite file and on a real
PostgreSQL server (a fresh schema per test).

PostgreSQL is taken from ``EJOURNAL_TEST_POSTGRES_URL`` (the README's test command and
``.ci/run`` set it). Without it the PostgreSQL half is skipped, visibly; with
``EJOURNAL_REQUIRE_POSTGRES=1`` (CI) an unreachable server fails the run instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ejournal.application import EJournal
from ejournal.settings import Settings

PG_URL = os.environ.get("EJOURNAL_TEST_POSTGRES_URL")
REQUIRE_PG = os.environ.get("EJOURNAL_REQUIRE_POSTGRES") == "1"


@dataclass
class Database:
    """A fresh, empty database: a file for SQLite, a new schema for PostgreSQL."""

    kind: str
    settings: Settings

    def app(self, clock: Clock | None = None) -> EJournal:
        return EJournal(self.settings, clock=clock)


class Clock:
    """A settable clock for the application layer (the domain never reads one)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now


def _drop_schema(schema: str) -> None:
    import psycopg
    from psycopg import sql

    assert PG_URL is not None
    conninfo = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        yield Database("sqlite", Settings(database_url=f"sqlite:///{tmp_path / 'ejournal.db'}"))
        return
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("EJOURNAL_REQUIRE_POSTGRES=1 but EJOURNAL_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL half: set EJOURNAL_TEST_POSTGRES_URL to run it")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    yield Database("postgres", Settings(database_url=PG_URL, database_schema=schema))
    _drop_schema(schema)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))


@pytest.fixture
def app(database: Database, clock: Clock) -> Iterator[EJournal]:
    application = database.app(clock)
    yield application
    application.close()
