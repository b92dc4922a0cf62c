"""Who is related to whom: guardians and their children, classes and their class teachers.

Answers ``GET /me`` (``children``, ``class_teacher_of``). A reader that must see relations as
soon as they are acknowledged waits for the projector to reach the head of the log first
(``Projector.wait_for``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Column, Connection, Table, Uuid, delete, select

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


class Directory(ReadModel):
    name = "directory"
    tables = (guardians, class_teachers)

    @handles(User.GuardianLinked)
    def guardian_linked(self, batch: Batch, e: Any, _: int) -> None:
        batch.insert(guardians, {"guardian_id": e.guardian_id, "student_id": e.originator_id})

    @handles(SchoolClass.Opened)
    def class_opened(self, batch: Batch, e: Any, _: int) -> None:
        if e.class_teacher_id is not None:
            batch.insert(class_teachers, {"class_id": e.originator_id,
                                          "teacher_id": e.class_teacher_id})

    @handles(SchoolClass.ClassTeacherAppointed)
    def class_teacher_appointed(self, batch: Batch, e: Any, _: int) -> None:
        batch.execute(delete(class_teachers).where(class_teachers.c.class_id == e.originator_id))
        batch.insert(class_teachers, {"class_id": e.originator_id, "teacher_id": e.teacher_id})


def children_of(conn: Connection, guardian_id: UUID) -> list[UUID]:
    return sorted(conn.scalars(select(guardians.c.student_id)
                               .where(guardians.c.guardian_id == guardian_id)))


def classes_taught_by(conn: Connection, teacher_id: UUID) -> list[UUID]:
    return sorted(conn.scalars(select(class_teachers.c.class_id)
                               .where(class_teachers.c.teacher_id == teacher_id)))
