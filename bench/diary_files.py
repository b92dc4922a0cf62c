"""The diary read with and without homework files: one class of 25, a month of lessons
(two a school day), ``read_diary`` for a student's month ``--reads`` times before any file is
attached, then with a file at every other lesson (p50/p99, ms). SQLite file in a temporary
directory.

    python -m bench.diary_files --reads 500
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

from tests.builders import build_school

from ejournal.application import EJournal
from ejournal.application.commands import AttachHomeworkFile, HoldLesson
from ejournal.domain.calendar import is_public_day_off
from ejournal.files import FileStore
from ejournal.projections.base import create_read_engine
from ejournal.projections.catalog import projector_for
from ejournal.projections.diary import read_diary
from ejournal.projections.runner import Projector
from ejournal.settings import Settings

FIRST, LAST = date(2026, 11, 5), date(2026, 11, 30)
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


def _times(projector: Projector, student: UUID, reads: int) -> tuple[float, float]:
    spent = []
    with projector.reader.connect() as conn:
        for _ in range(reads):
            started = time.perf_counter()
            read_diary(conn, student, FIRST, LAST)
            spent.append((time.perf_counter() - started) * 1000)
    spent.sort()
    return statistics.median(spent), spent[int(len(spent) * 0.99) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reads", type=int, default=500)
    reads = parser.parse_args().reads
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'bench.db'}")
        app = EJournal(settings, clock=lambda: NOW)
        s = build_school(app, students=25)
        lessons = []
        day = FIRST
        while day <= LAST:
            if day.isoweekday() <= 5 and not is_public_day_off(day):
                for slot in (1, 2):
                    held = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=day,
                                                  slot=slot, topic="Тема", homework="№ 1"))
                    assert held.id is not None
                    lessons.append(held.id)
            day += timedelta(days=1)
        projector = projector_for(app)
        projector.setup()
        projector.catch_up()
        without = _times(projector, s.students[0], reads)
        store = FileStore(create_read_engine(settings))
        store.setup()
        for n, lesson in enumerate(lessons[::2]):
            content = b"%PDF-1.4\n" + str(n).encode()
            app.execute(AttachHomeworkFile(s.teacher, s.journal, lesson, name=f"Лист {n}.pdf",
                                           size=len(content), content_type="application/pdf",
                                           sha256=store.put(content)))
        projector.catch_up()
        with_files = _times(projector, s.students[0], reads)
        print(f"{len(lessons)} lessons in the month, {len(lessons[::2])} with a file")
        print(f"diary p50 / p99 without files: {without[0]:.2f} / {without[1]:.2f} ms")
        print(f"diary p50 / p99 with files:    {with_files[0]:.2f} / {with_files[1]:.2f} ms")
        app.close()


if __name__ == "__main__":
    main()
