"""The diary's versions: for each thing a diary answer is made of, the log position of the
last event that changed it, kept by the diary in the same transaction as its own rows - so a
diary answer kept in memory (``api/diary_cache.py``) is known to be still the answer when
the versions it was read at have not moved, in any process and on a replica alike.

Keys: a student's id (their marks, absences, enrolments and period marks), a class's id (its
lessons, their topics and homework, their files), ``CATALOG`` (the names of staff, subjects
and classes, the journals' teachers and subjects, the periods: rare changes that any diary
may show; a student or a guardian registered changes no diary) and ``EPOCH``: a random
number drawn whenever the table is made, so that versions read before a rebuild never match
those after it (a rebuild replays the same positions).

Within an epoch a key's version only grows, and a key with no row has had no event: the
state behind a set of versions is a function of them. A diary answer depends on its
student's key, the keys of the classes the student was ever enrolled in (found through the
diary's enrolments, which the student's key covers), ``CATALOG`` and ``EPOCH`` - one indexed
statement reads them all (``diary.read_versions``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from sqlalchemy import BigInteger, Column, Connection, Table, Uuid, event, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ejournal.domain.homework_file import HomeworkFile
from ejournal.domain.journal import ClassJournal
from ejournal.domain.lesson import Lesson
from ejournal.domain.people import User
from ejournal.domain.period_mark import PeriodMark
from ejournal.domain.school import AcademicYear, School
from ejournal.domain.school_class import SchoolClass
from ejournal.domain.values import Role
from ejournal.projections.base import metadata
from ejournal.projections.batching import Batch

EPOCH = UUID(int=1)
CATALOG = UUID(int=2)

versions = Table(
    "diary_versions", metadata,
    Column("key", Uuid, primary_key=True),
    Column("position", BigInteger, nullable=False),
)


@event.listens_for(versions, "after_create")
def _new_epoch(_: Table, connection: Connection, **__: Any) -> None:
    connection.execute(insert(versions).values(key=EPOCH, position=secrets.randbits(62)))


def _catalog(_: Any) -> tuple[UUID, ...]:
    return (CATALOG,)


#: No diary shows these people's names (it names subjects and the journals' teachers).
_NEVER_NAMED = frozenset({Role.STUDENT, Role.GUARDIAN})


def _person(e: User.Registered) -> tuple[UUID, ...]:
    return () if Role(e.role) in _NEVER_NAMED else (CATALOG,)


#: Each event the diary handles: the keys it changes. (A retracted file names its lesson,
#: whose class is looked up: ``LESSON_KEYED``.)
KEYS: dict[type, Callable[[Any], Iterable[UUID]]] = {
    Lesson.Held: lambda e: (e.class_id,),
    Lesson.AttendanceTaken: lambda e: [a.student_id for a in e.absent],
    Lesson.AbsenceCancelled: lambda e: (e.student_id,),
    Lesson.MarkGiven: lambda e: (e.student_id,),
    Lesson.MarkCorrected: lambda e: (e.student_id,),
    Lesson.MarkCancelled: lambda e: (e.student_id,),
    HomeworkFile.Attached: lambda e: (e.class_id,),
    SchoolClass.StudentEnrolled: lambda e: (e.student_id,),
    SchoolClass.EnrolmentEnded: lambda e: (e.student_id,),
    PeriodMark.Given: lambda e: (e.student_id,),
    PeriodMark.Corrected: lambda e: (e.student_id,),
    User.Registered: _person,
    School.SubjectAdded: _catalog,
    SchoolClass.Opened: _catalog,
    ClassJournal.Opened: _catalog,
    ClassJournal.TeacherAssigned: _catalog,
    AcademicYear.Planned: _catalog,
}
LESSON_KEYED: frozenset[type] = frozenset({HomeworkFile.Retracted})
_TOUCHED = "diary_versions.touched"
_LESSONS = "diary_versions.lessons"
_UPSERTS = {}
for _dialect, _insert in (("sqlite", sqlite_insert), ("postgresql", pg_insert)):
    _statement = _insert(versions)
    _UPSERTS[_dialect] = _statement.on_conflict_do_update(
        index_elements=[versions.c.key], set_={"position": _statement.excluded.position})


class KeepsVersions:
    """Mixed into the diary (before ``ReadModel``): notes the keys each event changes and
    writes their versions once per batch (``finish``), in the batch's transaction."""

    lessons_table: ClassVar[Table]

    def apply(self, batch: Batch, domain_event: DomainEventProtocol[Any], position: int
              ) -> None:
        super().apply(batch, domain_event, position)  # type: ignore[misc]
        kind = type(domain_event)
        keys = KEYS.get(kind)
        if keys is not None:
            touched = batch.remembered.setdefault(_TOUCHED, {})
            for key in keys(domain_event):
                touched[key] = position
        elif kind in LESSON_KEYED:
            lesson_id = domain_event.lesson_id  # type: ignore[attr-defined]
            batch.remembered.setdefault(_LESSONS, {})[lesson_id] = position

    def finish(self, batch: Batch) -> None:
        touched: dict[UUID, int] = batch.remembered.pop(_TOUCHED, {})
        by_lesson: dict[UUID, int] = batch.remembered.pop(_LESSONS, {})
        if by_lesson:
            lessons = self.lessons_table
            for lesson_id, class_id in batch.execute(
                    select(lessons.c.lesson_id, lessons.c.class_id)
                    .where(lessons.c.lesson_id.in_(list(by_lesson)))).tuples():
                touched[class_id] = max(touched.get(class_id, 0), by_lesson[lesson_id])
        if touched:
            batch.execute(_UPSERTS[batch.conn.dialect.name],
                          [{"key": k, "position": p} for k, p in sorted(touched.items())])
