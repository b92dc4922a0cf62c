"""The feed of guardians and students (R-3.4e, R-5.2d, R-5.3a): new marks, corrections,
cancelled marks, absences and cancelled absences, period marks (итоговые отметки) given and
corrected, newest first, with a read cursor; and to a student's guardians, another guardian's
link or its end (R-5.3a: the family sees who reads the child's data).

An item is written, from its event alone, to the student and to each guardian linked to them
*at that point of the log* (a link's, to the guardians linked before it); its id is the
event's log position (one event may make several items for one recipient, and a page never
splits them). ``feed_read`` is the recipient's own
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
    delete,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from ejournal.domain.lesson import Lesson
from ejournal.domain.people import User
from ejournal.domain.period_mark import PeriodMark
from ejournal.projections.base import ReadModel, as_utc, handles, metadata
from ejournal.projections.batching import Batch, prepare
from ejournal.projections.naming import (
    JournalNames,
    KeepsNames,
    KeepsPeriods,
    name_tables,
    named,
    period_table,
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
    Column("journal_id", Uuid, nullable=True),  # None for a guardian's link
    Column("lesson_date", Date, nullable=True),  # None for a period mark or a link
    Column("period_id", Uuid, nullable=True),  # a period mark's
    Column("guardian_id", Uuid, nullable=True),  # a link's
    Column("mark_id", Uuid, nullable=True),
    Column("value", String(1), nullable=True),
    Column("work", String(16), nullable=True),
    Column("reason", Text, nullable=True),
    Column("by", Uuid, nullable=False),  # who recorded it
    Column("recorded_at", DateTime(timezone=True), nullable=False),  # UTC
)
names, journals = name_tables("feed")
periods = period_table("feed")
read_cursors = Table(
    "feed_read", metadata,
    Column("recipient_id", Uuid, primary_key=True),
    Column("position", BigInteger, nullable=False),  # the last position read
)



#: Lesson events the feed tells of: each names its student, subject, journal and lesson date.
LessonEvent = (Lesson.MarkGiven | Lesson.MarkCorrected | Lesson.MarkCancelled
               | Lesson.AttendanceTaken | Lesson.AbsenceCancelled)


_GUARDIANS = select(guardians.c.guardian_id).where(guardians.c.student_id == bindparam("s"))


_UNLINK = prepare(delete(guardians).where(guardians.c.student_id == bindparam("s"),
                                          guardians.c.guardian_id == bindparam("g")))
_EMPTY = {"journal_id": None, "lesson_date": None, "period_id": None,
          "guardian_id": None, "mark_id": None, "value": None, "work": None, "reason": None}


class Feed(KeepsNames, KeepsPeriods, ReadModel):
    """Writes each item to the student and to their guardians linked so far."""

    names_table = names
    journals_table = journals
    periods_table = periods
    name = "feed"
    tables = (names, journals, periods, guardians, items)
    kept_tables = (read_cursors,)

    def _recipients(self, batch: Batch, student_id: UUID) -> list[UUID]:
        """The student and their guardians linked so far (remembered for the batch: a class's
        students recur in every lesson)."""
        found: list[UUID] | None = batch.remembered.get(student_id)
        if found is None:
            found = batch.remembered[student_id] = [
                student_id, *batch.scalars(_GUARDIANS, {"s": student_id})]
        return found

    def _write(self, batch: Batch, recipients: list[UUID], row: dict[str, Any]) -> None:
        for recipient in recipients:
            batch.insert(items, {"recipient_id": recipient, **row})

    def _publish(self, batch: Batch, position: int, e: LessonEvent, student_id: UUID,
                 kind: str, **fields: Any) -> None:
        self._write(batch, self._recipients(batch, student_id), {
            **_EMPTY, "position": position, "student_id": student_id, "kind": kind,
            "journal_id": e.journal_id, "lesson_date": e.lesson_date, "by": e.by,
            "recorded_at": as_utc(e.timestamp), **fields})

    def _tell_guardians(self, batch: Batch, position: int,
                        e: User.GuardianLinked | User.GuardianUnlinked, kind: str) -> None:
        """A link or its end, told to the student's other guardians."""
        others = [g for g in self._recipients(batch, e.originator_id)[1:]
                  if g != e.guardian_id]
        self._write(batch, others, {**_EMPTY, "position": position,
                                    "student_id": e.originator_id, "kind": kind,
                                    "guardian_id": e.guardian_id, "by": e.by,
                                    "recorded_at": as_utc(e.timestamp)})

    @handles(User.GuardianLinked)
    def guardian_linked(self, batch: Batch, e: User.GuardianLinked, position: int) -> None:
        self._tell_guardians(batch, position, e, "guardian_linked")
        batch.insert(guardians, {"student_id": e.originator_id, "guardian_id": e.guardian_id})
        batch.remembered.pop(e.originator_id, None)

    @handles(User.GuardianUnlinked)
    def guardian_unlinked(self, batch: Batch, e: User.GuardianUnlinked, position: int
                          ) -> None:
        batch.run(_UNLINK, {"s": e.originator_id, "g": e.guardian_id})
        batch.remembered.pop(e.originator_id, None)
        self._tell_guardians(batch, position, e, "guardian_unlinked")

    @handles(PeriodMark.Given, PeriodMark.Corrected)
    def period_mark(self, batch: Batch, e: PeriodMark.Given | PeriodMark.Corrected,
                    position: int) -> None:
        kind, reason = (("period_mark_given", None) if isinstance(e, PeriodMark.Given)
                        else ("period_mark_corrected", e.reason))
        self._write(batch, self._recipients(batch, e.student_id), {
            **_EMPTY, "position": position, "student_id": e.student_id, "kind": kind,
            "journal_id": e.journal_id, "period_id": e.period_id,
            "mark_id": e.originator_id, "value": e.value, "reason": reason, "by": e.by,
            "recorded_at": as_utc(e.timestamp)})

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


Feed.prepare_names()

#: What a feed item is about: marks, absences, period marks, guardian links.
KINDS = ("mark_given", "mark_corrected", "mark_cancelled", "absent", "absence_cancelled",
         "period_mark_given", "period_mark_corrected", "guardian_linked", "guardian_unlinked")


@dataclass
class FeedItem:
    position: int  # the item's id and the paging cursor
    student_id: UUID
    kind: str  # one of KINDS
    journal_id: UUID | None  # None for a guardian's link
    lesson_date: date | None  # None for a period mark or a link
    subject: str | None
    mark_id: UUID | None  # a mark's or a period mark's
    value: str | None
    work: str | None
    reason: str | None
    recorded_at: datetime  # UTC
    student_name: str = ""
    by: UUID | None = None
    by_name: str = ""
    period_id: UUID | None = None
    period_name: str | None = None
    period_kind: str | None = None
    guardian_id: UUID | None = None
    guardian_name: str | None = None


_JOURNAL = JournalNames.of(names, journals, items.c.journal_id)
_STUDENT_NAME, _STUDENT, _ON_STUDENT = named(names, items.c.student_id, "student_name")
_BY_NAME, _BY, _ON_BY = named(names, items.c.by, "by_name")
_GUARDIAN_NAME, _GUARDIAN, _ON_GUARDIAN = named(names, items.c.guardian_id, "guardian_name")
_NAMED = (select(items, _JOURNAL.subject_name, _STUDENT_NAME, _BY_NAME, _GUARDIAN_NAME,
                 periods.c.name.label("period_name"), periods.c.kind.label("period_kind"))
          .select_from(_JOURNAL.join(items).outerjoin(_STUDENT, _ON_STUDENT)
                       .outerjoin(_BY, _ON_BY).outerjoin(_GUARDIAN, _ON_GUARDIAN)
                       .outerjoin(periods, periods.c.period_id == items.c.period_id)))


def read_feed(conn: Connection, recipient_id: UUID, *, before: int | None = None,
              limit: int = 50) -> list[FeedItem]:
    """The recipient's feed, newest first, with the names of the student, the subject, the
    period, the guardian and the author; ``before`` is the last item's position on the page
    before. A page may hold a few more than ``limit`` items: it never splits one event's."""
    query = _NAMED.where(items.c.recipient_id == recipient_id)
    if before is not None:
        query = query.where(items.c.position < before)
    order = (items.c.position.desc(), items.c.student_id.desc())  # the primary key, backwards
    rows = list(conn.execute(query.order_by(*order).limit(limit)).all())
    if rows and len(rows) == limit:
        last = rows[-1].position
        rest = conn.execute(
            _NAMED.where(items.c.recipient_id == recipient_id, items.c.position == last)
            .order_by(*order).offset(sum(1 for row in rows if row.position == last))).all()
        rows.extend(rest)
    return [FeedItem(position=row.position, student_id=row.student_id, kind=row.kind,
                     journal_id=row.journal_id, lesson_date=row.lesson_date,
                     subject=row.subject_name if row.journal_id is not None else None,
                     mark_id=row.mark_id, value=row.value, work=row.work, reason=row.reason,
                     recorded_at=as_utc(row.recorded_at), student_name=row.student_name,
                     by=row.by, by_name=row.by_name, period_id=row.period_id,
                     period_name=row.period_name, period_kind=row.period_kind,
                     guardian_id=row.guardian_id,
                     guardian_name=row.guardian_name if row.guardian_id is not None else None)
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
