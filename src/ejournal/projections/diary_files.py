"""The diary's homework files: each lesson's files that are served (attached, not retracted),
oldest first, for the diary's lessons and the lesson's list of files.

A lesson's row in the diary counts its files (``diary_lessons.files``, null for none), so the
diary's one statement tells which lessons have any; only when some do is a second, indexed
statement run for theirs - a diary without files costs what it did before.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Index,
    String,
    Table,
    Text,
    Uuid,
    bindparam,
    cast,
    delete,
    func,
    select,
    update,
)

from ejournal.domain.homework_file import HomeworkFile
from ejournal.projections.base import as_utc, handles, metadata
from ejournal.projections.batching import Batch, Prepared, prepare
from ejournal.projections.naming import named

files = Table(
    "diary_files", metadata,  # served files: a retracted one's row is deleted
    Column("file_id", Uuid, primary_key=True),
    Column("lesson_id", Uuid, nullable=False),
    Column("name", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("content_type", String(120), nullable=False),
    Column("added_by", Uuid, nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("position", BigInteger, nullable=False),
    Index("ix_diary_files_lesson", "lesson_id", "position"),
)
_drop_file = prepare(delete(files).where(files.c.file_id == bindparam("f")))


class KeepsFiles:
    """Mixed into the diary: ``lessons_table`` is its lessons (with the ``files`` count)."""

    lessons_table: ClassVar[Table]
    names_table: ClassVar[Table]
    _count: ClassVar[Prepared]

    @classmethod
    def prepare_files(cls) -> None:
        lessons = cls.lessons_table
        cls._count = prepare(update(lessons).where(lessons.c.lesson_id == bindparam("l"))
                             .values(files=func.nullif(func.coalesce(lessons.c.files, 0)
                                                       + bindparam("d"), 0)))

    @handles(HomeworkFile.Attached)
    def file_attached(self, batch: Batch, e: HomeworkFile.Attached, position: int) -> None:
        batch.insert(files, {"file_id": e.originator_id, "lesson_id": e.lesson_id,
                             "name": e.name, "size": e.size, "content_type": e.content_type,
                             "added_by": e.by, "added_at": as_utc(e.timestamp),
                             "position": position})
        batch.run(self._count, {"l": e.lesson_id, "d": 1})

    @handles(HomeworkFile.Retracted)
    def file_retracted(self, batch: Batch, e: HomeworkFile.Retracted, _: int) -> None:
        batch.run(_drop_file, {"f": e.originator_id})
        batch.run(self._count, {"l": e.lesson_id, "d": -1})


_BY_LESSONS = (select(cast(files.c.lesson_id, Text), cast(files.c.file_id, Text), files.c.name)
               .where(files.c.lesson_id.in_(bindparam("lessons", expanding=True)))
               .order_by(files.c.lesson_id, files.c.position))


def files_of_lessons(conn: Connection, lesson_ids: Iterable[UUID]
                     ) -> dict[str, list[tuple[str, str]]]:
    """Each of these lessons' served files as (id, name), oldest first, by the lesson's id as
    the read gives it (text)."""
    found: dict[str, list[tuple[str, str]]] = {}
    for lesson_id, file_id, name in conn.execute(
            _BY_LESSONS, {"lessons": list(lesson_ids)}).tuples():
        found.setdefault(lesson_id, []).append((file_id, name))
    return found


@dataclass(frozen=True)
class LessonFile:
    id: UUID
    name: str
    size: int
    content_type: str
    added_by: UUID
    added_by_name: str
    added_at: datetime


def lesson_files(conn: Connection, names: Table, lesson_id: UUID) -> list[LessonFile]:
    """The lesson's served files, oldest first, with who attached each."""
    by_name, alias, on = named(names, files.c.added_by, "added_by_name")
    rows: Any = conn.execute(
        select(files.c.file_id, files.c.name, files.c.size, files.c.content_type,
               files.c.added_by, by_name, files.c.added_at)
        .select_from(files).outerjoin(alias, on)
        .where(files.c.lesson_id == lesson_id).order_by(files.c.position)).tuples()
    return [LessonFile(UUID(str(f)), n, s, t, UUID(str(b)), bn, as_utc(at))
            for f, n, s, t, b, bn, at in rows]
