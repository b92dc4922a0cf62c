"""Names beside ids: what a read model keeps to answer with the names of the people, classes,
subjects, journals and periods its rows name by id.

Each model keeps its own copy (made here under its own prefix), as the log gives the names, so
it can still be rebuilt alone; a reader joins them in the same statement as the rows, so a
page of a thousand items costs one statement. An id whose name is not (yet) kept reads as an
empty name, never a missing row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import (
    Column,
    ColumnElement,
    Date,
    FromClause,
    String,
    Table,
    Text,
    Uuid,
    bindparam,
    func,
    update,
)

from ejournal.domain.journal import ClassJournal
from ejournal.domain.people import User
from ejournal.domain.school import AcademicYear, School
from ejournal.domain.school_class import SchoolClass
from ejournal.projections.base import handles, metadata
from ejournal.projections.batching import Batch, Prepared, prepare
from ejournal.projections.lookups import period_kind


def name_tables(prefix: str) -> tuple[Table, Table]:
    """``{prefix}_names`` (a person's full name, a class's or a subject's name, by id: ids
    never repeat across them) and ``{prefix}_journals`` (each journal's class, subject and
    teacher now)."""
    names = Table(
        f"{prefix}_names", metadata,
        Column("id", Uuid, primary_key=True),
        Column("name", Text, nullable=False),
    )
    journals = Table(
        f"{prefix}_journals", metadata,
        Column("journal_id", Uuid, primary_key=True),
        Column("class_id", Uuid, nullable=False),
        Column("subject_id", Uuid, nullable=False),
        Column("teacher_id", Uuid, nullable=False),
    )
    return names, journals


def period_table(prefix: str) -> Table:
    """``{prefix}_periods``: each reporting period's year, name, kind and days."""
    return Table(
        f"{prefix}_periods", metadata,
        Column("period_id", Uuid, primary_key=True),
        Column("year_id", Uuid, nullable=False),
        Column("name", Text, nullable=False),
        Column("kind", String(8), nullable=False),
        Column("starts_on", Date, nullable=False),
        Column("ends_on", Date, nullable=False),
    )


class KeepsNames:
    """Handlers that keep ``names_table`` and ``journals_table`` (mix into a ReadModel; call
    :meth:`prepare_names` once after setting the two tables)."""

    names_table: ClassVar[Table]
    journals_table: ClassVar[Table]
    _assign_teacher: ClassVar[Prepared]

    @classmethod
    def prepare_names(cls) -> None:
        journals = cls.journals_table
        cls._assign_teacher = prepare(update(journals).where(
            journals.c.journal_id == bindparam("j")).values(teacher_id=bindparam("t")))

    @handles(User.Registered)
    def person_named(self, batch: Batch, e: User.Registered, _: int) -> None:
        batch.insert(self.names_table, {"id": e.originator_id, "name": e.full_name})

    @handles(School.SubjectAdded)
    def subject_named(self, batch: Batch, e: School.SubjectAdded, _: int) -> None:
        batch.insert(self.names_table, {"id": e.subject_id, "name": e.name})

    @handles(SchoolClass.Opened)
    def class_named(self, batch: Batch, e: SchoolClass.Opened, _: int) -> None:
        batch.insert(self.names_table, {"id": e.originator_id, "name": e.name})

    @handles(ClassJournal.Opened)
    def journal_named(self, batch: Batch, e: ClassJournal.Opened, _: int) -> None:
        batch.insert(self.journals_table, {"journal_id": e.originator_id,
                                           "class_id": e.class_id, "subject_id": e.subject_id,
                                           "teacher_id": e.teacher_id})

    @handles(ClassJournal.TeacherAssigned)
    def journal_teacher_named(self, batch: Batch, e: ClassJournal.TeacherAssigned,
                              _: int) -> None:
        batch.run(self._assign_teacher, {"j": e.originator_id, "t": e.teacher_id})


class KeepsPeriods:
    """A handler that keeps ``periods_table`` (mix into a ReadModel)."""

    periods_table: ClassVar[Table]

    @handles(AcademicYear.Planned)
    def periods_planned(self, batch: Batch, e: AcademicYear.Planned, _: int) -> None:
        batch.insert_many(self.periods_table, (
            {"period_id": p.id, "year_id": e.originator_id, "name": p.name,
             "kind": period_kind(p), "starts_on": p.starts_on, "ends_on": p.ends_on}
            for p in e.periods))


def named(names: Table, column: ColumnElement[Any], label: str, alias_name: str | None = None
          ) -> tuple[ColumnElement[Any], FromClause, ColumnElement[bool]]:
    """The name of the id in ``column`` (labelled ``label``, "" when unknown): the name
    column, the names table aliased (as ``alias_name``, else ``label``) to outer-join, and
    the join's condition."""
    alias = names.alias(alias_name or label)
    return func.coalesce(alias.c.name, "").label(label), alias, alias.c.id == column


@dataclass(frozen=True)
class JournalNames:
    """The class, subject and teacher names of the journal in a column, as columns to select
    and the outer joins that bring them."""

    class_name: ColumnElement[Any]
    subject_name: ColumnElement[Any]
    teacher_name: ColumnElement[Any]
    class_id: ColumnElement[Any]
    teacher_id: ColumnElement[Any]
    joins: tuple[tuple[FromClause, ColumnElement[bool]], ...]

    @classmethod
    def of(cls, names: Table, journals: Table, journal_column: ColumnElement[Any],
           prefix: str = "") -> JournalNames:
        journal = journals.alias(f"{prefix}journal")
        class_name, classes, on_class = named(names, journal.c.class_id, f"{prefix}class_name",
                                              f"{prefix}journal_class")
        subject_name, subjects, on_subject = named(names, journal.c.subject_id,
                                                   f"{prefix}subject_name",
                                                   f"{prefix}journal_subject")
        teacher_name, teachers, on_teacher = named(names, journal.c.teacher_id,
                                                   f"{prefix}teacher_name",
                                                   f"{prefix}journal_teacher")
        return cls(class_name, subject_name, teacher_name, journal.c.class_id,
                   journal.c.teacher_id, (
            (journal, journal.c.journal_id == journal_column), (classes, on_class),
            (subjects, on_subject), (teachers, on_teacher)))

    def join(self, base: FromClause) -> FromClause:
        joined = base
        for table, condition in self.joins:
            joined = joined.outerjoin(table, condition)
        return joined
