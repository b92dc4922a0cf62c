"""What a client looks up to find its way: schools, people, subjects, classes (with their grade
and class teacher), journals (with their substitutes and work programme), years (with their
periods and каникулы), enrolments, guardian links and timetables - each with its name as the
log gives it. ``lookup_reads.py`` answers from these tables.

Every table is kept from the event that states its facts; a later event (a class teacher
appointed, a teacher assigned, an enrolment ended, a timetable replaced, a link ended) updates
the row it concerns, so a lookup reads the current state in one statement.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    Uuid,
    bindparam,
    delete,
    update,
)

from ejournal.domain.calendar import Period
from ejournal.domain.journal import ClassJournal
from ejournal.domain.people import User
from ejournal.domain.school import AcademicYear, School
from ejournal.domain.school_class import SchoolClass
from ejournal.projections.base import ReadModel, as_utc, handles, metadata
from ejournal.projections.batching import Batch, prepare
from ejournal.projections.shared_rows import KeepsEnrolments

schools = Table(
    "lookups_schools", metadata,
    Column("school_id", Uuid, primary_key=True),
    Column("name", Text, nullable=False),
    Column("timezone", Text, nullable=False),
)
people = Table(
    "lookups_people", metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("school_id", Uuid, nullable=True),  # None: an operator
    Column("username", Text, nullable=False),
    Column("full_name", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Index("ix_lookups_people_school", "school_id", "role"),
)
subjects = Table(
    "lookups_subjects", metadata,
    Column("subject_id", Uuid, primary_key=True),
    Column("school_id", Uuid, nullable=False, index=True),
    Column("name", Text, nullable=False),
)
classes = Table(
    "lookups_classes", metadata,
    Column("class_id", Uuid, primary_key=True),
    Column("school_id", Uuid, nullable=False, index=True),
    Column("year_id", Uuid, nullable=False),
    Column("name", Text, nullable=False),
    Column("grade", Integer, nullable=True),
    Column("class_teacher_id", Uuid, nullable=True, index=True),
)
journals = Table(
    "lookups_journals", metadata,
    Column("journal_id", Uuid, primary_key=True),
    Column("school_id", Uuid, nullable=False),
    Column("class_id", Uuid, nullable=False, index=True),
    Column("subject_id", Uuid, nullable=False),
    Column("year_id", Uuid, nullable=False),
    Column("teacher_id", Uuid, nullable=False, index=True),
)
substitutions = Table(
    "lookups_substitutions", metadata,
    Column("journal_id", Uuid, primary_key=True),
    Column("position", BigInteger, primary_key=True),  # the appointment's log position
    Column("teacher_id", Uuid, nullable=False, index=True),
    Column("from_date", Date, nullable=False),
    Column("to_date", Date, nullable=False),
)
programme = Table(
    "lookups_programme", metadata,
    Column("journal_id", Uuid, primary_key=True),
    Column("ordinal", Integer, primary_key=True),  # the topic's place in the programme
    Column("title", Text, nullable=False),
    Column("hours", Integer, nullable=False),
)
years = Table(
    "lookups_years", metadata,
    Column("year_id", Uuid, primary_key=True),
    Column("school_id", Uuid, nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("days_per_week", Integer, nullable=False),
)
periods = Table(
    "lookups_periods", metadata,
    Column("period_id", Uuid, primary_key=True),
    Column("year_id", Uuid, nullable=False, index=True),
    Column("ordinal", Integer, nullable=False),  # as the year lists them
    Column("name", Text, nullable=False),
    Column("kind", String(8), nullable=False),  # term | year
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
)
holidays = Table(
    "lookups_holidays", metadata,
    Column("year_id", Uuid, primary_key=True),
    Column("ordinal", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
)
enrolments = Table(
    "lookups_enrolments", metadata,
    Column("class_id", Uuid, primary_key=True),
    Column("student_id", Uuid, primary_key=True),
    Column("from_date", Date, primary_key=True),
    Column("last_day", Date, nullable=True),  # inclusive; None while enrolled
    Index("ix_lookups_enrolments_student", "student_id"),
)
guardians = Table(
    "lookups_guardians", metadata,  # links in force
    Column("student_id", Uuid, primary_key=True),
    Column("guardian_id", Uuid, primary_key=True),
    Column("linked_at", DateTime(timezone=True), nullable=False),  # UTC
    Column("linked_by", Uuid, nullable=False),
    Index("ix_lookups_guardians_guardian", "guardian_id"),
)
timetables = Table(
    "lookups_timetables", metadata,  # each timetable and the day it holds from
    Column("class_id", Uuid, primary_key=True),
    Column("valid_from", Date, primary_key=True),
)
timetable_lessons = Table(
    "lookups_timetable_lessons", metadata,
    Column("class_id", Uuid, primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("weekday", Integer, primary_key=True),
    Column("slot", Integer, primary_key=True),
    Column("journal_id", Uuid, nullable=False),
)


def period_kind(period: Period) -> str:
    """``term`` or ``year``: a period recorded before periods had a kind is a term."""
    kind: Any = getattr(period, "kind", None)
    return str(getattr(kind, "value", kind) or "term")


_class_teacher = prepare(update(classes).where(classes.c.class_id == bindparam("c"))
                         .values(class_teacher_id=bindparam("t")))
_journal_teacher = prepare(update(journals).where(journals.c.journal_id == bindparam("j"))
                           .values(teacher_id=bindparam("t")))
_unlink = prepare(delete(guardians).where(guardians.c.student_id == bindparam("s"),
                                          guardians.c.guardian_id == bindparam("g")))
_drop_programme = prepare(delete(programme).where(programme.c.journal_id == bindparam("j")))
_drop_timetables = prepare(delete(timetables).where(
    timetables.c.class_id == bindparam("c"), timetables.c.valid_from >= bindparam("d")))
_drop_timetable_lessons = prepare(delete(timetable_lessons).where(
    timetable_lessons.c.class_id == bindparam("c"),
    timetable_lessons.c.valid_from >= bindparam("d")))


class Lookups(KeepsEnrolments, ReadModel):
    name = "lookups"
    enrolments_table = enrolments
    tables = (schools, people, subjects, classes, journals, substitutions, programme, years,
              periods, holidays, enrolments, guardians, timetables, timetable_lessons)

    @handles(School.Registered)
    def school_registered(self, batch: Batch, e: School.Registered, _: int) -> None:
        batch.insert(schools, {"school_id": e.originator_id, "name": e.name,
                               "timezone": e.timezone})

    @handles(User.Registered)
    def user_registered(self, batch: Batch, e: User.Registered, _: int) -> None:
        batch.insert(people, {"user_id": e.originator_id, "school_id": e.school_id,
                              "username": e.username, "full_name": e.full_name,
                              "role": e.role.value})

    @handles(User.GuardianLinked)
    def guardian_linked(self, batch: Batch, e: User.GuardianLinked, _: int) -> None:
        batch.insert(guardians, {"student_id": e.originator_id, "guardian_id": e.guardian_id,
                                 "linked_at": as_utc(e.timestamp), "linked_by": e.by})

    @handles(User.GuardianUnlinked)
    def guardian_unlinked(self, batch: Batch, e: User.GuardianUnlinked, _: int) -> None:
        batch.run(_unlink, {"s": e.originator_id, "g": e.guardian_id})

    @handles(School.SubjectAdded)
    def subject_added(self, batch: Batch, e: School.SubjectAdded, _: int) -> None:
        batch.insert(subjects, {"subject_id": e.subject_id, "school_id": e.originator_id,
                                "name": e.name})

    @handles(AcademicYear.Planned)
    def year_planned(self, batch: Batch, e: AcademicYear.Planned, _: int) -> None:
        batch.insert(years, {"year_id": e.originator_id, "school_id": e.school_id,
                             "name": e.name, "starts_on": e.starts_on, "ends_on": e.ends_on,
                             "days_per_week": e.days_per_week})
        batch.insert_many(periods, (
            {"period_id": p.id, "year_id": e.originator_id, "ordinal": n, "name": p.name,
             "kind": period_kind(p), "starts_on": p.starts_on, "ends_on": p.ends_on}
            for n, p in enumerate(e.periods)))
        batch.insert_many(holidays, (
            {"year_id": e.originator_id, "ordinal": n, "name": h.name,
             "starts_on": h.starts_on, "ends_on": h.ends_on}
            for n, h in enumerate(e.holidays)))

    @handles(SchoolClass.Opened)
    def class_opened(self, batch: Batch, e: SchoolClass.Opened, _: int) -> None:
        batch.insert(classes, {"class_id": e.originator_id, "school_id": e.school_id,
                               "year_id": e.year_id, "name": e.name, "grade": e.grade,
                               "class_teacher_id": e.class_teacher_id})

    @handles(SchoolClass.ClassTeacherAppointed)
    def class_teacher_appointed(self, batch: Batch, e: SchoolClass.ClassTeacherAppointed,
                                _: int) -> None:
        batch.run(_class_teacher, {"c": e.originator_id, "t": e.teacher_id})


    @handles(SchoolClass.TimetableSet)
    def timetable_set(self, batch: Batch, e: SchoolClass.TimetableSet, _: int) -> None:
        """It replaces the class's timetables from its first day on."""
        params = {"c": e.originator_id, "d": e.valid_from}
        batch.run(_drop_timetables, params)
        batch.run(_drop_timetable_lessons, params)
        batch.insert(timetables, {"class_id": e.originator_id, "valid_from": e.valid_from})
        batch.insert_many(timetable_lessons, (
            {"class_id": e.originator_id, "valid_from": e.valid_from, "weekday": x.weekday,
             "slot": x.slot, "journal_id": x.journal_id} for x in e.lessons))

    @handles(ClassJournal.Opened)
    def journal_opened(self, batch: Batch, e: ClassJournal.Opened, _: int) -> None:
        batch.insert(journals, {"journal_id": e.originator_id, "school_id": e.school_id,
                                "class_id": e.class_id, "subject_id": e.subject_id,
                                "year_id": e.year_id, "teacher_id": e.teacher_id})

    @handles(ClassJournal.TeacherAssigned)
    def teacher_assigned(self, batch: Batch, e: ClassJournal.TeacherAssigned, _: int) -> None:
        batch.run(_journal_teacher, {"j": e.originator_id, "t": e.teacher_id})

    @handles(ClassJournal.SubstituteAppointed)
    def substitute_appointed(self, batch: Batch, e: ClassJournal.SubstituteAppointed,
                             position: int) -> None:
        batch.insert(substitutions, {"journal_id": e.originator_id, "position": position,
                                     "teacher_id": e.teacher_id, "from_date": e.from_date,
                                     "to_date": e.to_date})

    @handles(ClassJournal.ProgrammeSet)
    def programme_set(self, batch: Batch, e: ClassJournal.ProgrammeSet, _: int) -> None:
        batch.run(_drop_programme, {"j": e.originator_id})
        batch.insert_many(programme, (
            {"journal_id": e.originator_id, "ordinal": n, "title": t.title, "hours": t.hours}
            for n, t in enumerate(e.topics)))


Lookups.prepare_enrolments()
