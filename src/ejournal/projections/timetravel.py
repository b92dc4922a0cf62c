"""Read models "as of" a past moment, computed from the event log (what a parent saw that day).

The same read model's handlers are run over the events that were recorded up to the moment,
into a private in-memory SQLite database, and the same query answers from it. Only the
aggregates the question touches are read (a journal, its class and lessons; or a student's
school, classes and their lessons), so the cost depends on that journal or student, not on
the size of the school.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from sqlalchemy import Connection, Engine, create_engine, select
from sqlalchemy.pool import StaticPool

from ejournal.application import EJournal
from ejournal.domain.journal import ClassJournal
from ejournal.domain.school_class import SchoolClass
from ejournal.projections.base import ReadModel, metadata
from ejournal.projections.batching import Batch
from ejournal.projections.diary import (
    Diary,
    DiaryDay,
    PeriodMarkRow,
    Span,
    read_diary,
    read_period_marks,
)
from ejournal.projections.diary import enrolments as diary_enrolments
from ejournal.projections.diary import journals as diary_journals
from ejournal.projections.diary import lessons as diary_lessons
from ejournal.projections.diary import period_marks as diary_period_marks
from ejournal.projections.grid import Grid, GridView, journal_lesson_ids, read_grid


def events_as_of(app: EJournal, originator_ids: Iterable[UUID],
                 as_of: datetime) -> list[tuple[int, DomainEventProtocol[UUID]]]:
    """The events of these aggregates recorded at or before ``as_of``, in log order."""
    found: list[tuple[int, DomainEventProtocol[UUID]]] = []
    for position, stored in app.store.in_log_order(originator_ids):
        domain_event = app.mapper.to_domain_event(stored)
        if getattr(domain_event, "timestamp") <= as_of:  # noqa: B009
            found.append((position, domain_event))
    return found


def replay_in_memory(model: ReadModel,
                     events: list[tuple[int, DomainEventProtocol[UUID]]]) -> Engine:
    memory = create_engine("sqlite://", poolclass=StaticPool,
                           connect_args={"check_same_thread": False})
    metadata.create_all(memory, tables=list(model.tables))
    with memory.begin() as conn:
        batch = Batch(conn)
        for position, domain_event in events:
            model.apply(batch, domain_event, position)
        model.finish(batch)
        batch.flush()
    return memory


def _school_of(app: EJournal, user_id: UUID) -> UUID | None:
    user: object = app.repository.get(user_id)
    school: UUID | None = getattr(user, "school_id", None)
    return school


def _diary_replayed(app: EJournal, engine: Engine, student_id: UUID, first: date, last: date,
                    as_of: datetime) -> Engine:
    """The diary model replayed up to ``as_of`` from the events of the student's school,
    classes, the classes' lessons and journals, the journals' teachers (for their names), the
    classes' years (for their periods) and the student's period marks."""
    with engine.connect() as conn:
        classes = set(conn.scalars(select(diary_enrolments.c.class_id).where(
            diary_enrolments.c.student_id == student_id)))
        lesson_ids = _lessons(conn, classes, first, last)
        journal_ids = set(conn.scalars(select(diary_journals.c.journal_id).where(
            diary_journals.c.class_id.in_(classes)))) if classes else set()
        finals = set(conn.scalars(select(diary_period_marks.c.period_mark_id).where(
            diary_period_marks.c.student_id == student_id)))
    school = _school_of(app, student_id)
    structure = classes | journal_ids | ({school} if school else set())
    named: set[UUID] = set()
    for _, domain_event in events_as_of(app, structure, as_of):
        if isinstance(domain_event, SchoolClass.Opened):
            named.add(domain_event.year_id)
        elif isinstance(domain_event, ClassJournal.Opened | ClassJournal.TeacherAssigned):
            named.add(domain_event.teacher_id)
    return replay_in_memory(Diary(), events_as_of(
        app, structure | lesson_ids | named | finals, as_of))


def diary_as_of(app: EJournal, engine: Engine, student_id: UUID, first: date, last: date,
                as_of: datetime, spans: Sequence[Span] | None = None) -> list[DiaryDay]:
    """The student's diary as it stood at ``as_of``."""
    return diary_with_period_marks_as_of(app, engine, student_id, first, last, as_of,
                                         spans)[0]


def diary_with_period_marks_as_of(
        app: EJournal, engine: Engine, student_id: UUID, first: date, last: date,
        as_of: datetime, spans: Sequence[Span] | None = None
) -> tuple[list[DiaryDay], list[PeriodMarkRow]]:
    """The student's diary and period marks of the periods overlapping the days, as they
    stood at ``as_of``."""
    memory = _diary_replayed(app, engine, student_id, first, last, as_of)
    with memory.connect() as conn:
        return (read_diary(conn, student_id, first, last, spans),
                read_period_marks(conn, student_id, first=first, last=last, spans=spans))


def _lessons(conn: Connection, class_ids: set[UUID], first: date, last: date) -> set[UUID]:
    if not class_ids:
        return set()
    return set(conn.scalars(select(diary_lessons.c.lesson_id).where(
        diary_lessons.c.class_id.in_(class_ids), diary_lessons.c.lesson_date >= first,
        diary_lessons.c.lesson_date <= last)))


def grid_as_of(app: EJournal, engine: Engine, journal_id: UUID, first: date, last: date,
               as_of: datetime) -> GridView:
    """A journal's grid as it stood at ``as_of``: its lessons, the class's enrolments and the
    students' names, replayed from the log up to that moment."""
    with engine.connect() as conn:
        lesson_ids = set(journal_lesson_ids(conn, journal_id))
    journal: object = app.repository.get(journal_id)
    class_id: UUID = getattr(journal, "class_id")  # noqa: B009
    school_class: object = app.repository.get(class_id)
    students = set(getattr(school_class, "enrolments", {}))
    ids = {journal_id, class_id, *lesson_ids, *students}
    memory = replay_in_memory(Grid(), events_as_of(app, ids, as_of))
    with memory.connect() as conn:
        return read_grid(conn, journal_id, first, last)
