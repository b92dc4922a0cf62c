"""Over a generated school (``bench.rebuild``'s: lessons, marks, corrections, cancellations,
absences, a transfer, an arrival, period marks and their corrections), the read models are
kept batch by batch; after each batch, the cache's diary of several students over several
spans (a guardian's and a teacher's) is the read model's own, byte for byte."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from bench.rebuild import SchoolYear

from ejournal.api.diary_cache import DiaryCache
from ejournal.api.routes.reads import diary_key, read_diary_body
from ejournal.projections.base import create_read_engine
from ejournal.projections.diary import Diary, Span
from ejournal.projections.runner import Projector
from tests.conftest import Clock, Database

SPANS = [(date(2026, 9, 1), date(2027, 1, 31)), (date(2026, 11, 1), date(2026, 11, 30)),
         (date(2026, 12, 21), date(2027, 1, 17))]


def test_cached_diaries_are_the_read_models_batch_by_batch(database: Database,
                                                           clock: Clock) -> None:
    app = database.app(clock)
    year = SchoolYear(app, 0.05, seed=18)
    year.run_until(date(2027, 1, 20))
    source, target = year.classes[0], year.classes[1]
    mover = next(k for k in source.members if k in target.members)
    arrival = year.students[-1]
    students = [mover, arrival, *year.students[:3]]
    # A teacher of the mover's first class reads the days he was in it only.
    teacher: tuple[Span, ...] = ((source.aggregate.id, date(2026, 10, 1), None),)
    questions: list[tuple[UUID, date, date, tuple[Span, ...] | None]] = [
        (kid, *span, None) for kid in students for span in SPANS]
    questions += [(mover, *span, teacher) for span in SPANS]

    engine = create_read_engine(database.settings, writer=True)
    reader = create_read_engine(database.settings)
    projector = Projector(app, engine, [Diary()])
    projector.setup()
    cache = DiaryCache(8 << 20)
    batches = 0
    try:
        while projector.run_batch(limit=300):
            batches += 1
            with reader.connect() as conn:
                for kid, first, last, spans in questions:
                    def build(c: Any, kid: UUID = kid, first: date = first, last: date = last,
                              spans: Any = spans) -> bytes:
                        return read_diary_body(c, kid, first, last, spans)

                    key = diary_key(kid, first, last, spans)
                    assert cache.answer(conn, key, kid, build).body == build(conn), (
                        batches, kid, first, last, spans)
    finally:
        app.close()
        engine.dispose()
        reader.dispose()
    assert batches > 10
    # Batches of the structure and of the holidays change no diary: answers were kept.
    assert cache.hits > len(questions)
    assert cache.misses > len(questions)
