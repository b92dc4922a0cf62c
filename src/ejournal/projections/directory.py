"""Who is related to whom: guardians and their children, classes and their class teachers,
the classes a student was ever enrolled in and the journals of each class.

Answers ``GET /me`` (``children``, ``class_teacher_of``) and which journals' teachers may read
a student's data. A reader that must see relations as soon as they are acknowledged waits for
the projector to reach the head of the log first (``Projector.wait_for``).
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import Column, Connection, Table, Uuid, delete, select

from ejournal.domain.journal import ClassJournal
from ejournal.domain.people import User
from ejournal.domain.school_class import SchoolClass
from ejournal.projections.base import ReadModel, handles, metadata
from ejournal.projections.batching import Batch

guardians = Table(
    "directory_guardians", metadata,
    Column("guardian_id", Uuid, primary_key=True),
    Column("student_id", Uuid, primary_key=True),
)
class_teachers = Table(
    "directory_class_teachers", metadata,
    Column("class_id", Uuid, primary_key=True),
    Column("teacher_id", Uuid, nullable=False, index=True),
)
students = Table(
    "directory_students", metadata,  # every class the student was ever enrolled in
    Column("student_id", Uuid, primary_key=True),
    Column("class_id", Uuid, primary_key=True),
)
class_journals = Table(
    "directory_class_journals", metadata,
    Column("class_id", Uuid, primary_key=True),
    Column("journal_id", Uuid, primary_key=True),
)


class Directory(ReadModel):
    name = "directory"
    tables = (guardians, class_teachers, students, class_journals)

    @handles(User.GuardianLinked)
    def guardian_linked(self, batch: Batch, e: User.GuardianLinked, _: int) -> None:
        batch.insert(guardians, {"guardian_id": e.guardian_id, "student_id": e.originator_id})

    @handles(SchoolClass.StudentEnrolled)
    def student_enrolled(self, batch: Batch, e: SchoolClass.StudentEnrolled, _: int) -> None:
        batch.execute(delete(students).where(students.c.student_id == e.student_id,
                                             students.c.class_id == e.originator_id))
        batch.insert(students, {"student_id": e.student_id, "class_id": e.originator_id})

    @handles(ClassJournal.Opened)
    def journal_opened(self, batch: Batch, e: ClassJournal.Opened, _: int) -> None:
        batch.insert(class_journals, {"class_id": e.class_id, "journal_id": e.originator_id})

    @handles(SchoolClass.Opened)
    def class_opened(self, batch: Batch, e: SchoolClass.Opened, _: int) -> None:
        if e.class_teacher_id is not None:
            batch.insert(class_teachers, {"class_id": e.originator_id,
                                          "teacher_id": e.class_teacher_id})

    @handles(SchoolClass.ClassTeacherAppointed)
    def class_teacher_appointed(self, batch: Batch, e: SchoolClass.ClassTeacherAppointed,
                                _: int) -> None:
        batch.execute(delete(class_teachers).where(class_teachers.c.class_id == e.originator_id))
        batch.insert(class_teachers, {"class_id": e.originator_id, "teacher_id": e.teacher_id})


def children_of(conn: Connection, guardian_id: UUID) -> list[UUID]:
    return sorted(conn.scalars(select(guardians.c.student_id)
                               .where(guardians.c.guardian_id == guardian_id)))


def classes_taught_by(conn: Connection, teacher_id: UUID) -> list[UUID]:
    return sorted(conn.scalars(select(class_teachers.c.class_id)
                               .where(class_teachers.c.teacher_id == teacher_id)))


def classes_and_journals_of(conn: Connection, student_id: UUID) -> tuple[set[UUID], set[UUID]]:
    """Every class the student was ever enrolled in, and the journals of those classes."""
    classes = set(conn.scalars(select(students.c.class_id)
                               .where(students.c.student_id == student_id)))
    journals = set(conn.scalars(select(class_journals.c.journal_id)
                                .where(class_journals.c.class_id.in_(classes)))) if classes \
        else set()
    return classes, journals
