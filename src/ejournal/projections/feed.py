"""The feed of guardians and students (R-3.4e, R-5.2d, R-5.3a): new marks, corrections,
cancelled marks, absences and cancelled absences, newest first, with a read cursor.

Items are written per recipient when the event is projected: to the student themself and to
every guardian linked to the student *at that point of the log* (``User.GuardianLinked``). A
guardian linked later therefore gets only the items from the link on, not the student's past:
the diary shows the past. A recipient's page is one index range scan on (recipient, position),
whatever the size of the school.

An item's id is the log position of the event it comes from. One attendance event can make
several items for the same recipient (a guardian of two children absent from the same lesson);
they share the position, and a page never splits them, so ``before`` (a position) is a safe
cursor.

Kinds: ``mark_given`` (value, work), ``mark_corrected`` (the new value, work, reason),
``mark_cancelled`` (the value withdrawn, work, reason), ``absent`` (reason: ``illness``,
``excused``, ``unexcused`` or None) and ``absence_cancelled`` (reason: why, free text).

The read cursor (``feed_read``) is the recipient's own: it is written by the reader, not by the
projector, and only moves forward.
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
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from ejournal.domain.journal import ClassJournal
from ejournal.domain.lesson import Lesson
from ejournal.domain.people import User
from ejournal.domain.school import School
from ejournal.projections.base import ReadModel, as_utc, handles, metadata
from ejournal.projections.batching import Batch, prepare

subjects = Table(
    "feed_subjects", metadata,
    Column("subject_id", Uuid, primary_key=True),
    Column("name", Text, nullable=False),
)
journals = Table(
    "feed_journals", metadata,
    Column("journal_id", Uuid, primary_key=True),
    Column("subject", Text, nullable=False),
)
guardians = Table(
    "feed_guardians", metadata,
    Column("student_id", Uuid, primary_key=True),
    Column("guardian_id", Uuid, primary_key=True),
)
marks = Table(
    "feed_marks", metadata,  # what a correction or cancellation refers to
    Column("mark_id", Uuid, primary_key=True),
    Column("student_id", Uuid, nullable=False),
    Column("journal_id", Uuid, nullable=False),
    Column("lesson_date", Date, nullable=False),
    Column("subject", Text, nullable=False),
    Column("value", String(1), nullable=False),  # current value
    Column("work", String(16), nullable=False),
)
items = Table(
    "feed_items", metadata,
    Column("recipient_id", Uuid, primary_key=True),
    Column("position", BigInteger, primary_key=True),  # the event's log position: the item id
    Column("student_id", Uuid, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("journal_id", Uuid, nullable=False),
    Column("lesson_date", Date, nullable=False),
    Column("subject", Text, nullable=False),
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




#: How many of the latest marks the feed remembers for their corrections and cancellations.
MARKS_REMEMBERED = 50_000


@dataclass(frozen=True)
class _Mark:
    student_id: UUID
    subject: str
    work: str
    value: str  # current


_correct_mark = prepare(update(marks).where(marks.c.mark_id == bindparam("m"))
                        .values(value=bindparam("v")))


class Feed(ReadModel):
    """Remembers subject names, each journal's subject and each student's guardians (what
    almost every item needs); reads the mark a correction or cancellation refers to."""

    name = "feed"
    tables = (subjects, journals, guardians, marks, items)
    kept_tables = (read_cursors,)

    def _subject(self, batch: Batch, journal_id: UUID) -> str:
        known = self.remembered("journals")
        if journal_id not in known:
            known[journal_id] = batch.scalar(
                select(journals.c.subject).where(journals.c.journal_id == journal_id)) or ""
        name: str = known[journal_id]
        return name

    def _recipients(self, batch: Batch, student_id: UUID) -> list[UUID]:
        """The student and their guardians linked so far."""
        known = self.remembered("recipients")
        if student_id not in known:
            known[student_id] = [student_id, *batch.scalars(
                select(guardians.c.guardian_id).where(guardians.c.student_id == student_id)
                .order_by(guardians.c.guardian_id))]
        found: list[UUID] = known[student_id]
        return found

    def _publish(self, batch: Batch, position: int, e: Any, rows: list[dict[str, Any]]
                 ) -> None:
        """Writes each row (one per student concerned) to the student and their guardians."""
        recorded_at = as_utc(e.timestamp) if rows else None
        for row in rows:
            for recipient in self._recipients(batch, row["student_id"]):
                batch.insert(items, {
                    "recipient_id": recipient, "position": position,
                    "journal_id": e.journal_id, "lesson_date": e.lesson_date,
                    "recorded_at": recorded_at, "mark_id": None, "value": None, "work": None,
                    "reason": None, **row})

    def _mark(self, batch: Batch, mark_id: UUID) -> _Mark:
        """What a correction or cancellation refers to: the latest marks are remembered."""
        found: _Mark | None = self.remembered("marks").get(mark_id)
        if found is None:
            row = batch.execute(select(marks.c.student_id, marks.c.subject, marks.c.work,
                                       marks.c.value)
                                .where(marks.c.mark_id == mark_id)).one()
            found = _Mark(row.student_id, row.subject, row.work, row.value)
        return found

    @handles(School.SubjectAdded)
    def subject_added(self, batch: Batch, e: Any, _: int) -> None:
        batch.insert(subjects, {"subject_id": e.subject_id, "name": e.name})

    @handles(ClassJournal.Opened)
    def journal_opened(self, batch: Batch, e: Any, _: int) -> None:
        name = batch.scalar(select(subjects.c.name)
                            .where(subjects.c.subject_id == e.subject_id)) or ""
        batch.insert(journals, {"journal_id": e.originator_id, "subject": name})
        self.remembered("journals")[e.originator_id] = name

    @handles(User.GuardianLinked)
    def guardian_linked(self, batch: Batch, e: Any, _: int) -> None:
        recipients = self._recipients(batch, e.originator_id)
        batch.insert(guardians, {"student_id": e.originator_id, "guardian_id": e.guardian_id})
        recipients[1:] = sorted([*recipients[1:], e.guardian_id])

    @handles(Lesson.MarkGiven)
    def mark_given(self, batch: Batch, e: Any, position: int) -> None:
        subject = self._subject(batch, e.journal_id)
        batch.insert(marks, {
            "mark_id": e.mark_id, "student_id": e.student_id, "journal_id": e.journal_id,
            "lesson_date": e.lesson_date, "subject": subject, "value": e.value,
            "work": e.work})
        self.remember("marks", e.mark_id, _Mark(e.student_id, subject, e.work, e.value),
                      limit=MARKS_REMEMBERED)
        self._publish(batch, position, e, [{
            "student_id": e.student_id, "kind": "mark_given", "subject": subject,
            "mark_id": e.mark_id, "value": e.value, "work": e.work}])

    @handles(Lesson.MarkCorrected)
    def mark_corrected(self, batch: Batch, e: Any, position: int) -> None:
        mark = self._mark(batch, e.mark_id)
        batch.run(_correct_mark, {"m": e.mark_id, "v": e.value})
        self.remember("marks", e.mark_id, _Mark(mark.student_id, mark.subject, mark.work,
                                                e.value), limit=MARKS_REMEMBERED)
        self._publish(batch, position, e, [{
            "student_id": mark.student_id, "kind": "mark_corrected", "subject": mark.subject,
            "mark_id": e.mark_id, "value": e.value, "work": mark.work, "reason": e.reason}])

    @handles(Lesson.MarkCancelled)
    def mark_cancelled(self, batch: Batch, e: Any, position: int) -> None:
        mark = self._mark(batch, e.mark_id)
        self.remembered("marks").pop(e.mark_id, None)
        self._publish(batch, position, e, [{
            "student_id": mark.student_id, "kind": "mark_cancelled", "subject": mark.subject,
            "mark_id": e.mark_id, "value": mark.value, "work": mark.work,
            "reason": e.reason}])

    @handles(Lesson.AttendanceTaken)
    def attendance_taken(self, batch: Batch, e: Any, position: int) -> None:
        subject = self._subject(batch, e.journal_id)
        self._publish(batch, position, e, [
            {"student_id": row["student_id"], "kind": "absent", "subject": subject,
             "reason": row["reason"]}
            for row in e.absent])

    @handles(Lesson.AbsenceCancelled)
    def absence_cancelled(self, batch: Batch, e: Any, position: int) -> None:
        self._publish(batch, position, e, [{
            "student_id": e.student_id, "kind": "absence_cancelled",
            "subject": self._subject(batch, e.journal_id), "reason": e.reason}])


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
    query = select(items).where(items.c.recipient_id == recipient_id)
    if before is not None:
        query = query.where(items.c.position < before)
    order = (items.c.position.desc(), items.c.student_id.desc())  # the primary key, backwards
    rows = list(conn.execute(query.order_by(*order).limit(limit)).all())
    if rows and len(rows) == limit:
        last = rows[-1].position
        rest = conn.execute(
            select(items).where(items.c.recipient_id == recipient_id, items.c.position == last)
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
