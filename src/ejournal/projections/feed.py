"""The feed of guardians and students (R-3.4e, R-5.2d, R-5.3a): new marks, corrections,
cancelled marks, absences and cancelled absences, newest first, with a read cursor.

An item is written, from its event alone, to the student and to each guardian linked to them
*at that point of the log*; its id is the event's log position (one event may make several
items for one recipient, and a page never splits them). ``feed_read`` is the recipient's own
cursor, written by the reader, never by the projector.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    DateTime,
    String,
    Table,
    Text,
    Uuid,
    bindparam,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from ejournal.domain.lesson import Lesson
from ejournal.domain.people import User
from ejournal.domain.school import School
from ejournal.projections.base import ReadModel, as_utc, handles, metadata
from ejournal.projections.batching import Batch

subjects = Table(
    "feed_subjects", metadata,
    Column("subject_id", Uuid, primary_key=True),
    Column("name", Text, nullable=False),
)
guardians = Table(
    "feed_guardians", metadata,
    Column("student_id", Uuid, primary_key=True),
    Column("guardian_id", Uuid, primary_key=True),
)
items = Table(
    "feed_items", metadata,
    Column("recipient_id", Uuid, primary_key=True),
    Column("position", BigInteger, primary_key=True),  # the event's log position: the item id
    Column("student_id", Uuid, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("journal_id", Uuid, nullable=False),
    Column("lesson_date", Date, nullable=False),
    Column("subject_id", Uuid, nullable=False),
    Column("mark_id", Uuid, nullable=True),
    Column("value", String(1), nullable=True),
    Column("work", String(16), nullable=True),
    Column("reason", Text, nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),  # UTC
)
read_cursors = Table(
    "feed_read", metadata,
    Column("recipient_id", Uuid, primary_key=True),
    Column("position", BigInteger, nullable=False),  # the last position read
)



#: Lesson events the feed tells of: each names its student, subject, journal and lesson date.
FeedEvent = (Lesson.MarkGiven | Lesson.MarkCorrected | Lesson.MarkCancelled
             | Lesson.AttendanceTaken | Lesson.AbsenceCancelled)


_GUARDIANS = select(guardians.c.guardian_id).where(guardians.c.student_id == bindparam("s"))


class Feed(ReadModel):
    """Writes each item to the student and to their guardians linked so far."""

    name = "feed"
    tables = (subjects, guardians, items)
    kept_tables = (read_cursors,)

    def _recipients(self, batch: Batch, student_id: UUID) -> list[UUID]:
        """The student and their guardians linked so far (remembered for the batch: a class's
        students recur in every lesson)."""
        found: list[UUID] | None = batch.remembered.get(student_id)
        if found is None:
            found = batch.remembered[student_id] = [
                student_id, *batch.scalars(_GUARDIANS, {"s": student_id})]
        return found

    def _publish(self, batch: Batch, position: int, e: FeedEvent, student_id: UUID,
                 kind: str, **fields: Any) -> None:
        recipients = self._recipients(batch, student_id)
        row = {"position": position, "student_id": student_id, "kind": kind,
               "journal_id": e.journal_id, "lesson_date": e.lesson_date,
               "subject_id": e.subject_id, "recorded_at": as_utc(e.timestamp),
               "mark_id": None, "value": None, "work": None, "reason": None, **fields}
        for recipient in recipients:
            batch.insert(items, {"recipient_id": recipient, **row})

    @handles(School.SubjectAdded)
    def subject_added(self, batch: Batch, e: School.SubjectAdded, _: int) -> None:
        batch.insert(subjects, {"subject_id": e.subject_id, "name": e.name})

    @handles(User.GuardianLinked)
    def guardian_linked(self, batch: Batch, e: User.GuardianLinked, _: int) -> None:
        batch.insert(guardians, {"student_id": e.originator_id, "guardian_id": e.guardian_id})
        batch.remembered.pop(e.originator_id, None)

    @handles(Lesson.MarkGiven)
    def mark_given(self, batch: Batch, e: Lesson.MarkGiven, position: int) -> None:
        self._publish(batch, position, e, e.student_id, "mark_given", mark_id=e.mark_id,
                      value=e.value, work=e.work.value)

    @handles(Lesson.MarkCorrected)
    def mark_corrected(self, batch: Batch, e: Lesson.MarkCorrected, position: int) -> None:
        self._publish(batch, position, e, e.student_id, "mark_corrected", mark_id=e.mark_id,
                      value=e.value, work=e.work.value, reason=e.reason)

    @handles(Lesson.MarkCancelled)
    def mark_cancelled(self, batch: Batch, e: Lesson.MarkCancelled, position: int) -> None:
        self._publish(batch, position, e, e.student_id, "mark_cancelled", mark_id=e.mark_id,
                      value=e.value, work=e.work.value, reason=e.reason)

    @handles(Lesson.AttendanceTaken)
    def attendance_taken(self, batch: Batch, e: Lesson.AttendanceTaken, position: int) -> None:
        for absence in e.absent:
            self._publish(batch, position, e, absence.student_id, "absent",
                          reason=absence.reason.value if absence.reason else None)

    @handles(Lesson.AbsenceCancelled)
    def absence_cancelled(self, batch: Batch, e: Lesson.AbsenceCancelled, position: int
                          ) -> None:
        self._publish(batch, position, e, e.student_id, "absence_cancelled", reason=e.reason)


@dataclass
class FeedItem:
    position: int  # the item's id and the paging cursor
    student_id: UUID
    kind: str  # mark_given | mark_corrected | mark_cancelled | absent | absence_cancelled
    journal_id: UUID
    lesson_date: date
    subject: str
    mark_id: UUID | None
    value: str | None
    work: str | None
    reason: str | None
    recorded_at: datetime  # UTC


def read_feed(conn: Connection, recipient_id: UUID, *, before: int | None = None,
              limit: int = 50) -> list[FeedItem]:
    """The recipient's feed, newest first; ``before`` is the last item's position on the page
    before. A page may hold a few more than ``limit`` items: it never splits one event's."""
    named = select(items, func.coalesce(subjects.c.name, "").label("subject")).outerjoin(
        subjects, subjects.c.subject_id == items.c.subject_id)
    query = named.where(items.c.recipient_id == recipient_id)
    if before is not None:
        query = query.where(items.c.position < before)
    order = (items.c.position.desc(), items.c.student_id.desc())  # the primary key, backwards
    rows = list(conn.execute(query.order_by(*order).limit(limit)).all())
    if rows and len(rows) == limit:
        last = rows[-1].position
        rest = conn.execute(
            named.where(items.c.recipient_id == recipient_id, items.c.position == last)
            .order_by(*order).offset(sum(1 for row in rows if row.position == last))).all()
        rows.extend(rest)
    return [FeedItem(position=row.position, student_id=row.student_id, kind=row.kind,
                     journal_id=row.journal_id, lesson_date=row.lesson_date,
                     subject=row.subject, mark_id=row.mark_id, value=row.value,
                     work=row.work, reason=row.reason, recorded_at=as_utc(row.recorded_at))
            for row in rows]


def last_read(conn: Connection, recipient_id: UUID) -> int:
    """The position the recipient has read up to (0: nothing read)."""
    return conn.scalar(select(read_cursors.c.position)
                       .where(read_cursors.c.recipient_id == recipient_id)) or 0


def mark_feed_read(conn: Connection, recipient_id: UUID, position: int) -> None:
    """Moves the recipient's read cursor to ``position``; never back. The caller commits."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        pg = postgresql.insert(read_cursors).values(recipient_id=recipient_id,
                                                    position=position)
        conn.execute(pg.on_conflict_do_update(
            index_elements=[read_cursors.c.recipient_id], set_={"position": position},
            where=read_cursors.c.position < position))
    elif dialect == "sqlite":
        lite = sqlite.insert(read_cursors).values(recipient_id=recipient_id,
                                                  position=position)
        conn.execute(lite.on_conflict_do_update(
            index_elements=[read_cursors.c.recipient_id], set_={"position": position},
            where=read_cursors.c.position < position))
    else:  # pragma: no cover - the two supported databases are above
        raise ValueError(f"unsupported database {dialect!r}")


def unread_count(conn: Connection, recipient_id: UUID) -> int:
    """How many of the recipient's items are newer than their read cursor."""
    seen = select(read_cursors.c.position).where(
        read_cursors.c.recipient_id == recipient_id).scalar_subquery()
    return conn.scalar(select(func.count()).select_from(items).where(
        items.c.recipient_id == recipient_id,
        items.c.position > func.coalesce(seen, 0))) or 0
