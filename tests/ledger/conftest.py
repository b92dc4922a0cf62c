"""Fixtures for the ledger's tests: a log of a small school's journal on a real database, the
ledger's follower over it, and the chain's reader."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import Engine

from ejournal.application import EJournal
from ejournal.application.commands import GiveMark, HoldLesson
from ejournal.ledger import Chain, Follower
from ejournal.projections.base import create_read_engine
from tests.builders import SmallSchool, build_school
from tests.conftest import Clock, Database

#: School days before the tests' clock (NOW, Wednesday 25.11.2026).
DAYS = (date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18), date(2026, 11, 19),
        date(2026, 11, 20), date(2026, 11, 23), date(2026, 11, 24))


@dataclass
class Ledgered:
    app: EJournal
    database: Database
    school: SmallSchool
    writer: Engine
    reader: Engine
    follower: Follower
    chain: Chain

    def head(self) -> int:
        return self.app.store.head() or 0

    def write(self, lessons: int = 1) -> None:
        """More of the journal: lessons, each with a mark for every student."""
        s = self.school
        for _ in range(lessons):
            taken = self.lessons_held = getattr(self, "lessons_held", 0) + 1
            day, slot = DAYS[taken % len(DAYS)], 1 + taken // len(DAYS)
            lesson = self.app.execute(HoldLesson(s.teacher, s.journal, lesson_date=day,
                                                 slot=slot, topic=f"Тема {taken}")).id
            for kid in s.students:
                self.app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=kid,
                                          value="5", work="oral"))


def make_ledgered(database: Database, clock: Clock) -> Ledgered:
    app = database.app(clock)
    writer = create_read_engine(database.settings, writer=True)
    reader = create_read_engine(database.settings)
    follower = Follower(app.store, writer, reader)
    follower.setup()
    return Ledgered(app, database, build_school(app), writer, reader, follower,
                    Chain(app.store, reader))


@pytest.fixture
def ledgered(database: Database, clock: Clock) -> Iterator[Ledgered]:
    made = make_ledgered(database, clock)
    made.write(lessons=3)
    yield made
    made.app.close()
    made.writer.dispose()
    made.reader.dispose()
