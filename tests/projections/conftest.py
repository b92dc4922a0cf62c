"""Fixtures for read-model tests: a real event store, a real read-model database, a projector."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Connection, Engine

from ejournal.application import EJournal
from ejournal.projections.base import ReadModel, create_read_engine
from ejournal.projections.runner import Projector
from tests.conftest import Clock, Database


@dataclass
class Projected:
    """An application and a projector over the given read models, on one database."""

    app: EJournal
    database: Database
    engine: Engine
    reader: Engine
    projector: Projector

    def catch_up(self) -> None:
        self.projector.catch_up()

    def connect(self) -> Connection:
        """A read connection (use as a context manager)."""
        return self.reader.connect()


def make_projected(database: Database, clock: Clock, models: list[ReadModel]) -> Projected:
    app = database.app(clock)
    engine = create_read_engine(database.settings, writer=True)
    projector = Projector(app, engine, models)
    projector.setup()
    return Projected(app, database, engine, create_read_engine(database.settings), projector)


@pytest.fixture
def projected_factory(database: Database, clock: Clock) -> Iterator[Callable[..., Projected]]:
    made: list[Projected] = []

    def factory(*models: ReadModel) -> Projected:
        p = make_projected(database, clock, list(models))
        made.append(p)
        return p

    yield factory
    for p in made:
        p.app.close()
        p.engine.dispose()
        p.reader.dispose()
