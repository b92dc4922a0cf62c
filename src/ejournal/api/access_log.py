"""The access log: one row each time staff read a student's data (diary, grid, summary, mark
history) - who, whose, what, when - kept beside the accounts, read by the student's guardians,
the admin and the auditor. It depends on nothing else of the API."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    func,
    insert,
    select,
)

from ejournal.application.locks import ddl_lock
from ejournal.projections.base import as_utc
from ejournal.projections.lookups import people

metadata = MetaData()

access_log = Table(
    "access_log", metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=True),
    Column("student_id", Uuid, nullable=False),
    Column("viewer_id", Uuid, nullable=False),
    Column("viewer_role", String(16), nullable=False),
    Column("what", String(32), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_access_log_student", "student_id", "id"),
)


@dataclass(frozen=True)
class Access:
    """One read of one student's data; ``id`` orders them (the paging key)."""

    id: int
    viewer_id: UUID
    viewer_role: str
    what: str
    at: datetime
    viewer_name: str = ""


class AccessLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def setup(self) -> None:
        with ddl_lock(self.engine) as conn:
            metadata.create_all(conn)
            conn.commit()

    def record(self, viewer_id: UUID, viewer_role: str, student_ids: Iterable[UUID],
               what: str, at: datetime) -> None:
        """One row per student whose data the answer holds (each once)."""
        whose = list(dict.fromkeys(student_ids))
        if not whose:
            return
        with self.engine.begin() as conn:
            conn.execute(insert(access_log), [
                {"student_id": s, "viewer_id": viewer_id, "viewer_role": viewer_role,
                 "what": what, "at": at} for s in whose])

    def of_student(self, student_id: UUID, *, after: int = 0, limit: int = 1000
                   ) -> list[Access]:
        """The student's rows in the order they were written, from after row ``after``, each
        with the viewer's name as the lookups read model holds it (one statement)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(access_log, func.coalesce(people.c.full_name, "").label("viewer_name"))
                .outerjoin(people, people.c.user_id == access_log.c.viewer_id)
                .where(access_log.c.student_id == student_id, access_log.c.id > after)
                .order_by(access_log.c.id).limit(limit)).all()
        return [Access(r.id, r.viewer_id, r.viewer_role, r.what, as_utc(r.at), r.viewer_name)
                for r in rows]
