"""The structure the compliance scheduler walks: each school's time zone, academic years,
classes and journals (ids only - the scheduler loads the aggregates themselves)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from sqlalchemy import Column, Connection, Date, Table, Text, Uuid, select

from ejournal.domain.journal import ClassJournal
from ejournal.domain.school import AcademicYear, School
from ejournal.domain.school_class import SchoolClass
from ejournal.projections.base import ReadModel, handles, metadata
from ejournal.projections.batching import Batch

schools = Table(
    "structure_schools", metadata,
    Column("school_id", Uuid, primary_key=True),
    Column("timezone", Text, nullable=False),
)
years = Table(
    "structure_years", metadata,
    Column("year_id", Uuid, primary_key=True),
    Column("school_id", Uuid, nullable=False, index=True),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
)
classes = Table(
    "structure_classes", metadata,
    Column("class_id", Uuid, primary_key=True),
    Column("school_id", Uuid, nullable=False, index=True),
    Column("year_id", Uuid, nullable=False),
)
journals = Table(
    "structure_journals", metadata,
    Column("journal_id", Uuid, primary_key=True),
    Column("school_id", Uuid, nullable=False, index=True),
    Column("class_id", Uuid, nullable=False),
)


class SchoolStructure(ReadModel):
    name = "structure"
    tables = (schools, years, classes, journals)

    @handles(School.Registered)
    def school_registered(self, batch: Batch, e: School.Registered, _: int) -> None:
        batch.insert(schools, {"school_id": e.originator_id, "timezone": e.timezone})

    @handles(AcademicYear.Planned)
    def year_planned(self, batch: Batch, e: AcademicYear.Planned, _: int) -> None:
        batch.insert(years, {"year_id": e.originator_id, "school_id": e.school_id,
                             "starts_on": e.starts_on, "ends_on": e.ends_on})

    @handles(SchoolClass.Opened)
    def class_opened(self, batch: Batch, e: SchoolClass.Opened, _: int) -> None:
        batch.insert(classes, {"class_id": e.originator_id, "school_id": e.school_id,
                               "year_id": e.year_id})

    @handles(ClassJournal.Opened)
    def journal_opened(self, batch: Batch, e: ClassJournal.Opened, _: int) -> None:
        batch.insert(journals, {"journal_id": e.originator_id, "school_id": e.school_id,
                                "class_id": e.class_id})


@dataclass(frozen=True)
class Structure:
    school_id: UUID
    timezone: str
    years: dict[UUID, tuple[date, date]]
    classes: dict[UUID, UUID]  # class -> year
    journals: dict[UUID, UUID]  # journal -> class


def known_schools(conn: Connection) -> dict[UUID, str]:
    """Every school and its time zone."""
    return dict(conn.execute(select(schools.c.school_id, schools.c.timezone)).tuples().all())


def school_structure(conn: Connection, school_id: UUID) -> Structure | None:
    timezone = conn.scalar(select(schools.c.timezone).where(schools.c.school_id == school_id))
    if timezone is None:
        return None
    year_rows = conn.execute(select(years.c.year_id, years.c.starts_on, years.c.ends_on)
                             .where(years.c.school_id == school_id)).all()
    class_rows = conn.execute(select(classes.c.class_id, classes.c.year_id)
                              .where(classes.c.school_id == school_id)).tuples().all()
    journal_rows = conn.execute(select(journals.c.journal_id, journals.c.class_id)
                                .where(journals.c.school_id == school_id)).tuples().all()
    return Structure(school_id, timezone,
                     {r.year_id: (r.starts_on, r.ends_on) for r in year_rows},
                     dict(class_rows), dict(journal_rows))
