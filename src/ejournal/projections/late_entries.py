"""Late entries (R-4.5, R-4.6, R-6.1d, R-6.2): every journal entry recorded after its due date.

A late entry is accepted and flagged, never refused (domain.md); the flag is the event's own
``late`` verdict as it stood when the entry was recorded, never recomputed. One row per late
event: which rule, which journal, what was entered, the business date it belongs to, the due
date, when it was recorded (UTC, and the school-local date), by whom and how late.

Rows carry their school and the event's log position, so a school's list, or one teacher's or
one journal's, is an index range scan in log order, whatever the size of the platform.
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
    Index,
    Integer,
    String,
    Table,
    Text,
    Uuid,
    select,
)

from ejournal.domain.journal import ClassJournal
from ejournal.domain.lesson import Lesson
from ejournal.domain.period_mark import PeriodMark
from ejournal.domain.school import School
from ejournal.domain.timeliness import local_date
from ejournal.projections.base import ReadModel, as_utc, handles, metadata
from ejournal.projections.batching import Batch

schools = Table(
    "late_entries_schools", metadata,
    Column("school_id", Uuid, primary_key=True),
    Column("timezone", Text, nullable=False),
)
journals = Table(
    "late_entries_journals", metadata,
    Column("journal_id", Uuid, primary_key=True),
    Column("school_id", Uuid, nullable=False),
)
entries = Table(
    "late_entries", metadata,
    Column("position", BigInteger, primary_key=True),  # the event's log position
    Column("school_id", Uuid, nullable=False),
    Column("rule", String(16), nullable=False),
    Column("journal_id", Uuid, nullable=False),
    Column("entry", String(32), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("due", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),  # UTC
    Column("recorded_on", Date, nullable=False),  # school-local date of recorded_at
    Column("by", Uuid, nullable=False),
    Column("days", Integer, nullable=False),
    Column("working_days", Integer, nullable=False),
    Index("ix_late_entries_school_position", "school_id", "position"),
    Index("ix_late_entries_school_date", "school_id", "business_date"),
    Index("ix_late_entries_school_by_position", "school_id", "by", "position"),
    Index("ix_late_entries_journal_position", "journal_id", "position"),
)




class LateEntries(ReadModel):
    name = "late_entries"
    tables = (schools, journals, entries)

    @handles(School.Registered)
    def school_registered(self, batch: Batch, e: Any, _: int) -> None:
        batch.insert(schools, {"school_id": e.originator_id, "timezone": e.timezone})

    @handles(ClassJournal.Opened)
    def journal_opened(self, batch: Batch, e: Any, _: int) -> None:
        batch.insert(journals, {"journal_id": e.originator_id, "school_id": e.school_id})

    @handles(Lesson.Held)
    def lesson_held(self, batch: Batch, e: Any, position: int) -> None:
        self._record(batch, e, position, "lesson", e.lesson_date)

    @handles(Lesson.AttendanceTaken)
    def attendance_taken(self, batch: Batch, e: Any, position: int) -> None:
        self._record(batch, e, position, "attendance", e.lesson_date)

    @handles(Lesson.AbsenceCancelled)
    def absence_cancelled(self, batch: Batch, e: Any, position: int) -> None:
        self._record(batch, e, position, "absence_cancellation", e.lesson_date)

    @handles(Lesson.MarkGiven)
    def mark_given(self, batch: Batch, e: Any, position: int) -> None:
        self._record(batch, e, position, "mark", e.lesson_date)

    @handles(PeriodMark.Given)
    def period_mark_given(self, batch: Batch, e: Any, position: int) -> None:
        self._record(batch, e, position, "period_mark", e.period_ends_on)

    def _school_of(self, batch: Batch, journal_id: UUID) -> tuple[UUID, str]:
        """The journal's school and its time zone (remembered)."""
        known = self.remembered("journals")
        if journal_id not in known:
            row = batch.execute(
                select(journals.c.school_id, schools.c.timezone)
                .join(schools, schools.c.school_id == journals.c.school_id)
                .where(journals.c.journal_id == journal_id)
            ).one()
            known[journal_id] = (row.school_id, row.timezone)
        found: tuple[UUID, str] = known[journal_id]
        return found

    def _record(self, batch: Batch, e: Any, position: int, entry: str, business_date: date
                ) -> None:
        late = e.late
        if not late:
            return  # on time: nothing to flag
        school_id, timezone = self._school_of(batch, e.journal_id)
        recorded_at = as_utc(e.timestamp)
        batch.insert(entries, {
            "position": position, "school_id": school_id, "rule": late["rule"],
            "journal_id": e.journal_id, "entry": entry, "business_date": business_date,
            "due": date.fromisoformat(late["due"]), "recorded_at": recorded_at,
            "recorded_on": local_date(recorded_at, timezone), "by": e.by,
            "days": late["days"], "working_days": late["working_days"]})


@dataclass
class LateEntry:
    position: int
    school_id: UUID
    rule: str
    journal_id: UUID
    entry: str  # lesson | attendance | absence_cancellation | mark | period_mark
    business_date: date  # the lesson's date, or the period's last day (API: `date`)
    due: date
    recorded_at: datetime  # UTC
    recorded_on: date  # school-local
    by: UUID
    days: int
    working_days: int


def read_late_entries(conn: Connection, school_id: UUID, *, first: date | None = None,
                      last: date | None = None, teacher_id: UUID | None = None,
                      journal_id: UUID | None = None, rule: str | None = None,
                      after_position: int | None = None, limit: int = 1000
                      ) -> list[LateEntry]:
    """The school's late entries, oldest first (log order).

    ``first``/``last`` bound the business date (inclusive); ``teacher_id`` is the entry's
    author; ``after_position`` is the cursor for the next page (the last row's ``position``).
    """
    query = select(entries).where(entries.c.school_id == school_id)
    if first is not None:
        query = query.where(entries.c.business_date >= first)
    if last is not None:
        query = query.where(entries.c.business_date <= last)
    if teacher_id is not None:
        query = query.where(entries.c.by == teacher_id)
    if journal_id is not None:
        query = query.where(entries.c.journal_id == journal_id)
    if rule is not None:
        query = query.where(entries.c.rule == rule)
    if after_position is not None:
        query = query.where(entries.c.position > after_position)
    rows = conn.execute(query.order_by(entries.c.position).limit(limit)).all()
    return [
        LateEntry(position=row.position, school_id=row.school_id, rule=row.rule,
                  journal_id=row.journal_id, entry=row.entry,
                  business_date=row.business_date,
                  due=row.due, recorded_at=as_utc(row.recorded_at), recorded_on=row.recorded_on,
                  by=row.by, days=row.days, working_days=row.working_days)
        for row in rows
    ]
